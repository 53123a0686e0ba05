import lib.base.DeployError;
import lib.base.ExitCode;
import lib.front.AccessLog;
import lib.front.WatchWindow;
import lib.model.WatchSettings;
import lib.project.ProjectFile;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The watch window's decision as data (access-log lines and probe answers in, "switch back?" out), and deploy.yml's watch:. */
class WatchWindowTest {
    static final String OLD = "172.20.0.2:80";
    static final String NEW = "172.20.0.3:80";
    static final Map<String, String> COLOURS = Map.of("172.20.0.2", "blue", "172.20.0.3", "green");
    static final long T0 = 1_700_000_000_000L;
    static final WatchSettings DEFAULTS = WatchSettings.OFF.withLength(Duration.ofMinutes(2));

    static WatchWindow window(WatchSettings s) {
        return new WatchWindow(s, COLOURS, "blue", "green", T0);
    }

    static AccessLog.Line line(long atOffset, int status, String upstream) {
        return new AccessLog.Line(T0 + atOffset, status, 0.001, upstream, status == 502 || status == 504);
    }

    /** n answers spread evenly over [from, from + spanMillis), every k-th of them with status bad (k 0: none). */
    static List<AccessLog.Line> answers(long from, long spanMillis, int n, int everyKth, int bad, String upstream) {
        List<AccessLog.Line> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(line(from + spanMillis * i / n, everyKth > 0 && i % everyKth == everyKth - 1 ? bad : 200, upstream));
        return out;
    }

    @Test
    void aHealthyColourNeverTrips() {
        WatchWindow w = window(DEFAULTS);
        w.add(answers(0, 30_000, 600, 0, 0, NEW));
        for (int s = 1; s <= 30; s++) {
            w.probe(null);
            assertFalse(w.verdict(T0 + s * 1000L).switchBack(), "second " + s);
        }
        WatchWindow.Report r = w.report(T0 + 30_000, "passed", w.verdict(T0 + 30_000));
        assertEquals(600, r.requests());
        assertEquals(0, r.errors());
        assertEquals(30, r.probes());
        assertNull(r.reason());
        assertTrue(r.describe().contains("passed; 600 requests, 0 errors (0%)"), r.describe());
    }

    @Test
    void overTheRateItTripsAndSaysTheMeasuredRates() {
        WatchWindow w = window(DEFAULTS);
        w.add(answers(0, 5_000, 100, 0, 0, NEW));
        assertFalse(w.verdict(T0 + 5_000).switchBack());
        // from 5 s on, every other answer is a 500
        w.add(answers(5_000, 2_000, 40, 2, 500, NEW));
        WatchWindow.Verdict v = w.verdict(T0 + 7_000);
        assertTrue(v.switchBack(), v.toString());
        assertEquals(140, v.requests(), "the last 10 s hold every answer so far");
        assertEquals(20, v.errors());
        assertTrue(v.why().contains("green answered 20 of 140 requests with an error in the last 10s (14.3%, over 5%)"), v.why());
        WatchWindow.Report r = w.report(T0 + 7_000, "switched back", v);
        assertEquals(0.143, r.lastErrorRate());
        assertEquals(0.143, r.errorRate());
        assertEquals(0.05, r.maxErrorRate());
        assertEquals(v.why(), r.reason());
    }

    @Test
    void exactlyTheRateIsNotOverIt() {
        WatchWindow w = window(DEFAULTS);
        w.add(answers(0, 1_000, 100, 20, 500, NEW)); // 5 of 100
        assertFalse(w.verdict(T0 + 1_000).switchBack());
        w.add(List.of(line(1_100, 500, NEW)));
        assertTrue(w.verdict(T0 + 1_200).switchBack(), "6 of 101");
    }

    @Test
    void tooFewRequestsAreNoTrend() {
        WatchWindow w = window(DEFAULTS);
        w.add(answers(0, 5_000, 19, 1, 500, NEW)); // every one failed, but only 19
        assertFalse(w.verdict(T0 + 5_000).switchBack());
        w.add(List.of(line(5_100, 500, NEW)));
        assertTrue(w.verdict(T0 + 5_200).switchBack(), "the 20th makes it a verdict");

        WatchWindow fewer = window(new WatchSettings(Duration.ofMinutes(1), 0.05, 5, 3));
        fewer.add(answers(0, 1_000, 5, 5, 500, NEW));
        assertTrue(fewer.verdict(T0 + 1_000).switchBack(), "min_requests 5");
    }

