import lib.base.ExitCode;
import lib.front.AccessLog;
import lib.front.WatchWindow;
import lib.host.ReleaseHistory;
import lib.model.WatchSettings;

import com.github.dockerjava.api.command.BuildImageResultCallback;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * --watch on the real engine, under GET load through the managed front: a release that starts failing half its
 * requests 5 s after the switch is switched back at once (and stays live without --watch); a healthy one keeps its
 * standby and exits 0. The load asks /cgi-bin/flaky, a CGI of the fixture app that answers its release, or, from
 * fail-after seconds after the first request it served (the switch sent it traffic), a 500 on half its requests.
 */
class WatchTest {
    static final String FLAKY = """
            #!/bin/sh
            # The release, or from /fail-after seconds after its first request (0: never) a 500 on 1 in /fail-one-in requests.
            now=$(date +%s)
            [ -f /tmp/first ] || echo "$now" > /tmp/first
            after=$(cat /fail-after)
            if [ "$after" != 0 ] && [ $((now - $(cat /tmp/first))) -ge "$after" ] && [ $((RANDOM % $(cat /fail-one-in))) = 0 ]; then
              printf 'Status: 500 Internal Server Error\\r\\nContent-Type: text/plain\\r\\n\\r\\nfailing\\n'
              exit 0
            fi
            printf 'Content-Type: text/plain\\r\\n\\r\\n'
            cat /www/version.txt
            """;

    private static boolean built;

    /** bgtest-app:RELEASE with /cgi-bin/flaky failing 1 in oneIn requests from failAfter seconds (0: never). */
    static synchronized void flaky(String release, int failAfter, int oneIn) throws Exception {
        Path ctx = Files.createTempDirectory("watch-image");
        try {
            Files.writeString(ctx.resolve("flaky"), FLAKY);
            Files.writeString(ctx.resolve("Dockerfile"), "FROM bgtest-app:v1\nENV VERSION=" + release + "\nCOPY flaky /www-image/cgi-bin/flaky\n"
                    + "RUN [\"/bin/sh\", \"-c\", \"chmod 755 /www-image/cgi-bin/flaky && mkdir -p /tmp && echo " + failAfter + " > /fail-after && echo " + oneIn + " > /fail-one-in\"]\n");
            TestHost.docker().buildImageCmd(ctx.toFile()).withTags(Set.of("bgtest-app:" + release)).withPull(false)
                    .exec(new BuildImageResultCallback()).awaitImageId(2, TimeUnit.MINUTES);
        } finally {
            ExampleImages.deleteTree(ctx);
        }
    }

    static synchronized void images() throws Exception {
        TestHost.images();
        if (built) return;
        flaky("wok1", 0, 1);
        flaky("wok2", 0, 1);
        flaky("wok3", 0, 1);
        flaky("wbad", 5, 2);
        flaky("wdown", 5, 1);
        tailFront();
        built = true;
    }

    /** The tests' front image (nginx alone, FROM scratch) with busybox's tail: the watch reads the log by `tail -c +N` in it. */
    static final String TAIL_FRONT = "bgtest-front-tail:1";

    static void tailFront() throws Exception {
        Path ctx = Files.createTempDirectory("watch-front");
        try {
            Files.copy(Path.of("/bin/busybox"), ctx.resolve("busybox"));
            Files.writeString(ctx.resolve("Dockerfile"), "FROM " + TestHost.WEB + "\nCOPY busybox /bin/busybox\n"
                    + "RUN [\"/bin/busybox\", \"ln\", \"-s\", \"/bin/busybox\", \"/bin/tail\"]\n");
            TestHost.docker().buildImageCmd(ctx.toFile()).withTags(Set.of(TAIL_FRONT)).withPull(false)
                    .exec(new BuildImageResultCallback()).awaitImageId(2, TimeUnit.MINUTES);
        } finally {
            ExampleImages.deleteTree(ctx);
        }
    }

    static String[] args(TestApp app, int port, String... extra) {
        List<String> a = new ArrayList<>(List.of("--front", "managed", "--front-port", String.valueOf(port), "--probe", "/health.txt"));
        if (!List.of(extra).contains("--front-image")) a.addAll(List.of("--front-image", TestHost.WEB));
        a.addAll(List.of(extra));
        return a.toArray(new String[0]);
    }

    /** When the load's answers crossed the threshold, and when the failing release answered last: client clock, ms. */
    record Timeline(long crossedAt, long lastNewAt) {
        long switchBackMillis() {
            return lastNewAt - crossedAt;
        }
    }

