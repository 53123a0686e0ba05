import lib.base.Operator;
import lib.base.Cancellation;
import lib.base.DeployError;
import lib.base.Labels;
import lib.docker.MarkerImage;
import lib.host.DeployLock;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two deploys of one app never interleave: the second fails clearly, or waits when asked to. A lock left by a
 * dead process of this machine never strands the next deploy; one taken elsewhere is only broken on request.
 */
class LockTest {
    static final String HERE = Operator.name().substring(Operator.name().lastIndexOf('@') + 1);

    @Test
    void secondDeployFailsWithExitFourWhileTheFirstHoldsTheLockThenWaitingWorks() throws Exception {
        try (TestApp app = new TestApp("lklock")) {
            assertEquals(0, app.deploy("v1").code());
            var first = CompletableFuture.supplyAsync(() -> app.deploy("slow"));
            Poll.until(java.time.Duration.ofSeconds(30), () -> DeployLock.holder(TestHost.docker(), app.name).isPresent());
            // The holder runs in this very JVM: alive, on this machine, so never stale.
            var live = DeployLock.holder(TestHost.docker(), app.name).orElseThrow();
            assertTrue(live.onThisMachine() && !live.stale(), live.toString());

            var second = app.deploy("v2");
            assertEquals(4, second.code(), second.toString());
            assertTrue(second.err().contains("app " + app.name + " is locked by ") && second.err().contains("its process still runs on this machine")
                    && second.err().contains("deploy.java unlock --app " + app.name), second.err());

            var waiting = app.deploy("v3", "--wait-lock", "90s");
            assertEquals(0, waiting.code(), waiting.toString());
            assertTrue(waiting.out().contains("waiting for the deploy lock"), waiting.out());
            var firstResult = first.get(120, TimeUnit.SECONDS);
            assertEquals(0, firstResult.code(), firstResult.toString());
            // The waiting deploy ran strictly after the first one: it saw "slow" live on green and replaced it.
            assertTrue(waiting.out().contains("release v3 to blue") && waiting.out().contains("green is live (running)"), waiting.out());
            assertEquals("v3", app.front().get("/version.txt"));
        }
    }

