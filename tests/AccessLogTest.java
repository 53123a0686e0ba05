import lib.front.AccessLog;
import lib.front.NginxConfig;
import lib.front.TrafficTimeline;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The access log as data: the format nginx writes, lines parsed back, a deploy's window counted, the timeline drawn. */
class AccessLogTest {
    static final Map<String, String> COLOURS = Map.of("172.20.0.3", "blue", "172.20.0.4", "green");

    static String line(long ms, int status, String upstream, String upstreamStatus) {
        return String.format(java.util.Locale.ROOT, "{\"msec\":%d.%03d,\"status\":%d,\"request_time\":0.002,\"upstream\":\"%s\",\"upstream_status\":\"%s\",\"upstream_time\":\"0.002\"}",
                ms / 1000, ms % 1000, status, upstream, upstreamStatus);
    }

    @Test
    void theMainConfigWritesTheMachineReadableLogIntoTheFront() {
        String conf = NginxConfig.mainConfig();
        assertTrue(conf.contains("log_format bgdeploy escape=json"), conf);
        assertTrue(conf.contains("\"msec\":$msec") && conf.contains("$upstream_addr") && conf.contains("$upstream_status") && conf.contains("$request_time"), conf);
        assertTrue(conf.contains("access_log " + AccessLog.FILE + " bgdeploy;"), conf);
        assertFalse(conf.contains("access_log off"), conf);
    }

    @Test
    void linesParseAndTornOrForeignLinesAreSkipped() {
        String text = "tail: cannot open '/var/log/bgdeploy/access.log.1' for reading: No such file or directory\n"
                + "us\":\"-\"}\n" // a tail cut mid-line
                + line(1_700_000_000_123L, 200, "172.20.0.3:80", "200") + "\n"
                + line(1_700_000_000_200L, 502, "172.20.0.4:80, 172.20.0.3:80", "502, 200") + "\n"
                + line(1_700_000_000_300L, 503, "", "") + "\n"
                + "{\"msec\":\"x\"}\n";
        List<AccessLog.Line> lines = AccessLog.parse(text);
        assertEquals(3, lines.size(), lines.toString());
        assertEquals(new AccessLog.Line(1_700_000_000_123L, 200, 0.002, "172.20.0.3:80", false), lines.get(0));
        assertEquals("172.20.0.3:80", lines.get(1).upstream(), "the last upstream tried answered");
        assertTrue(lines.get(1).upstreamFailed(), "a 502 on the way is an upstream error");
        assertTrue(lines.get(1).failed(), "the client got a 502");
        assertFalse(lines.get(2).upstreamFailed(), "the front's own 503 tried no upstream");
        assertTrue(lines.get(2).failed());
    }

    @Test
    void theWindowCountsOldNewAndFailedAndTheLongestGap() {
        long t = 1_700_000_000_000L;
        List<AccessLog.Line> lines = AccessLog.parse(String.join("\n",
                line(t - 50, 200, "172.20.0.3:80", "200"),       // before the window: not counted
                line(t + 100, 200, "172.20.0.3:80", "200"),
                line(t + 150, 200, "172.20.0.3:80", "200"),
                line(t + 400, 200, "172.20.0.4:80", "200"),      // 250 ms without an answer before this
                line(t + 450, 499, "172.20.0.3:80", ""),         // the client gave up
                line(t + 500, 502, "172.20.0.4:80", "502"),
                line(t + 600, 304, "172.20.0.4:80", "304"),
                line(t + 620, 404, "172.20.0.9:80", "404"),      // an address of neither colour
                line(t + 2000, 200, "172.20.0.4:80", "200")));   // after the window
        AccessLog.Report r = AccessLog.report(lines, t, t + 700, COLOURS, "blue", "green");
        assertEquals(new AccessLog.Report(t, "blue", 2, "green", 2, 1, 2, 1, 250, 700), r);
        assertEquals(7, r.total());
        assertTrue(r.describe().contains("7 requests, 2 answered by blue (old), 2 by green (new), 1 by other upstreams, 2 failed (1 upstream errors)"), r.describe());
        assertTrue(r.describe().contains("longest time without an answer 250 ms"), r.describe());
    }

    @Test
    void theGapCountsFromTheWindowsStartAndToItsEnd() {
        long t = 1_700_000_000_000L;
        List<AccessLog.Line> lines = AccessLog.parse(line(t + 300, 200, "172.20.0.4:80", "200"));
        assertEquals(700, AccessLog.report(lines, t, t + 1000, COLOURS, "blue", "green").longestGapMillis());
        assertEquals(900, AccessLog.report(List.of(), t, t + 900, COLOURS, null, "green").longestGapMillis(), "no answer at all: the whole window");
        AccessLog.Report first = AccessLog.report(lines, t, t + 1000, COLOURS, null, "green");
        assertNull(first.oldColour());
        assertTrue(first.describe().startsWith("traffic from the switch to the end of the drain (1.00 s): 1 requests, 1 by green (new), 0 failed"), first.describe());
    }