    /**
     * The load's answers replayed through the window's own rule: the first moment its last 10 s of answers from the
     * new release held over 5 % errors, and the last answer the new release gave (a 500 is the new release's: the old
     * one never fails).
     */
    static Timeline timeline(TestApp.Load load, String newRelease, long fromMillis) {
        List<AccessLog.Line> lines = new ArrayList<>();
        synchronized (load.answers) {
            for (int i = 0; i < load.answers.size(); i++) {
                long at = load.endedAtMillis.get(i);
                if (at < fromMillis) continue;
                String a = load.answers.get(i);
                boolean fromNew = a.equals(newRelease) || a.startsWith("ERR 500");
                lines.add(new AccessLog.Line(at, a.startsWith("ERR") ? 500 : 200, 0, fromNew ? "new:80" : "old:80", false));
            }
        }
        WatchWindow w = new WatchWindow(WatchSettings.OFF.withLength(Duration.ofMinutes(1)), Map.of("new", "green", "old", "blue"), "blue", "green", fromMillis);
        long crossed = -1;
        long lastNew = -1;
        for (AccessLog.Line l : lines) {
            if (l.upstream().startsWith("new")) lastNew = l.atMillis();
            if (crossed < 0) {
                w.add(List.of(l));
                if (w.verdict(l.atMillis()).switchBack()) crossed = l.atMillis();
            }
        }
        return new Timeline(crossed, lastNew);
    }

    static ReleaseHistory.Entry last(TestApp app) {
        return TrafficTest.lastEntry(app);
    }

    @Test
    void aReleaseThatStartsFailingIsSwitchedBackAtOnceAndRollbackStillWorks() throws Exception {
        images();
        try (TestApp app = new TestApp("wt-watch"); ProjectTest.Receiver hook = new ProjectTest.Receiver(0)) {
            int port = 18301;
            assertEquals(0, app.deploy("wok1", args(app, port)).code());
            assertEquals(0, app.deploy("wok2", args(app, port)).code());
            Files.writeString(app.dir.resolve("webhook.url"), hook.url("/hook"));
            Path project = app.dir.resolve("deploy.yml");
            Files.writeString(project, "app: " + app.name + "\nnotify:\n  webhook:\n    url_file: " + app.dir.resolve("webhook.url") + "\n"
                    + "watch:\n  for: 60s\n  max_error_rate: 5%\n  min_requests: 20\n");
            TestApp.Result r;
            Timeline t;
            List<String> failures;
            long deployStarted = System.currentTimeMillis();
            try (var load = new TestApp.Load(port, "/cgi-bin/flaky", 5_000, 120_000)) {
                Thread.sleep(500);
                r = app.deploy("wbad", args(app, port, "--project", project.toString()));
                Thread.sleep(1_000);
                load.close();
                t = timeline(load, "wbad", deployStarted);
                failures = load.failures();
                assertTrue(load.answersSince(System.nanoTime() - 900_000_000L).stream().allMatch("wok2"::equals), "the old release answers again");
            }
            assertEquals(ExitCode.DEPLOY_FAILED, r.code(), r.toString());
            System.out.println(r.err().lines().filter(l -> l.startsWith("error:")).findFirst().orElse(""));
            String said = r.err() + r.out();
            assertTrue(said.contains("failed after the switch: blue answered "), said);
            assertTrue(said.contains("green serves release wok2 again"), said);
            assertTrue(said.contains("blue is stopped, its containers kept for their logs"), said);
            assertTrue(r.out().contains("the front's image has no tail: its access log is read by a copy of the whole file each second"), r.out());
            // wok1 on blue, wok2 on green: wbad goes to blue, and the window switches back to green
            assertTrue(t.crossedAt() > 0, "the load saw the threshold crossed: " + t);
            System.out.println("watch: threshold crossed to every request answered by the old release: " + t.switchBackMillis() + " ms");
            // The window reads the log every second and the switch takes milliseconds: 2 s, with room for a busy machine.
            assertTrue(t.switchBackMillis() < 3_000, "switched back " + t.switchBackMillis() + " ms after the threshold was crossed: " + r);
            assertEquals(List.of(), failures.stream().filter(f -> !f.equals("ERR 500")).toList(), "only the release's own 500s failed: no request was lost to the switches");
            assertEquals("wok2", FrontTest.get(port, "/cgi-bin/flaky"));

            ReleaseHistory.Entry e = last(app);
            assertEquals("failed-after-switch", e.result());
            assertEquals("wbad", e.release());
            assertEquals("wok2", e.previousRelease());
            assertNotNull(e.watch(), "the window's counts are in the history");
            assertEquals("switched back", e.watch().outcome());
            // the entry keeps the rate rounded (7 of 139 is 5.04 %, written 0.05): judge the counts it keeps
            assertTrue((double) e.watch().lastErrors() / e.watch().lastRequests() > 0.05, e.watch().toString());
            assertTrue(e.watch().lastRequests() >= 20, e.watch().toString());
            assertTrue(e.reason().matches(".*blue answered \\d+ of \\d+ requests with an error in the last 10s \\(\\d+(\\.\\d)?%, over 5%\\).*"), e.reason());

            List<String> failed = hook.bodies.stream().filter(b -> b.contains("\"event\":\"failed-after-switch\"")).toList();
            assertEquals(1, failed.size(), hook.bodies.toString());
            assertTrue(failed.get(0).contains("\"lastErrorRate\":"), failed.get(0));
            assertTrue(failed.get(0).contains("FAILED AFTER THE SWITCH"), failed.get(0));
            assertTrue(failed.get(0).contains("release wok2 serves again"), failed.get(0));

            var history = TestApp.run("history", "--app", app.name);
            assertTrue(history.out().contains("watch of blue for "), history.out());
            assertTrue(history.out().contains("switched back"), history.out());

            // The failed release is no standby: a rollback goes to the history's last good release before wok2.
            var back = BadInputTest.run(new rollback(), "--app", app.name, "-f", app.composeFile.toString(), "--pull", "never", "--probe", "/health.txt",
                    "--blue-port", String.valueOf(app.bluePort), "--green-port", String.valueOf(app.greenPort));
            assertEquals(0, back.code(), back.toString());
            assertTrue(back.out().contains("to release wok1"), back.out());
            assertEquals("wok1", FrontTest.get(port, "/cgi-bin/flaky"));
        }
    }