    @Test
    void aLockLeftByADeadProcessOfThisMachineIsStaleAndTheNextDeployBreaksItWithoutWaiting() throws Exception {
        try (TestApp app = new TestApp("lkdead")) {
            // A lock as a killed deploy leaves it: held by a process of this machine that has exited since.
            var dead = new ProcessBuilder("sleep", "0.1").start();
            Instant started = dead.info().startInstant().orElseThrow();
            assertTrue(dead.waitFor(10, TimeUnit.SECONDS));
            lockAs(app.name, labels("ci@" + HERE, HERE, Instant.now().minus(Duration.ofHours(3)).toString(), dead.pid(), started.toString()));

            var holder = DeployLock.holder(TestHost.docker(), app.name);
            assertTrue(holder.orElseThrow().stale(), holder.toString());
            String status = DeployLock.describeForStatus(app.name, holder, Instant.now());
            assertTrue(status.contains("held by ci@" + HERE + " (pid " + dead.pid() + ")")
                    && status.contains("(stale: pid " + dead.pid() + " is gone; the next deploy breaks it)"), status);

            // --wait-lock must not wait on a dead holder: the deploy breaks the lock at once and goes ahead.
            long t0 = System.nanoTime();
            var r = app.deploy("v1", "--wait-lock", "10m");
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().contains("broke the lock of ci@" + HERE + " (pid " + dead.pid() + ", no longer running: pid "
                    + dead.pid() + " is gone), taken at ") && r.out().contains("for: deploy to test"), r.out());
            assertFalse(r.out().contains("waiting for the deploy lock"), r.out());
            assertTrue(seconds < 120, "took " + seconds + "s");
            assertTrue(DeployLock.holder(TestHost.docker(), app.name).isEmpty(), "the deploy released its own lock");
        }
    }

    @Test
    void aLockHeldByAZombieProcessIsStale() throws Exception {
        String app = "lkzombie-" + Long.toString(System.nanoTime() % 46656, 36);
        // sh starts a short sleep in the background and becomes a long sleep that never reaps it: a zombie.
        Process parent = new ProcessBuilder("sh", "-c", "sleep 0.1 & echo $!; exec sleep 30").start();
        try {
            long zombie = Long.parseLong(new java.io.BufferedReader(new java.io.InputStreamReader(parent.getInputStream())).readLine().trim());
            Instant started = ProcessHandle.of(zombie).orElseThrow().info().startInstant().orElse(null);
            long until = System.currentTimeMillis() + 10_000;
            while (!java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + zombie + "/stat")).contains(") Z") && System.currentTimeMillis() < until) {
                Thread.sleep(50);
            }
            assertTrue(ProcessHandle.of(zombie).isPresent(), "the zombie still has its pid");
            lockAs(app, labels("ci@" + HERE, HERE, Instant.now().toString(), zombie, started == null ? null : started.toString()));
            var holder = DeployLock.holder(TestHost.docker(), app).orElseThrow();
            assertTrue(holder.stale(), holder.toString());
            assertEquals(Optional.of("pid " + zombie + " has exited (a zombie its parent has not reaped)"), holder.deadBecause());
        } finally {
            parent.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            TestHost.removeApp(app);
        }
    }

    @Test
    void aLockWhosePidNowBelongsToAnotherProcessIsBrokenByAWaitingAcquireAtOnce() throws Exception {
        String app = "lkreuse-" + Long.toString(System.nanoTime() % 46656, 36);
        try {
            // The recorded pid runs (it is this JVM), but it started long after the lock's process did: pid reuse.
            long me = ProcessHandle.current().pid();
            Instant myStart = ProcessHandle.current().info().startInstant().orElseThrow();
            lockAs(app, labels("ci@" + HERE, HERE, Instant.now().toString(), me, myStart.minus(Duration.ofHours(1)).toString()));
            assertTrue(DeployLock.holder(TestHost.docker(), app).orElseThrow().stale());

            StringWriter out = new StringWriter();
            long t0 = System.nanoTime();
            try (DeployLock lock = DeployLock.acquire(TestHost.docker(), app, "deploy to test", Duration.ofMinutes(10),
                    new PrintWriter(out, true), Cancellation.none())) {
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertTrue(millis < 5_000, "acquire took " + millis + " ms");
                assertTrue(out.toString().contains("broke the lock of ci@" + HERE + " (pid " + me + ", no longer running: pid " + me
                        + " is gone; the number now belongs to a process started at "), out.toString());
                var mine = DeployLock.holder(TestHost.docker(), app).orElseThrow();
                assertTrue(mine.onThisMachine() && !mine.stale() && mine.pidStarted() != null, mine.toString());
            }
            // With the right start time the same pid is alive: the lock is refused, not broken.
            lockAs(app, labels("ci@" + HERE, HERE, Instant.now().toString(), me, myStart.toString()));
            var e = assertThrows(DeployError.class, () -> DeployLock.acquire(TestHost.docker(), app, "deploy to test", Duration.ZERO,
                    new PrintWriter(new StringWriter()), Cancellation.none()));
            assertEquals(4, e.exitCode(), e.getMessage());
        } finally {
            TestHost.removeApp(app);
        }
    }

    @Test
    void unlockRefusesALiveHolderOfThisMachineUnlessForcedAndBreaksADeadOneAtOnce() throws Exception {
        String app = "lkunlock-" + Long.toString(System.nanoTime() % 46656, 36);
        try {
            // This very JVM, with its real start time: a deploy in progress on this machine.
            long me = ProcessHandle.current().pid();
            Instant myStart = ProcessHandle.current().info().startInstant().orElseThrow();
            lockAs(app, labels("ci@" + HERE, HERE, Instant.now().toString(), me, myStart.toString()));
            String id = DeployLock.holder(TestHost.docker(), app).orElseThrow().containerId();

            var refused = TestApp.run("unlock", "--app", app);
            assertEquals(4, refused.code(), refused.toString());
            assertTrue(refused.err().contains("app " + app + " is locked by ci@" + HERE + " (pid " + me + ")")
                    && refused.err().contains("its process still runs on this machine")
                    && refused.err().contains("deploy.java unlock --app " + app + " --force"), refused.err());
            assertEquals(1, refused.err().strip().lines().count(), refused.err());
            assertEquals(id, DeployLock.holder(TestHost.docker(), app).orElseThrow().containerId(), "lock untouched");

            var forced = TestApp.run("unlock", "--app", app, "--force");
            assertEquals(0, forced.code(), forced.toString());
            assertTrue(forced.out().contains("released the lock of " + app + ", held by ci@" + HERE), forced.out());
            assertTrue(forced.err().contains("warning: its process still runs on this machine"), forced.err());
            assertTrue(DeployLock.holder(TestHost.docker(), app).isEmpty());

            // The holder's labels are the host's word: printed without their control characters.
            Map<String, String> odd = labels("ci\u001b[2J@" + HERE, HERE, Instant.now().toString(), me, myStart.toString());
            odd.put(Labels.LOCK_PURPOSE, "deploy\nFORGED\u0007");
            lockAs(app, odd);
            var oddRefusal = TestApp.run("unlock", "--app", app);
            assertEquals(4, oddRefusal.code(), oddRefusal.toString());
            assertTrue(oddRefusal.err().contains("ci?[2J@" + HERE) && oddRefusal.err().contains("for: deploy?FORGED?"), oddRefusal.err());
            String oddStatus = DeployLock.describeForStatus(app, DeployLock.holder(TestHost.docker(), app), Instant.now());
            assertTrue((oddRefusal.err().strip() + oddStatus).chars().noneMatch(Character::isISOControl), oddStatus);
            assertEquals(0, TestApp.run("unlock", "--app", app, "--force").code());

            // Provably dead: nothing to protect, no --force needed.
            var dead = new ProcessBuilder("sleep", "0.1").start();
            assertTrue(dead.waitFor(10, TimeUnit.SECONDS));
            lockAs(app, labels("ci@" + HERE, HERE, Instant.now().toString(), dead.pid(), null));
            var broken = TestApp.run("unlock", "--app", app);
            assertEquals(0, broken.code(), broken.toString());
            assertTrue(broken.out().contains("released the lock of " + app) && broken.out().contains("no longer running: pid " + dead.pid() + " is gone"),
                    broken.out());
            assertEquals("", broken.err());
        } finally {
            TestHost.removeApp(app);
        }
    }

    @Test
    void aLiveLookingLockFromAnotherMachineIsNeverBrokenAndTheRefusalSaysHowToUnlock() throws Exception {
        try (TestApp app = new TestApp("lkother")) {
            // pid 1 of another machine: nothing here can tell whether it runs, however old the lock.
            lockAs(app.name, labels("ci@lk-other-machine", "lk-other-machine", Instant.now().minus(Duration.ofHours(3)).toString(), 1, null));
            var holder = DeployLock.holder(TestHost.docker(), app.name).orElseThrow();
            assertFalse(holder.onThisMachine() || holder.stale(), holder.toString());
            String status = DeployLock.describeForStatus(app.name, java.util.Optional.of(holder), Instant.now());
            assertTrue(status.contains("taken on another machine (lk-other-machine); if that deploy is dead: deploy.java unlock --app " + app.name), status);

            var r = app.deploy("v1", "--wait-lock", "1s");
            assertEquals(4, r.code(), r.toString());
            assertTrue(r.err().contains("it was taken on another machine (lk-other-machine), which this deploy cannot check, so breaking it stays explicit")
                    && r.err().contains("held for 3h; if that deploy is dead, run: deploy.java unlock --app " + app.name), r.err());
            assertFalse(r.out().contains("broke the lock"), r.out());
            assertEquals(holder.containerId(), DeployLock.holder(TestHost.docker(), app.name).orElseThrow().containerId(), "lock untouched");

            // Nothing here can tell whether it runs: breaking it takes --force, and says what that risks.
            var refused = TestApp.run("unlock", "--app", app.name);
            assertEquals(4, refused.code(), refused.toString());
            assertTrue(refused.err().contains("it was taken on another machine (lk-other-machine), which this machine cannot check")
                    && refused.err().contains("if that deploy is dead, run: deploy.java unlock --app " + app.name + " --force"), refused.err());
            assertEquals(holder.containerId(), DeployLock.holder(TestHost.docker(), app.name).orElseThrow().containerId(), "lock untouched");
            var unlock = TestApp.run("unlock", "--app", app.name, "--force");
            assertEquals(0, unlock.code(), unlock.toString());
            assertTrue(unlock.out().contains("released the lock of " + app.name), unlock.out());
            assertTrue(unlock.err().contains("warning: it was taken on another machine (lk-other-machine)"), unlock.err());
            assertEquals(0, app.deploy("v1").code());

            // Same host name, other pid namespace (a container with the host's name): its dead-looking pid proves nothing.
            var exited = new ProcessBuilder("sleep", "0.1").start();
            assertTrue(exited.waitFor(10, TimeUnit.SECONDS));
            Map<String, String> container = labels("ci@" + HERE, HERE, Instant.now().toString(), exited.pid(), null);
            container.put(Labels.LOCK_PROCESS_SPACE, "another-boot pid:[1]");
            lockAs(app.name, container);
            assertFalse(DeployLock.holder(TestHost.docker(), app.name).orElseThrow().stale());
            var e = assertThrows(DeployError.class, () -> DeployLock.acquire(TestHost.docker(), app.name, "deploy to test", Duration.ZERO,
                    new PrintWriter(new StringWriter()), Cancellation.none()));
            assertTrue(e.exitCode() == 4 && e.getMessage().contains("it was taken on another container or boot of " + HERE), e.getMessage());
        }
    }

    @Test
    void malformedOrMissingLabelsAreUnknownAndNeverCrashAcquireHolderOrUnlock() throws Exception {
        String app = "lkbadlabel-" + Long.toString(System.nanoTime() % 46656, 36);
        try {
            // No labels but the role: nothing known about the holder, so nothing to break it on.
            lockAs(app, Map.of(Labels.ROLE, "lock"));
            var unknown = DeployLock.holder(TestHost.docker(), app).orElseThrow();
            assertTrue(unknown.since() == null && unknown.host() == null && !unknown.stale(), unknown.toString());
            assertTrue(DeployLock.describeForStatus(app, java.util.Optional.of(unknown), Instant.now()).contains("since an unknown time"));
            var e = assertThrows(DeployError.class, () -> DeployLock.acquire(TestHost.docker(), app, "deploy to test", Duration.ZERO,
                    new PrintWriter(new StringWriter()), Cancellation.none()));
            assertEquals(4, e.exitCode(), e.getMessage());
            assertTrue(e.getMessage().contains("it was taken on an unknown machine, which this deploy cannot check, so breaking it stays explicit"), e.getMessage());
            assertEquals(4, TestApp.run("unlock", "--app", app).code());
            var unlock = TestApp.run("unlock", "--app", app, "--force");
            assertEquals(0, unlock.code(), unlock.toString());
            assertTrue(DeployLock.holder(TestHost.docker(), app).isEmpty());

            // Malformed dates, and a dead pid of this machine: still provably dead, still broken.
            var dead = new ProcessBuilder("sleep", "0.1").start();
            assertTrue(dead.waitFor(10, TimeUnit.SECONDS));
            lockAs(app, labels("ci@" + HERE, HERE, "yesterday at noon", dead.pid(), "not-a-time"));
            var h = DeployLock.holder(TestHost.docker(), app).orElseThrow();
            assertTrue(h.since() == null && h.pidStarted() == null && h.stale(), h.toString());
            StringWriter out = new StringWriter();
            DeployLock.acquire(TestHost.docker(), app, "deploy to test", Duration.ZERO, new PrintWriter(out, true), Cancellation.none()).close();
            assertTrue(out.toString().contains("broke the lock of ci@" + HERE + " (pid " + dead.pid() + ", no longer running"), out.toString());

            lockAs(app, labels("ci@" + HERE, HERE, "2024-13-45T99:99:99Z", 1, "garbage"));
            // pid 1 of this machine runs, and the malformed start time cannot prove it is another process.
            var unlockMalformed = TestApp.run("unlock", "--app", app, "--force");
            assertEquals(0, unlockMalformed.code(), unlockMalformed.toString());
            assertTrue(DeployLock.holder(TestHost.docker(), app).isEmpty());
        } finally {
            TestHost.removeApp(app);
        }
    }

    /** Labels of a lock as a deploy writes them; a null value is left out. */
    static Map<String, String> labels(String who, String host, String at, long pid, String pidStarted) {
        Map<String, String> l = new LinkedHashMap<>();
        l.put(Labels.ROLE, "lock");
        l.put(Labels.DEPLOYED_BY, who);
        l.put(Labels.LOCK_HOST, host);
        l.put(Labels.DEPLOYED_AT, at);
        l.put(Labels.LOCK_PURPOSE, "deploy to test");
        l.put(Labels.LOCK_PID, String.valueOf(pid));
        if (pidStarted != null) l.put(Labels.LOCK_PID_STARTED, pidStarted);
        return l;
    }

    /** Plants a lock container as another deploy would have left it. */
    static void lockAs(String app, Map<String, String> labels) {
        Map<String, String> l = new LinkedHashMap<>(labels);
        l.put(Labels.APP, app);
        TestHost.docker().createContainerCmd(MarkerImage.ensure(TestHost.docker())).withName(DeployLock.name(app))
                .withLabels(l).withCmd("/lock").exec();
    }
}
