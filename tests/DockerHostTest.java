import lib.base.DeployError;
import lib.base.ExitCode;
import lib.docker.Digest;
import lib.docker.DockerHost;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.zeroturnaround.exec.ProcessExecutor;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reaching the Docker host: dead daemons, plaintext remote APIs, contexts and TLS settings. */
class DockerHostTest {
    private final Path home = BadInputTest.tempDir();

    @AfterEach
    void removeFiles() throws Exception {
        ExampleImages.deleteTree(home);
    }

    // --- the settings as data (DockerHost.resolve): no Docker needed ------------------------------

    DockerHost.Target resolve(Map<String, String> env) {
        return DockerHost.resolve(null, "--host", null, null, withHome(env));
    }

    Map<String, String> withHome(Map<String, String> env) {
        Map<String, String> e = new java.util.HashMap<>(env);
        e.put("HOME", home.toString());
        return e;
    }

    static DeployError fails(Runnable r) {
        DeployError e = assertThrows(DeployError.class, r::run);
        assertEquals(ExitCode.DOCKER, e.exitCode(), e.getMessage());
        return e;
    }

    /** A context as `docker context create` stores it. */
    void context(String name, String host, boolean tlsFiles) throws Exception {
        String id = Digest.sha256Hex(name.getBytes(StandardCharsets.UTF_8));
        Path meta = Files.createDirectories(home.resolve(".docker/contexts/meta/" + id));
        Files.writeString(meta.resolve("meta.json"), "{\"Name\":\"" + name + "\",\"Metadata\":{},\"Endpoints\":{\"docker\":{\"Host\":\"" + host
                + "\",\"SkipTLSVerify\":false}}}");
        if (tlsFiles) certs(Files.createDirectories(home.resolve(".docker/contexts/tls/" + id + "/docker")));
    }

    static Path certs(Path dir) throws Exception {
        for (String f : List.of("ca.pem", "cert.pem", "key.pem")) Files.writeString(dir.resolve(f), "-----BEGIN CERTIFICATE-----\n");
        return dir;
    }

    @Test
    void theDockerCliOrderOfSettings() throws Exception {
        context("edctx", "tcp://10.210.0.9:2376", true);
        assertEquals("unix:///var/run/docker.sock", resolve(Map.of()).endpoint().toString());
        var viaContext = resolve(Map.of("DOCKER_CONTEXT", "edctx"));
        assertEquals("tcp://10.210.0.9:2376", viaContext.endpoint().toString());
        assertEquals(home.resolve(".docker/contexts/tls/" + Digest.sha256Hex("edctx".getBytes(StandardCharsets.UTF_8)) + "/docker"), viaContext.tlsDir());
        Files.writeString(home.resolve(".docker/config.json"), "{\"currentContext\": \"edctx\"}");
        assertEquals("tcp://10.210.0.9:2376", resolve(Map.of()).endpoint().toString());
        assertEquals("unix:///run/other.sock", resolve(Map.of("DOCKER_HOST", "unix:///run/other.sock", "DOCKER_CONTEXT", "edctx")).endpoint().toString());
        assertEquals("unix:///var/run/docker.sock", resolve(Map.of("DOCKER_CONTEXT", "default")).endpoint().toString());
        assertEquals("tcp://127.0.0.1:2375", resolve(Map.of("DOCKER_HOST", "tcp://127.0.0.1")).endpoint().toString(), "the docker CLI's plaintext port");
    }

    @Test
    void aMissingContextIsAnErrorNotTheLocalSocket() throws Exception {
        var e = fails(() -> resolve(Map.of("DOCKER_CONTEXT", "ed-no-such")));
        assertTrue(e.getMessage().startsWith("Docker context \"ed-no-such\" (from DOCKER_CONTEXT) does not exist"), e.getMessage());
        Files.createDirectories(home.resolve(".docker"));
        Files.writeString(home.resolve(".docker/config.json"), "{\"currentContext\": \"ed-gone\"}");
        e = fails(() -> resolve(Map.of()));
        assertTrue(e.getMessage().contains("\"ed-gone\" (from currentContext in " + home.resolve(".docker/config.json") + ") does not exist"), e.getMessage());
        Files.writeString(home.resolve(".docker/config.json"), "{not json");
        assertTrue(fails(() -> resolve(Map.of())).getMessage().contains("is not valid JSON"));
    }