    @Test
    void theWindowSlides() {
        WatchWindow w = window(DEFAULTS);
        // a burst of errors early on, then a long healthy stretch
        w.add(answers(0, 1_000, 30, 3, 500, NEW)); // 10 of 30
        w.add(answers(2_000, 20_000, 400, 0, 0, NEW));
        assertFalse(w.verdict(T0 + 22_000).switchBack(), "the burst left the last 10 s");
        WatchWindow.Verdict v = w.verdict(T0 + 22_000);
        assertEquals(0, v.errors());
        assertEquals(199, v.requests(), "the last 10 s only");

        // the same burst inside the last 10 s, diluted by enough good answers, stays under 5 %
        WatchWindow diluted = window(DEFAULTS);
        diluted.add(answers(0, 10_000, 400, 0, 0, NEW));
        diluted.add(answers(9_000, 500, 10, 1, 500, NEW));
        assertFalse(diluted.verdict(T0 + 9_600).switchBack(), "10 of 395");
        diluted.add(answers(9_600, 300, 20, 1, 500, NEW));
        assertTrue(diluted.verdict(T0 + 10_000).switchBack(), "30 of 429");
    }

    @Test
    void probeFailuresInARowTripIt() {
        WatchWindow w = window(DEFAULTS);
        w.probe("GET /health to answer 2xx (it answered 500)");
        w.probe("GET /health to answer 2xx (it answered 500)");
        w.probe(null);
        w.probe("x");
        w.probe("x");
        assertFalse(w.verdict(T0 + 5_000).switchBack(), "two, a success, two");
        w.probe("GET /health to answer 2xx (it answered 503)");
        WatchWindow.Verdict v = w.verdict(T0 + 6_000);
        assertTrue(v.switchBack());
        assertEquals(3, v.probeFailuresInARow());
        assertTrue(v.why().contains("the probe failed 3 times in a row (GET /health to answer 2xx (it answered 503))"), v.why());
        WatchWindow.Report r = w.report(T0 + 6_000, "switched back", v);
        assertEquals(6, r.probes());
        assertEquals(5, r.probeFailures());

        WatchWindow once = window(new WatchSettings(Duration.ofMinutes(1), 0.05, 20, 1));
        once.probe("down");
        assertTrue(once.verdict(T0 + 1_000).switchBack(), "failures: 1");
    }

    @Test
    void theOldColoursAnswersAndOtherUpstreamsAreNotCounted() {
        WatchWindow w = window(DEFAULTS);
        // requests in flight on the old colour at the switch, failing as it drains, and an unknown upstream
        w.add(answers(0, 1_000, 50, 1, 500, OLD));
        w.add(answers(0, 1_000, 50, 1, 500, "10.9.9.9:80"));
        w.add(answers(0, 1_000, 30, 0, 0, NEW));
        WatchWindow.Verdict v = w.verdict(T0 + 1_000);
        assertFalse(v.switchBack(), v.toString());
        assertEquals(30, v.requests());
        WatchWindow.Report r = w.report(T0 + 1_000, "passed", v);
        assertEquals(50, r.oldAnswered());
        assertEquals(30, r.requests());
    }

    @Test
    void linesBeforeTheSwitchAreNotCounted() {
        WatchWindow w = window(DEFAULTS);
        w.add(answers(-5_000, 4_000, 100, 1, 500, NEW));
        assertEquals(0, w.verdict(T0 + 1_000).requests());
    }

    @Test
    void upstreamErrorsCountAsErrors() {
        WatchWindow w = window(DEFAULTS);
        List<AccessLog.Line> lines = new ArrayList<>(answers(0, 1_000, 19, 0, 0, NEW));
        // a 502 the front answered with no upstream address (it could not reach the new colour), a 504 after a
        // timeout on the new colour, and a 200 after a retry whose first try was a gateway error
        lines.add(new AccessLog.Line(T0 + 1_010, 502, 0.001, "", true));
        lines.add(new AccessLog.Line(T0 + 1_020, 504, 60, NEW, true));
        lines.add(new AccessLog.Line(T0 + 1_030, 200, 0.01, NEW, true));
        // the front's own 503 (a maintenance page) is no upstream's answer
        lines.add(new AccessLog.Line(T0 + 1_040, 503, 0.001, "", false));
        w.add(lines);
        WatchWindow.Verdict v = w.verdict(T0 + 1_100);
        assertEquals(22, v.requests());
        assertEquals(3, v.errors());
        assertTrue(v.switchBack(), "3 of 22: " + v);
    }

