import lib.model.Colour;
import lib.model.HostState;
import lib.host.DeployLock;
import lib.host.ReleaseHistory;

import com.github.dockerjava.api.exception.NotFoundException;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The engine's promises, fault by fault, on the real engine: whatever fails before the switch, the previously live
 * colour serves its release, the new containers are gone, the release before it is still there for a fast rollback,
 * the lock is free, the history says what happened, and the exit code says it too. Then the crash matrix: the deploy
 * killed with SIGKILL at each phase, and the next deploy, with no manual step, under load through the front.
 */
class EngineTest {

    /** blue = v1 (stopped, kept for rollback), green = v2 (live): the host every failure case starts from. */
    private static void twoReleases(TestApp app, String... extra) {
        assertEquals(0, app.deploy("v1", extra).code());
        assertEquals(0, app.deploy("v2", extra).code());
    }

    /** The failure left the host as it was: green serves v2, blue holds v1, nothing new, lock free, history says so. */
    private static void hostAsBefore(TestApp app, TestApp.Result r, int exit, String result) throws Exception {
        assertEquals(exit, r.code(), r.toString());
        assertEquals(1, r.err().lines().filter(l -> l.startsWith("error:")).count(), r.err());
        assertTrue(r.err().contains("green still serves release v2"), r.err());
        HostState s = DeployTest.state(app);
        assertEquals(Colour.GREEN, s.live().orElseThrow(), s.describe());
        assertEquals("v2", s.green().release());
        assertTrue(s.green().allRunning(), "green untouched: " + s.green().containers());
        assertEquals("v1", s.blue().release(), "the release before is still there for a fast rollback: " + s.blue().containers());
        assertFalse(s.blue().anyRunning(), "blue stays stopped");
        assertEquals(List.of(), s.aside(), "nothing left set aside: " + r.out());
        assertTrue(DeployLock.holder(TestHost.docker(), app.name).isEmpty(), "lock released");
        assertEquals(result, lastResult(app));
        assertEquals("v2", FrontTest.get(app.greenPort, "/version.txt"));
    }

    @Test
    void aHostPortAlreadyTakenFailsTheDeployAndUndoesIt() throws Exception {
        try (TestApp app = new TestApp("portbusy")) {
            twoReleases(app);
            try (ServerSocket taken = new ServerSocket(app.bluePort, 1, InetAddress.getByName("127.0.0.1"))) {
                hostAsBefore(app, app.deploy("v3"), 1, "failed");
            }
        }
    }

    @Test
    void aUserThatDoesNotExistFailsTheDeployNamingTheServiceAndUndoesIt() throws Exception {
        try (TestApp app = new TestApp("nouser")) {
            twoReleases(app);
            String good = Files.readString(app.composeFile);
            Files.writeString(app.composeFile, good.replace("    stop_signal: SIGQUIT", "    user: nosuchuser\n    stop_signal: SIGQUIT"));
            var r = app.deploy("v3");
            Files.writeString(app.composeFile, good);
            hostAsBefore(app, r, 1, "failed");
            assertTrue(r.err().contains("service \"web\"") && r.err().contains("user"), r.err());
        }
    }

    @Test
    void aMissingImageFailsBeforeAnythingIsTouched() throws Exception {
        try (TestApp app = new TestApp("noimg")) {
            twoReleases(app);
            hostAsBefore(app, app.deploy("missing"), 1, "failed");
        }
    }

