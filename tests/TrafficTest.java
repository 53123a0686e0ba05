import lib.front.AccessLog;
import lib.host.ReleaseHistory;

import com.github.dockerjava.api.model.Container;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.Writer;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The managed front counts every request a deploy touched, and its colours publish no host ports by default. Three
 * deploys: into an empty colour (counts checked against the test's own load), then over the previous release.
 */
class TrafficTest {
    static ReleaseHistory.Entry lastEntry(TestApp app) {
        List<ReleaseHistory.Entry> h = new ReleaseHistory(TestHost.docker(), app.name).read(new PrintWriter(Writer.nullWriter()));
        return h.get(h.size() - 1);
    }

    /** The load's answers that came back within the report's window: what the front's count must match. */
    static long answeredWithin(TestApp.Load load, AccessLog.Report t) {
        synchronized (load.answers) {
            return load.endedAtMillis.stream().filter(ms -> ms >= t.fromMillis() && ms <= t.fromMillis() + t.windowMillis()).count();
        }
    }

    static List<Container> colourContainers(TestApp app) {
        return TestHost.docker().listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of("dev.bgdeploy.app", app.name)).exec().stream()
                .filter(c -> c.getLabels().containsKey("dev.bgdeploy.colour")).toList();
    }

    @Test
    void deploysUnderLoadCountTheirTrafficAndColoursPublishNoPorts() throws Exception {
        try (TestApp app = new TestApp("traffic")) {
            int port = TestHost.freePort();
            var r = app.deploy("v1", FrontTest.managed(app, port));
            assertEquals(0, r.code(), r.toString());
            try (var load = new TestApp.Load(port, "/version.txt", 5_000, 90_000)) {
                Thread.sleep(500);
                r = app.deploy("v2", FrontTest.managed(app, port));
                assertEquals(0, r.code(), r.toString());
                Thread.sleep(300);
                AccessLog.Report t = lastEntry(app).traffic();
                assertNotNull(t, "the history entry has the traffic report: " + r.out());
                assertTrue(r.out().contains("  " + t.describe()), "printed in the deploy's last lines: " + r.out());
                assertEquals("blue", t.oldColour());
                assertEquals("green", t.newColour());
                assertEquals(0, t.failed(), t.toString());
                assertEquals(0, t.otherAnswered(), "every answer came from one of the colours: " + t);
                assertTrue(t.newAnswered() > 0, t.toString());
                long seen = answeredWithin(load, t);
                // One request of the sequential load may be in flight at each edge of the window.
                assertTrue(Math.abs(seen - t.total()) <= 2, "the front counted " + t.total() + ", the load saw " + seen + " answers in the window: " + t);
                assertTrue(t.longestGapMillis() < 1000, "the load never waited long for an answer: " + t);

                // Over the previous release: blue's v1 standby is set aside while v3 starts, and no request fails.
                r = app.deploy("v3", FrontTest.managed(app, port));
                assertEquals(0, r.code(), r.toString());
                assertTrue(r.out().contains("it publishes no host port: it goes down while blue starts"), r.out());
                Thread.sleep(300);
                load.close();
                assertEquals(List.of(), load.failures());
                t = lastEntry(app).traffic();
                assertNotNull(t);
                assertEquals(0, t.failed(), t.toString());
                assertEquals("green", t.oldColour());
                assertEquals("blue", t.newColour());
                System.out.println(r.out().lines().filter(l -> l.contains("traffic from")).findFirst().orElse(""));
            }
            assertEquals("v3", FrontTest.get(port, "/version.txt"));
            List<Container> containers = colourContainers(app);
            assertEquals(4, containers.size(), "blue and green (app and web each), the v1 standby removed: " + containers.stream().map(c -> c.getNames()[0]).toList());
            for (Container c : containers) {
                var inspected = TestHost.docker().inspectContainerCmd(c.getId()).exec();
                var bindings = inspected.getHostConfig().getPortBindings();
                assertTrue(bindings == null || bindings.getBindings().isEmpty(), c.getNames()[0] + " publishes " + bindings);
                var ports = inspected.getNetworkSettings().getPorts();
                assertTrue(ports == null || ports.getBindings().values().stream().allMatch(b -> b == null || b.length == 0),
                        c.getNames()[0] + " is reachable on the host: " + ports.getBindings());
            }

            var history = TestApp.run("history", "--app", app.name);
            assertTrue(history.out().contains("traffic from the switch to the end of the drain"), history.out());
            var traffic = TestApp.run("traffic", "--app", app.name, "--since", "5m");
            assertEquals(0, traffic.code(), traffic.toString());
            assertTrue(traffic.out().lines().anyMatch(l -> l.matches("  blue +\\d+ .*200: \\d+.*")), traffic.out());
            assertTrue(traffic.out().lines().anyMatch(l -> l.matches("  green +\\d+ .*200: \\d+.*")), traffic.out());
            assertTrue(traffic.out().lines().anyMatch(l -> l.matches("\\d\\d:\\d\\d:\\d\\d  [bg]+ +\\d+ +\\d+ +0")), "a timeline, letters when not a terminal: " + traffic.out());
        }
    }

    @Test
    void publishPortsKeepsTheComposePorts() throws Exception {
        try (TestApp app = new TestApp("trafficpub")) {
            int port = TestHost.freePort();
            List<String> args = new java.util.ArrayList<>(List.of(FrontTest.managed(app, port)));
            args.add("--front-publish-ports");
            var r = app.deploy("v1", args.toArray(new String[0]));
            assertEquals(0, r.code(), r.toString());
            assertEquals("v1", FrontTest.get(app.bluePort, "/version.txt"), "blue's own port answers");
            assertEquals("v1", FrontTest.get(port, "/version.txt"));
        }
    }
}
