import lib.base.Values;
import lib.front.MaintenancePage;
import lib.front.NginxConfig;
import lib.model.EdgeSettings;
import lib.model.FrontSettings;
import lib.model.LiveRecord;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The managed front's nginx configuration as data: what each edge setting makes nginx do, without nginx. */
class NginxConfigTest {
    static String render(EdgeSettings e) {
        return new NginxConfig(FrontSettings.managedDefaults().withEdge(e)).main();
    }

    static EdgeSettings edge(String maxBody, List<String> trusted, EdgeSettings.Tls tls, EdgeSettings.Maintenance m) {
        return new EdgeSettings(maxBody, Duration.ofSeconds(300), Duration.ofSeconds(60), trusted, tls, m);
    }

    @Test
    void theDefaultsAllowShopSizedBodiesStreamThemAndPassUpgrades() {
        String c = NginxConfig.mainConfig();
        assertTrue(c.contains("client_max_body_size 64m;"), c);
        assertTrue(c.contains("proxy_request_buffering off;"), c);
        assertTrue(c.contains("proxy_read_timeout 300s;"), c);
        // a task on a lost node never refuses: the connect gives up after 1 s and the request moves to another task
        assertTrue(c.contains("proxy_connect_timeout 1s;") && c.contains("proxy_next_upstream error timeout;"), c);
        assertFalse(c.contains("non_idempotent"), "a POST already sent to a task is never sent to another");
        assertTrue(c.contains("proxy_send_timeout 300s;"), c);
        assertTrue(c.contains("map $http_upgrade $bgdeploy_connection { default upgrade; '' ''; }"), c);
        assertTrue(c.contains("proxy_set_header Upgrade $http_upgrade;") && c.contains("proxy_set_header Connection $bgdeploy_connection;"), c);
        assertTrue(c.contains("worker_shutdown_timeout 30s;"), c);
        assertFalse(c.contains("access_log off"), "access_log off would cancel the upgrade log at the same level");
        assertTrue(c.contains("access_log " + NginxConfig.UPGRADE_LOG), c);
    }

    @Test
    void anEventStreamIsAnsweredUnbufferedAndEveryErrorPageIsAtServerLevel() {
        String c = NginxConfig.mainConfig();
        assertTrue(c.contains("~*text/event-stream 1;"), c);
        assertTrue(c.contains("location @bgdeploy_stream {\n            proxy_buffering off;"), c);
        assertFalse(c.contains("proxy_ignore_headers"), "nginx honours X-Accel-Buffering: no");
        // An error_page inside a location would hide every error_page of the server there (nginx inherits all or none).
        String location = c.substring(c.indexOf("location / {"), c.indexOf("location @bgdeploy_stream"));
        assertFalse(location.contains("error_page"), location);
        assertTrue(c.contains("error_page 418 = @bgdeploy_stream;") && c.contains("error_page 413 @bgdeploy_too_large;"), c);
        assertTrue(c.contains("return 413 \"413 Request Entity Too Large: the body is over the front's limit of 64m (front.max_body)\\n\";"), c);
    }

    @Test
    void withoutTrustedProxiesTheClientHeadersAreReplacedNeverPassedOn() {
        String c = NginxConfig.mainConfig();
        assertFalse(c.contains("set_real_ip_from"), c);
        assertTrue(c.contains("proxy_set_header X-Forwarded-For $remote_addr;"), c);
        assertTrue(c.contains("proxy_set_header X-Forwarded-Proto $scheme;"), c);
        assertTrue(c.contains("proxy_set_header X-Real-IP $remote_addr;"), c);
        assertTrue(c.contains("proxy_set_header X-Forwarded-Host $host;"), c);
        assertTrue(c.contains("proxy_set_header X-Forwarded-Port 8000;"), c);
    }

    @Test
    void trustedProxiesAreTheOnlyOnesWhoseForwardedHeadersCount() {
        String c = render(edge("0", List.of("10.0.0.0/8", "2001:db8::/32"), EdgeSettings.Tls.off(), EdgeSettings.Maintenance.off()));
        assertTrue(c.contains("client_max_body_size 0;"), c);
        assertTrue(c.contains("set_real_ip_from 10.0.0.0/8;\n    set_real_ip_from 2001:db8::/32;\n    real_ip_header X-Forwarded-For;\n    real_ip_recursive on;"), c);
        assertTrue(c.contains("geo $realip_remote_addr $bgdeploy_trusted {"), c);
        assertTrue(c.contains("map $bgdeploy_trusted $bgdeploy_xff { 1 $bgdeploy_xff_chain; default $remote_addr; }"), c);
        assertTrue(c.contains("proxy_set_header X-Forwarded-For $bgdeploy_xff;"), c);
        assertTrue(c.contains("proxy_set_header X-Forwarded-Proto $bgdeploy_proto;"), c);
    }

