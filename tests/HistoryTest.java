import lib.docker.MarkerImage;
import lib.docker.Tar;
import lib.host.ReleaseHistory;

import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Volume;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The release history on the host survives a damaged line, stays bounded, and no field can break its format. */
class HistoryTest {

    @Test
    void aGarbageLineIsSkippedWithItsLineNumberAndEveryOtherEntryStillReads() throws Exception {
        String app = "lkhist-" + Long.toString(System.nanoTime() % 46656, 36);
        try {
            // As older versions wrote it (nulls spelled out, no notes), then a torn write, then an object that is no entry.
            writeFile(app, """
                    {"at":"2025-01-01T10:00:00Z","action":"deploy","release":"v1","colour":"blue","previousRelease":null,"result":"ok","durationMillis":4000,"by":"ci@a","reason":null}
                    {"at":"2025-01-01T11:00:00Z","action":"depl
                    {"when":"yesterday"}

                    {"at":"2025-01-01T12:00:00Z","action":"deploy","release":"v2","colour":"green","previousRelease":"v1","result":"failed","durationMillis":9000,"by":"ci@a","reason":"gate timed out","future":"ignored"}
                    """);
            var history = new ReleaseHistory(TestHost.docker(), app);
            history.append(new ReleaseHistory.Entry("2025-01-01T13:00:00Z", "deploy", "v3", "green", "v1", "ok", 5000, "ci@a",
                    "first\tsecond\nthird", "web ignored SIGTERM\nand was killed after 10s"));

            StringWriter warn = new StringWriter();
            List<ReleaseHistory.Entry> entries = history.read(new PrintWriter(warn, true));
            assertEquals(List.of("v1", "v2", "v3"), entries.stream().map(ReleaseHistory.Entry::release).toList(), entries.toString());
            String name = ReleaseHistory.volumeName(app) + "/history.jsonl";
            assertTrue(warn.toString().contains("warning: skipped line 2 of the release history " + name + ": ")
                    && warn.toString().contains("warning: skipped line 3 of the release history " + name + ": no \"at\""), warn.toString());
            assertEquals(2, warn.toString().lines().count(), warn.toString());
            var v3 = entries.get(2);
            assertEquals("first\tsecond\nthird", v3.reason());
            assertEquals("web ignored SIGTERM\nand was killed after 10s", v3.notes());
            assertEquals(null, entries.get(0).notes());
            assertEquals("v1", history.lastLiveBefore("v3", new PrintWriter(new StringWriter())).orElseThrow().release());

            var shown = TestApp.run("history", "--app", app);
            assertEquals(0, shown.code(), shown.toString());
            assertTrue(shown.out().contains("v1") && shown.out().contains("gate timed out") && shown.out().contains("v3"), shown.out());
        } finally {
            TestHost.removeApp(app);
        }
    }

    @Test
    void appendKeepsOnlyTheNewestFiveHundredLines() throws Exception {
        String app = "lkprune-" + Long.toString(System.nanoTime() % 46656, 36);
        try {
            writeFile(app, IntStream.rangeClosed(1, 505).mapToObj(i -> "{\"at\":\"2025-01-01T00:00:00Z\",\"action\":\"deploy\",\"release\":\"r"
                    + i + "\",\"result\":\"ok\"}\n").collect(Collectors.joining()));
            var history = new ReleaseHistory(TestHost.docker(), app);
            history.append(new ReleaseHistory.Entry("2025-01-02T00:00:00Z", "deploy", "r506", "blue", "r505", "ok", 1, "ci@a", null));

            StringWriter warn = new StringWriter();
            List<ReleaseHistory.Entry> entries = history.read(new PrintWriter(warn, true));
            assertEquals(ReleaseHistory.KEEP, entries.size());
            assertEquals(500, ReleaseHistory.KEEP, "the README documents 500");
            assertEquals("r7", entries.get(0).release());
            assertEquals("r506", entries.get(entries.size() - 1).release());
            assertEquals("", warn.toString());
        } finally {
            TestHost.removeApp(app);
        }
    }

