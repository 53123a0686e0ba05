import lib.DeployLock;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two deploys of one app never interleave: the second fails clearly, or waits when asked to. */
class LockTest {

    @Test
    void secondDeployFailsWithExitFourWhileTheFirstHoldsTheLockThenWaitingWorks() throws Exception {
        try (TestApp app = new TestApp("lock")) {
            assertEquals(0, app.deploy("v1").code());
            var first = CompletableFuture.supplyAsync(() -> app.deploy("slow"));
            long deadline = System.currentTimeMillis() + 30_000;
            while (DeployLock.holder(TestHost.docker(), app.name).isEmpty() && System.currentTimeMillis() < deadline) Thread.sleep(100);

            var second = app.deploy("v2");
            assertEquals(4, second.code(), second.toString());
            assertTrue(second.err().contains("app " + app.name + " is locked by ") && second.err().contains("deploy.java unlock --app " + app.name),
                    second.err());

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
    void aLockLeftByADeadDeployIsReportedAndBrokenWithUnlock() throws Exception {
        try (TestApp app = new TestApp("stale")) {
            // A lock as a killed deploy leaves it: held by a process of this machine that no longer exists.
            var dead = new ProcessBuilder("true").start();
            dead.waitFor();
            TestHost.docker().createContainerCmd(lib.MarkerImage.ensure(TestHost.docker())).withName(DeployLock.name(app.name))
                    .withLabels(java.util.Map.of(lib.Labels.ROLE, "lock", lib.Labels.APP, app.name,
                            lib.Labels.DEPLOYED_BY, DeployLock.whoAmI(), lib.Labels.DEPLOYED_AT, java.time.Instant.now().toString(),
                            lib.Labels.LOCK_PURPOSE, "deploy to test", lib.Labels.LOCK_PID, String.valueOf(dead.pid())))
                    .withCmd("/lock").exec();
            var r = app.deploy("v1");
            assertEquals(4, r.code(), r.toString());
            assertTrue(r.err().contains("it looks stale"), r.err());

            var unlock = TestApp.run("unlock", "--app", app.name);
            assertEquals(0, unlock.code(), unlock.toString());
            assertTrue(unlock.out().contains("released the lock of " + app.name), unlock.out());
            assertEquals(0, app.deploy("v1").code());
        }
    }
}
