import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The manager answering a deploy lost mid-deploy, end to end on the test-bed Swarm under GET load through the front:
 * deploy.yml lists first a unix socket proxy to bgh4's engine (a manager endpoint the test can lose by closing it:
 * every connection cut, nothing listens), then bgh4's TLS endpoint, and the front on bgh4 over TLS (its own
 * connection, so the front node is not the lost endpoint). The deploy goes on through the next manager: exit 0, a note
 * naming the lost one, the new release serving, record and front agreeing, no failed request. With the only manager
 * lost, SwarmFaultTest's frozen manager covers exit 5 with the old colour serving.
 */
class SwarmFailoverTest {
    final String app = "sfo-" + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36), 36);
    final int port = 19100 + ThreadLocalRandom.current().nextInt(50);
    final Path proxySocket = Path.of("/tmp/sfo-proxy-" + ProcessHandle.current().pid() + ".sock");
    final Path managerSocket = Path.of("/run/bgh" + SwarmBed.MANAGER + "/docker.sock");
    Path dir;

    @BeforeAll
    static void images() throws Exception {
        SwarmBed.images();
    }

    @AfterEach
    void clean() throws Exception {
        SwarmBed.removeApp(app);
        Files.deleteIfExists(proxySocket);
        if (dir != null) ExampleImages.deleteTree(dir);
    }

    void project() throws Exception {
        project(true);
    }

    /** next: the TLS endpoint listed after the proxy; without it the proxy is the Swarm's only manager in deploy.yml. */
    void project(boolean next) throws Exception {
        dir = Files.createTempDirectory("swarm-" + app);
        Files.writeString(dir.resolve("docker-compose.yml"), SwarmTest.COMPOSE);
        String yml = """
                app: %s
                environments:
                  production:
                    engine: swarm
                    managers:
                      - host: unix://%s
                      - host: %s
                        tls_verify: true
                        cert_path: %s
                    fronts:
                      - host: %s
                        tls_verify: true
                        cert_path: %s
                    replicas: 2
                """.formatted(app, proxySocket, SwarmBed.managerTls(), TestBed.CERTS, SwarmBed.managerTls(), TestBed.CERTS);
        if (!next) yml = yml.replace("      - host: " + SwarmBed.managerTls() + "\n        tls_verify: true\n        cert_path: " + TestBed.CERTS + "\n    fronts:", "    fronts:");
        assertEquals(next, yml.indexOf(SwarmBed.managerTls()) != yml.lastIndexOf(SwarmBed.managerTls()), yml);
        Files.writeString(dir.resolve("deploy.yml"), yml);
    }

    List<String> args(String release) {
        return List.of("--project", dir.resolve("deploy.yml").toString(), "--env", "production",
                "-f", dir.resolve("docker-compose.yml").toString(), "--release", release, "--front", "managed", "--front-bind", "0.0.0.0",
                "--front-port", String.valueOf(port), "--front-image", SwarmBed.FRONT, "--probe", "/health.txt", "--health-timeout", "40s");
    }

    Process deployProcess(Path log, String release) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-cp", System.getProperty("java.class.path"), "deploy"));
        cmd.addAll(args(release));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** status through deploy.yml (the lost proxy is passed over): the live release, and the front sends to its tasks. */
    void frontAndRecordAgree(String release, String when) {
        var s = TestApp.run("status", "--project", dir.resolve("deploy.yml").toString(), "--env", "production");
        assertEquals(0, s.code(), when + ": " + s);
        assertTrue(s.out().contains("(live): release " + release) && s.out().contains("front: sends to"), when + ": " + s.out());
        assertEquals(release, SwarmTest.get(port, "/version.txt"), when);
    }

    /** Ends the deploy (bounded), and returns its output; it must have exited 0. */
    String finished(Process p, Path log, String when) throws Exception {
        boolean done;
        try {
            done = p.waitFor(3, TimeUnit.MINUTES);
        } finally {
            p.destroyForcibly();
        }
        p.waitFor(10, TimeUnit.SECONDS);
        String output = Files.readString(log);
        assertTrue(done, when + ": the deploy did not finish: " + output);
        assertEquals(0, p.exitValue(), when + ": " + output);
        return output;
    }

    @Test
    void theManagerLostAtTheServiceCreateOrInTheGateIsPassedOverAndTheDeployFinishesThroughTheNextOne() throws Exception {
        project();
        String lostNote = "note: the Swarm manager unix://" + proxySocket + " stopped answering while ";
        List<String> report = new ArrayList<>();
        try (SocketProxy first = new SocketProxy(proxySocket, managerSocket)) {
            var v1 = TestApp.run(args("v1").toArray(new String[0]));
            assertEquals(0, v1.code(), v1.toString());
            assertTrue(!(v1.out() + v1.err()).contains("stopped answering"), "v1 went through the proxy: " + v1);

            // The start of the new colour: the service create reaches the manager, which is lost before it answers. The
            // retry through the next manager finds the service with this run's labels and takes it as its own.
            first.loseTheAnswerTo("/services/create");
            Path log = dir.resolve("create.log");
            try (var load = SwarmTest.load(port)) {
                String output = finished(deployProcess(log, "v2"), log, "lost at the create");
                load.close();
                assertTrue(first.lostAnAnswer(), "the proxy lost the create's answer: " + output);
                assertTrue(output.contains(lostNote + "creating service " + app + "-green_app ("), output);
                assertTrue(output.contains("service " + app + "-green_app was created before the manager was lost: it is this run's"), output);
                assertEquals(List.of(), load.failures(), "no failed GET while the manager was lost at the create");
                assertTrue(load.answers.contains("v2"), "v2 served under load");
                report.add("at the create: " + output.lines().filter(l -> l.contains("note:")).toList());
            }
            frontAndRecordAgree("v2", "after the manager was lost at the create");
        }

        // The gate: the proxy answers again (a manager back), the next deploy goes through it, and it is cut (every
        // connection closed) while the gate polls the new colour's tasks.
        try (SocketProxy second = new SocketProxy(proxySocket, managerSocket)) {
            Path log = dir.resolve("gate.log");
            try (var load = SwarmTest.load(port)) {
                Process p = deployProcess(log, "v1");
                boolean inGate;
                try {
                    inGate = Commands.waitForLine(log, "==> health gate", 90_000);
                    second.close();
                } catch (Exception e) {
                    p.destroyForcibly();
                    throw e;
                }
                String output = finished(p, log, "lost in the gate");
                assertTrue(inGate, "the gate never came: " + output);
                load.close();
                assertTrue(output.contains(lostNote), output);
                String note = output.lines().filter(l -> l.startsWith(lostNote)).findFirst().orElseThrow();
                // a colour's call (the gate's reads) met the lost manager first, not one of the store's
                assertTrue(List.of("live record", "deploy lock", "release history").stream().noneMatch(note::contains), note);
                assertEquals(List.of(), load.failures(), "no failed GET while the manager was lost in the gate");
                report.add("in the gate: " + output.lines().filter(l -> l.contains("note:")).toList());
            }
            frontAndRecordAgree("v1", "after the manager was lost in the gate");
        }
        System.out.println("manager lost mid-deploy: " + report);
    }

    /**
     * The only manager in deploy.yml cut in the gate (its connections closed, where SwarmFaultTest freezes it): exit 5
     * at once, not after the Docker call bound, the undo's calls failing at once too; the front on its own node keeps
     * serving v1 throughout; the next deploy through the manager back takes over (it breaks the dead run's lock).
     */
    @Test
    void theOnlyManagerLostInTheGateEndsTheDeployWithExit5AndTheFrontKeepsServingTheOldColour() throws Exception {
        project(false);
        try (SocketProxy proxy = new SocketProxy(proxySocket, managerSocket)) {
            var v1 = TestApp.run(args("v1").toArray(new String[0]));
            assertEquals(0, v1.code(), v1.toString());
            Path log = dir.resolve("only.log");
            try (var load = SwarmTest.load(port)) {
                Process p = deployProcess(log, "v2");
                boolean inGate;
                boolean ended;
                try {
                    inGate = Commands.waitForLine(log, "==> health gate", 90_000);
                    proxy.close();
                    ended = p.waitFor(75, TimeUnit.SECONDS);
                } finally {
                    p.destroyForcibly();
                }
                p.waitFor(10, TimeUnit.SECONDS);
                String output = Files.readString(log);
                assertTrue(inGate && ended, output);
                assertEquals(5, p.exitValue(), output);
                assertTrue(output.contains("the Swarm's only manager in deploy.yml, unix://" + proxySocket + ", stopped answering"), output);
                Thread.sleep(500);
                load.close();
                assertEquals(List.of(), load.failures(), "the front on its node kept serving: " + output);
                assertTrue(load.answers.stream().allMatch("v1"::equals), "only v1 served: " + load.answers.stream().distinct().toList());
                System.out.println("only manager lost in the gate: " + output.lines().filter(l -> l.contains("error") || l.contains("note:") || l.contains("warning")).toList());
            }
        }
        try (SocketProxy back = new SocketProxy(proxySocket, managerSocket)) {
            var next = TestApp.run(args("v2").toArray(new String[0]));
            assertEquals(0, next.code(), next.toString());
            frontAndRecordAgree("v2", "after the manager came back");
        }
    }
}
