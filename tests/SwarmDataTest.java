import lib.base.Labels;
import lib.docker.SwarmManagers;
import lib.host.ReleaseHistory;
import lib.host.SwarmState;
import lib.model.Colour;
import lib.model.FrontSettings;
import lib.model.LiveRecord;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.model.LocalNodeState;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The data of an app's state in a Swarm's store: names, labels, entries, the write rule and the manager rule. No Docker. */
class SwarmDataTest {
    /** Swarm's rule for config and service names, as its API states it. */
    static final String SWARM_NAME = "[a-zA-Z0-9](?:[a-zA-Z0-9_.-]*[a-zA-Z0-9])?";

    @Test
    void namesFitSwarmsLimitsForEveryAppNameAndStayOnePerApp() {
        assertEquals("shop-bgdeploy-lock", SwarmState.lockName("shop"));
        assertEquals("shop-bgdeploy-record", SwarmState.recordName("shop"));
        Instant at = Instant.parse("2026-12-02T04:47:48.123Z");
        assertEquals("shop-bgdeploy-history-20261202T044748123Z-ab12cd", SwarmState.historyName("shop", at, "ab12cd"));
        String longest = "a".repeat(lib.base.Values.MAX_APP - 1) + "_";
        String other = "a".repeat(lib.base.Values.MAX_APP - 1) + "b";
        for (String app : List.of("shop", "a".repeat(30), longest, other)) {
            String lock = SwarmState.lockName(app);
            String record = SwarmState.recordName(app);
            String history = SwarmState.historyName(app, at, "ab12cd");
            assertTrue(lock.length() <= SwarmState.CONFIG_NAME_MAX && lock.matches(SWARM_NAME), lock);
            assertTrue(record.length() <= SwarmState.SERVICE_NAME_MAX && record.matches(SWARM_NAME), record);
            assertTrue(history.length() <= SwarmState.CONFIG_NAME_MAX && history.matches(SWARM_NAME), history);
            assertEquals(lock, SwarmState.lockName(app), "the same name on every run: the lock is found by it");
        }
        assertNotEquals(SwarmState.lockName(longest), SwarmState.lockName(other), "shortened names keep apart apps that share a prefix");
        assertNotEquals(SwarmState.recordName(longest), SwarmState.recordName(other));
        assertEquals(SwarmState.CONFIG_NAME_MAX, SwarmState.historyName(longest, at, "ab12cd").length());
    }

    @Test
    void historyNamesSortByTimeAsDockerConfigLsShowsThem() {
        Instant t = Instant.parse("2026-12-02T09:59:59.999Z");
        List<String> names = new ArrayList<>();
        for (Instant i : List.of(t, t.plusMillis(1), t.plusSeconds(3600), t.plusSeconds(86400 * 40))) names.add(SwarmState.historyName("shop", i, "zzzzzz"));
        List<String> sorted = new ArrayList<>(names);
        java.util.Collections.sort(sorted);
        assertEquals(names, sorted);
    }

    @Test
    void aRecordWriteGoesAheadOnlyAgainstTheVersionItRead() {
        assertEquals(Optional.empty(), SwarmState.conflict(false, null, 42L), "never read: written against what is stored, atomically");
        assertEquals(Optional.empty(), SwarmState.conflict(true, 42L, 42L));
        assertEquals(Optional.empty(), SwarmState.conflict(true, null, null), "read none, none there: created");
        assertEquals(Optional.of("another writer replaced it since this run read it"), SwarmState.conflict(true, 42L, 43L));
        assertEquals(Optional.of("another writer created it since this run read it"), SwarmState.conflict(true, null, 43L));
        assertEquals(Optional.of("someone removed it since this run read it"), SwarmState.conflict(true, 42L, null));
        assertTrue(SwarmState.outOfSequence("Status 500: {\"message\":\"rpc error: code = Unknown desc = update out of sequence\"}"));
        assertFalse(SwarmState.outOfSequence("Status 500: {\"message\":\"rpc error: code = Unavailable desc = transport is closing\"}"));
        assertFalse(SwarmState.outOfSequence(null));
    }