    @Test
    void releasesFromLabelsAndTheHistoryNeverPrintTheirControlCharacters() throws Exception {
        String app = "lkforge-" + Long.toString(System.nanoTime() % 46656, 36);
        String forged = "v1\ngreen LIVE running release FORGED\u001b[2J";
        try {
            // As an older version (or a hand) left them: a colour's release label and a history line with a newline and an escape.
            var docker = TestHost.docker();
            docker.createContainerCmd("shop-web:1").withName(app + "-green-web-1")
                    .withLabels(Map.of(lib.base.Labels.APP, app, lib.base.Labels.COLOUR, "green", lib.base.Labels.RELEASE, forged,
                            lib.base.Labels.DEPLOYED_BY, "ci\nFORGED@x"))
                    .exec();
            new ReleaseHistory(docker, app).append(new ReleaseHistory.Entry("2025-01-01T13:00:00Z", "deploy", forged, "green", "v0\r", "ok",
                    5000, "ci\u001b]0;x\u0007@a", null));

            for (String command : List.of("status", "history")) {
                var r = TestApp.run(command, "--app", app);
                String all = r.out() + r.err();
                assertTrue(all.contains("v1?green LIVE running release FORGED?[2J"), r.toString());
                assertFalse(all.lines().anyMatch(l -> l.startsWith("green LIVE")), r.toString());
                assertTrue(all.chars().noneMatch(ch -> ch != '\n' && Character.isISOControl(ch)), r.toString());
            }

            // With no colour holding it, rolling back would make it a new colour's label and ${DEPLOY_RELEASE}: refused, saying what to do.
            docker.removeContainerCmd(app + "-green-web-1").withForce(true).exec();
            java.nio.file.Path compose = java.nio.file.Files.createTempDirectory("forge").resolve("docker-compose.yml");
            java.nio.file.Files.writeString(compose, TestApp.COMPOSE);
            var back = BadInputTest.run(new rollback(), "--app", app, "-f", compose.toString());
            assertEquals(3, back.code(), back.toString());
            assertTrue(back.err().contains("is not a valid release ID") && back.err().contains("name one: rollback.java --app " + app + " RELEASE"), back.toString());
            assertTrue(back.err().chars().noneMatch(ch -> ch != '\n' && Character.isISOControl(ch)), back.toString());
        } finally {
            TestHost.removeApp(app);
        }
    }

    @Test
    void aLineCutShortByAFailedWriteIsRepairedByTheNextEntryInsteadOfWarnedAboutForever() throws Exception {
        String app = "histcut-" + Integer.toString(java.util.concurrent.ThreadLocalRandom.current().nextInt(36 * 36 * 36), 36);
        try {
            String whole = "{\"at\":\"2025-01-01T12:00:00Z\",\"action\":\"deploy\",\"release\":\"v1\",\"colour\":\"blue\",\"result\":\"ok\",\"durationMillis\":1,\"by\":\"ci@a\"}";
            writeFile(app, whole + "\n" + whole.substring(0, 40)); // a full disk stopped the write mid-line
            var history = new ReleaseHistory(TestHost.docker(), app);
            history.append(new ReleaseHistory.Entry("2025-01-01T13:00:00Z", "deploy", "v2", "green", "v1", "ok", 5, "ci@a", null));
            StringWriter warn = new StringWriter();
            List<ReleaseHistory.Entry> entries = history.read(new PrintWriter(warn, true));
            assertEquals(List.of("v1", "v2"), entries.stream().map(ReleaseHistory.Entry::release).toList(), entries.toString());
            assertEquals("", warn.toString(), "nothing left to warn about");
        } finally {
            TestHost.removeApp(app);
        }
    }

    @Test
    void aHelperLeftByARunKilledMidReadIsRemovedByTheNextOne() throws Exception {
        String app = "histleft-" + Integer.toString(java.util.concurrent.ThreadLocalRandom.current().nextInt(36 * 36 * 36), 36);
        var docker = TestHost.docker();
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        try {
            // What `kill -9` of a rollback mid-read leaves: a created helper holding the state volume, its process dead.
            String left = docker.createContainerCmd(MarkerImage.ensure(docker)).withName(app + "-bgdeploy-state-io-" + gone.pid() + "-1").withCmd("/state")
                    .withLabels(Map.of(lib.base.Labels.ROLE, "state", lib.base.Labels.APP, app, lib.base.Labels.LOCK_PID, String.valueOf(gone.pid()),
                            lib.base.Labels.LOCK_HOST, lib.base.Operator.hostName()))
                    .withHostConfig(HostConfig.newHostConfig().withBinds(new Bind(ReleaseHistory.volumeName(app), new Volume("/state"))))
                    .exec().getId();
            new ReleaseHistory(docker, app).read(new PrintWriter(new StringWriter()));
            assertTrue(docker.listContainersCmd().withShowAll(true).exec().stream().noneMatch(c -> c.getId().equals(left)), "the leftover helper is gone");
        } finally {
            TestHost.removeApp(app);
        }
    }

    /** Puts the history file into the app's state volume as it would be after years of deploys, or damage. */
    static void writeFile(String app, String text) {
        var docker = TestHost.docker();
        String id = docker.createContainerCmd(MarkerImage.ensure(docker)).withName(app + "-bgdeploy-state-test").withCmd("/state")
                .withLabels(Map.of(lib.base.Labels.APP, app))
                .withHostConfig(HostConfig.newHostConfig().withBinds(new Bind(ReleaseHistory.volumeName(app), new Volume("/state"))))
                .exec().getId();
        try {
            docker.copyArchiveToContainerCmd(id).withRemotePath("/state").withTarInputStream(
                    new ByteArrayInputStream(Tar.of(Map.of("history.jsonl", text.getBytes(StandardCharsets.UTF_8))))).exec();
        } finally {
            docker.removeContainerCmd(id).withForce(true).exec();
        }
    }
}
