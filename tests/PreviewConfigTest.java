import lib.base.ExitCode;
import lib.base.Labels;
import lib.front.NginxConfig;
import lib.model.Colour;
import lib.model.EdgeSettings;
import lib.model.FrontSettings;
import lib.model.LiveRecord;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Preview and promote as data: the front's configuration with and without a preview, the record's labels, the command line. */
class PreviewConfigTest {
    static String server(String main, String listen) {
        int start = main.indexOf("server {\n        listen " + listen + ";");
        assertTrue(start >= 0, "a server on " + listen + ": " + main);
        int end = main.indexOf("\n    }\n", start);
        return main.substring(start, end);
    }

    @Test
    void theMainPortsPickTheUpstreamByTheCookieAndThePreviewPortHasItsOwnServer() {
        String c = NginxConfig.mainConfig();
        assertTrue(c.contains("include " + NginxConfig.PREVIEW + ";"), c);
        assertTrue(c.contains("map $http_cookie $bgdeploy_preview_cookie { \"~(^|;)\\s*bgdeploy-preview=1\\s*(;|$)\" 1; default 0; }"), c);
        assertTrue(c.contains("map \"$bgdeploy_preview_cookie:$bgdeploy_preview_open\" $bgdeploy_pick { \"1:1\" bgdeploy_preview; default bgdeploy_live; }"), c);
        String main = server(c, "80");
        assertTrue(main.contains("proxy_pass http://$bgdeploy_pick;"), main);
        assertFalse(main.contains("bgdeploy_preview_open = 0"), "the main port answers without a preview too: " + main);
        String preview = server(c, String.valueOf(NginxConfig.PREVIEW_PORT));
        assertTrue(preview.contains("proxy_pass http://bgdeploy_preview;"), preview);
        assertFalse(preview.contains("$bgdeploy_pick"), "the preview port never reaches the live colour: " + preview);
        assertTrue(preview.contains("if ($bgdeploy_preview_open = 0) { return 404; }"), preview);
        assertTrue(preview.contains("error_page 404 @bgdeploy_no_preview;"), preview);
        assertTrue(preview.contains("return 404 \"" + NginxConfig.NO_PREVIEW + "\\n\";"), preview);
        assertTrue(preview.contains("proxy_set_header X-Forwarded-Port " + (FrontSettings.DEFAULT_PORT + 1) + ";"), preview);
        // nginx inherits error pages all or none: none inside the location, or the 404 page and the stream would be lost there.
        String location = preview.substring(preview.indexOf("location / {"), preview.indexOf("location @bgdeploy_stream"));
        assertFalse(location.contains("error_page"), location);
    }

    @Test
    void withTlsAndMaintenanceTheCookieWorksOnHttpsAndThePreviewPortIsUnderMaintenanceToo() {
        var tls = new EdgeSettings.Tls(true, "/c.pem", "/k.pem", 8443, true, "AB", "2030-01-01T00:00:00Z");
        var m = new EdgeSettings.Maintenance(true, List.of("203.0.113.7"), 120, null);
        String c = new NginxConfig(FrontSettings.managedDefaults().withEdge(EdgeSettings.defaults().withTls(tls).withMaintenance(m)).withPreviewPort(9001)).main();
        String https = server(c, NginxConfig.TLS_PORT + " ssl http2");
        assertTrue(https.contains("proxy_pass http://$bgdeploy_pick;"), https);
        assertTrue(server(c, "80").contains("return 301 https://"), "plain HTTP still redirects");
        String preview = server(c, String.valueOf(NginxConfig.PREVIEW_PORT));
        assertTrue(preview.contains("if ($bgdeploy_open = 0) { return 503; }"), preview);
        assertTrue(preview.indexOf("$bgdeploy_open = 0") < preview.indexOf("$bgdeploy_preview_open = 0"), "maintenance is asked first: " + preview);
        assertTrue(preview.contains("error_page 503 $bgdeploy_page;"), preview);
        assertTrue(preview.contains("X-Forwarded-Port 9001;"), preview);
        assertEquals(1, c.split("include " + NginxConfig.PREVIEW + ";", -1).length - 1, "included once");
    }