    @Test
    void smokeChecksFailingInARowSwitchBackWithoutTraffic() throws Exception {
        images();
        try (TestApp app = new TestApp("wt-checks")) {
            int port = 18305;
            assertEquals(0, app.deploy("wok1", args(app, port)).code());
            Path project = app.dir.resolve("deploy.yml");
            Files.writeString(project, "app: " + app.name + "\nhealth:\n  checks:\n    - path: /cgi-bin/flaky\n      status: 200\n"
                    + "watch: {for: 60s, failures: 3}\n");
            long started = System.currentTimeMillis();
            var r = app.deploy("wdown", args(app, port, "--project", project.toString()));
            long took = System.currentTimeMillis() - started;
            assertEquals(ExitCode.DEPLOY_FAILED, r.code(), r.toString());
            assertTrue(r.err().contains("failed after the switch: the probe failed 3 times in a row (smoke check GET /cgi-bin/flaky"), r.toString());
            assertTrue(took < 50_000, "the checks tripped it, not the window's end: " + took + " ms");
            assertEquals("wok1", FrontTest.get(port, "/cgi-bin/flaky"));
            ReleaseHistory.Entry e = last(app);
            assertEquals("failed-after-switch", e.result());
            assertTrue(e.watch().probeFailures() >= 3, e.watch().toString());
            assertEquals(0, e.watch().lastRequests(), "no load: the error rate had nothing to judge: " + e.watch());
        }
    }

    @Test
    void withoutWatchTheFailingReleaseStaysLive() throws Exception {
        images();
        try (TestApp app = new TestApp("wt-nowatch")) {
            int port = 18302;
            assertEquals(0, app.deploy("wok1", args(app, port)).code());
            try (var load = new TestApp.Load(port, "/cgi-bin/flaky", 2_000, 60_000)) {
                var r = app.deploy("wbad", args(app, port));
                assertEquals(0, r.code(), r.toString());
                Thread.sleep(8_000);
                load.close();
                List<String> late = load.answersSince(System.nanoTime() - 2_000_000_000L);
                assertTrue(late.contains("ERR 500"), "the failing release answers: " + late);
                assertFalse(late.contains("wok1"), "nothing switched back: " + late);
            }
            assertEquals("ok", last(app).result());
        }
    }

