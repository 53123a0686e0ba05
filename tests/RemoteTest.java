import lib.model.Colour;
import lib.host.HostReader;
import lib.model.HostState;
import lib.docker.DockerHost;
import lib.docker.SshTunnel;

import org.junit.jupiter.api.Test;
import org.zeroturnaround.exec.ProcessExecutor;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Remote Docker hosts on the test bed (TestBed): deploys over ssh:// and over TLS to a host whose colours publish on its
 * 127.0.0.1 only, so only the probe on the Docker host's side can pass; and the ways reaching a host goes wrong.
 */
class RemoteTest {

    @Test
    void aReleaseThatNeverPassedItsGateStaysDownWhenItsDaemonComesBack() throws Exception {
        TestBed.images(1);
        TestBed.loadAs(1, TestHost.APP_REPO + ":slow", "slow");
        try (TestApp app = new TestApp("revive")) {
            Path project = app.dir.resolve("deploy.yml");
            Files.writeString(project, "app: " + app.name + "\nenvironments:\n  prod:\n    host: " + TestBed.tls(1)
                    + "\n    tls_verify: true\n    cert_path: " + TestBed.CERTS + "\n");
            String[] prod = {"--project", project.toString(), "--env", "prod"};
            try {
                assertEquals(0, app.deploy("v1", prod).code()); // blue, restart: unless-stopped in the fixture
                // The host goes down mid-gate with the deploy on it (a reboot): the deploy is killed, the daemon restarts.
                Path log = app.dir.resolve("deploy.log");
                Process deploying = EngineTest.deployProcess(app, log, "slow", prod);
                assertTrue(Commands.waitForLine(log, "==> health gate", 120_000), Files.readString(log));
                deploying.destroyForcibly().waitFor();
                TestBed.restartDaemon(1);
                var docker = DockerHost.connect(TestBed.socket(1), false, new java.io.PrintWriter(new java.io.StringWriter()));
                try {
                    Poll.until(java.time.Duration.ofSeconds(30), () -> HostReader.read(docker.client(), app.name).blue().allRunning());
                    HostState s = HostReader.read(docker.client(), app.name);
                    assertTrue(s.blue().allRunning(), "the live release comes back with its daemon: " + s.blue().containers());
                    Thread.sleep(3000); // what the daemon restarts, it restarts at once; give it time to be wrong
                    s = HostReader.read(docker.client(), app.name);
                    assertTrue(!s.green().anyRunning(), "the release that never passed its gate stays down: " + s.green().containers());
                } finally {
                    docker.close();
                }
            } finally {
                TestHost.removeApp(TestBed.docker(1), app.name);
            }
        }
    }

    @Test
    void deployOverSshToAHostPublishingOnLoopbackPassesTheHostSideProbeAndLeavesNothingRunning() throws Exception {
        TestBed.images(1);
        Set<Path> tunnelsBefore = tunnelDirs();
        try (TestApp app = new TestApp("rmssh")) {
            try {
                var r = app.deploy("v1", "--host", TestBed.ssh(1));
                assertEquals(0, r.code(), r.toString());
                assertTrue(r.out().contains("on ssh://root@" + TestBed.ip(1)), r.out());
                assertTrue(r.out().contains("from the Docker host's side"), r.out());
                assertFalse(reachableFromHere(TestBed.ip(1), app.bluePort), "the colour publishes on the host's 127.0.0.1 only");

                // deploy.yml names the host the same way
                Path project = app.dir.resolve("deploy.yml");
                Files.writeString(project, "app: " + app.name + "\nenvironments:\n  web1:\n    host: " + TestBed.ssh(1) + "\n");
                r = app.deploy("v2", "--project", project.toString(), "--env", "web1");
                assertEquals(0, r.code(), r.toString());
                HostState s = HostReader.read(TestBed.docker(1), app.name);
                assertEquals(Colour.GREEN, s.live().orElseThrow());
                assertEquals("v2", s.green().release());

                // so does a Docker context
                String context = app.name + "-ctx";
                new ProcessExecutor().command("docker", "context", "create", context, "--docker", "host=" + TestBed.ssh(1))
                        .readOutput(true).exitValueNormal().timeout(30, TimeUnit.SECONDS).execute();
                try {
                    var viaContext = DockerHostTest.runScript(Map.of("DOCKER_CONTEXT", context), "status", "--app", app.name);
                    assertEquals(0, viaContext.code(), viaContext.toString());
                    assertTrue(viaContext.out().contains("on " + TestBed.ssh(1)), viaContext.out());
                } finally {
                    new ProcessExecutor().command("docker", "context", "rm", "-f", context).readOutput(true).execute();
                }

                // the probe from this machine cannot reach that port: why the host-side probe is the default
                r = app.deploy("v1", "--host", TestBed.ssh(1), "--probe-from", "local", "--health-timeout", "3s");
                assertEquals(1, r.code(), r.toString());
                assertTrue(r.err().contains("GET http://" + TestBed.ip(1) + ":" + app.bluePort + "/health.txt to answer"), r.err());
                assertEquals(Colour.GREEN, HostReader.read(TestBed.docker(1), app.name).live().orElseThrow());

                assertNoSshLeftBehind(tunnelsBefore);
            } finally {
                TestHost.removeApp(TestBed.docker(1), app.name);
            }
        }
    }

