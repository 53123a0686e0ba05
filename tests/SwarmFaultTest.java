import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The faults of a Swarm deploy end to end on the test-bed Swarm, each under GET load through the managed front: the
 * deploy killed with SIGKILL at each phase, two deploys at once through two endpoints of the manager, the old colour
 * scaled to 0 or removed, and the manager's engine frozen mid-deploy.
 */
class SwarmFaultTest {
    final String app = "sf-" + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36), 36);
    final int port = 18800 + ThreadLocalRandom.current().nextInt(100);
    final String sock = TestBed.socket(SwarmBed.MANAGER);
    Path dir;

    @BeforeAll
    static void images() throws Exception {
        SwarmBed.images();
    }

    @AfterEach
    void clean() throws Exception {
        SwarmBed.removeApp(app);
        if (dir != null) ExampleImages.deleteTree(dir);
    }

    /** deploy.yml reaches the manager over TLS, deploy-sock.yml the same environment through its unix socket. */
    void project() throws Exception {
        dir = Files.createTempDirectory("swarm-" + app);
        Files.writeString(dir.resolve("docker-compose.yml"), SwarmTest.COMPOSE);
        String yml = """
                app: %s
                environments:
                  production:
                    engine: swarm
                    managers:
                      - %s
                    fronts:
                      - host: %s
                        tls_verify: true
                        cert_path: %s
                    replicas: 2
                """;
        Files.writeString(dir.resolve("deploy.yml"), yml.formatted(app, "host: " + SwarmBed.managerTls() + "\n        tls_verify: true\n        cert_path: " + TestBed.CERTS, SwarmBed.managerTls(), TestBed.CERTS));
        Files.writeString(dir.resolve("deploy-sock.yml"), yml.formatted(app, "host: " + sock, SwarmBed.managerTls(), TestBed.CERTS));
    }

    List<String> args(String projectFile, String release, String... extra) {
        List<String> a = new ArrayList<>(List.of("--project", dir.resolve(projectFile).toString(), "--env", "production",
                "-f", dir.resolve("docker-compose.yml").toString(), "--release", release, "--front", "managed", "--front-bind", "0.0.0.0",
                "--front-port", String.valueOf(port), "--front-image", SwarmBed.FRONT, "--probe", "/health.txt", "--health-timeout", "40s"));
        a.addAll(List.of(extra));
        return a;
    }

    TestApp.Result deploy(String release, String... extra) {
        return TestApp.run(args("deploy.yml", release, extra).toArray(new String[0]));
    }

    Process deployProcess(String projectFile, Path log, String release, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("env", "--default-signal=INT", ProcessHandle.current().info().command().orElse("java"),
                "-cp", System.getProperty("java.class.path"), "deploy"));
        cmd.addAll(args(projectFile, release, extra));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    TestApp.Result status() {
        return TestApp.run("status", "--project", dir.resolve("deploy.yml").toString(), "--env", "production");
    }

    /** The record's live colour is the one whose running tasks the front's upstream lists, and it serves release. */
    void frontAndRecordAgree(String release, String when) {
        var s = status();
        assertEquals(0, s.code(), when + ": " + s);
        assertTrue(s.out().contains("(live): release " + release) && s.out().contains("front: sends to"), when + ": " + s.out());
        assertEquals(release, SwarmTest.get(port, "/version.txt"), when);
    }

    String replicas(String service) throws Exception {
        return SwarmBed.output("docker", "-H", sock, "service", "inspect", service, "--format", "{{.Spec.Mode.Replicated.Replicas}}").trim();
    }

    @Test
    void aDeployKilledAtEachPhaseIsTakenOverByTheNextDeployWithNoFailedRequest() throws Exception {
        project();
        assertEquals(0, deploy("v1").code());
        String live = "v1";
        List<String> outcomes = new ArrayList<>();
        try (var load = SwarmTest.load(port)) {
            for (String phase : List.of("==> pull images", "==> start ", "==> health gate", "==> switch the front", "==> retire")) {
                String other = live.equals("v1") ? "v2" : "v1";
                Path log = dir.resolve("killed.log");
                Files.deleteIfExists(log);
                Process p = deployProcess("deploy.yml", log, other);
                try {
                    assertTrue(Commands.waitForLine(log, phase, 90_000), phase + " never came: " + Files.readString(log));
                } finally {
                    p.destroyForcibly();
                    p.waitFor(10, TimeUnit.SECONDS);
                }
                var next = deploy(other);
                assertEquals(0, next.code(), phase + ": " + next);
                // the killed deploy held the lock from its first step on: the next one finds its holder dead and breaks it
                assertTrue((next.out() + next.err()).contains("broke the lock of"), phase + ": " + next);
                frontAndRecordAgree(other, "after a kill at " + phase);
                outcomes.add(phase + ": next deploy ok" + (next.out() + next.err()).lines().filter(l -> l.contains("lock")).map(l -> " (" + l.trim() + ")").toList());
                live = other;
            }
            load.close();
            assertEquals(List.of(), load.failures(), "no failed GET: " + outcomes);
            assertEquals(Set.of("v1", "v2"), Set.copyOf(load.answers));
        }
        System.out.println("swarm crash matrix: " + outcomes);
    }

    @Test
    void twoDeploysAtOnceThroughTwoEndpointsOfTheManagerOneProceedsTheOtherNamesTheHolder() throws Exception {
        project();
        assertEquals(0, deploy("v1").code());
        Path tcpLog = dir.resolve("tcp.log");
        Path unixLog = dir.resolve("unix.log");
        Process tcp = deployProcess("deploy.yml", tcpLog, "v2");
        Process unix = deployProcess("deploy-sock.yml", unixLog, "v2");
        try {
            assertTrue(tcp.waitFor(3, TimeUnit.MINUTES) && unix.waitFor(3, TimeUnit.MINUTES));
        } finally {
            tcp.destroyForcibly();
            unix.destroyForcibly();
        }
        List<Integer> codes = List.of(tcp.exitValue(), unix.exitValue());
        String both = "tcp: " + Files.readString(tcpLog) + "\nunix: " + Files.readString(unixLog);
        assertEquals(Set.of(0, 4), Set.copyOf(codes), both);
        boolean tcpWon = codes.get(0) == 0;
        String refused = Files.readString(tcpWon ? unixLog : tcpLog);
        long holder = (tcpWon ? tcp : unix).pid();
        assertTrue(refused.contains("is locked by") && refused.contains("(pid " + holder + ")") && refused.contains("for: deploy on the Swarm of"),
                "names the holder: " + refused);
        System.out.println("two deploys at once: " + codes + "; the refused one said: " + refused.lines().filter(l -> l.contains("lock")).toList());
        frontAndRecordAgree("v2", "after two deploys at once");
    }

    @Test
    void keepOldStoppedScalesTheOldColourToZeroARollbackBringsItBackAndRemoveOldRemovesIt() throws Exception {
        project();
        assertEquals(0, deploy("v1").code());
        var r = deploy("v2", "--keep-old", "stopped");
        assertEquals(0, r.code(), r.toString());
        assertEquals("0", replicas(app + "-blue_app"), "blue scaled to 0");
        assertEquals("2", replicas(app + "-green_app"));
        try (var load = SwarmTest.load(port)) {
            Thread.sleep(300);
            var back = SwarmTest.rollback("--project", dir.resolve("deploy.yml").toString(), "--env", "production", "--front", "managed", "--front-bind", "0.0.0.0",
                    "--front-port", String.valueOf(port), "--front-image", SwarmBed.FRONT, "--probe", "/health.txt", "--health-timeout", "40s");
            assertEquals(0, back.code(), back.toString());
            System.out.println(back.out());
            Thread.sleep(300);
            load.close();
            assertEquals(List.of(), load.failures(), "no failed GET during the rollback from a stopped colour");
        }
        assertEquals("2", replicas(app + "-blue_app"), "blue back at 2");
        frontAndRecordAgree("v1", "after the rollback");
        r = deploy("v2", "--remove-old");
        assertEquals(0, r.code(), r.toString());
        String left = SwarmBed.output("docker", "-H", sock, "service", "ls", "--format", "{{.Name}}", "--filter", "name=" + app);
        assertEquals(List.of(app + "-green_app"), left.trim().lines().filter(l -> l.contains("_")).toList(), "blue removed: " + left);
        frontAndRecordAgree("v2", "after --remove-old");
    }

    @Test
    void aFrozenManagerEndsTheDeployWithExit5WhileTheFrontServesAndTheNextDeploySucceeds() throws Exception {
        project();
        // The front on a node of its own, the layout in which the README says the fronts keep serving: a front on the
        // frozen manager's node once lost a request in flight (likely its overlay peers dropping that node).
        String second = TestBed.ip(SwarmBed.SECOND_FRONT);
        Files.writeString(dir.resolve("deploy-front.yml"), Files.readString(dir.resolve("deploy.yml"))
                .replace("    fronts:\n      - host: " + SwarmBed.managerTls(), "    fronts:\n      - host: " + TestBed.tls(SwarmBed.SECOND_FRONT)));
        assertTrue(Files.readString(dir.resolve("deploy-front.yml")).contains("- host: " + TestBed.tls(SwarmBed.SECOND_FRONT)));
        var first = TestApp.run(args("deploy-front.yml", "v1").toArray(new String[0]));
        assertEquals(0, first.code(), first.toString());
        String pid = Files.readString(Path.of("/run/bgh" + SwarmBed.MANAGER + "/docker.pid")).trim();
        Path log = dir.resolve("frozen.log");
        // bgh4 is the Swarm's only manager: a JVM ended mid-test (a timeout's SIGTERM) still thaws it
        Thread thaw = new Thread(() -> {
            try {
                new ProcessBuilder("kill", "-CONT", pid).start().waitFor();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        try (var load = SwarmTest.load(second, port)) {
            Process p = deployProcess("deploy-front.yml", log, "v2");
            long took;
            try {
                assertTrue(Commands.waitForLine(log, "==> health gate", 90_000), Files.readString(log));
                Runtime.getRuntime().addShutdownHook(thaw);
                SwarmBed.run("kill", "-STOP", pid);
                long t0 = System.currentTimeMillis();
                // the Docker call bound (25 s), with room for the undo's calls and a busy machine
                p.waitFor(75, TimeUnit.SECONDS);
                took = System.currentTimeMillis() - t0;
            } finally {
                SwarmBed.run("kill", "-CONT", pid);
                Runtime.getRuntime().removeShutdownHook(thaw);
                p.destroyForcibly();
            }
            p.waitFor(10, TimeUnit.SECONDS);
            System.out.println("frozen manager: deploy exit " + p.exitValue() + " after " + took + " ms: " + Files.readString(log));
            assertEquals(5, p.exitValue(), Files.readString(log));
            assertTrue(took < 75_000, took + " ms");
            load.close();
            assertEquals(List.of(), load.failures(), "the front on the node kept serving");
        }
        var next = TestApp.run(args("deploy-front.yml", "v2").toArray(new String[0]));
        assertEquals(0, next.code(), next.toString());
        var s = TestApp.run("status", "--project", dir.resolve("deploy-front.yml").toString(), "--env", "production");
        assertEquals(0, s.code(), "after the manager came back: " + s);
        assertTrue(s.out().contains("(live): release v2") && s.out().contains("front: sends to"), "after the manager came back: " + s.out());
        assertEquals("v2", SwarmTest.get(second, port, "/version.txt"), "after the manager came back");
    }
}