    @Test
    void aContainerRemovedDuringTheGateFailsTheDeployAndUndoesIt() throws Exception {
        try (TestApp app = new TestApp("rmgate")) {
            twoReleases(app);
            Thread remover = new Thread(() -> {
                long end = System.currentTimeMillis() + 30_000;
                while (System.currentTimeMillis() < end) {
                    var app1 = DeployTest.state(app).blue().containers().stream()
                            .filter(c -> c.running() && c.labels().getOrDefault("dev.bgdeploy.release", "").equals("slow")).findFirst();
                    if (app1.isPresent()) {
                        try {
                            TestHost.docker().removeContainerCmd(app1.get().id()).withForce(true).exec();
                        } catch (NotFoundException gone) {
                            // the deploy removed it first
                        }
                        return;
                    }
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            remover.start();
            var r = app.deploy("slow");
            remover.join(30_000);
            hostAsBefore(app, r, 1, "failed");
        }
    }

    @Test
    void aManagedFrontThatCannotStartFailsTheDeployAndLeavesNothingBehind() throws Exception {
        try (TestApp app = new TestApp("frontbusy")) {
            twoReleases(app);
            int frontPort = TestHost.freePort();
            try (ServerSocket taken = new ServerSocket(frontPort, 1, InetAddress.getByName("127.0.0.1"))) {
                var r = app.deploy("v3", FrontTest.managed(app, frontPort));
                hostAsBefore(app, r, 1, "failed");
                assertTrue(r.err().contains("is port " + frontPort + " free?"), r.err());
            }
        }
    }

    @Test
    void aFailedFirstDeployBehindTheManagedFrontLeavesNoFrontNetworkOrRecord() throws Exception {
        try (TestApp app = new TestApp("firstfail")) {
            var r = app.deploy("crash", FrontTest.managed(app, TestHost.freePort()));
            assertEquals(1, r.code(), r.toString());
            assertTrue(r.err().contains("what it changed was undone"), r.err());
            var docker = TestHost.docker();
            assertTrue(docker.listContainersCmd().withShowAll(true).withNameFilter(List.of(lib.front.ManagedFront.containerName(app.name))).exec().stream()
                    .noneMatch(c -> List.of(c.getNames()).contains("/" + lib.front.ManagedFront.containerName(app.name))), "no front answering 502");
            assertTrue(docker.listNetworksCmd().withNameFilter(lib.front.ManagedFront.network(app.name)).exec().stream()
                    .noneMatch(n -> n.getName().equals(lib.front.ManagedFront.network(app.name))), "no front network");
            assertTrue(lib.host.RecordStore.read(docker, app.name).record().isEmpty(), "no record of a release that never went live");
            HostState s = DeployTest.state(app);
            assertTrue(s.blue().empty() && s.green().empty(), s.describe());
        }
    }

    @Test
    void sigintAndSigtermDuringTheGateUndoTheDeployAndExit130() throws Exception {
        for (String signal : new String[]{"INT", "TERM"}) {
            try (TestApp app = new TestApp("sig" + signal.toLowerCase())) {
                twoReleases(app);
                Process p = deployProcess(app, app.dir.resolve("deploy.log"), "slow");
                assertTrue(Commands.waitForLine(app.dir.resolve("deploy.log"), "==> health gate", 60_000), Files.readString(app.dir.resolve("deploy.log")));
                new ProcessBuilder("kill", "-" + signal, String.valueOf(p.pid())).start().waitFor();
                assertTrue(p.waitFor(30, TimeUnit.SECONDS), "exited within 30 s of SIG" + signal);
                String log = Files.readString(app.dir.resolve("deploy.log"));
                hostAsBefore(app, new TestApp.Result(p.exitValue(), log, log), 130, "interrupted");
            }
        }
    }

    @Test
    void anInterruptAfterTheSwitchFinishesTheDeployReleasesTheLockAndSaysTheNewReleaseIsLive() throws Exception {
        try (TestApp app = new TestApp("sigpost")) {
            assertEquals(0, app.deploy("v1").code());
            Path log = app.dir.resolve("deploy.log");
            Process p = deployProcess(app, log, "v2");
            assertTrue(Commands.waitForLine(log, "==> retire blue", 60_000), Files.readString(log));
            new ProcessBuilder("kill", "-TERM", String.valueOf(p.pid())).start().waitFor();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "exited after SIGTERM");
            String out = Files.readString(log);
            assertEquals(0, p.exitValue(), out);
            assertTrue(out.contains("release v2: green is live"), out);
            HostState s = DeployTest.state(app);
            assertEquals(Colour.GREEN, s.live().orElseThrow(), s.describe());
            assertTrue(DeployLock.holder(TestHost.docker(), app.name).isEmpty(), "lock released");
            assertEquals("ok", lastResult(app));
            assertEquals("v2", FrontTest.get(app.greenPort, "/version.txt"));
        }
    }

    @Test
    void aFailedFastRollbackStopsTheStandbyAgainAndKeepsTheLiveColour() throws Exception {
        try (TestApp app = new TestApp("rbbusy")) {
            twoReleases(app);
            try (ServerSocket taken = new ServerSocket(app.bluePort, 1, InetAddress.getByName("127.0.0.1"))) {
                hostAsBefore(app, Commands.rollback(app), 1, "failed");
            }
        }
    }

    @Test
    void aFailedSlowRollbackUndoesLikeADeploy() throws Exception {
        try (TestApp app = new TestApp("rbslow")) {
            twoReleases(app);
            TestHost.docker().tagImageCmd(TestHost.APP_REPO + ":crash", TestHost.APP_REPO, "crash0000").exec();
            hostAsBefore(app, Commands.rollback(app, "crash0000", "-f", app.composeFile.toString(), "--pull", "never",
                    "--blue-port", String.valueOf(app.bluePort), "--green-port", String.valueOf(app.greenPort)), 1, "failed");
        }
    }

    @Test
    void rollbackWithoutFlagsUsesTheManagedFrontTheHostRecorded() throws Exception {
        try (TestApp app = new TestApp("rbfront")) {
            int frontPort = TestHost.freePort();
            twoReleases(app, FrontTest.managed(app, frontPort));
            // bounded by time more than by count: on a busy machine the rollback alone can take most of a minute
            try (var load = new TestApp.Load(frontPort, "/version.txt", 20_000, 150_000)) {
                var r = Commands.rollback(app);
                assertEquals(0, r.code(), r.toString());
                long after = System.nanoTime();
                Thread.sleep(300);
                assertEquals("v1", FrontTest.get(frontPort, "/version.txt"));
                assertTrue(!load.answersSince(after).isEmpty() && load.answersSince(after).stream().allMatch("v1"::equals), load.answersSince(after).toString());
                load.close();
                assertEquals(List.of(), load.failures());
            }
        }
    }

    @Test
    void movingAPassiveAppToTheManagedFrontJoinsTheLiveColourAndLosesNoRequest() throws Exception {
        try (TestApp app = new TestApp("migrate")) {
            assertEquals(0, app.deploy("v1").code());
            int frontPort = TestHost.freePort();
            var r = app.deploy("v2", FrontTest.managed(app, frontPort));
            assertEquals(0, r.code(), r.toString());
            try (var load = new TestApp.Load(frontPort, "/version.txt", 5_000, 60_000)) {
                r = app.deploy("v3");
                assertEquals(0, r.code(), r.toString()); // no --front: the host says managed
                assertTrue(r.out().contains("switch the front to blue"), r.out());
                load.close();
                assertEquals(List.of(), load.failures());
            }
        }
    }

    /**
     * SIGKILL at each phase (an OOM kill, a lost CI runner), then the next deploy with no manual step, under load
     * through the managed front: no request fails and no release that did not pass its gate ever answers.
     */
    @Test
    void aDeployKilledAtAnyPhaseIsRecoveredByTheNextDeployWithoutAFailedRequest() throws Exception {
        String[][] phases = {{"==> pull images", "v2"}, {"==> health gate", "slow"}, {"==> switch the front", "v2"},
                {"==> drain", "v2"}, {"==> retire", "v2"}};
        List<String> outcomes = new ArrayList<>();
        for (String[] phase : phases) {
            try (TestApp app = new TestApp("kill")) {
                int frontPort = TestHost.freePort();
                String[] managed = FrontTest.managed(app, frontPort);
                assertEquals(0, app.deploy("v1", managed).code());
                try (var load = new TestApp.Load(frontPort, "/version.txt", 10_000, 120_000)) {
                    Path log = app.dir.resolve("killed.log");
                    Process p = deployProcess(app, log, phase[1], managed);
                    assertTrue(Commands.waitForLine(log, phase[0], 60_000), phase[0] + " never came: " + Files.readString(log));
                    p.destroyForcibly();
                    p.waitFor(10, TimeUnit.SECONDS);
                    var next = app.deploy("v3", "--keep-old", "stopped");
                    assertEquals(0, next.code(), phase[0] + ": " + next);
                    assertEquals("v3", FrontTest.get(frontPort, "/version.txt"));
                    load.close();
                    assertEquals(List.of(), load.failures(), phase[0]);
                    Set<String> allowed = phase[1].equals("slow") ? Set.of("v1", "v3") : Set.of("v1", "v2", "v3");
                    assertTrue(allowed.containsAll(Set.copyOf(load.answers)), phase[0] + ": " + Set.copyOf(load.answers));
                    outcomes.add(phase[0] + ": next deploy ok, answers " + Set.copyOf(load.answers) + ", " + load.answers.size() + " requests, 0 failed");
                }
            }
        }
        System.out.println("crash matrix: " + outcomes);
    }

    /** What the host's history says of the app's last deploy or rollback. */
    static String lastResult(TestApp app) {
        List<ReleaseHistory.Entry> h = new ReleaseHistory(TestHost.docker(), app.name).read(new PrintWriter(Writer.nullWriter()));
        return h.isEmpty() ? "(no history)" : h.get(h.size() - 1).result();
    }

    static Process deployProcess(TestApp app, Path log, String release, String... extra) throws Exception {
        // env restores SIGINT's default disposition: a suite started in the background inherits it ignored.
        List<String> cmd = new ArrayList<>(List.of("env", "--default-signal=INT", ProcessHandle.current().info().command().orElse("java"),
                "-cp", System.getProperty("java.class.path"), "deploy"));
        cmd.addAll(app.deployArgs(release, extra));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

}
