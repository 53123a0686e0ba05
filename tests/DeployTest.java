import lib.model.Colour;
import lib.host.HostReader;
import lib.model.HostState;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The happy paths, end to end on the real engine, checked through the passive front nginx. */
class DeployTest {

    /** The probe's loop needs a shell; an image with wget and no shell is probed one exec per try. */
    @Test
    void anImageWithWgetButNoShellIsProbedOneExecAtATime() throws Exception {
        try (TestApp app = new TestApp("nosh")) {
            String image = "bgtest-nosh-" + app.name;
            httpdImage(image, "v1");
            try {
                java.nio.file.Files.writeString(app.composeFile, "services:\n  app:\n    image: " + image + ":${DEPLOY_RELEASE}\n    init: true\n"
                        + "    ports: [\"127.0.0.1:${DEPLOY_PORT}:80\"]\n");
                var r = app.deploy("v1", "--probe", "/version.txt");
                assertEquals(0, r.code(), r.toString());
                assertTrue(r.out().contains("probe runs in " + app.name + "-blue-app-1 on the Docker host: wget"), r.out());
                // init: true: PID 1 is docker-init, which forwards SIGTERM to httpd, and httpd dies of it.
                assertFalse(r.out().contains("does not handle") || r.out().contains("ignores SIGTERM"), r.out());
                assertEquals(1, TestHost.docker().listContainersCmd().withNameFilter(List.of(app.name + "-blue-app-1")).exec().size());
            } finally {
                TestHost.removeApp(app.name);
                TestHost.docker().removeImageCmd(image + ":v1").withForce(true).exec();
            }
        }
    }

    /**
     * Behind the passive front the old colour serves until it is down. An httpd that is PID 1 ignores SIGTERM, so a
     * graceful stop would keep v1 serving next to v2 for its whole grace period and then kill it anyway.
     */
    @Test
    void pastTheGateAnOldColourThatIgnoresItsStopSignalIsKilledAtOnce() throws Exception {
        try (TestApp app = new TestApp("wtbkill")) {
            String image = "bgtest-wtbkill-" + app.name;
            httpdImage(image, "v1", "v2");
            try {
                java.nio.file.Files.writeString(app.composeFile, "services:\n  app:\n    image: " + image + ":${DEPLOY_RELEASE}\n"
                        + "    ports: [\"127.0.0.1:${DEPLOY_PORT}:80\"]\n    stop_grace_period: 60s\n");
                var first = app.deploy("v1", "--probe", "/version.txt", "--front", "passive");
                assertEquals(0, first.code(), first.toString());
                assertTrue(first.out().contains("app's PID 1 (busybox) does not handle SIGTERM"), first.out());

                long t0 = System.nanoTime();
                var second = app.deploy("v2", "--probe", "/version.txt", "--front", "passive");
                long tookSeconds = (System.nanoTime() - t0) / 1_000_000_000L;
                assertEquals(0, second.code(), second.toString());
                assertEquals(1, second.out().lines().filter(l -> l.contains("app's PID 1 (busybox) does not handle SIGTERM: killed at once")).count(), second.out());
                assertTrue(tookSeconds < 30, "the deploy waited for the 60s grace period: " + tookSeconds + "s\n" + second.out());
                var old = TestHost.docker().inspectContainerCmd(app.name + "-blue-app-1").exec().getState();
                assertEquals(false, old.getRunning());
                assertEquals(137L, old.getExitCodeLong(), "killed");
                assertEquals("stopped", state(app).blue().condition(), "kept stopped for a fast rollback");
            } finally {
                TestHost.removeApp(app.name);
                TestHost.docker().removeImageCmd(image + ":v1").withForce(true).exec();
                TestHost.docker().removeImageCmd(image + ":v2").withForce(true).exec();
            }
        }
    }

    /** busybox httpd as PID 1 (exec-form CMD, no shell), with wget for the probe; it ignores SIGTERM. */
    static void httpdImage(String image, String... tags) throws Exception {
        Path ctx = java.nio.file.Files.createTempDirectory("bgtest-httpd");
        try {
            java.nio.file.Files.copy(Path.of("/bin/busybox"), ctx.resolve("busybox"));
            java.nio.file.Files.createDirectories(ctx.resolve("www"));
            java.nio.file.Files.writeString(ctx.resolve("www/version.txt"), "v1\n");
            java.nio.file.Files.writeString(ctx.resolve("Dockerfile"), """
                    FROM scratch
                    COPY busybox /bin/busybox
                    COPY www /www
                    RUN ["/bin/busybox", "ln", "-s", "/bin/busybox", "/bin/wget"]
                    CMD ["/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www"]
                    """);
            java.util.Set<String> named = java.util.Arrays.stream(tags).map(t -> image + ":" + t).collect(java.util.stream.Collectors.toSet());
            TestHost.docker().buildImageCmd(ctx.toFile()).withTags(named).withPull(false)
                    .exec(new com.github.dockerjava.api.command.BuildImageResultCallback()).awaitImageId(2, java.util.concurrent.TimeUnit.MINUTES);
        } finally {
            ExampleImages.deleteTree(ctx);
        }
    }