    @Test
    void theRecordIsANeverRunningServiceLabelledAsOurs() {
        LiveRecord r = LiveRecord.empty().withGated(Colour.GREEN, "v2").withLive(Colour.GREEN, "v2", "ci@runner", FrontSettings.passive());
        var spec = SwarmState.recordSpec("shop", r.toLabels("shop"));
        assertEquals("shop-bgdeploy-record", spec.getName());
        assertEquals(0L, spec.getMode().getReplicated().getReplicas());
        assertEquals(r.toLabels("shop"), spec.getLabels());
        assertEquals(LiveRecord.ROLE, spec.getLabels().get(Labels.ROLE));
        assertNull(LiveRecord.problem(spec.getLabels(), "shop"));
        assertEquals(Optional.of(Colour.GREEN), LiveRecord.fromLabels(spec.getLabels()).liveColour());
        assertFalse(spec.getLabels().containsKey("com.docker.stack.namespace"), "not a colour's service: no stack label");
    }

    @Test
    void historyConfigsReadBackInStoreOrderAndPrune() throws Exception {
        String app = "shop";
        var e1 = new ReleaseHistory.Entry("2026-12-02T10:00:00Z", "deploy", "v1", "blue", null, "ok", 1200, "ci@a", null);
        var e2 = new ReleaseHistory.Entry("2026-12-02T09:00:00Z", "deploy", "v2", "green", "v1", "failed", 3400, "ci@b", "health gate: timeout", "web slow", "tasks: migrate ok");
        var e3 = new ReleaseHistory.Entry("2026-12-02T11:00:00Z", "rollback", "v1", "blue", "v2", "ok", 800, "ci@a", null);
        // As the Engine API lists configs: in no useful order, with another app's and the lock's among them.
        String json = "[" + String.join(",",
                config("c3", "shop-bgdeploy-history-3", 30, app, SwarmState.HISTORY_ROLE, ReleaseHistory.encode(e3)),
                config("c1", "shop-bgdeploy-history-1", 10, app, SwarmState.HISTORY_ROLE, ReleaseHistory.encode(e1)),
                config("x1", "shop2-bgdeploy-history-1", 5, "shop2", SwarmState.HISTORY_ROLE, ReleaseHistory.encode(e1)),
                config("l1", "shop-bgdeploy-lock", 7, app, "lock", "deploy lock"),
                config("c2", "shop-bgdeploy-history-2", 20, app, SwarmState.HISTORY_ROLE, ReleaseHistory.encode(e2)),
                config("bad", "shop-bgdeploy-history-4", 40, app, SwarmState.HISTORY_ROLE, "{not json")) + "]";
        List<SwarmState.Stored> ordered = SwarmState.configs(new ObjectMapper().readTree(json), app, SwarmState.HISTORY_ROLE);
        assertEquals(List.of("c1", "c2", "c3", "bad"), ordered.stream().map(SwarmState.Stored::id).toList(),
                "by the store's index, not by each entry's own clock (e2's at is the earliest)");
        StringWriter warn = new StringWriter();
        var entries = SwarmState.entries(ordered, new PrintWriter(warn));
        assertEquals(List.of(e1, e2, e3), entries, "every field as ReleaseHistory writes and reads it");
        assertTrue(warn.toString().startsWith("warning: skipped config shop-bgdeploy-history-4 of the release history: "), warn.toString());
        assertEquals(1, warn.toString().lines().count());
        assertEquals(List.of("c1", "c2"), SwarmState.beyondKeep(ordered, 2).stream().map(SwarmState.Stored::id).toList(), "the oldest go first");
        assertEquals(List.of(), SwarmState.beyondKeep(ordered, SwarmState.KEEP));
        assertEquals(Optional.of(e3), ReleaseHistory.lastLiveBefore(entries, "v3"), "the newest ok entry: the rollback to v1");
        assertEquals(Optional.empty(), ReleaseHistory.lastLiveBefore(entries, "v1"));
    }

    @Test
    void historyLabelsNameTheAppAndNothingOfTheEntry() {
        var l = SwarmState.historyLabels("shop", Instant.parse("2026-12-02T10:00:00Z"));
        assertEquals(Map.of(Labels.APP, "shop", Labels.ROLE, SwarmState.HISTORY_ROLE, Labels.NS + "history.at", "2026-12-02T10:00:00Z"), l,
                "reasons and notes (which can quote a failing command's output) stay in the data, never in labels");
    }