    @Test
    void deployOverTlsToAHostPublishingOnLoopbackPassesTheHostSideProbe() throws Exception {
        TestBed.images(1);
        try (TestApp app = new TestApp("rmtls")) {
            try {
                // deploy.yml's TLS settings, in this JVM
                Path project = app.dir.resolve("deploy.yml");
                Files.writeString(project, "app: " + app.name + "\nenvironments:\n  web1:\n    host: " + TestBed.tls(1)
                        + "\n    tls_verify: true\n    cert_path: " + TestBed.CERTS + "\n");
                var r = app.deploy("v1", "--project", project.toString(), "--env", "web1");
                assertEquals(0, r.code(), r.toString());
                assertTrue(r.out().contains(TestBed.tls(1) + " (TLS)"), r.out());
                assertFalse(reachableFromHere(TestBed.ip(1), app.bluePort), "the colour publishes on the host's 127.0.0.1 only");

                // --host with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, as the docker CLI takes them
                List<String> args = new ArrayList<>(app.deployArgs("v2", "--host", TestBed.tls(1)));
                r = DockerHostTest.runScript(Map.of("DOCKER_TLS_VERIFY", "1", "DOCKER_CERT_PATH", TestBed.CERTS), args.toArray(new String[0]));
                assertEquals(0, r.code(), r.toString());
                assertEquals("v2", HostReader.read(TestBed.docker(1), app.name).green().release());
            } finally {
                TestHost.removeApp(TestBed.docker(1), app.name);
            }
        }
    }

    @Test
    void anUnknownHostKeyIsRefusedInOneLineAndNotTrusted() throws Exception {
        Set<Path> tunnelsBefore = tunnelDirs();
        Path dir = Files.createTempDirectory("rm-sshd");
        int port = TestHost.freePort();
        Process sshd = null;
        try {
            new ProcessExecutor().command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir.resolve("host_key").toString())
                    .exitValueNormal().timeout(30, TimeUnit.SECONDS).execute();
            // A fresh server this machine has never seen, as a new host is before anyone checked its key.
            sshd = new ProcessBuilder("/usr/sbin/sshd", "-D", "-e", "-f", "/dev/null", "-h", dir.resolve("host_key").toString(),
                    "-o", "ListenAddress=127.0.0.1:" + port, "-o", "PidFile=none", "-o", "PasswordAuthentication=no")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("sshd.log").toFile()).start();
            Poll.until(java.time.Duration.ofSeconds(5), () -> reachableFromHere("127.0.0.1", port));
            assertTrue(reachableFromHere("127.0.0.1", port), "sshd on 127.0.0.1:" + port + " did not start");