    @Test
    void firstDeployThenV2ThenV3AreServedThroughTheFrontWithoutAFailedGet() throws Exception {
        try (TestApp app = new TestApp("deploy")) {
            var r = app.deploy("v1");
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().contains("nothing deployed yet"), r.toString());
            assertEquals("v1", app.front().get("/version.txt"));
            assertEquals(Colour.BLUE, state(app).live().orElseThrow());

            try (var load = app.load()) {
                r = app.deploy("v2");
                assertEquals(0, r.code(), r.toString());
                assertEquals("v2", app.front().get("/version.txt"));
                assertEquals(Colour.GREEN, state(app).live().orElseThrow());

                r = app.deploy("v3");
                assertEquals(0, r.code(), r.toString());
                assertEquals("v3", app.front().get("/version.txt"));
                load.close();
                assertEquals(List.of(), load.failures(), "GETs through the front failed during the deploys");
                assertTrue(load.answers.size() > 20, "the load ran: " + load.answers.size());
                assertTrue(load.answers.contains("v1") && load.answers.contains("v3"), "served both old and new");
            }
            HostState s = state(app);
            assertEquals(Colour.BLUE, s.live().orElseThrow());
            assertEquals("stopped", s.green().condition(), "the old colour is kept stopped for a fast rollback");
            assertEquals("v3", s.blue().release());
        }
    }

    @Test
    void appSlowerThanAnyFixedSleepDeploysWithNoFailedGet() throws Exception {
        try (TestApp app = new TestApp("slow")) {
            assertEquals(0, app.deploy("v1").code());
            try (var load = app.load()) {
                long t0 = System.nanoTime();
                var r = app.deploy("slow");
                long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
                load.close();
                assertEquals(0, r.code(), r.toString());
                assertTrue(seconds >= 14, "the gate waited for the 14 s start, took " + seconds + " s");
                assertEquals(List.of(), load.failures());
            }
            assertEquals("slow", app.front().get("/version.txt"));
        }
    }

    @Test
    void statusShowsLiveColourReleaseAndWhoAndExitsOneWhenNothingServes() throws Exception {
        try (TestApp app = new TestApp("status")) {
            var none = TestApp.run("status", "--app", app.name);
            assertEquals(1, none.code(), none.toString());
            assertTrue(none.out().contains("nothing deployed yet"), none.toString());

            assertEquals(0, app.deploy("v1").code());
            var r = TestApp.run("status", "--app", app.name);
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().matches("(?s).*blue\\s+LIVE\\s+running\\s+release v1\\s+since .* by .*"), r.out());
            assertTrue(r.out().contains(app.name + "-blue-app-1  running (healthy)"), r.out());
            assertTrue(r.out().contains("lock: free"), r.out());
        }
    }

    @Test
    void dryRunPrintsThePlanAndChangesNothing() throws Exception {
        try (TestApp app = new TestApp("dry")) {
            assertEquals(0, app.deploy("v1").code());
            var r = app.deploy("v2", "--dry-run");
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().contains("create and start " + app.name + "-green-app-1 from bgtest-app:v2"), r.out());
            assertTrue(r.out().contains("retire blue (release v1): stop it gracefully and keep it for a rollback"), r.out());
            HostState s = state(app);
            assertTrue(s.green().empty());
            assertEquals("v1", s.blue().release());
        }
    }

    /**
     * A pull that takes longer than the puller's 200 ms poll arrives whole. docker-java's awaitCompletion(timeout)
     * closes the stream it waits on, so a pull polled with it was cut at the first poll: the daemon abandoned it, the
     * deploy said "pulled", found no image and failed (seen under load even with small images).
     */
    @Test
    void aPullSlowerThanThePollArrivesWhole() throws Exception {
        try (TestRegistry registry = new TestRegistry(); TestApp app = new TestApp("bigpull")) {
            String image = registry.address + "/" + app.name + "-app";
            Path ctx = java.nio.file.Files.createDirectory(app.dir.resolve("big"));
            byte[] noise = new byte[48 << 20]; // random, so neither the push nor the pull can compress it away
            new java.util.Random(1).nextBytes(noise);
            java.nio.file.Files.write(ctx.resolve("noise"), noise);
            java.nio.file.Files.writeString(ctx.resolve("Dockerfile"), "FROM " + TestHost.APP_REPO + ":v1\nCOPY noise /noise\n");
            try {
                for (List<String> cmd : List.of(List.of("docker", "build", "-q", "-t", image + ":v1", ctx.toString()),
                        List.of("docker", "push", "-q", image + ":v1"), List.of("docker", "rmi", image + ":v1"))) {
                    var p = new org.zeroturnaround.exec.ProcessExecutor().command(cmd).readOutput(true).timeout(3, java.util.concurrent.TimeUnit.MINUTES).execute();
                    assertEquals(0, p.getExitValue(), cmd + ": " + p.outputUTF8());
                }
                java.nio.file.Files.writeString(app.composeFile, TestApp.COMPOSE.replace(TestHost.APP_REPO + ":${DEPLOY_RELEASE}", image + ":${DEPLOY_RELEASE}"));
                long t0 = System.nanoTime();
                var r = app.deploy("v1", "--pull", "missing"); // the app image only: the web image is not in this registry
                assertEquals(0, r.code(), r.toString());
                assertTrue(r.out().contains("pulled " + image + ":v1") && !r.out().contains("did not leave it on the host"), r.out());
                assertEquals("v1", app.front().get("/version.txt"));
                System.out.println("    deploy with a 48 MB pull took " + (System.nanoTime() - t0) / 1_000_000 + " ms");
            } finally {
                TestHost.removeApp(app.name);
                try {
                    TestHost.docker().removeImageCmd(image + ":v1").withForce(true).exec();
                } catch (com.github.dockerjava.api.exception.NotFoundException gone) {
                    // the deploy failed before its pull
                }
            }
        }
    }

    @Test
    void recreateStrategyReplacesTheLiveColourAndRestartsItWhenTheNewOneFails() throws Exception {
        try (TestApp app = new TestApp("recreate")) {
            assertEquals(0, app.deploy("v1").code());
            var r = app.deploy("v2", "--strategy", "recreate");
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().indexOf("stop blue first") < r.out().indexOf("start green"), r.out());
            assertEquals("v2", app.front().get("/version.txt"));

            var bad = app.deploy("crash", "--strategy", "recreate");
            assertEquals(1, bad.code(), bad.toString());
            assertTrue(bad.out().contains("start green again") && bad.out().contains("started " + app.name + "-green-web-1"), bad.toString());
            assertEquals("v2", app.front().get("/version.txt"));
        }
    }

    @Test
    void perColourFilesOfTheShellVersionWorkAndDockerComposeSeesOurContainers() throws Exception {
        try (TestApp app = new TestApp("percolour")) {
            for (var c : Colour.values()) {
                int port = c == Colour.BLUE ? app.bluePort : app.greenPort;
                java.nio.file.Files.writeString(app.dir.resolve("docker-compose." + c.id() + ".yml"),
                        TestApp.COMPOSE.replace("${DEPLOY_PORT}", String.valueOf(port)));
            }
            var r = TestApp.run("--app", app.name, "-f", app.dir.resolve("docker-compose.{colour}.yml").toString(),
                    "--release", "v1", "--probe", "/health.txt", "--pull", "never");
            assertEquals(0, r.code(), r.toString());
            assertEquals("v1", app.front().get("/version.txt"));

            var ps = new org.zeroturnaround.exec.ProcessExecutor()
                    .command("docker-compose", "-p", app.name + "-blue", "-f", app.dir.resolve("docker-compose.blue.yml").toString(), "ps")
                    .environment("DEPLOY_RELEASE", "v1").readOutput(true).execute();
            assertEquals(0, ps.getExitValue(), ps.outputUTF8());
            assertTrue(ps.outputUTF8().contains(app.name + "-blue-web-1"), ps.outputUTF8());
            assertTrue(ps.outputUTF8().contains(app.name + "-blue-app-1"), ps.outputUTF8());
        }
    }

    @Test
    void removeOldRemovesThePreviousColourAndHistoryRecordsEveryDeploy() throws Exception {
        try (TestApp app = new TestApp("history")) {
            assertEquals(0, app.deploy("v1").code());
            assertEquals(0, app.deploy("v2", "--remove-old").code());
            assertTrue(state(app).blue().empty(), "--remove-old removed blue");
            assertEquals(1, app.deploy("crash").code());

            var h = TestApp.run("history", "--app", app.name);
            assertEquals(0, h.code(), h.toString());
            List<String> rows = h.out().lines().skip(1).toList();
            assertEquals(3, rows.size(), h.out());
            assertTrue(rows.get(0).matches(".*deploy\\s+v1\\s+blue\\s+-\\s+ok .*"), rows.get(0));
            assertTrue(rows.get(1).matches(".*deploy\\s+v2\\s+green\\s+v1\\s+ok .*"), rows.get(1));
            assertTrue(rows.get(2).matches(".*deploy\\s+crash\\s+blue\\s+v2\\s+failed .*(crashed|exited with code 1).*"), rows.get(2));
            assertTrue(rows.get(2).contains(lib.base.Operator.name()), rows.get(2));
        }
    }

    static HostState state(TestApp app) {
        return HostReader.read(TestHost.docker(), app.name);
    }
}
