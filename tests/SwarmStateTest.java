import lib.base.Cancellation;
import lib.base.DeployError;
import lib.base.ExitCode;
import lib.base.Labels;
import lib.docker.DockerHost;
import lib.docker.HostAddress;
import lib.docker.SwarmManagers;
import lib.host.AppState;
import lib.host.DeployLock;
import lib.host.ReleaseHistory;
import lib.host.SwarmState;
import lib.model.Colour;
import lib.model.FrontSettings;
import lib.model.LiveRecord;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An app's lock, record and history in the test-bed Swarm's replicated store (manager bgh4), reached through two
 * endpoints of the manager as two deploy machines would: TLS over tcp and the manager's unix socket. Whatever one
 * writes the other sees; of two at once, one wins and the other is told who did.
 */
class SwarmStateTest {
    static final String MANAGER = SwarmBed.managerTls();
    static final String MANAGER_SOCKET = TestBed.socket(SwarmBed.MANAGER);
    /** In the Swarm, as a worker. */
    static final String WORKER = TestBed.tls(SwarmBed.SECOND_FRONT);
    /** On the test bed's network, and nothing there. */
    static final String DEAD = "tcp://10.210.0.99:2376";
    static final PrintWriter QUIET = new PrintWriter(java.io.Writer.nullWriter());

    static DockerHost tls;
    static DockerHost socket;

    @BeforeAll
    static void connect() {
        tls = address(MANAGER).connect(QUIET);
        socket = DockerHost.connect(MANAGER_SOCKET, false, QUIET);
    }

    @AfterAll
    static void close() {
        if (tls != null) tls.close();
        if (socket != null) socket.close();
    }

    static HostAddress address(String url) {
        return new HostAddress(url, "the test", true, TestBed.CERTS, false);
    }

    @Test
    void twoDeploysThroughTwoEndpointsAtOnceOneTakesTheLockAndTheOtherExitsFourNamingTheHolder() throws Exception {
        String app = "sslock";
        try {
            for (int round = 0; round < 3; round++) {
                CountDownLatch go = new CountDownLatch(1);
                var a = CompletableFuture.supplyAsync(() -> take(new SwarmState(tls, app, "prod"), "deploy A", go));
                var b = CompletableFuture.supplyAsync(() -> take(new SwarmState(socket, app, "prod"), "deploy B", go));
                go.countDown();
                Object ra = a.get(60, TimeUnit.SECONDS);
                Object rb = b.get(60, TimeUnit.SECONDS);
                List<Object> results = List.of(ra, rb);
                assertEquals(1, results.stream().filter(r -> r instanceof AppState.Lock).count(), "exactly one holds it: " + results);
                DeployError refused = (DeployError) results.stream().filter(r -> r instanceof DeployError).findFirst().orElseThrow();
                String winner = ra instanceof AppState.Lock ? "deploy A" : "deploy B";
                assertEquals(ExitCode.LOCKED, refused.exitCode(), refused.getMessage());
                assertTrue(refused.getMessage().startsWith("app " + app + " is locked by " + lib.base.Operator.name() + " (pid " + ProcessHandle.current().pid() + ")")
                        && refused.getMessage().contains("for: " + winner) && refused.getMessage().contains("its process still runs on this machine")
                        && refused.getMessage().contains("deploy.java unlock --env prod --app " + app + " --force"), refused.getMessage());
                // Either endpoint sees the same holder: it is the cluster's, not a node's.
                assertEquals(winner, new SwarmState(tls, app).lockHolder().orElseThrow().purpose());
                assertEquals(winner, new SwarmState(socket, app).lockHolder().orElseThrow().purpose());
                ((AppState.Lock) (ra instanceof AppState.Lock ? ra : rb)).close();
                assertEquals(Optional.empty(), new SwarmState(socket, app).lockHolder(), "released on close");
            }

            // --wait-lock: a second deploy waits for the first and then takes it.
            var first = new SwarmState(tls, app).lock("deploy A", Duration.ZERO, QUIET, Cancellation.none());
            StringWriter waited = new StringWriter();
            var second = CompletableFuture.supplyAsync(() -> new SwarmState(socket, app).lock("deploy B", Duration.ofSeconds(60), new PrintWriter(waited, true), Cancellation.none()));
            assertTrue(Poll.until(Duration.ofSeconds(20), () -> waited.toString().contains("waiting for the deploy lock, held by ")), waited.toString());
            assertFalse(second.isDone());
            first.close();
            second.get(30, TimeUnit.SECONDS).close();
        } finally {
            clean(app);
        }
    }