    /** A manager refused before any connection (plaintext without insecure: true) is named so, never called dead; nothing is sent to it. */
    @Test
    void aPlaintextManagerIsSkippedAsRefusedNotAsDeadAndNoneLeftIsExitFive() {
        var err = new java.io.StringWriter();
        var e = org.junit.jupiter.api.Assertions.assertThrows(lib.base.DeployError.class, () -> SwarmManagers.connect(
                java.util.List.of(new lib.docker.HostAddress("tcp://10.210.0.250:2375", "managers[0]", false, null, false)), new java.io.PrintWriter(err, true)));
        assertEquals(lib.base.ExitCode.DOCKER, e.exitCode());
        assertTrue(e.getMessage().startsWith("no Swarm manager answers (") && e.getMessage().contains("refusing plaintext Docker API at tcp://10.210.0.250:2375"), e.getMessage());
        assertTrue(err.toString().startsWith("note: skipping tcp://10.210.0.250:2375: refusing plaintext") && !err.toString().contains("does not answer"), err.toString());
    }

    @Test
    void onlyAnActiveManagerAnswersForTheSwarm() {
        assertNull(SwarmManagers.notAManager(LocalNodeState.ACTIVE, true));
        assertEquals("it is a Swarm worker, not a manager", SwarmManagers.notAManager(LocalNodeState.ACTIVE, false));
        assertEquals("it is a Swarm worker, not a manager", SwarmManagers.notAManager(LocalNodeState.ACTIVE, null));
        assertEquals("it is not part of a Swarm (a standalone Docker engine)", SwarmManagers.notAManager(LocalNodeState.INACTIVE, false));
        assertEquals("it is not part of a Swarm (a standalone Docker engine)", SwarmManagers.notAManager(null, null));
        assertEquals("its Swarm state is locked, not active", SwarmManagers.notAManager(LocalNodeState.LOCKED, true));
        assertEquals("its Swarm state is pending, not active", SwarmManagers.notAManager(LocalNodeState.PENDING, false));
    }

    @Test
    void aManagerIsLostWhenItDoesNotAnswerNotWhenItAnswersNo() {
        assertTrue(lib.docker.SwarmManagers.lost(new lib.base.DeployError(lib.base.ExitCode.DOCKER, "the Docker daemon did not answer within 25s")));
        assertTrue(lib.docker.SwarmManagers.lost(new RuntimeException(new java.net.SocketException("Connection reset"))));
        assertTrue(lib.docker.SwarmManagers.lost(new com.github.dockerjava.api.exception.DockerException("The swarm does not have a leader", 503)));
        assertFalse(lib.docker.SwarmManagers.lost(new lib.base.DeployError(lib.base.ExitCode.LOCKED, "app shop is locked by ...")));
        assertFalse(lib.docker.SwarmManagers.lost(new com.github.dockerjava.api.exception.ConflictException("config shop-bgdeploy-lock already exists")));
        assertFalse(lib.docker.SwarmManagers.lost(new com.github.dockerjava.api.exception.InternalServerErrorException("update out of sequence")));
        assertFalse(lib.docker.SwarmManagers.lost(new IllegalStateException("a bug")));
    }

    static String config(String id, String name, long index, String app, String role, String data) {
        String b64 = Base64.getEncoder().encodeToString(data.getBytes(StandardCharsets.UTF_8));
        return "{\"ID\":\"" + id + "\",\"Version\":{\"Index\":" + index + "},\"CreatedAt\":\"2026-12-02T04:47:55.40436754Z\",\"Spec\":{\"Name\":\"" + name
                + "\",\"Labels\":{\"" + Labels.APP + "\":\"" + app + "\",\"" + Labels.ROLE + "\":\"" + role + "\"},\"Data\":\"" + b64 + "\"}}";
    }