    @Test
    void linesFromTheRealLogFormatAreJudged() {
        String log = "{\"msec\":" + (T0 / 1000) + ".100,\"status\":500,\"request_time\":0.001,\"upstream\":\"" + NEW + "\",\"upstream_status\":\"500\",\"upstream_time\":\"0.001\"}\n"
                + "{\"msec\":" + (T0 / 1000) + ".200,\"status\":502,\"request_time\":0.001,\"upstream\":\"" + NEW + "\",\"upstream_status\":\"502\",\"upstream_time\":\"0.001\"}\n"
                + "{\"msec\":" + (T0 / 1000) + ".300,\"status\":200,\"request_time\":0.001,\"upstream\":\"" + NEW + "\",\"upstream_status\":\"200\",\"upstream_time\":\"0.001\"}\n";
        WatchWindow w = window(new WatchSettings(Duration.ofMinutes(1), 0.5, 3, 3));
        w.add(AccessLog.parse(log));
        WatchWindow.Verdict v = w.verdict(T0 + 1_000);
        assertEquals(3, v.requests());
        assertEquals(2, v.errors());
        assertTrue(v.switchBack());
    }

    // ---- deploy.yml watch: ---------------------------------------------------------------------------------------

    Path dir;

    @AfterEach
    void clean() {
        if (dir != null) ExampleImages.deleteTree(dir);
    }

    ProjectFile load(String yaml) throws Exception {
        if (dir == null) dir = Files.createTempDirectory("watch-test");
        Files.writeString(dir.resolve("deploy.yml"), "app: shop\n" + yaml);
        return ProjectFile.load(dir.resolve("deploy.yml"));
    }

    String error(String yaml) {
        DeployError e = assertThrows(DeployError.class, () -> load(yaml));
        assertEquals(ExitCode.CONFIG, e.exitCode());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        assertTrue(e.getMessage().contains("deploy.yml: "), "names the file: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void watchIsADurationOrAMap() throws Exception {
        assertEquals(WatchSettings.OFF, load("image: a/b\n").watch());
        assertEquals(new WatchSettings(Duration.ofMinutes(2), 0.05, 20, 3), load("watch: 2m\n").watch());
        assertEquals(new WatchSettings(Duration.ofSeconds(90), 0.05, 20, 3), load("watch: 90\n").watch(), "a bare number is seconds");
        assertEquals(new WatchSettings(Duration.ofMinutes(5), 0.005, 50, 2),
                load("watch:\n  for: 5m\n  max_error_rate: 0.5%\n  min_requests: 50\n  failures: 2\n").watch());
        assertEquals(new WatchSettings(Duration.ofSeconds(30), 0.1, 20, 3), load("watch: {for: 30s, max_error_rate: 10 %}\n").watch());
        assertFalse(load("watch: off\n").watch().on());
        assertFalse(load("watch: \"0\"\n").watch().on());
    }

    @Test
    void badWatchValuesAreOneLineNamingTheKey() {
        assertTrue(error("watch: soon\n").contains("watch: \"soon\" is not a duration"), error("watch: soon\n"));
        assertTrue(error("watch: {max_error_rate: 5%}\n").contains("watch: needs for:"));
        assertTrue(error("watch: {for: 2m, max_error_rate: 5}\n").contains("watch.max_error_rate: \"5\" is not a percentage; write e.g. 5% or 0.5%"));
        assertTrue(error("watch: {for: 2m, max_error_rate: 150%}\n").contains("watch.max_error_rate: \"150%\" is over 100%; write a share of the requests from 0% to 100%, e.g. 5%"));
        assertTrue(error("watch: {for: 2m, min_requests: 0}\n").contains("watch.min_requests: 0 is out of range; use 1-1000"));
        assertTrue(error("watch: {for: 2m, failures: many}\n").contains("watch.failures: "));
        assertTrue(error("watch: {for: 2m, rate: 5%}\n").contains("unsupported key \"watch.rate\"; supported: failures, for, max_error_rate, min_requests"));
        assertTrue(error("watch: {for: 2d}\n").contains("watch.for: "));
        assertTrue(error("watch: [2m]\n").contains("watch: must be a single value"), error("watch: [2m]\n"));
    }

    @Test
    void percentagesReadAndPrintAsWritten() {
        assertEquals(0.05, WatchSettings.percentage("5%"));
        assertEquals(0.125, WatchSettings.percentage("12.5%"));
        assertEquals(0.0, WatchSettings.percentage("0%"));
        assertEquals(1.0, WatchSettings.percentage("100%"));
        assertEquals("5%", WatchSettings.percent(0.05));
        assertEquals("12.5%", WatchSettings.percent(0.125));
        assertEquals("0%", WatchSettings.percent(0));
        assertThrows(IllegalArgumentException.class, () -> WatchSettings.percentage("0.05"));
        assertThrows(IllegalArgumentException.class, () -> WatchSettings.percentage("-5%"));
    }
}
