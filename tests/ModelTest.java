import lib.base.Labels;
import lib.engine.Recovery;
import lib.engine.RunSettings;
import lib.front.NginxConfig;
import lib.model.Colour;
import lib.model.ColourState;
import lib.model.ContainerInfo;
import lib.model.FrontSettings;
import lib.model.HostState;
import lib.model.KeepOld;
import lib.model.LiveRecord;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The data the engine decides by: host state, the live record, run settings, recovery, the nginx text. */
class ModelTest {
    static final Instant T1 = Instant.parse("2026-01-01T10:00:00Z");
    static final Instant T2 = Instant.parse("2026-01-01T11:00:00Z");
    static final Instant T3 = Instant.parse("2026-01-01T12:00:00Z");

    static ContainerInfo stopped(String name, Instant deployedAt, Instant finishedAt) {
        return new ContainerInfo("id-" + name, name, "web", "app:v", "sha", "exited", null, deployedAt, null, finishedAt,
                Map.of(Labels.APP, "shop", Labels.DEPLOYED_AT, deployedAt.toString(), Labels.RELEASE, "v"));
    }

    static ContainerInfo running(String name) {
        return new ContainerInfo("id-" + name, name, "web", "app:v", "sha", "running", null, T1, T1, null, Map.of(Labels.APP, "shop"));
    }

    @Test
    void withBothColoursStoppedTheDeployReplacesTheOneStoppedLongestAgo() {
        // Blue was deployed first but served last (a rollback to it): green stopped longest ago and is the one to replace.
        var blue = new ColourState(Colour.BLUE, List.of(stopped("shop-blue-web-1", T1, T3)));
        var green = new ColourState(Colour.GREEN, List.of(stopped("shop-green-web-1", T2, T2)));
        assertEquals(Colour.GREEN, new HostState("shop", blue, green).target());
        var blueFirst = new ColourState(Colour.BLUE, List.of(stopped("shop-blue-web-1", T2, T2)));
        var greenLast = new ColourState(Colour.GREEN, List.of(stopped("shop-green-web-1", T1, T3)));
        assertEquals(Colour.BLUE, new HostState("shop", blueFirst, greenLast).target());
    }

    @Test
    void theLiveRecordRoundTripsThroughItsLabels() {
        Map<Colour, String> gated = new EnumMap<>(Colour.class);
        gated.put(Colour.BLUE, "v1");
        FrontSettings front = new FrontSettings(true, 8000, "127.0.0.1", "nginx:stable", "web", 8080, Duration.ofSeconds(45));
        LiveRecord r = new LiveRecord(Colour.GREEN, "v2", T2, "ci@runner", front, gated).withGated(Colour.GREEN, "v2");
        LiveRecord back = LiveRecord.fromLabels(r.toLabels("shop"));
        assertEquals(r, back);
        assertEquals("live-record", r.toLabels("shop").get(Labels.ROLE));
        assertEquals(LiveRecord.empty(), LiveRecord.fromLabels(LiveRecord.empty().toLabels("shop")));
    }

    @Test
    void aDamagedRecordReadsAsAbsentValuesNeverAsAFailure() {
        LiveRecord r = LiveRecord.fromLabels(Map.of(Labels.NS + "live.colour", "purple", Labels.NS + "live.since", "yesterday",
                Labels.NS + "live.front", "managed", Labels.NS + "live.front.port", "eighty", Labels.NS + "live.front.drain", "long"));
        assertEquals(Optional.empty(), r.liveColour());
        assertEquals(null, r.since());
        assertEquals(FrontSettings.DEFAULT_PORT, r.front().port());
        assertEquals(null, r.front().drain());
    }

    @Test
    void aRecordThatCannotBeTrustedSaysWhyAndOneThatCanSaysNothing() {
        LiveRecord good = LiveRecord.empty().withGated(Colour.BLUE, "v1").withLive(Colour.BLUE, "v1", "me", FrontSettings.passive());
        Map<String, String> labels = new java.util.HashMap<>(good.toLabels("shop"));
        assertEquals(null, LiveRecord.problem(labels, "shop"));
        assertTrue(LiveRecord.problem(labels, "other").contains("names app \"shop\""));
        Map<String, String> purple = new java.util.HashMap<>(labels);
        purple.put(Labels.NS + "live.colour", "purple");
        assertTrue(LiveRecord.problem(purple, "shop").contains("neither blue nor green"), LiveRecord.problem(purple, "shop"));
        Map<String, String> ungated = new java.util.HashMap<>(labels);
        ungated.remove(Labels.NS + "live.gated.blue");
        assertTrue(LiveRecord.problem(ungated, "shop").contains("not that it passed its gate"));
        Map<String, String> forged = new java.util.HashMap<>(labels);
        forged.put(Labels.NS + "live.release", "v1\ngreen LIVE");
        assertTrue(LiveRecord.problem(forged, "shop").contains("release holds control characters"));
    }