    @Test
    void statusCallsTheClusterOutOfDateOnlyForAFrontThatDiffersAndRepairIsForASwarmOnly() {
        var fine = new lib.cli.SwarmRun.Cluster(List.of("green (live): release v2 (stack shop-green)",
                "front on tcp://10.0.0.1:2376 (TLS): sends to green's running tasks (10.0.6.8:9000)"), false);
        assertTrue(fine.ok());
        assertFalse(fine.frontsOutOfDate());
        var stale = new lib.cli.SwarmRun.Cluster(List.of("green (live): release v2 (stack shop-green)",
                "front on tcp://10.0.0.1:2376 (TLS): sends to green's running tasks (10.0.6.8:9000)",
                "FRONT OUT OF DATE: front on tcp://10.0.0.2:2376 (TLS)'s upstream lists 10.0.6.7:9000, green's running tasks are 10.0.6.8:9000; run deploy.java front sync --env ENV"), false);
        assertFalse(stale.ok());
        assertTrue(stale.frontsOutOfDate());
        assertEquals(2, stale.frontLines().size(), "one line per front, the colours' lines left out: " + stale.frontLines());
        var degraded = new lib.cli.SwarmRun.Cluster(fine.lines(), true);
        assertFalse(degraded.ok());
        assertFalse(degraded.frontsOutOfDate(), "a colour short of tasks is not what front sync repairs");

        var r = TestApp.run("status", "--app", "shop", "--repair");
        assertEquals(lib.base.ExitCode.CONFIG, r.code(), r.toString());
        assertTrue(r.err().contains("status --repair is for an engine: swarm environment"), r.err());
    }

    @Test
    void theHistoryKeepsDigestPinnedImagesAndARollbackFindsTheNewestSuccessfulOnes() throws Exception {
        String pinned = "reg.example:5000/shop:v1@sha256:" + "a".repeat(64);
        var ok = new ReleaseHistory.Entry("2026-01-01T00:00:00Z", "deploy", "v1", "blue", null, "ok", 1, "me", null, null, null, null, null, Map.of("web", pinned));
        var failed = new ReleaseHistory.Entry("2026-01-02T00:00:00Z", "deploy", "v1", "green", null, "failed", 1, "me", "x", null, null, null, null,
                Map.of("web", "reg.example:5000/shop:v1@sha256:" + "b".repeat(64)));
        var old = new ReleaseHistory.Entry("2026-01-03T00:00:00Z", "deploy", "v2", "green", "v1", "ok", 1, "me", null, null, null, null);
        List<ReleaseHistory.Entry> read = new ArrayList<>();
        for (var e : List.of(ok, failed, old)) {
            var stored = SwarmState.Stored.of(new ObjectMapper().readTree(config("c", "h", 1, "shop", SwarmState.HISTORY_ROLE, ReleaseHistory.encode(e))));
            read.add(SwarmState.entries(List.of(stored), new PrintWriter(new StringWriter())).get(0));
        }
        assertEquals(Map.of("web", pinned), read.get(0).images());
        assertFalse(ReleaseHistory.encode(old).contains("images"), "an entry without pinned images reads as before");
        assertEquals(Map.of("web", pinned), ReleaseHistory.recordedImages(read, "v1"), "a failed run's images are not the release as it ran");
        assertEquals(Map.of(), ReleaseHistory.recordedImages(read, "v2"));
    }

    @Test
    void aSwarmServiceSetAsideGoesBackWhenItsNameIsFreeAndAwayWhenItsColourWentLive() {
        String name = SwarmState.asideName("a".repeat(70), Colour.GREEN, "lz3k9q1");
        assertTrue(name.length() <= SwarmState.CONFIG_NAME_MAX && name.endsWith("-green-lz3k9q1"), name);
        Map<String, String> labels = Map.of(Labels.APP, "shop", Labels.COLOUR, "green", Labels.RELEASE, "v1");
        var aside = new lib.model.ContainerInfo("old-id", "shop-green_web" + lib.model.HostState.ASIDE, "web", "img", null, "running", null, null, null, null, labels);
        var free = new lib.model.HostState("shop", new lib.model.ColourState(Colour.BLUE, List.of()), new lib.model.ColourState(Colour.GREEN, List.of()),
                Optional.empty(), Optional.empty(), List.of(aside));
        var r = lib.engine.Recovery.of(free);
        assertEquals(List.of(aside), r.restore());
        assertEquals(List.of("shop-green_web"), r.after().green().containers().stream().map(lib.model.ContainerInfo::name).toList());
        var live = new lib.model.ContainerInfo("new-id", "shop-green_web", "web", "img", null, "running", null, null, null, null, labels);
        var replaced = new lib.model.HostState("shop", new lib.model.ColourState(Colour.BLUE, List.of()), new lib.model.ColourState(Colour.GREEN, List.of(live)),
                Optional.empty(), Optional.empty(), List.of(aside));
        assertEquals(List.of(aside), lib.engine.Recovery.of(replaced).remove(), "two releases old once green is live");
    }
}