            var r = TestApp.run("status", "--app", "rmkey", "--host", "ssh://root@127.0.0.1:" + port);
            assertEquals(5, r.code(), r.toString());
            assertEquals(1, r.err().lines().count(), r.err());
            assertTrue(r.err().contains("host key is not in known_hosts"), r.err());
            assertTrue(r.err().contains("does not trust a host on first use"), r.err());
            for (Path known : List.of(Path.of(System.getProperty("user.home"), ".ssh/known_hosts"), Path.of(TestBed.CERTS, "known_hosts"))) {
                assertFalse(Files.exists(known) && Files.readString(known).contains(":" + port + "]"), known + " learnt the key");
            }
            assertNoSshLeftBehind(tunnelsBefore);
        } finally {
            if (sshd != null) sshd.destroy();
            ExampleImages.deleteTree(dir);
        }
    }

    @Test
    void aRefusedLoginAndAMissingSshClientAreOneLineExitFive() throws Exception {
        TestBed.docker(1);
        var refused = TestApp.run("status", "--app", "rmx", "--host", "ssh://nobody@" + TestBed.ip(1));
        assertEquals(5, refused.code(), refused.toString());
        assertEquals(1, refused.err().lines().count(), refused.err());
        assertTrue(refused.err().contains("Permission denied"), refused.err());
        assertTrue(refused.err().contains("ssh-agent"), refused.err());

        var noSsh = DockerHostTest.runScript(Map.of("PATH", "/nonexistent", "DOCKER_HOST", TestBed.ssh(1)), "status", "--app", "rmx");
        assertEquals(5, noSsh.code(), noSsh.toString());
        assertEquals(1, noSsh.err().lines().count(), noSsh.err());
        assertTrue(noSsh.err().contains("no ssh on PATH"), noSsh.err());

        var password = TestApp.run("status", "--app", "rmx", "--host", "ssh://root:hunter2@" + TestBed.ip(1));
        assertEquals(5, password.code(), password.toString());
        assertFalse(password.err().contains("hunter2"), "the password is never printed: " + password.err());
    }

    @Test
    void aDaemonFrozenDuringTheGateEndsTheDeployWithExitFiveWithinThirtySecondsAndTheNextDeployRecovers() throws Exception {
        TestBed.images(3);
        TestBed.loadAs(3, TestHost.APP_REPO + ":slow", "slow");
        String host = TestBed.socket(3);
        try (TestApp app = new TestApp("rmfreeze")) {
            try {
                assertEquals(0, app.deploy("v1", "--host", host).code());
                Path log = app.dir.resolve("frozen.log");
                Process p = EngineTest.deployProcess(app, log, "slow", "--host", host);
                assertTrue(Commands.waitForLine(log, "==> health gate", 60_000), Files.readString(log));
                String pid = Files.readString(TestBed.pidFile(3)).strip();
                long t0;
                try {
                    new ProcessExecutor().command("kill", "-STOP", pid).exitValueNormal().execute();
                    t0 = System.nanoTime();
                    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the deploy gave up on the frozen daemon");
                } finally {
                    new ProcessExecutor().command("kill", "-CONT", pid).execute();
                }
                long ms = (System.nanoTime() - t0) / 1_000_000;
                String out = Files.readString(log);
                assertEquals(5, p.exitValue(), out);
                assertTrue(ms < 30_000, "gave up after " + ms + " ms: " + out);
                assertTrue(out.contains("did not answer within 25s") && out.contains("could not undo everything"), out);

                var next = app.deploy("v2", "--host", host);
                assertEquals(0, next.code(), "the next deploy recovers with no manual step: " + next);
                HostState s = HostReader.read(TestBed.docker(3), app.name);
                assertEquals("v2", s.of(s.live().orElseThrow()).release());
            } finally {
                TestHost.removeApp(TestBed.docker(3), app.name);
            }
        }
    }

    @Test
    void aFrozenRemoteDaemonIsAOneLineErrorOverSshAndTls() throws Exception {
        TestBed.docker(3);
        Set<Path> tunnelsBefore = tunnelDirs();
        String pid = Files.readString(TestBed.pidFile(3)).strip();
        try {
            new ProcessExecutor().command("kill", "-STOP", pid).exitValueNormal().execute();
            long t0 = System.nanoTime();
            var overSsh = TestApp.run("status", "--app", "rmx", "--host", TestBed.ssh(3));
            long sshMs = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(5, overSsh.code(), overSsh.toString());
            assertEquals(1, overSsh.err().lines().count(), overSsh.err());
            assertTrue(overSsh.err().contains(TestBed.ssh(3) + " does not answer"), overSsh.err());
            assertTrue(sshMs < 20_000, "gave up after " + sshMs + " ms");

            var overTls = DockerHostTest.runScript(Map.of("DOCKER_HOST", TestBed.tls(3), "DOCKER_TLS_VERIFY", "1", "DOCKER_CERT_PATH", TestBed.CERTS),
                    "status", "--app", "rmx");
            assertEquals(5, overTls.code(), overTls.toString());
            assertEquals(1, overTls.err().lines().count(), overTls.err());
            assertTrue(overTls.err().contains(TestBed.tls(3) + " (TLS) does not answer"), overTls.err());
            assertNoSshLeftBehind(tunnelsBefore);
        } finally {
            new ProcessExecutor().command("kill", "-CONT", pid).execute();
        }
    }

    @Test
    void anImageWithNeitherWgetNorCurlAndNoSiblingIsOneLineThatSaysWhatToDo() throws Exception {
        try (TestApp app = new TestApp("rmnotool")) {
            // only the FROM-scratch nginx, with no app container beside it to run the probe from
            Files.writeString(app.composeFile, "version: '2.1'\nservices:\n  web:\n    image: " + TestHost.WEB
                    + "\n    extra_hosts: [\"app:127.0.0.1\"]\n    ports:\n      - \"127.0.0.1:${DEPLOY_PORT}:80\"\n");
            var r = app.deploy("v1");
            assertEquals(3, r.code(), r.toString());
            String last = r.err().lines().reduce((a, b) -> b).orElse("");
            assertTrue(last.contains("has neither wget nor curl"), r.err());
            assertTrue(last.contains("--no-probe") && last.contains("--probe-from local"), r.err());
            assertTrue(DeployTest.state(app).blue().empty(), "the rejected colour was removed");

            // what the message offers works
            List<String> args = app.deployArgs("v1", "--probe-from", "local");
            args.set(args.indexOf("/health.txt"), "/.keep");
            var local = TestApp.run(args.toArray(new String[0]));
            assertEquals(0, local.code(), local.toString());
        }
    }

    @Test
    void sshAndRemoteDockerMessagesBecomeOneLineThatSaysWhatToDo() {
        var web1 = SshTunnel.Target.of(URI.create("ssh://deploy@web1:2222"));
        assertTrue(SshTunnel.explainDial(web1, "bash: line 1: docker: command not found\n").contains("has no docker CLI"));
        assertTrue(SshTunnel.explainDial(web1, "sh: 1: docker: not found\n").contains("has no docker CLI"));
        String dead = SshTunnel.explainDial(web1, "failed to open the raw stream connection: dial unix /var/run/docker.sock: connect: connection refused\n");
        assertTrue(dead.startsWith("the Docker daemon on deploy@web1:2222 does not answer over ssh (failed to open"), dead);
        assertNull(SshTunnel.explainDial(web1, ""), "no words from ssh: the caller says the daemon is silent");
        String changed = SshTunnel.explainLogin(web1, "@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n@@@@\nHost key verification failed.\n");
        assertTrue(changed.contains("ssh-keygen -R web1"), changed);
        assertTrue(SshTunnel.explainLogin(web1, "ssh: Could not resolve hostname web1: Name or service not known\n").startsWith("cannot reach deploy@web1:2222"));
    }

    static boolean reachableFromHere(String ip, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(ip, port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static Set<Path> tunnelDirs() throws IOException {
        try (Stream<Path> dirs = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return dirs.filter(d -> d.getFileName().toString().startsWith("bgdeploy-ssh-")).collect(Collectors.toSet());
        }
    }

    /** The ssh master and dial processes end with the command, and their private directory goes with them. */
    static void assertNoSshLeftBehind(Set<Path> tunnelsBefore) throws Exception {
        List<ProcessHandle> ssh = List.of();
        for (int i = 0; i < 50; i++) {
            ssh = ProcessHandle.current().descendants().filter(p -> p.info().command().orElse("").endsWith("/ssh")).toList();
            if (ssh.isEmpty()) break;
            Thread.sleep(100);
        }
        assertEquals(List.of(), ssh.stream().map(p -> p.info().commandLine().orElse("?")).toList(), "ssh processes left running");
        Set<Path> left = new HashSet<>(tunnelDirs());
        left.removeAll(tunnelsBefore);
        assertEquals(Set.of(), left, "tunnel directories left behind");
    }
}