    static RunSettings settings(FrontSettings front, boolean frontGiven, KeepOld keep, boolean keepGiven) {
        return new RunSettings("deploy", Duration.ofSeconds(60), null, null, front, frontGiven, java.util.Set.of(), keep, keepGiven, null, null, null, java.util.List.of());
    }

    @Test
    void theFrontIsWhatTheHostRecordedUnlessTheRunChoseOne() {
        FrontSettings recorded = new FrontSettings(true, 9000, "0.0.0.0", "nginx:1.25", "web", 80, Duration.ofSeconds(5));
        LiveRecord record = LiveRecord.empty().withLive(Colour.BLUE, "v1", "me", recorded);
        FrontSettings asGiven = FrontSettings.passive();
        assertEquals(recorded, settings(asGiven, false, KeepOld.STOPPED, false).frontFor(record));
        assertEquals(FrontSettings.passive(), settings(asGiven, true, KeepOld.STOPPED, false).frontFor(record));
        FrontSettings service = new FrontSettings(false, 8000, "127.0.0.1", "nginx:stable", "app", 9090, Duration.ofSeconds(30));
        FrontSettings merged = settings(service, false, KeepOld.STOPPED, false).frontFor(record);
        assertEquals(List.of(9000, "app", 9090), List.of(merged.port(), merged.service(), merged.targetPort()));
        assertEquals(FrontSettings.passive(), settings(asGiven, false, KeepOld.STOPPED, false).frontFor(LiveRecord.empty()));
    }

    @Test
    void aWarmStandbyNeedsTheManagedFront() {
        FrontSettings managed = FrontSettings.managedDefaults();
        assertEquals(KeepOld.RUNNING, settings(managed, true, KeepOld.STOPPED, false).keepOldFor(managed));
        assertEquals(KeepOld.STOPPED, settings(managed, true, KeepOld.STOPPED, false).keepOldFor(FrontSettings.passive()));
        assertEquals(KeepOld.STOPPED, settings(managed, true, KeepOld.RUNNING, true).keepOldFor(FrontSettings.passive()));
        assertEquals(KeepOld.REMOVED, settings(managed, true, KeepOld.REMOVED, true).keepOldFor(managed));
    }

    @Test
    void recoveryPutsBackWhatWasSetAsideWhenItsNamesAreFreeAndDropsItWhenItsReplacementIsLive() {
        ContainerInfo aside = stopped("shop-green-web-1" + HostState.ASIDE, T1, T2);
        // Green's own name is free: the set-aside release goes back, and the plan sees it as green's.
        HostState free = new HostState("shop", new ColourState(Colour.BLUE, List.of(running("shop-blue-web-1"))),
                new ColourState(Colour.GREEN, List.of()), Optional.empty(), Optional.empty(), List.of(aside));
        Recovery r = Recovery.of(free);
        assertTrue(r.needed());
        assertEquals(List.of(aside), r.restore());
        assertEquals(List.of("shop-green-web-1"), r.after().green().containers().stream().map(ContainerInfo::name).toList());
        assertTrue(r.after().aside().isEmpty());

        // Green's name is taken by a live green: the set-aside release is two releases old.
        HostState replaced = new HostState("shop", new ColourState(Colour.BLUE, List.of()),
                new ColourState(Colour.GREEN, List.of(running("shop-green-web-1"))), Optional.empty(), Optional.empty(), List.of(aside));
        Recovery gone = Recovery.of(replaced);
        assertEquals(List.of(aside), gone.remove());
        assertEquals(1, gone.after().green().containers().size());

        assertFalse(Recovery.of(new HostState("shop", new ColourState(Colour.BLUE, List.of()), new ColourState(Colour.GREEN, List.of()))).needed());
    }

    @Test
    void theNginxTextNamesTheUpstreamAndReadsItBack() {
        String up = NginxConfig.upstreamConfig("shop-green-web-1:80");
        assertTrue(up.contains("server shop-green-web-1:80;"), up);
        assertEquals("shop-green-web-1:80", NginxConfig.currentTarget(up));
        assertEquals(NginxConfig.NOWHERE, NginxConfig.currentTarget("# nothing here\n"));
        String main = NginxConfig.mainConfig();
        assertTrue(main.contains("include " + NginxConfig.UPSTREAM + ";"), main);
        assertTrue(main.contains("proxy_pass http://bgdeploy_live;"), main);
    }
}