    @Test
    void aHealthyWindowKeepsItsStandbyAndCountsInTheHistory() throws Exception {
        images();
        try (TestApp app = new TestApp("wt-healthy")) {
            int port = 18303;
            assertEquals(0, app.deploy("wok1", args(app, port, "--front-image", TAIL_FRONT)).code());
            TestApp.Result r;
            long started;
            try (var load = new TestApp.Load(port, "/cgi-bin/flaky", 2_000, 60_000)) {
                Thread.sleep(300);
                started = System.currentTimeMillis();
                r = app.deploy("wok3", args(app, port, "--front-image", TAIL_FRONT, "--watch", "8s"));
                load.close();
                assertEquals(List.of(), load.failures());
            }
            long took = System.currentTimeMillis() - started;
            assertEquals(0, r.code(), r.toString());
            assertTrue(took >= 8_000, "the deploy waited for the window: " + took + " ms");
            assertTrue(r.out().contains("==> watch green for 8s"), r.out());
            assertTrue(r.out().contains("watch of green for "), r.out());
            assertTrue(r.out().contains("blue keeps running, unrouted, as a warm standby"), r.out());
            assertFalse(r.out().contains("its access log is read by a copy"), "the front has tail: only the new lines are read: " + r.out());
            ReleaseHistory.Entry e = last(app);
            assertEquals("ok", e.result());
            assertNotNull(e.watch(), "the window's counts are in the history");
            assertEquals("passed", e.watch().outcome());
            assertTrue(e.watch().requests() > 50, e.watch().toString());
            assertEquals(0, e.watch().errors(), e.watch().toString());
            assertTrue(e.watch().probes() >= 6, e.watch().toString());
            assertEquals(0, e.watch().probeFailures(), e.watch().toString());
            assertTrue(TrafficTest.colourContainers(app).stream().filter(c -> "blue".equals(c.getLabels().get("dev.bgdeploy.colour")))
                    .allMatch(c -> "running".equals(c.getState())), "the old colour is a warm standby");
            assertEquals("wok3", FrontTest.get(port, "/cgi-bin/flaky"));
        }
    }

    @Test
    void ctrlCDuringTheWindowKeepsTheNewReleaseLiveAndExits0() throws Exception {
        images();
        try (TestApp app = new TestApp("wt-ctrlc")) {
            int port = 18304;
            assertEquals(0, app.deploy("wok1", args(app, port)).code());
            Path log = app.dir.resolve("deploy.log");
            Process p = EngineTest.deployProcess(app, log, "wok3", args(app, port, "--watch", "60s"));
            assertTrue(Commands.waitForLine(log, "==> watch green for 1m", 90_000), Files.readString(log));
            Thread.sleep(2_000);
            long signalled = System.currentTimeMillis();
            new ProcessBuilder("kill", "-INT", String.valueOf(p.pid())).start().waitFor();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "exited after SIGINT");
            String out = Files.readString(log);
            assertEquals(0, p.exitValue(), out);
            assertTrue(System.currentTimeMillis() - signalled < 15_000, "the window did not run on: " + out);
            assertTrue(out.contains("the watch window was cut short (interrupted after "), out);
            assertTrue(out.contains("green stays live"), out);
            ReleaseHistory.Entry e = last(app);
            assertEquals("ok", e.result());
            assertEquals("cut short", e.watch().outcome());
            assertEquals("wok3", FrontTest.get(port, "/cgi-bin/flaky"));
        }
    }

    @Test
    void watchIsRefusedBehindThePassiveFrontAndOnAFleet() throws Exception {
        try (TestApp app = new TestApp("wt-refused")) {
            var r = app.deploy("v1", "--front", "passive", "--watch", "30s");
            assertEquals(ExitCode.CONFIG, r.code(), r.toString());
            assertTrue(r.err().contains("--watch needs the managed front (--front managed): behind the passive front the colours publish their own ports,"
                    + " so no single place sees the traffic"), r.err());
            assertTrue(TrafficTest.colourContainers(app).isEmpty(), "nothing started");

            Path project = app.dir.resolve("deploy.yml");
            Files.writeString(project, "app: " + app.name + "\nwatch: 2m\nenvironments:\n  prod:\n    hosts:\n      - host: tcp://10.210.0.11:2375\n"
                    + "      - host: tcp://10.210.0.12:2375\n");
            r = app.deploy("v1", "--project", project.toString(), "--env", "prod");
            assertEquals(ExitCode.CONFIG, r.code(), r.toString());
            assertTrue(r.err().contains("--watch (deploy.yml watch:) watches one front, and environment prod has 2 hosts"), r.err());
        }
    }
}
