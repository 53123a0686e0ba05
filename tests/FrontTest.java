import lib.front.FrontSwitch;
import lib.model.FrontSettings;
import lib.front.ManagedFront;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The managed front: atomic switch, exact drain, and a bad upstream that never goes live. */
class FrontTest {
    static String[] managed(TestApp app, int frontPort) {
        return new String[]{"--front", "managed", "--front-port", String.valueOf(frontPort), "--front-image", TestHost.WEB};
    }

    static String get(int port, String path) {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? r.body().trim() : "ERR " + r.statusCode();
        } catch (Exception e) {
            return "ERR " + e.getClass().getSimpleName();
        }
    }

    @Test
    void switchUnderLoadLosesNoRequestAndNoOldVersionAnswersAfterTheSwitch() throws Exception {
        try (TestApp app = new TestApp("managed")) {
            int port = TestHost.freePort();
            var r = app.deploy("v1", managed(app, port));
            assertEquals(0, r.code(), r.toString());
            assertEquals("v1", get(port, "/version.txt"));
            try (var load = new TestApp.Load(port, "/version.txt", 20_000, 120_000)) {
                for (String v : new String[]{"v2", "v3"}) {
                    r = app.deploy(v, managed(app, port));
                    assertEquals(0, r.code(), r.toString());
                    long switchedAt = System.nanoTime();
                    assertTrue(r.out().contains("front now sends every new request to " + app.name), r.out());
                    assertEquals(v, get(port, "/version.txt"));
                    Thread.sleep(300);
                    assertTrue(!load.answersSince(switchedAt).isEmpty() && load.answersSince(switchedAt).stream().allMatch(v::equals), "only " + v + " after the switch: " + load.answersSince(switchedAt));
                }
                load.close();
                assertEquals(List.of(), load.failures());
                assertTrue(load.answers.size() > 20, "the load ran");
            }
            var status = TestApp.run("status", "--app", app.name);
            assertTrue(status.out().contains("managed front " + app.name + "-front: running, sends traffic to " + app.name + "-blue-web-1:80"), status.out());
        }
    }

    @Test
    void rollbackSwitchesTheManagedFrontBackWithoutAFailedRequest() throws Exception {
        try (TestApp app = new TestApp("frontroll")) {
            int port = TestHost.freePort();
            assertEquals(0, app.deploy("v1", managed(app, port)).code());
            assertEquals(0, app.deploy("v2", managed(app, port)).code());
            try (var load = new TestApp.Load(port, "/version.txt", 5_000, 60_000)) {
                var r = Commands.rollback(app, managed(app, port));
                assertEquals(0, r.code(), r.toString());
                assertTrue(r.out().contains("fast path") && r.out().contains("switch the front to blue"), r.out());
                long switched = System.nanoTime();
                assertEquals("v1", get(port, "/version.txt"));
                Thread.sleep(300);
                load.close();
                assertEquals(List.of(), load.failures());
                assertTrue(!load.answersSince(switched).isEmpty() && load.answersSince(switched).stream().allMatch("v1"::equals), load.answersSince(switched).toString());
            }
            var status = TestApp.run("status", "--app", app.name);
            assertTrue(status.out().contains("sends traffic to " + app.name + "-blue-web-1:80"), status.out());
        }
    }

    @Test
    void drainWaitsForASlowRequestOnTheOldColourBeforeStoppingIt() throws Exception {
        try (TestApp app = new TestApp("drain")) {
            int port = TestHost.freePort();
            assertEquals(0, app.deploy("v1", managed(app, port)).code());
            // The deploy runs beside the test; the slow POST (1.5 s) starts once the gate begins, so it is in flight on
            // blue when the front switches, and --keep-old stopped makes the retire really stop blue after the drain.
            var gateBegins = new java.util.concurrent.CountDownLatch(1);
            var out = new StringWriter() {
                @Override
                public void write(String str, int off, int len) {
                    super.write(str, off, len);
                    if (toString().contains("==> health gate")) gateBegins.countDown();
                }
            };
            var err = new StringWriter();
            var deploying = CompletableFuture.supplyAsync(() -> {
                var cl = lib.cli.Cli.commandLine(new deploy());
                cl.setOut(new PrintWriter(out, true));
                cl.setErr(new PrintWriter(err, true));
                return cl.execute(app.deployArgs("v2", Commands.concat(managed(app, port), "--keep-old", "stopped")).toArray(new String[0]));
            });
            assertTrue(gateBegins.await(60, java.util.concurrent.TimeUnit.SECONDS), out.toString());
            var slow = CompletableFuture.supplyAsync(() -> {
                try {
                    HttpResponse<String> resp = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/cgi-bin/slow"))
                            .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
                    return resp.statusCode() + " " + resp.body().trim() + " " + java.time.Instant.now();
                } catch (Exception e) {
                    return "ERR " + e;
                }
            });
            assertEquals(0, deploying.get(120, java.util.concurrent.TimeUnit.SECONDS), out + "\n" + err);
            String answer = slow.get();
            assertTrue(answer.startsWith("200 v1 "), "the in-flight POST finished on the old colour: " + answer + "\n" + out);
            var blue = TestHost.docker().inspectContainerCmd(app.name + "-blue-web-1").exec().getState();
            assertTrue(!Boolean.TRUE.equals(blue.getRunning()), "--keep-old stopped stopped blue");
            java.time.Instant answered = java.time.Instant.parse(answer.split(" ")[2]);
            java.time.Instant stopped = java.time.Instant.parse(blue.getFinishedAt());
            assertTrue(answered.isBefore(stopped), "blue stopped (" + stopped + ") only after the POST was answered (" + answered + ")");
            assertTrue(out.toString().matches("(?s).*drained: in-flight requests on the old colour finished in \\d+ ms.*"), out.toString());
        }
    }

    @Test
    void aFrontTooSlowToAnswerIsNotCalledARejectedConfigurationAndKeepsItsUpstream() throws Exception {
        TestHost.images();
        String app = "slowfront-" + Integer.toString(java.util.concurrent.ThreadLocalRandom.current().nextInt(36 * 36 * 36), 36);
        var docker = TestHost.docker();
        // A "front" whose nginx never answers (an overloaded host, say) and whose PID 1 shrugs off the SIGHUP.
        String script = "printf '#!/bin/sh\\nexec sleep 3600\\n' > /bin/nginx && chmod +x /bin/nginx && mkdir -p /etc/nginx/bgdeploy"
                + " && printf 'upstream bgdeploy_live {\\n    server before:80;\\n}\\n' > /etc/nginx/bgdeploy/upstream.conf"
                + " && trap '' HUP && while :; do sleep 1; done";
        String id = docker.createContainerCmd(TestHost.APP_REPO + ":v1").withName(ManagedFront.containerName(app))
                .withEntrypoint("sh").withCmd("-c", script).exec().getId();
        try {
            docker.startContainerCmd(id).exec();
            Thread.sleep(1000);
            var sink = new StringWriter();
            ManagedFront front = new ManagedFront(docker, app, FrontSettings.managedDefaults(), new PrintWriter(sink));
            FrontSwitch frontSwitch = new FrontSwitch(front, new PrintWriter(sink));
            var e = assertThrows(lib.base.DeployError.class, () -> frontSwitch.switchTo("after:80", "before:80"));
            assertEquals(lib.base.ExitCode.DOCKER, e.exitCode(), e.getMessage());
            assertTrue(e.getMessage().contains("did not finish `nginx -t -q`") && e.getMessage().contains("keeps serving the previous colour"), e.getMessage());
            assertTrue(!e.getMessage().contains("rejected"), "a slow nginx is not a verdict on the file: " + e.getMessage());
            assertEquals("before:80", front.liveTarget().orElseThrow(), "the previous upstream is back");
        } finally {
            docker.removeContainerCmd(id).withForce(true).exec();
        }
    }

    @Test
    void aFrontRenamedByHandIsStillFoundByItsLabelsAndNamedSo() throws Exception {
        try (TestApp app = new TestApp("renfront")) {
            int port = TestHost.freePort();
            assertEquals(0, app.deploy("v1", managed(app, port)).code());
            TestHost.docker().renameContainerCmd(ManagedFront.containerName(app.name)).withName(app.name + "-edge").exec();
            var status = TestApp.run("status", "--app", app.name);
            assertEquals(0, status.code(), status.toString());
            assertTrue(status.out().contains("managed front " + app.name + "-edge (renamed by hand from " + app.name + "-front): running, sends traffic to "
                    + app.name + "-blue-web-1:80"), status.out());
            assertEquals(0, app.deploy("v2", managed(app, port)).code(), "the next deploy switches the renamed front");
            assertEquals("v2", get(port, "/version.txt"));
        }
    }

    @Test
    void aRunThatAsksTheFrontForAnotherPortIsRefusedSayingHowNeverIgnored() throws Exception {
        try (TestApp app = new TestApp("movefront")) {
            int port = TestHost.freePort();
            assertEquals(0, app.deploy("v1", managed(app, port)).code());
            int other = TestHost.freePort();
            var r = app.deploy("v2", "--front-port", String.valueOf(other)); // the rest of the front as the host recorded it
            assertEquals(2, r.code(), r.toString());
            assertTrue(r.err().contains("runs on 127.0.0.1:" + port + " from " + TestHost.WEB + " and this run asks for 127.0.0.1:" + other)
                    && r.err().contains("docker rm -f " + ManagedFront.containerName(app.name)), r.err());
            assertEquals("v1", get(port, "/version.txt"), "the front still serves where it was");
        }
    }

    @Test
    void aBadUpstreamNeverGoesLiveAndAFrontChangedByHandIsRepaired() throws Exception {
        try (TestApp app = new TestApp("badfront")) {
            int port = TestHost.freePort();
            assertEquals(0, app.deploy("v1", managed(app, port)).code());
            var sink = new StringWriter();
            ManagedFront front = new ManagedFront(TestHost.docker(), app.name, FrontSettings.managedDefaults(), new PrintWriter(sink));
            FrontSwitch frontSwitch = new FrontSwitch(front, new PrintWriter(sink));
            var e = assertThrows(lib.base.DeployError.class, () -> frontSwitch.switchTo("no-such-container-anywhere:80"));
            assertTrue(e.getMessage().contains("the front rejected the new configuration (nginx:"), e.getMessage());
            assertEquals(app.name + "-blue-web-1:80", front.liveTarget().orElseThrow());
            assertEquals("v1", get(port, "/version.txt"));

            // Someone edits the front by hand; the next deploy notices and restores it before switching.
            TestHost.docker().copyArchiveToContainerCmd(ManagedFront.containerName(app.name)).withRemotePath("/etc/nginx")
                    .withTarInputStream(new java.io.ByteArrayInputStream(lib.docker.Tar.of(java.util.Map.of("bgdeploy/upstream.conf",
                            "upstream bgdeploy_live { server 127.0.0.1:9; }\n".getBytes())))).exec();
            var r = app.deploy("v2", managed(app, port));
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().contains("configuration differs from what the live colour needs"), r.out());
            assertEquals("v2", get(port, "/version.txt"));

            // And a front that was removed is created again.
            TestHost.docker().removeContainerCmd(ManagedFront.containerName(app.name)).withForce(true).exec();
            r = app.deploy("v3", managed(app, port));
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().contains("creating the managed front"), r.out());
            assertEquals("v3", get(port, "/version.txt"));
        }
    }

    @Test
    void statusTellsAStoppedOrMissingFrontAndExitsOneAndTheNextDeployBringsItBack() throws Exception {
        try (TestApp app = new TestApp("frontdown")) {
            int port = TestHost.freePort();
            assertEquals(0, app.deploy("v1", managed(app, port)).code());
            var up = TestApp.run("status", "--app", app.name);
            assertEquals(0, up.code(), up.toString());

            TestHost.docker().stopContainerCmd(app.name + "-front").withTimeout(5).exec();
            var stopped = TestApp.run("status", "--app", app.name);
            assertEquals(1, stopped.code(), stopped.toString());
            assertTrue(stopped.out().contains("managed front " + app.name + "-front: EXITED") && stopped.out().contains("nothing answers on its port"), stopped.out());

            TestHost.docker().removeContainerCmd(app.name + "-front").withForce(true).exec();
            var missing = TestApp.run("status", "--app", app.name);
            assertEquals(1, missing.code(), missing.toString());
            assertTrue(missing.out().contains("managed front " + app.name + "-front: MISSING"), missing.out());

            var again = app.deploy("v2"); // no flag: the host recorded the managed front
            assertEquals(0, again.code(), again.toString());
            assertEquals("v2", get(port, "/version.txt"));
            assertEquals(0, TestApp.run("status", "--app", app.name).code());

            // the live colour's containers removed by hand: the front answers 502 to everyone, and status says so
            for (String c : List.of("web", "app")) TestHost.docker().removeContainerCmd(app.name + "-green-" + c + "-1").withForce(true).exec();
            var gone = TestApp.run("status", "--app", app.name);
            assertEquals(1, gone.code(), gone.toString());
            assertTrue(gone.out().contains("sends traffic to " + app.name + "-green-web-1:80, which is not blue, the live colour: NOTHING SERVES"), gone.out());
            assertEquals(0, app.deploy("v3").code());
            assertEquals(0, TestApp.run("status", "--app", app.name).code(), "the next deploy repairs it");
        }
    }

    /** rollback.java's slow path deploys from the Compose file: the same refusal as deploy.java, before a container starts. */
    @Test
    void aRollbackRefusesAFrontPortThatIsAColoursHostPort() throws Exception {
        try (TestApp app = new TestApp("rbport")) {
            var r = Commands.rollback(app, "fedcba9876", "-f", app.composeFile.toString(), "--pull", "never", "--front", "managed",
                    "--front-port", String.valueOf(app.greenPort), "--blue-port", String.valueOf(app.bluePort), "--green-port", String.valueOf(app.greenPort));
            assertEquals(2, r.code(), r.toString());
            assertTrue(r.err().contains("--front-port " + app.greenPort + " is also green's host port (--green-port " + app.greenPort + ")"), r.err());
            assertTrue(DeployTest.state(app).blue().empty() && DeployTest.state(app).green().empty(), "nothing started");
        }
    }
}