    @Test
    void tlsWithoutUsableCertificatesIsAnErrorNeverPlaintext() throws Exception {
        Path empty = Files.createDirectories(home.resolve("empty-certs"));
        var e = fails(() -> resolve(Map.of("DOCKER_HOST", "tcp://10.210.0.9:2376", "DOCKER_TLS_VERIFY", "1", "DOCKER_CERT_PATH", empty.toString())));
        assertTrue(e.getMessage().startsWith("DOCKER_TLS_VERIFY is set but " + empty.resolve("ca.pem") + " is missing"), e.getMessage());
        // No DOCKER_CERT_PATH: ~/.docker, as with the docker CLI; here it has no certificates either.
        assertTrue(fails(() -> resolve(Map.of("DOCKER_HOST", "tcp://10.210.0.9:2376", "DOCKER_TLS_VERIFY", "1"))).getMessage()
                .contains(home.resolve(".docker/ca.pem").toString()));
        var fromProject = assertThrows(DeployError.class, () -> DockerHost.resolve("tcp://10.210.0.9:2376", "the project file's host", true, empty.toString(), withHome(Map.of())));
        assertTrue(fromProject.getMessage().startsWith("tls_verify in the project file is set but"), fromProject.getMessage());

        Path good = certs(Files.createDirectories(home.resolve("certs")));
        var t = resolve(Map.of("DOCKER_HOST", "tcp://10.210.0.9", "DOCKER_TLS_VERIFY", "1", "DOCKER_CERT_PATH", good.toString()));
        assertEquals(good, t.tlsDir());
        assertEquals("tcp://10.210.0.9:2376", t.endpoint().toString(), "the docker CLI's TLS port");
        assertNull(resolve(Map.of("DOCKER_HOST", "unix:///var/run/docker.sock", "DOCKER_TLS_VERIFY", "1")).tlsDir(), "TLS is for tcp only");
    }

