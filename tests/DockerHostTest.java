import org.junit.jupiter.api.Test;
import org.zeroturnaround.exec.ProcessExecutor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reaching the Docker host: dead daemons, plaintext remote APIs, contexts and TLS settings. */
class DockerHostTest {

    @Test
    void deadDaemonIsOneClearLineAndExitFiveWithinSeconds() {
        long t0 = System.nanoTime();
        var r = TestApp.run("status", "--app", "shop", "--host", "tcp://127.0.0.1:1");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(5, r.code(), r.toString());
        assertTrue(r.err().startsWith("error: Docker host tcp://127.0.0.1:1 does not answer"), r.err());
        assertTrue(r.err().contains("Is dockerd running?"), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(ms < 15_000, "gave up after " + ms + " ms");

        var sock = TestApp.run("status", "--app", "shop", "--host", "unix:///tmp/no-such-docker.sock");
        assertEquals(5, sock.code(), sock.toString());
        assertTrue(sock.err().contains("unix:///tmp/no-such-docker.sock does not answer"), sock.err());
    }

    @Test
    void plaintextRemoteApiIsRefusedBeforeAnyConnectionUnlessOptedIn() {
        // Refused before any lookup or connection, so this sends no traffic anywhere.
        var r = TestApp.run("status", "--app", "shop", "--host", "tcp://web1.example.invalid:2375");
        assertEquals(5, r.code(), r.toString());
        assertTrue(r.err().contains("refusing plaintext Docker API at tcp://web1.example.invalid:2375"), r.err());
        assertTrue(r.err().contains("--insecure"), r.err());

        var loopback = TestApp.run("status", "--app", "shop", "--host", "tcp://localhost:1");
        assertTrue(loopback.err().contains("does not answer"), "loopback needs no opt-in: " + loopback.err());
    }

    @Test
    void dockerHostDockerContextAndTlsSettingsAreHonoured() throws Exception {
        TestHost.docker();
        var ctx = new ProcessExecutor().command("docker", "context", "create", "bgtest-dead", "--docker", "host=tcp://127.0.0.1:1")
                .readOutput(true).execute();
        try {
            var viaContext = runScript(Map.of("DOCKER_CONTEXT", "bgtest-dead"), "status", "--app", "shop");
            assertEquals(5, viaContext.code(), viaContext.toString());
            assertTrue(viaContext.err().contains("tcp://127.0.0.1:1 does not answer"), viaContext.err());
        } finally {
            new ProcessExecutor().command("docker", "context", "rm", "-f", "bgtest-dead").execute();
        }
        var viaEnv = runScript(Map.of("DOCKER_HOST", "unix:///var/run/docker.sock"), "status", "--app", "nothing-here");
        assertEquals(1, viaEnv.code(), viaEnv.toString());
        assertTrue(viaEnv.out().contains("nothing deployed yet"), viaEnv.toString());

        var badTls = runScript(Map.of("DOCKER_HOST", "tcp://127.0.0.1:2376", "DOCKER_TLS_VERIFY", "1", "DOCKER_CERT_PATH", "/nonexistent/certs"),
                "status", "--app", "shop");
        assertEquals(5, badTls.code(), badTls.toString());
        assertEquals(1, badTls.err().lines().count(), badTls.err());
        assertTrue(ctx.getExitValue() == 0, ctx.outputUTF8());
    }

    /** deploy.java in a child JVM, for settings that only come from the environment. */
    static TestApp.Result runScript(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-cp", System.getProperty("java.class.path"), "deploy"));
        cmd.addAll(List.of(args));
        var pe = new ProcessExecutor().command(cmd).readOutput(true).timeout(60, TimeUnit.SECONDS);
        Map<String, String> e = new java.util.HashMap<>(env);
        e.put("NO_COLOR", "1");
        pe.environment(e);
        // keep stderr apart from stdout
        var errOut = new java.io.ByteArrayOutputStream();
        pe.redirectError(errOut);
        var r = pe.execute();
        return new TestApp.Result(r.getExitValue(), r.outputUTF8(), errOut.toString());
    }
}
