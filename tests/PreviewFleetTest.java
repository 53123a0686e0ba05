import lib.front.NginxConfig;
import lib.host.HostReader;
import lib.host.RecordStore;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A preview across the three test-bed hosts: every host previews or none does, and promote switches them all. */
class PreviewFleetTest {
    static String get(String ip, int port) {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://" + ip + ":" + port + "/version.txt"))
                    .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? r.body().trim() : "ERR " + r.statusCode() + ": " + r.body().trim();
        } catch (Exception e) {
            return "ERR " + e.getClass().getSimpleName();
        }
    }

    static boolean previewOpen(int host, String app) {
        return RecordStore.read(TestBed.docker(host), app).record().flatMap(r -> r.openPreview()).isPresent();
    }

    @Test
    void aFleetPreviewsOnEveryHostOrNoneAndPromotesThemAll() throws Exception {
        for (int h : FleetTest.HOSTS) TestBed.images(h);
        try (TestApp app = new TestApp("pvfleet")) {
            int frontPort = TestHost.freePort();
            int previewPort = TestHost.freePort();
            Path project = app.dir.resolve("deploy.yml");
            StringBuilder y = new StringBuilder("app: " + app.name + "\nenvironments:\n  prod:\n    hosts:\n");
            for (int h : FleetTest.HOSTS) {
                y.append("      - host: ").append(TestBed.tls(h)).append("\n        tls_verify: true\n        cert_path: ").append(TestBed.CERTS).append('\n');
            }
            Files.writeString(project, y.toString());
            String[] env = {"--project", project.toString(), "--env", "prod"};
            String[] fleet = Commands.concat(env, "--front", "managed", "--front-bind", "0.0.0.0", "--front-port", String.valueOf(frontPort),
                    "--front-preview-port", String.valueOf(previewPort), "--front-image", TestHost.WEB);
            try {
                assertEquals(0, app.deploy("v1", fleet).code());

                // v3 crashes on host 3 only: no host opens a preview
                TestBed.loadAs(3, TestHost.APP_REPO + ":crash", "v3");
                var bad = app.deploy("v3", Commands.concat(fleet, "--preview"));
                assertEquals(1, bad.code(), bad.toString());
                assertTrue(bad.err().contains("no host was switched"), bad.err());
                for (int h : FleetTest.HOSTS) {
                    assertEquals("ERR 404: " + NginxConfig.NO_PREVIEW, get(TestBed.ip(h), previewPort), "host " + h);
                    assertTrue(!previewOpen(h, app.name), "host " + h);
                    assertTrue(HostReader.read(TestBed.docker(h), app.name).green().empty(), "host " + h + ": undone");
                }
                TestBed.loadAs(3, TestHost.APP_REPO + ":v3", "v3");

                try (FleetTest.Loads load = new FleetTest.Loads(frontPort)) {
                    var r = app.deploy("v2", Commands.concat(fleet, "--preview"));
                    assertEquals(0, r.code(), r.toString());
                    assertTrue(r.out().contains("preview open: " + app.name + " release v2 on all 3 hosts"), r.out());
                    for (int h : FleetTest.HOSTS) {
                        assertTrue(previewOpen(h, app.name), "host " + h);
                        assertEquals("v2", get(TestBed.ip(h), previewPort), "host " + h);
                        assertEquals("v1", get(TestBed.ip(h), frontPort), "host " + h);
                    }
                    var refused = app.deploy("v3", fleet);
                    assertEquals(lib.base.ExitCode.PREVIEW_OPEN, refused.code(), refused.toString());

                    r = TestApp.run(Commands.concat(new String[]{"promote"}, Commands.concat(env, "--probe", "/health.txt")));
                    assertEquals(0, r.code(), r.toString());
                    assertTrue(r.out().contains("promoted " + app.name + " release v2 on all 3 hosts"), r.out());
                    Thread.sleep(300);
                    load.stop();
                    assertEquals(List.of(), load.failures(), "no failed request through any front");
                    assertEquals(Set.of("v1", "v2"), Set.copyOf(load.answers));
                }
                for (int h : FleetTest.HOSTS) {
                    assertEquals("v2", get(TestBed.ip(h), frontPort), "host " + h);
                    assertEquals("ERR 404: " + NginxConfig.NO_PREVIEW, get(TestBed.ip(h), previewPort), "host " + h);
                    assertTrue(!previewOpen(h, app.name), "host " + h);
                }
            } finally {
                TestBed.loadAs(3, TestHost.APP_REPO + ":v3", "v3");
                for (int h : FleetTest.HOSTS) TestHost.removeApp(TestBed.docker(h), app.name);
            }
        }
    }
}