    private static Object take(SwarmState state, String purpose, CountDownLatch go) {
        try {
            go.await();
            return state.lock(purpose, Duration.ZERO, QUIET, Cancellation.none());
        } catch (DeployError e) {
            return e;
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aLockLeftByADeadProcessOfThisMachineIsBrokenByTheNextDeployAndUnlockTellsLiveFromDead() throws Exception {
        String app = "ssstale";
        try {
            var dead = new ProcessBuilder("sleep", "0.1").start();
            Instant started = dead.info().startInstant().orElseThrow();
            assertTrue(dead.waitFor(10, TimeUnit.SECONDS));
            plantLock(app, dead.pid(), started);
            var state = new SwarmState(socket, app, "prod");
            assertTrue(state.lockHolder().orElseThrow().stale());
            assertTrue(state.describeLock(Instant.now()).contains("(stale: pid " + dead.pid() + " is gone; the next deploy breaks it)"), state.describeLock(Instant.now()));
            StringWriter out = new StringWriter();
            long t0 = System.nanoTime();
            try (var lock = new SwarmState(tls, app).lock("deploy to swarm", Duration.ofMinutes(10), new PrintWriter(out, true), Cancellation.none())) {
                assertTrue(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0) < 30, "a dead holder is not waited for");
                assertTrue(out.toString().contains("broke the lock of ci@" + LockTest.HERE + " (pid " + dead.pid() + ", no longer running: pid " + dead.pid() + " is gone)"),
                        out.toString());
                // A live holder (this JVM) is refused without --force, broken with it.
                DeployError refused = assertThrows(DeployError.class, () -> state.breakLock(false));
                assertEquals(ExitCode.LOCKED, refused.exitCode());
                assertTrue(refused.getMessage().contains("its process still runs on this machine"), refused.getMessage());
                assertEquals("deploy to swarm", state.breakLock(true).orElseThrow().purpose());
                assertEquals(Optional.empty(), state.lockHolder());
            } // closing a lock someone broke meanwhile is quiet
            assertEquals(Optional.empty(), state.breakLock(false), "nothing held: nothing to break");
        } finally {
            clean(app);
        }
    }

    /** A lock config as a deploy killed on this machine leaves it. */
    static void plantLock(String app, long pid, Instant pidStarted) {
        Map<String, String> l = new LinkedHashMap<>(LockTest.labels("ci@" + LockTest.HERE, LockTest.HERE, Instant.now().minus(Duration.ofHours(2)).toString(),
                pid, pidStarted.toString()));
        l.put(Labels.APP, app);
        socket.client().createConfigCmd().withName(SwarmState.lockName(app)).withLabels(l).withData("planted\n".getBytes()).exec();
    }

    @Test
    void aRecordWrittenAgainstAStaleVersionLosesAndTwoWritersNeverBothWin() throws Exception {
        String app = "ssrecord";
        try {
            LiveRecord blue = record(Colour.BLUE, "v1");
            LiveRecord green = record(Colour.GREEN, "v2");
            var a = new SwarmState(tls, app);
            var b = new SwarmState(socket, app);
            // Both read "no record"; the first to write creates it, the other is refused.
            assertTrue(a.readRecord().record().isEmpty());
            assertTrue(b.readRecord().record().isEmpty());
            a.writeRecord(blue);
            DeployError created = assertThrows(DeployError.class, () -> b.writeRecord(green));
            assertEquals(ExitCode.LOCKED, created.exitCode());
            assertTrue(created.getMessage().contains("was not written: another writer created it since this run read it (it now says blue live, release v1"), created.getMessage());
            assertEquals(Optional.of(Colour.BLUE), b.readRecord().record().flatMap(LiveRecord::liveColour), "the first writer's record stands");

            // A writes again on top of its own write (its version follows its writes); B, which read before, loses.
            a.writeRecord(blue.withGated(Colour.GREEN, "v2"));
            DeployError stale = assertThrows(DeployError.class, () -> b.writeRecord(green));
            assertTrue(stale.getMessage().contains("another writer replaced it since this run read it"), stale.getMessage());
            // Read again, B may write; now A's version is the stale one.
            b.readRecord();
            b.writeRecord(green);
            assertThrows(DeployError.class, () -> a.writeRecord(blue));
            assertEquals("v2", new SwarmState(tls, app).readRecord().record().orElseThrow().release());

            // Ten rounds of two writers that read the same version and write at once: never both.
            for (int round = 0; round < 10; round++) {
                var x = new SwarmState(tls, app);
                var y = new SwarmState(socket, app);
                x.readRecord();
                y.readRecord();
                CountDownLatch go = new CountDownLatch(1);
                var wx = CompletableFuture.supplyAsync(() -> write(x, record(Colour.BLUE, "x"), go));
                var wy = CompletableFuture.supplyAsync(() -> write(y, record(Colour.GREEN, "y"), go));
                go.countDown();
                List<Object> results = List.of(wx.get(60, TimeUnit.SECONDS), wy.get(60, TimeUnit.SECONDS));
                assertEquals(1, results.stream().filter("ok"::equals).count(), "round " + round + ": " + results);
                String won = "ok".equals(results.get(0)) ? "x" : "y";
                assertEquals(won, new SwarmState(socket, app).readRecord().record().orElseThrow().release());
            }

            // A record damaged by hand is not trusted; removal leaves none.
            var r = new SwarmState(tls, app);
            r.removeRecord();
            assertTrue(r.readRecord().record().isEmpty() && r.readRecord().problem().isEmpty());
            Map<String, String> bad = new LinkedHashMap<>(record(Colour.BLUE, "v1").toLabels(app));
            bad.put(Labels.NS + "live.colour", "purple");
            socket.client().createServiceCmd(SwarmState.recordSpec(app, bad)).exec();
            var read = new SwarmState(socket, app).readRecord();
            assertTrue(read.record().isEmpty() && read.problem().orElse("").contains("names colour \"purple\""), read.toString());
        } finally {
            clean(app);
        }
    }

    private static LiveRecord record(Colour c, String release) {
        return LiveRecord.empty().withGated(c, release).withLive(c, release, "ci@" + LockTest.HERE, FrontSettings.passive());
    }

    private static Object write(SwarmState s, LiveRecord r, CountDownLatch go) {
        try {
            go.await();
            s.writeRecord(r);
            return "ok";
        } catch (DeployError e) {
            if (e.exitCode() != ExitCode.LOCKED) throw e;
            return e.getMessage();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void historyAppendsReadBackInOrderThroughEitherEndpointAndIsPruned() throws Exception {
        String app = "sshist";
        try {
            var w = new SwarmState(tls, app);
            List<ReleaseHistory.Entry> written = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                var e = new ReleaseHistory.Entry(Instant.now().toString(), "deploy", "v" + i, i % 2 == 0 ? "green" : "blue", i == 1 ? null : "v" + (i - 1),
                        i == 2 ? "failed" : "ok", 1000L * i, "ci@" + LockTest.HERE, i == 2 ? "health gate: web never answered" : null, null, null);
                w.appendHistory(e);
                written.add(e);
            }
            StringWriter warn = new StringWriter();
            assertEquals(written, new SwarmState(socket, app).readHistory(new PrintWriter(warn)));
            assertEquals("", warn.toString());
            assertEquals("v3", new SwarmState(socket, app).lastLiveBefore("v4", QUIET).orElseThrow().release());
            assertEquals("v1", new SwarmState(socket, app).lastLiveBefore("v3", QUIET).orElseThrow().release(), "v2 failed: not a rollback target");

            // Pruning: with KEEP entries stored, one more append drops the oldest.
            DockerClient d = socket.client();
            int planted = SwarmState.KEEP - written.size();
            for (int i = 0; i < planted; i++) {
                var e = new ReleaseHistory.Entry(Instant.now().toString(), "deploy", "p" + i, "blue", null, "ok", 1, "planted", null);
                d.createConfigCmd().withName(SwarmState.historyName(app, Instant.now(), "p" + String.format("%05d", i)))
                        .withLabels(SwarmState.historyLabels(app, Instant.now())).withData(ReleaseHistory.encode(e).getBytes()).exec();
            }
            assertEquals(SwarmState.KEEP, w.readHistory(QUIET).size());
            var last = new ReleaseHistory.Entry(Instant.now().toString(), "rollback", "v1", "blue", "p" + (planted - 1), "ok", 500, "ci@" + LockTest.HERE, null);
            w.appendHistory(last);
            List<ReleaseHistory.Entry> kept = new SwarmState(socket, app).readHistory(QUIET);
            assertEquals(SwarmState.KEEP, kept.size());
            assertEquals(written.subList(1, 3), kept.subList(0, 2), "the oldest entry went, the rest stay in order");
            assertEquals(last, kept.get(kept.size() - 1));
            assertEquals(SwarmState.KEEP, d.listConfigsCmd().withFilters(Map.of("label", List.of(Labels.APP + "=" + app))).exec().size());
        } finally {
            clean(app);
        }
    }

    @Test
    void managersAreTriedInOrderSkippingTheDeadAndTheWorkerAndNoneLeftIsExitFive() throws Exception {
        StringWriter err = new StringWriter();
        try (var m = SwarmManagers.connect(List.of(address(DEAD), address(WORKER), address(MANAGER)), new PrintWriter(err, true))) {
            assertEquals(MANAGER, m.address().url());
            assertTrue(m.host().client().infoCmd().exec().getSwarm().getControlAvailable());
            assertTrue(err.toString().contains("note: " + DEAD + " does not answer; trying the next manager")
                    && err.toString().contains("note: skipping " + WORKER + ": it is a Swarm worker, not a manager"), err.toString());
            // The manager answering is lost: the others are tried (the dead and the worker), and with none left, exit 5.
            DeployError none = assertThrows(DeployError.class, m::failover);
            assertEquals(ExitCode.DOCKER, none.exitCode());
        }
        long t0 = System.nanoTime();
        DeployError e = assertThrows(DeployError.class, () -> SwarmManagers.connect(List.of(address(DEAD), address(WORKER)), QUIET));
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
        assertEquals(ExitCode.DOCKER, e.exitCode());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        assertTrue(e.getMessage().startsWith("no Swarm manager answers (Docker host " + DEAD + " (TLS) does not answer (")
                && e.getMessage().contains("; " + WORKER + ": it is a Swarm worker, not a manager)"), e.getMessage());
        assertTrue(seconds < 40, "within the Docker call bounds: took " + seconds + "s");

        // The standalone engine of this machine answers, but is no manager of any Swarm.
        DeployError standalone = assertThrows(DeployError.class, () -> SwarmManagers.connect(List.of(new HostAddress(null, "the test", null, null, false)), QUIET));
        assertTrue(standalone.getMessage().contains("it is not part of a Swarm (a standalone Docker engine)"), standalone.getMessage());
    }

    @Test
    void theManagerLostMidRunHandsTheStateToTheNextOneAndTheLockIsStillReleased() throws Exception {
        String app = "ssfailover";
        Path sock = Path.of("/tmp/ssproxy-" + ProcessHandle.current().pid() + ".sock");
        StringWriter notes = new StringWriter();
        try (SocketProxy proxy = new SocketProxy(sock, Path.of(MANAGER_SOCKET.substring("unix://".length())));
             var managers = SwarmManagers.connect(List.of(new HostAddress("unix://" + sock, "the test", null, null, false), address(MANAGER)),
                     new PrintWriter(notes, true))) {
            assertEquals("unix://" + sock, managers.address().url(), "the first in the list answers");
            var state = new SwarmState(managers, app, "prod", new PrintWriter(notes, true));
            AppState.Lock lock = state.lock("deploy through the first manager", Duration.ZERO, QUIET, Cancellation.none());
            state.readRecord();
            state.writeRecord(record(Colour.BLUE, "v1"));
            proxy.close(); // the manager answering is gone: every connection cut, nothing listens

            state.writeRecord(record(Colour.GREEN, "v2"));
            assertEquals(MANAGER, managers.address().url());
            assertTrue(notes.toString().contains("note: the Swarm manager unix://" + sock + " stopped answering while reading the live record ("), notes.toString());
            assertEquals("v2", new SwarmState(tls, app).readRecord().record().orElseThrow().release(), "written once, through the next manager");
            state.appendHistory(new ReleaseHistory.Entry(Instant.now().toString(), "deploy", "v2", "green", "v1", "ok", 100, "ci", null));
            assertEquals(1, new SwarmState(socket, app).readHistory(QUIET).size());
            assertEquals("deploy through the first manager", new SwarmState(socket, app).lockHolder().orElseThrow().purpose(), "the cluster's lock, still ours");
            lock.close();
            assertEquals(Optional.empty(), new SwarmState(socket, app).lockHolder(), "released through the next manager");

            // With the last one lost too, exit 5 within the bounds.
            DeployError none = assertThrows(DeployError.class, () -> managers.failover(managers.host()));
            assertEquals(ExitCode.DOCKER, none.exitCode());
            assertTrue(none.getMessage().startsWith("no Swarm manager answers (Docker host unix://" + sock + " does not answer ("), none.getMessage());
        } finally {
            clean(app);
        }
    }

    @Test
    void aWriteThatLandedButWhoseAnswerWasLostWithTheManagerIsRecognisedAsOursNotAsAConflict() throws Exception {
        String app = "sslostanswer";
        int n = 0;
        try {
            for (String request : List.of("/configs/create", "/update", "/configs/create")) {
                Path sock = Path.of("/tmp/ssproxy-" + ProcessHandle.current().pid() + "-" + n++ + ".sock");
                StringWriter notes = new StringWriter();
                try (SocketProxy proxy = new SocketProxy(sock, Path.of(MANAGER_SOCKET.substring("unix://".length())));
                     var managers = SwarmManagers.connect(List.of(new HostAddress("unix://" + sock, "the test", null, null, false), address(MANAGER)), QUIET)) {
                    var state = new SwarmState(managers, app, "prod", new PrintWriter(notes, true));
                    switch (n) {
                        case 1 -> {
                            // The lock's create lands; the manager is lost before it answers: the lock is ours, not "held by" us.
                            proxy.loseTheAnswerTo(request);
                            try (var lock = state.lock("deploy whose answer was lost", Duration.ZERO, QUIET, Cancellation.none())) {
                                assertEquals("deploy whose answer was lost", new SwarmState(socket, app).lockHolder().orElseThrow().purpose());
                            }
                            assertEquals(Optional.empty(), new SwarmState(socket, app).lockHolder());
                        }
                        case 2 -> {
                            state.readRecord();
                            state.writeRecord(record(Colour.BLUE, "v1"));
                            proxy.loseTheAnswerTo(request);
                            state.writeRecord(record(Colour.GREEN, "v2")); // landed, answer lost, repeated: out of sequence, yet ours
                            assertEquals("v2", new SwarmState(socket, app).readRecord().record().orElseThrow().release());
                            state.writeRecord(record(Colour.BLUE, "v3")); // and its version follows: the next write goes ahead
                            assertEquals("v3", new SwarmState(socket, app).readRecord().record().orElseThrow().release());
                        }
                        default -> {
                            proxy.loseTheAnswerTo(request);
                            state.appendHistory(new ReleaseHistory.Entry(Instant.now().toString(), "deploy", "v3", "blue", "v2", "ok", 100, "ci", null));
                            assertEquals(1, new SwarmState(socket, app).readHistory(QUIET).size(), "written once");
                        }
                    }
                    assertTrue(proxy.lostAnAnswer(), "the test lost an answer to " + request);
                    assertTrue(notes.toString().contains("stopped answering while"), notes.toString());
                    assertEquals(MANAGER, managers.address().url());
                }
            }
        } finally {
            clean(app);
        }
    }

    @Test
    void statusHistoryAndUnlockOfASwarmEnvironmentGoThroughAManager() throws Exception {
        String app = "sscli";
        Path dir = Files.createTempDirectory("sscli");
        try {
            Path file = dir.resolve("deploy.yml");
            Files.writeString(file, """
                    app: sscli
                    environments:
                      prod:
                        engine: swarm
                        managers:
                          - host: %s
                            tls_verify: true
                            cert_path: %s
                          - host: %s
                            tls_verify: true
                            cert_path: %s
                        fronts:
                          - host: %s
                      gone:
                        engine: swarm
                        managers: [{host: %s, tls_verify: true, cert_path: %s}]
                        fronts: [{host: %s}]
                    """.formatted(WORKER, TestBed.CERTS, MANAGER, TestBed.CERTS, TestBed.ssh(SwarmBed.SECOND_FRONT), DEAD, TestBed.CERTS,
                            TestBed.ssh(SwarmBed.SECOND_FRONT)));
            String[] env = {"--project", file.toString(), "--env", "prod"};
            var empty = TestApp.run(Commands.concat(new String[]{"status"}, env));
            assertEquals(ExitCode.DEPLOY_FAILED, empty.code(), empty.toString());
            assertTrue(empty.out().contains("app sscli on Swarm (manager " + MANAGER + " (TLS)): nothing live (no record: never deployed here)")
                    && empty.out().contains("lock: free"), empty.out());
            assertTrue(empty.err().contains("skipping " + WORKER + ": it is a Swarm worker"), empty.err());

            var state = new SwarmState(socket, app, "prod");
            state.readRecord();
            state.writeRecord(record(Colour.GREEN, "v2"));
            state.appendHistory(new ReleaseHistory.Entry(Instant.now().toString(), "deploy", "v2", "green", "v1", "ok", 4200, "ci@" + LockTest.HERE, null));
            try (var lock = state.lock("deploy to the swarm", Duration.ZERO, QUIET, Cancellation.none())) {
                var status = TestApp.run(Commands.concat(new String[]{"status"}, env));
                assertEquals(ExitCode.OK, status.code(), status.toString());
                assertTrue(status.out().contains("app sscli on Swarm (manager " + MANAGER + " (TLS)): green live, release v2 since "), status.out());
                assertTrue(status.out().contains("lock: held by " + lib.base.Operator.name() + " (pid " + ProcessHandle.current().pid() + ")")
                        && status.out().contains("for: deploy to the swarm"), status.out());

                var history = TestApp.run(Commands.concat(new String[]{"history"}, env));
                assertEquals(ExitCode.OK, history.code(), history.toString());
                assertTrue(history.out().lines().anyMatch(l -> l.contains("deploy") && l.contains("v2") && l.contains("green") && l.contains("ok")), history.out());

                var refused = TestApp.run(Commands.concat(new String[]{"unlock"}, env));
                assertEquals(ExitCode.LOCKED, refused.code(), refused.toString());
                assertTrue(refused.err().contains("deploy.java unlock --env prod --app sscli --force"), refused.err());
                var forced = TestApp.run(Commands.concat(new String[]{"unlock", "--force"}, env));
                assertEquals(ExitCode.OK, forced.code(), forced.toString());
                assertTrue(forced.out().contains("released the lock of sscli"), forced.out());
                assertEquals(Optional.empty(), state.lockHolder());
            }

            long t0 = System.nanoTime();
            var gone = TestApp.run("status", "--project", file.toString(), "--env", "gone");
            assertEquals(ExitCode.DOCKER, gone.code(), gone.toString());
            assertTrue(gone.err().lines().anyMatch(l -> l.contains("no Swarm manager answers (Docker host " + DEAD)), gone.err());
            assertTrue(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0) < 30);
        } finally {
            ExampleImages.deleteTree(dir);
            clean(app);
        }
    }

    /** Everything of the app in the Swarm's store: its lock, its record, its history. */
    static void clean(String app) {
        DockerClient d = socket.client();
        for (var c : d.listConfigsCmd().withFilters(Map.of("label", List.of(Labels.APP + "=" + app))).exec()) {
            try {
                d.removeConfigCmd(c.getId()).exec();
            } catch (NotFoundException gone) {
                // removed meanwhile
            }
        }
        try {
            d.removeServiceCmd(SwarmState.recordName(app)).exec();
        } catch (NotFoundException none) {
            // no record
        }
    }
}