    @Test
    void unsupportedOrBrokenHostUrlsAreOneLineErrorsWithoutUserInfo() {
        for (String bad : List.of("ftp://x", "garbage!!", "tcp://[::1", "tcp://", "unix://", "http://web1:2375", "tcp://h:1/path", "tcp://127.0.0.1:65536")) {
            var e = fails(() -> resolve(Map.of("DOCKER_HOST", bad)));
            assertTrue(e.getMessage().startsWith("DOCKER_HOST: "), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
        var e = fails(() -> resolve(Map.of("DOCKER_HOST", "ftp://user:s3cret@x")));
        assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
        // A token without a password, in a URL that does not parse or is refused: the userinfo is still masked.
        for (String bad : List.of("tcp://T0KEN9@[::1", "tcp://T0KEN9@web1:2376/v1", "ftp://T0KEN9@x", "T0KEN9@web1", "tcp://T0KEN9@",
                "tcp://T0KEN9:x@[::1", "tcp://a/T0KEN9@[::1", "ssh://a:T0KEN9@[::1")) {
            var masked = fails(() -> resolve(Map.of("DOCKER_HOST", bad)));
            assertFalse(masked.getMessage().contains("T0KEN9"), masked.getMessage());
            assertTrue(masked.getMessage().contains("***@"), masked.getMessage());
        }
        // An ssh login name is not a secret, and says who logs in.
        assertTrue(fails(() -> resolve(Map.of("DOCKER_HOST", "ssh://deploy@[::1"))).getMessage().contains("\"ssh://deploy@[::1\""));
        var t = resolve(Map.of("DOCKER_HOST", "tcp://user:s3cret@127.0.0.1:1"));
        assertEquals("tcp://127.0.0.1:1", t.endpoint().toString(), "user info is dropped: the Docker API does not use it");
    }

    @Test
    void anSshHostWithAPasswordIsRefusedWithoutPrintingIt() {
        var sink = new StringWriter();
        var e = fails(() -> DockerHost.connect("ssh://deploy:s3cret@web1.example.invalid", false, new PrintWriter(sink)));
        assertTrue(e.getMessage().startsWith("an ssh:// Docker host must not carry a password"), e.getMessage());
        assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
    }

    @Test
    void plaintextRefusalNeverPrintsUserInfo() {
        var e = fails(() -> DockerHost.connect("tcp://admin:s3cret@web1.example.invalid:2375", false, new PrintWriter(new StringWriter())));
        assertTrue(e.getMessage().startsWith("refusing plaintext Docker API at tcp://web1.example.invalid:2375"), e.getMessage());
        assertFalse(e.getMessage().contains("s3cret") || e.getMessage().contains("admin"), e.getMessage());
    }

    // --- end to end: the environment of a real run ---------------------------------------------

    @Test
    void hostSettingsFromTheEnvironmentAreOneLineExitFive() throws Exception {
        Path empty = Files.createDirectories(home.resolve("empty-certs"));
        Path config = Files.createDirectories(home.resolve("config"));
        Files.writeString(config.resolve("config.json"), "{\"currentContext\": \"ed-gone\"}");
        List<Map<String, String>> envs = List.of(
                Map.of("DOCKER_CONTEXT", "ed-no-such-context"),
                Map.of("DOCKER_CONFIG", config.toString()),
                Map.of("DOCKER_HOST", "tcp://127.0.0.1:2376", "DOCKER_TLS_VERIFY", "1", "DOCKER_CERT_PATH", empty.toString()),
                Map.of("DOCKER_HOST", "garbage!!"),
                Map.of("DOCKER_HOST", "tcp://127.0.0.1:99999"),
                Map.of("DOCKER_HOST", "ftp://user:s3cret@x"),
                Map.of("DOCKER_HOST", "ssh://user:s3cret@web1.example.invalid"));
        for (Map<String, String> env : envs) {
            var r = runScript(env, "status", "--app", "edshop");
            assertEquals(5, r.code(), env + " " + r);
            assertEquals(1, r.err().lines().count(), env + " " + r);
            assertFalse(r.err().contains("s3cret") || r.err().contains("\tat "), r.toString());
        }
    }

    @Test
    void theDockerConfigFolderFollowsHomeLikeTheDockerCli() throws Exception {
        Path otherHome = home.resolve("other-home");
        Files.createDirectories(otherHome.resolve(".docker"));
        Files.writeString(otherHome.resolve(".docker/config.json"), "{\"currentContext\": \"wta-gone\"}");
        var r = runScript(Map.of("HOME", otherHome.toString()), "status", "--app", "wtashop");
        assertEquals(5, r.code(), r.toString());
        assertTrue(r.err().contains("\"wta-gone\" (from currentContext in " + otherHome.resolve(".docker/config.json") + ") does not exist"), r.err());
    }

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
        var ctx = new ProcessExecutor().command("docker", "context", "create", "edtest-dead", "--docker", "host=tcp://127.0.0.1:1")
                .readOutput(true).execute();
        try {
            var viaContext = runScript(Map.of("DOCKER_CONTEXT", "edtest-dead"), "status", "--app", "shop");
            assertEquals(5, viaContext.code(), viaContext.toString());
            assertTrue(viaContext.err().contains("tcp://127.0.0.1:1 does not answer"), viaContext.err());
        } finally {
            new ProcessExecutor().command("docker", "context", "rm", "-f", "edtest-dead").execute();
        }
        var viaEnv = runScript(Map.of("DOCKER_HOST", "unix:///var/run/docker.sock"), "status", "--app", "nothing-here");
        assertEquals(1, viaEnv.code(), viaEnv.toString());
        assertTrue(viaEnv.out().contains("nothing deployed yet"), viaEnv.toString());

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