    @Test
    void thePreviewFileSaysWhetherAPreviewIsOpenAndReadsBack() {
        String none = NginxConfig.previewConfig(null);
        assertTrue(none.contains("upstream bgdeploy_preview {\n    server " + NginxConfig.NOWHERE + ";"), none);
        assertTrue(none.contains("map $pid $bgdeploy_preview_open { default 0; }"), none);
        assertEquals(java.util.Optional.empty(), NginxConfig.previewTarget(none));
        String open = NginxConfig.previewConfig("shop-green-web-1:80");
        assertTrue(open.contains("server shop-green-web-1:80;") && open.contains("{ default 1; }"), open);
        assertEquals(java.util.Optional.of("shop-green-web-1:80"), NginxConfig.previewTarget(open));
        assertEquals(java.util.Optional.empty(), NginxConfig.previewTarget(""), "a front without the file has no preview");
        // The switch's own file is untouched by a preview: its target reads as before.
        assertEquals(NginxConfig.NOWHERE, NginxConfig.currentTarget(NginxConfig.upstreamConfig(NginxConfig.NOWHERE)));
    }

    @Test
    void thePreviewPortDefaultsToTheFrontsPortPlusOne() {
        assertEquals(8001, FrontSettings.managedDefaults().previewPort());
        assertEquals(9001, new FrontSettings(true, 9000, "127.0.0.1", "nginx:stable", null, null, Duration.ofSeconds(5), false).previewPort());
        assertEquals(65534, new FrontSettings(true, 65535, "127.0.0.1", "nginx:stable", null, null, Duration.ofSeconds(5), false).previewPort());
        assertEquals(7000, FrontSettings.managedDefaults().withPreviewPort(7000).previewPort());
        assertEquals(7000, FrontSettings.managedDefaults().withPreviewPort(7000).withEdge(EdgeSettings.defaults()).previewPort(), "kept by withEdge");
    }

    static LiveRecord previewing() {
        return LiveRecord.empty().withFront(FrontSettings.managedDefaults().withPreviewPort(9101))
                .withGated(Colour.BLUE, "v1").withLive(Colour.BLUE, "v1", "ci", FrontSettings.managedDefaults().withPreviewPort(9101))
                .withGated(Colour.GREEN, "v2").withPreview(new LiveRecord.Preview(Colour.GREEN, "v2", Instant.parse("2026-12-02T05:00:00Z"), "alice"));
    }

    @Test
    void theRecordSaysAPreviewIsOpenAndReadsItBack() {
        LiveRecord r = previewing();
        var labels = r.toLabels("shop");
        assertEquals("green", labels.get(Labels.NS + "live.preview.colour"));
        assertEquals("v2", labels.get(Labels.NS + "live.preview.release"));
        assertEquals("alice", labels.get(Labels.NS + "live.preview.by"));
        assertEquals(null, LiveRecord.problem(labels, "shop"));
        LiveRecord back = LiveRecord.fromLabels(labels);
        assertEquals(r, back);
        assertEquals(9101, back.front().previewPort());
        // Any later state of the record keeps the preview, except a colour going live (a promote, or a deploy that replaced it).
        assertTrue(back.withGated(Colour.BLUE, "v1").openPreview().isPresent());
        assertTrue(back.withFront(back.front()).openPreview().isPresent());
        assertFalse(back.withLive(Colour.GREEN, "v2", "bob", back.front()).openPreview().isPresent());
        assertFalse(LiveRecord.fromLabels(back.withPreview(null).toLabels("shop")).openPreview().isPresent());
    }

    @Test
    void aPreviewTheRecordCannotBackReadsAsNone() {
        var labels = previewing().toLabels("shop");
        labels.put(Labels.NS + "live.preview.colour", "blue");
        assertFalse(LiveRecord.fromLabels(labels).openPreview().isPresent(), "the live colour is no preview");
        labels = previewing().toLabels("shop");
        labels.put(Labels.NS + "live.preview.release", "v3");
        assertFalse(LiveRecord.fromLabels(labels).openPreview().isPresent(), "a release other than the one that passed the gate");
        labels = previewing().toLabels("shop");
        labels.remove(Labels.NS + "live.gated.green");
        assertFalse(LiveRecord.fromLabels(labels).openPreview().isPresent(), "a colour that never passed its gate");
        labels = previewing().toLabels("shop");
        labels.put(Labels.NS + "live.preview.colour", "purple");
        assertFalse(LiveRecord.fromLabels(labels).openPreview().isPresent());
        labels = previewing().toLabels("shop");
        labels.put(Labels.NS + "live.front.preview-port", "99999");
        assertEquals(FrontSettings.DEFAULT_PORT + 1, LiveRecord.fromLabels(labels).front().previewPort(), "a bad port reads as the default");
        // A record from before previews: no preview, the default port.
        labels = previewing().toLabels("shop");
        labels.keySet().removeIf(k -> k.contains(".preview"));
        assertFalse(LiveRecord.fromLabels(labels).openPreview().isPresent());
        assertEquals(FrontSettings.DEFAULT_PORT + 1, LiveRecord.fromLabels(labels).front().previewPort());
    }