    @Test
    void tlsServesHttp2WithModernProtocolsAndRedirectsPlainHttp() {
        var tls = new EdgeSettings.Tls(true, "/c.pem", "/k.pem", 8443, true, "AB:CD", "2030-01-01T00:00:00Z");
        String c = render(edge("64m", List.of(), tls, EdgeSettings.Maintenance.off()));
        assertTrue(c.contains("listen 443 ssl http2;"), c);
        assertTrue(c.contains("ssl_protocols TLSv1.2 TLSv1.3;"), c);
        assertTrue(c.contains("ssl_certificate " + NginxConfig.TLS_CERT + ";") && c.contains("ssl_certificate_key " + NginxConfig.TLS_KEY + ";"), c);
        assertTrue(c.contains("return 301 https://$host:8443$request_uri;"), c);
        assertTrue(c.contains("proxy_set_header X-Forwarded-Port 8443;"), c);
        assertFalse(c.contains("/c.pem") || c.contains("/k.pem"), "the deploying machine's paths are not the front's");
        String noRedirect = render(edge("64m", List.of(), new EdgeSettings.Tls(true, null, null, 443, false, null, null), EdgeSettings.Maintenance.off()));
        assertFalse(noRedirect.contains("return 301"), noRedirect);
        assertTrue(noRedirect.contains("proxy_set_header X-Forwarded-Port 443;") && noRedirect.contains("proxy_set_header X-Forwarded-Port 8000;"), noRedirect);
    }

    @Test
    void maintenanceAnswers503WithThePageToAllButTheAllowedAddresses() {
        var m = new EdgeSettings.Maintenance(true, List.of("203.0.113.7", "10.1.0.0/16"), 300, "2026-12-02T00:00:00Z");
        String c = render(edge("64m", List.of(), EdgeSettings.Tls.off(), m));
        assertTrue(c.contains("geo $bgdeploy_open {\n        default 0;\n        203.0.113.7 1;\n        10.1.0.0/16 1;\n    }"), c);
        assertTrue(c.contains("if ($bgdeploy_open = 0) { return 503; }"), c);
        // Before the stream check: an EventSource client gets the page too.
        assertTrue(c.indexOf("if ($bgdeploy_open = 0)") < c.indexOf("if ($bgdeploy_stream)"), c);
        assertTrue(c.contains("~*application/json /bgdeploy-maintenance/page.json;"), c);
        assertTrue(c.contains("add_header Retry-After 300 always;"), c);
        assertFalse(NginxConfig.mainConfig().contains("bgdeploy_open"), "off: no gate at all");
        var page = MaintenancePage.of("Back at 3 \"pm\" <soon>", null);
        assertTrue(page.html().contains("Back at 3 &quot;pm&quot; &lt;soon&gt;"), page.html());
        assertTrue(page.json().contains("\"message\":\"Back at 3 \\\"pm\\\" <soon>\""), page.json());
    }

    @Test
    void theDrainCountsTheOldColoursUpgradedConnectionsThatEnded() {
        String log = "shop-blue-web-1:80 1000.000 101\nshop-green-web-1:80 1010.000 101\nshop-blue-web-1:80 1010.100 200\nshop-blue-web-1:80 1010.2 101\ngarbage\n";
        assertEquals(2, NginxConfig.closedUpgrades(log, "shop-blue-web-1:80"));
        assertEquals(0, NginxConfig.closedUpgrades("", "shop-blue-web-1:80"));
        String up = NginxConfig.upstreamConfig("shop-blue-web-1:80");
        assertTrue(up.contains("map $pid $bgdeploy_upstream { default \"shop-blue-web-1:80\"; }"), up);
        assertEquals("shop-blue-web-1:80", NginxConfig.currentTarget(up));
    }

    @Test
    void sizesAndAddressesAreCheckedStrictlyBecauseTheyGoIntoNginx() {
        assertEquals("64m", Values.size("64M"));
        assertEquals("0", Values.size("0"));
        assertThrows(IllegalArgumentException.class, () -> Values.size("64mb"));
        assertThrows(IllegalArgumentException.class, () -> Values.size("1m; include /etc/passwd"));
        assertThrows(IllegalArgumentException.class, () -> Values.size("100g"));
        assertEquals("10.0.0.0/8", Values.cidr(" 10.0.0.0/8 "));
        assertEquals("2001:db8::/32", Values.cidr("2001:db8::/32"));
        for (String bad : new String[]{"10.0.0.0/33", "300.1.1.1", "10.0.0.0/8; allow all", "example.com", "", "1.2.3.4/8/9"}) {
            assertThrows(IllegalArgumentException.class, () -> Values.cidr(bad), bad);
        }
    }