    @Test
    void colourIsFoundByAddressOrByHost() {
        assertEquals("blue", AccessLog.colour(COLOURS, "172.20.0.3:80"));
        assertEquals("green", AccessLog.colour(Map.of("172.20.0.4:8080", "green"), "172.20.0.4:8080"));
        assertEquals("blue", AccessLog.colour(Map.of("fd00::3", "blue"), "[fd00::3]:80"));
        assertNull(AccessLog.colour(COLOURS, "127.0.0.1:9"));
    }

    @Test
    void timelineHasEverySecondAndCountsByColourAndStatus() {
        long t = 1_700_000_000_000L; // 22:13:20 UTC
        List<AccessLog.Line> lines = AccessLog.parse(String.join("\n",
                line(t + 10, 200, "172.20.0.3:80", "200"), line(t + 20, 200, "172.20.0.3:80", "200"),
                line(t + 990, 200, "172.20.0.3:80", "200"), line(t + 995, 200, "172.20.0.4:80", "200"),
                line(t + 3000, 502, "172.20.0.4:80", "502"), line(t + 3100, 200, "172.20.0.4:80", "200")));
        List<AccessLog.Second> seconds = AccessLog.timeline(lines, t, t + 5000, COLOURS);
        assertEquals(4, seconds.size(), "silent seconds in between are kept");
        assertEquals(Map.of("blue", 3L, "green", 1L), seconds.get(0).answered());
        assertEquals(0, seconds.get(1).answeredTotal() + seconds.get(1).failedTotal());
        assertEquals(Map.of(502, 1L), seconds.get(3).failed());
        assertEquals(Map.of("blue", Map.of(200, 3L), "green", Map.of(200, 2L), "failed", Map.of(502, 1L)), AccessLog.statusCounts(lines, t, t + 5000, COLOURS));

        List<String> text = TrafficTimeline.render(seconds, false);
        assertEquals(5, text.size(), String.join("\n", text));
        assertTrue(text.get(0).contains("b blue, g green, ! failed") && text.get(0).endsWith("blue   green  failed"), text.get(0));
        assertEquals("22:13:20  " + "b".repeat(30) + "g".repeat(10) + "       3       1       0", text.get(1));
        assertEquals("22:13:21  " + " ".repeat(40) + "       0       0       0", text.get(2));
        assertEquals("22:13:23  " + "g".repeat(10) + "!".repeat(10) + " ".repeat(20) + "       0       1       1  502: 1", text.get(4));
        assertFalse(String.join("", text).contains("\u001B"), "plain text when not on a terminal");
        assertTrue(String.join("", TrafficTimeline.render(seconds, true)).contains("\u001B[34m\u2588"), "blue blocks on a terminal");
    }

    @Test
    void theWebhookPayloadAndTheSlackTextCarryTheReport() throws Exception {
        AccessLog.Report t = new AccessLog.Report(1_700_000_000_000L, "blue", 12, "green", 30, 0, 1, 0, 85, 640);
        try (ProjectTest.Receiver hook = new ProjectTest.Receiver(0)) {
            var n = new lib.project.Notifier(Map.of("webhook", hook.url("/hook"), "slack", hook.url("/slack")), new java.io.PrintWriter(java.io.Writer.nullWriter()));
            n.send(new lib.project.Notifier.Event("success", "shop", "staging", "green", "v2", "v1", "me@here", 4200, null, t));
            n.flush();
            String webhook = hook.bodies.stream().filter(b -> b.startsWith("/hook ")).findFirst().orElseThrow();
            assertTrue(webhook.contains("\"traffic\":{\"fromMillis\":1700000000000,\"oldColour\":\"blue\",\"oldAnswered\":12,\"newColour\":\"green\","
                    + "\"newAnswered\":30,\"otherAnswered\":0,\"failed\":1,\"upstreamErrors\":0,\"longestGapMillis\":85,\"windowMillis\":640}"), webhook);
            String slack = hook.bodies.stream().filter(b -> b.startsWith("/slack ")).findFirst().orElseThrow();
            assertTrue(slack.contains("43 requests, 12 answered by blue (old), 30 by green (new), 1 failed; longest time without an answer 85 ms"), slack);
        }
    }

    @Test
    void oneFailureInABusySecondStillShows() {
        assertEquals(1, TrafficTimeline.width(1, 10_000));
        assertEquals(0, TrafficTimeline.width(0, 10));
        assertEquals(TrafficTimeline.WIDTH, TrafficTimeline.width(10, 10));
    }

    @Test
    void severalFrontsReportsAddUpTheirCountsAndKeepTheLongestSilence() {
        var a = new AccessLog.Report(1000, "blue", 10, "green", 20, 0, 1, 1, 300, 2000);
        var b = new AccessLog.Report(900, "blue", 5, "green", 7, 2, 0, 0, 450, 2100);
        var sum = AccessLog.Report.sum(List.of(a, b));
        assertEquals(new AccessLog.Report(900, "blue", 15, "green", 27, 2, 1, 1, 450, 2100), sum);
        assertEquals(45, sum.total());
        assertEquals("31 requests, 1 failed", a.counts());
        assertEquals(a, AccessLog.Report.sum(List.of(a)), "one front's report is itself");
    }
}