    @Test
    void promoteAndAbortAreSubcommandsThatTeach() {
        var promote = TestApp.run("promote", "--help");
        assertEquals(0, promote.code(), promote.toString());
        assertTrue(promote.out().contains("Switch to the open preview") && promote.out().contains("--app"), promote.out());
        assertTrue(promote.out().contains("6    a preview is open"), "the exit codes: " + promote.out());
        var abort = TestApp.run("abort", "--help");
        assertEquals(0, abort.code(), abort.toString());
        assertTrue(abort.out().contains("Remove the open preview") && abort.out().contains("the live colour is not touched"), abort.out());
        var deploy = TestApp.run("--help");
        assertTrue(deploy.out().contains("--preview") && deploy.out().contains("--replace-preview") && deploy.out().contains("--front-preview-port"), deploy.out());
        assertTrue(deploy.out().contains("promote"), "listed as a subcommand: " + deploy.out());
        assertEquals(ExitCode.USAGE, TestApp.run("promote").code(), "promote needs --app");
    }

    static lib.model.ColourState colour(Colour c, String release) {
        var labels = java.util.Map.of(Labels.APP, "shop", Labels.COLOUR, c.id(), Labels.RELEASE, release, Labels.DEPLOYED_AT, "2026-12-02T04:00:00Z");
        Instant t = Instant.parse("2026-12-02T04:00:00Z");
        return new lib.model.ColourState(c, List.of(new lib.model.ContainerInfo("id-" + c.id(), "shop-" + c.id() + "-web-1", "web", "app:" + release,
                "sha", "running", null, t, t, null, labels)));
    }

    /** What the next command reads on a host with a preview open: the previewed colour passed its gate, is not live, and is named as a preview. */
    @Test
    void aHostWithAnOpenPreviewKeepsItsLiveColourAndNamesThePreview() {
        var s = new lib.model.HostState("shop", colour(Colour.BLUE, "v1"), colour(Colour.GREEN, "v2"), java.util.Optional.of(previewing()),
                java.util.Optional.of(Colour.BLUE), List.of());
        assertEquals(java.util.Optional.of(Colour.BLUE), s.live());
        assertTrue(s.mayServe(s.green()), "gated: neither ungated leftovers for status to stop nor for a deploy to remove");
        assertTrue(s.describe().contains("green is previewed (release v2): promote or abort it"), s.describe());
        assertFalse(lib.engine.Recovery.of(s).needed(), "nothing for the recovery to put back or remove");
        var closed = new lib.model.HostState("shop", colour(Colour.BLUE, "v1"), colour(Colour.GREEN, "v2"), java.util.Optional.of(previewing().withPreview(null)),
                java.util.Optional.of(Colour.BLUE), List.of());
        assertTrue(closed.describe().contains("green runs as a standby"), closed.describe());
    }

    @Test
    void deployYmlNamesThePreviewPortAndABadOneIsRefusedByKey() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("pvyml");
        try {
            java.nio.file.Path f = dir.resolve("deploy.yml");
            java.nio.file.Files.writeString(f, "app: shop\nfront:\n  kind: managed\n  port: 9000\n  preview_port: 9100\n");
            assertEquals("9100", lib.project.ProjectFile.load(f).front().get("preview_port"));
            java.nio.file.Files.writeString(f, "app: shop\nfront:\n  preview_port: 70000\n");
            var e = org.junit.jupiter.api.Assertions.assertThrows(lib.base.DeployError.class, () -> lib.project.ProjectFile.load(f));
            assertEquals(ExitCode.CONFIG, e.exitCode());
            assertTrue(e.getMessage().contains("front.preview_port"), e.getMessage());
        } finally {
            ExampleImages.deleteTree(dir);
        }
    }

    @Test
    void aPreviewWithTheRecreateStrategyIsRefusedBeforeAnythingIsRead() {
        var r = TestApp.run("--app", "pvnothing", "--preview", "--strategy", "recreate");
        assertEquals(ExitCode.USAGE, r.code(), r.toString());
        assertTrue(r.err().contains("--preview needs both colours running side by side") && r.err().lines().count() == 1, r.err());
        var port = TestApp.run("--app", "pvnothing", "--front-preview-port", "0", "--dry-run");
        assertEquals(ExitCode.USAGE, port.code(), port.toString());
        assertTrue(port.err().contains("--front-preview-port"), port.err());
    }
}