    @Test
    void theEdgeSettingsAreRecordedWithTheFrontAndNeverTheKey() {
        var tls = new EdgeSettings.Tls(true, "/etc/le/fullchain.pem", "/etc/le/privkey.pem", 443, true, "AB:CD", "2030-01-01T00:00:00Z");
        var m = new EdgeSettings.Maintenance(true, List.of("203.0.113.7"), 120, "2026-12-02T00:00:00Z");
        var e = new EdgeSettings("128m", Duration.ofSeconds(90), Duration.ofSeconds(30), List.of("10.0.0.0/8"), tls, m);
        var r = LiveRecord.empty().withFront(FrontSettings.managedDefaults().withEdge(e));
        var labels = r.toLabels("shop");
        assertTrue(labels.values().stream().noneMatch(v -> v.contains("PRIVATE")), labels.toString());
        assertEquals(e, LiveRecord.fromLabels(labels).front().edge());
        labels.put(lib.base.Labels.NS + "live.front.trusted-proxies", "10.0.0.0/8,evil; include x");
        labels.put(lib.base.Labels.NS + "live.front.max-body", "lots");
        var read = LiveRecord.fromLabels(labels).front().edge();
        assertEquals(List.of("10.0.0.0/8"), read.trustedProxies());
        assertEquals("64m", read.maxBody());
    }

    static void openssl(java.nio.file.Path dir, String... args) throws Exception {
        java.util.List<String> cmd = new java.util.ArrayList<>(List.of("openssl"));
        java.util.Collections.addAll(cmd, args);
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0, cmd.toString());
    }

    @Test
    void aCertificateAndKeyAreCheckedBeforeAnythingChanges() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(new java.io.File("/usr/bin/openssl").canExecute(), "openssl is not installed");
        var dir = java.nio.file.Files.createTempDirectory("tlsfiles");
        try {
            openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "rsa.key", "-out", "rsa.crt", "-days", "2", "-subj", "/CN=a");
            openssl(dir, "genrsa", "-traditional", "-out", "pkcs1.key", "2048");
            openssl(dir, "req", "-x509", "-key", "pkcs1.key", "-out", "pkcs1.crt", "-days", "2", "-subj", "/CN=b");
            openssl(dir, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ec.key");
            openssl(dir, "req", "-x509", "-key", "ec.key", "-out", "ec.crt", "-days", "2", "-subj", "/CN=c");
            // An expired certificate: signed by openssl ca with dates in the past.
            java.nio.file.Files.writeString(dir.resolve("ca.cnf"), "[ ca ]\ndefault_ca = d\n[ d ]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\n"
                    + "default_md = sha256\npolicy = p\n[ p ]\ncommonName = supplied\n[ req ]\ndistinguished_name = dn\nprompt = no\n[ dn ]\nCN = old\n");
            java.nio.file.Files.writeString(dir.resolve("index.txt"), "");
            java.nio.file.Files.writeString(dir.resolve("serial"), "01\n");
            openssl(dir, "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "old.key", "-out", "old.csr", "-config", "ca.cnf");
            openssl(dir, "ca", "-batch", "-config", "ca.cnf", "-selfsign", "-keyfile", "old.key", "-in", "old.csr", "-out", "old.crt",
                    "-startdate", "20200101000000Z", "-enddate", "20200102000000Z", "-notext");
            for (String ok : new String[]{"rsa", "pkcs1", "ec"}) {
                var f = lib.front.TlsFiles.load(dir.resolve(ok + ".crt"), dir.resolve(ok + ".key"));
                assertTrue(f.fingerprint().matches("([0-9A-F]{2}:){31}[0-9A-F]{2}"), f.toString());
                assertFalse(f.toString().contains("PRIVATE"), f.toString());
            }
            String[][] bad = {{"rsa.crt", "pkcs1.key", "is not the key of the certificate"}, {"ec.crt", "rsa.key", "is not a key of the certificate's type (EC)"},
                    {"old.crt", "old.key", "expired on 2020-01-02T00:00:00Z"}, {"missing.crt", "rsa.key", "no such file"}, {"rsa.key", "rsa.key", "holds no PEM certificate"},
                    {"rsa.crt", "rsa.crt", "holds no PEM private key"}};
            for (String[] b : bad) {
                var e = assertThrows(lib.base.DeployError.class, () -> lib.front.TlsFiles.load(dir.resolve(b[0]), dir.resolve(b[1]), lib.front.TlsFiles.Source.OPTIONS));
                assertEquals(lib.base.ExitCode.USAGE, e.exitCode());
                assertTrue(e.getMessage().contains(b[2]) && !e.getMessage().contains("\n"), e.getMessage());
                assertTrue(e.getMessage().startsWith("--front-tls-"), e.getMessage());
            }
        } finally {
            try (var files = java.nio.file.Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
