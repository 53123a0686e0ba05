import lib.front.ManagedFront;
import lib.front.NginxConfig;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The managed front as an edge, on the real engine and through the front: bodies, upgrades, streams, the client's
 * identity, maintenance mode and TLS. The app is tests/fixture/edge/h.sh (busybox nc), one deploy serving many checks.
 */
class FrontEdgeTest {
    /** A colour that speaks enough HTTP for the checks: busybox nc runs h.sh per connection; httpd serves the image's health check. */
    static final String COMPOSE = """
            version: '2.1'
            services:
              web:
                image: bgtest-app:${DEPLOY_RELEASE}
                command: ["sh", "-c", "httpd -p 9000 -h /www-image; trap 'exit 0' TERM; nc -ll -p 80 -e sh /srv/h.sh & wait"]
                volumes:
                  - %s:/srv:ro
                ports:
                  - "127.0.0.1:${DEPLOY_PORT}:80"
            """;

    static TestApp edgeApp(String prefix) throws Exception {
        TestApp app = new TestApp(prefix);
        Path srv = Files.createDirectories(app.dir.resolve("srv"));
        Files.copy(TestHost.root().resolve("tests/fixture/edge/h.sh"), srv.resolve("h.sh"));
        Files.writeString(app.composeFile, COMPOSE.formatted(srv));
        return app;
    }

    static String[] managed(int port, String... more) {
        List<String> a = new ArrayList<>(List.of("--front", "managed", "--front-port", String.valueOf(port), "--front-image", TestHost.WEB));
        Collections.addAll(a, more);
        return a.toArray(new String[0]);
    }

    /** One HTTP/1.1 exchange on a raw socket: what a client that sends only headers (or an Upgrade) sees. */
    static String raw(int port, String request, int waitMillis) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            Thread.sleep(waitMillis);
            byte[] buf = new byte[65536];
            int n = s.getInputStream().read(buf);
            return n < 0 ? "" : new String(buf, 0, n, StandardCharsets.ISO_8859_1);
        }
    }

    static HttpResponse<String> send(int port, HttpRequest.Builder b) throws Exception {
        return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()
                .send(b.uri(URI.create("http://127.0.0.1:" + port + b.build().uri().getPath())).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpRequest.Builder at(String path) {
        return HttpRequest.newBuilder(URI.create("http://x" + path));
    }

    static final class WebSocketish implements AutoCloseable {
        final Socket socket;
        final String handshake;

        WebSocketish(int port) throws Exception {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET /ws HTTP/1.1\r\nHost: shop\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            handshake = readUntil("\r\n\r\n");
        }

        String echo(String message) throws Exception {
            socket.getOutputStream().write((message + "\n").getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            return readUntil("\n").trim();
        }

        /** Whether the front closed the connection (a read sees the end). */
        boolean closed() {
            try {
                return socket.getInputStream().read() < 0;
            } catch (Exception e) {
                return true;
            }
        }

        private String readUntil(String end) throws Exception {
            StringBuilder b = new StringBuilder();
            InputStream in = socket.getInputStream();
            while (!b.toString().endsWith(end)) {
                int c = in.read();
                if (c < 0) break;
                b.append((char) c);
            }
            return b.toString();
        }

        @Override
        public void close() throws Exception {
            socket.close();
        }
    }

    /** GETs in a loop, bounded in count and time; every answer as its status, connection errors as "ERR ...". */
    static final class Load implements AutoCloseable {
        final List<String> answers = Collections.synchronizedList(new ArrayList<>());
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Thread thread;

        Load(java.util.function.Supplier<String> get, int max, long maxMillis) {
            long end = System.currentTimeMillis() + maxMillis;
            thread = new Thread(() -> {
                for (int i = 0; i < max && !stop.get() && System.currentTimeMillis() < end; i++) {
                    answers.add(get.get());
                    try {
                        Thread.sleep(15);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            thread.start();
        }

        static String status(int port, String path) {
            try {
                return String.valueOf(send(port, at(path)).statusCode());
            } catch (Exception e) {
                return "ERR " + e;
            }
        }

        List<String> errors() {
            synchronized (answers) {
                return answers.stream().filter(a -> a.startsWith("ERR")).toList();
            }
        }

        long count(String status) {
            synchronized (answers) {
                return answers.stream().filter(status::equals).count();
            }
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            thread.join(10_000);
        }
    }

    @Test
    void bodiesUpgradesStreamsClientIdentityAndMaintenanceThroughTheFront() throws Exception {
        try (TestApp app = edgeApp("edge")) {
            int port = TestHost.freePort();
            var r = app.deploy("v1", managed(port, "--front-max-body", "30m", "--drain-timeout", "3s"));
            assertEquals(0, r.code(), r.toString());

            // A 20 MB upload reaches the colour whole; a body over front.max_body is the front's 413, saying so.
            byte[] twenty = new byte[20 * 1024 * 1024];
            var up = send(port, at("/upload").POST(HttpRequest.BodyPublishers.ofByteArray(twenty)));
            assertEquals(200, up.statusCode(), up.body());
            assertEquals("received " + twenty.length + " bytes", up.body().trim());
            String tooLarge = raw(port, "POST /upload HTTP/1.1\r\nHost: shop\r\nContent-Length: 41943040\r\n\r\n", 300);
            assertTrue(tooLarge.startsWith("HTTP/1.1 413"), tooLarge);
            assertTrue(tooLarge.contains("over the front's limit of 30m (front.max_body)"), tooLarge);

            // The client's identity: its address in X-Real-IP and X-Forwarded-For, a spoofed X-Forwarded-For not honoured.
            var headers = send(port, at("/headers").header("X-Forwarded-For", "6.6.6.6").header("X-Forwarded-Proto", "https"));
            String h = headers.body();
            String realIp = header(h, "X-Real-IP");
            assertFalse(realIp.isEmpty() || realIp.equals("6.6.6.6"), h);
            assertEquals(realIp, header(h, "X-Forwarded-For"), h);
            assertEquals("http", header(h, "X-Forwarded-Proto"), h);
            assertEquals(String.valueOf(port), header(h, "X-Forwarded-Port"), h);
            assertEquals("127.0.0.1", header(h, "X-Forwarded-Host"), h);

            // An Upgrade passes both ways: 101 from the app, then bytes echoed.
            try (var ws = new WebSocketish(port)) {
                assertTrue(ws.handshake.startsWith("HTTP/1.1 101"), ws.handshake);
                assertTrue(ws.handshake.toLowerCase().contains("upgrade: websocket"), ws.handshake);
                assertEquals("hello", ws.echo("hello"));
            }

            // An event stream arrives event by event, not in one lump at the end.
            assertTrue(eventsSpreadOut(port), "SSE events arrived one by one");

            // Maintenance under load: 503 with the page (HTML, or JSON on request) and Retry-After; allowed addresses
            // still served; the colours keep running; no connection error at any point.
            WebSocketish open = null;
            try (var load = new Load(() -> Load.status(port, "/version.txt"), 4_000, 90_000)) {
                Thread.sleep(300);
                var on = TestApp.run("maintenance", "on", "--app", app.name, "--message", "Back at 3 <b>pm</b>", "--allow", realIp);
                assertEquals(0, on.code(), on.toString());
                Thread.sleep(300);
                assertEquals(200, send(port, at("/version.txt")).statusCode(), "an allowed address is still served");
                on = TestApp.run("maintenance", "on", "--app", app.name, "--message", "Back at 3 <b>pm</b>", "--retry-after", "5m");
                assertEquals(0, on.code(), on.toString());
                var page = send(port, at("/version.txt"));
                assertEquals(503, page.statusCode(), page.body());
                assertEquals("300", page.headers().firstValue("Retry-After").orElse(""), page.headers().toString());
                assertTrue(page.body().contains("Back at 3 &lt;b&gt;pm&lt;/b&gt;"), page.body());
                assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"), page.headers().toString());
                var json = send(port, at("/anything").header("Accept", "application/json"));
                assertEquals(503, json.statusCode());
                assertTrue(json.body().contains("\"maintenance\":true") && json.body().contains("Back at 3 <b>pm</b>"), json.body());
                var status = TestApp.run("status", "--app", app.name);
                assertTrue(status.out().contains("maintenance: ON"), status.out());

                // Every reload ends the old workers' upgraded connections after --drain-timeout, so the WebSocket is
                // opened after the last one (allowed again), and only the deploy's switch leaves it on the old colour.
                assertEquals(0, TestApp.run("maintenance", "on", "--app", app.name, "--allow", realIp).code());
                open = new WebSocketish(port);
                assertEquals("still here", open.echo("still here"));

                // A deploy keeps maintenance on; the WebSocket open on the old colour is closed at --drain-timeout and counted.
                long t0 = System.nanoTime();
                r = app.deploy("v2", managed(port, "--front-max-body", "30m", "--drain-timeout", "3s"));
                long deployMs = (System.nanoTime() - t0) / 1_000_000;
                assertEquals(0, r.code(), r.toString());
                assertTrue(r.out().contains("closed 1 upgraded connection (WebSocket) still open on the old colour after --drain-timeout 3s"), r.out());
                assertTrue(open.closed(), "the front closed the old colour's WebSocket");
                assertTrue(deployMs < 60_000, "the deploy did not wait on the WebSocket: " + deployMs + " ms");
                status = TestApp.run("status", "--app", app.name);
                assertTrue(status.out().contains("maintenance: ON") && status.out().contains("but " + realIp), "a deploy keeps maintenance on: " + status.out());

                var off = TestApp.run("maintenance", "off", "--app", app.name);
                assertEquals(0, off.code(), off.toString());
                var back = send(port, at("/version.txt"));
                assertEquals(200, back.statusCode());
                assertEquals("v2", back.body().trim());
                Thread.sleep(300);
                load.close();
                assertEquals(List.of(), load.errors(), "no connection error while maintenance went on and off");
                assertTrue(load.count("503") > 0 && load.count("200") > 0, load.answers.toString());
            } finally {
                if (open != null) open.close();
            }
            var history = TestApp.run("history", "--app", app.name);
            assertTrue(history.out().contains("maintenance"), history.out());

            // Settings changed without a deploy: re-rendered and reloaded. A trusted proxy's X-Forwarded-For now counts.
            var reload = TestApp.run("front", "reload", "--app", app.name, "--front-trusted-proxy", realIp, "--front-max-body", "1m");
            assertEquals(0, reload.code(), reload.toString());
            String trusted = send(port, at("/headers").header("X-Forwarded-For", "203.0.113.9")).body();
            assertEquals("203.0.113.9", header(trusted, "X-Real-IP"), trusted);
            assertEquals("203.0.113.9, " + realIp, header(trusted, "X-Forwarded-For"), trusted);
            String small = raw(port, "POST /upload HTTP/1.1\r\nHost: shop\r\nContent-Length: 2097152\r\n\r\n", 300);
            assertTrue(small.startsWith("HTTP/1.1 413") && small.contains("limit of 1m"), small);
        }
    }

    static String header(String echoed, String name) {
        for (String line : echoed.split("\n")) {
            if (line.toLowerCase().startsWith(name.toLowerCase() + ":")) return line.substring(name.length() + 1).trim();
        }
        return "";
    }

    /** Reads /sse (three events a second apart) as EventSource asks for it; true when the first came well before the last. */
    static boolean eventsSpreadOut(int port) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write("GET /sse HTTP/1.1\r\nHost: shop\r\nAccept: text/event-stream\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            List<Long> at = new ArrayList<>();
            for (String line; (line = in.readLine()) != null && at.size() < 3; ) {
                if (line.startsWith("data: event")) at.add(System.nanoTime());
            }
            return at.size() == 3 && (at.get(2) - at.get(0)) > 1_500_000_000L;
        }
    }

    /** openssl with fixed arguments (no shell), for the test's own certificates. */
    static void openssl(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        Collections.addAll(cmd, args);
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "openssl " + cmd + ": " + out);
    }

    /** A self-signed certificate for 127.0.0.1 and its key (RSA or EC): NAME.crt, NAME.key. */
    static void selfSigned(Path dir, String name, boolean ec) throws Exception {
        if (ec) {
            openssl(dir, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", name + ".key");
            openssl(dir, "req", "-x509", "-key", name + ".key", "-out", name + ".crt", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1");
        } else {
            openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".crt", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1");
        }
    }

    /** Trusts any certificate: the test's own self-signed ones, on 127.0.0.1 only. */
    static SSLContext trustAll() throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[]{new X509TrustManager() {
            public void checkClientTrusted(X509Certificate[] c, String a) {}
            public void checkServerTrusted(X509Certificate[] c, String a) {}
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        return ctx;
    }

    static String fingerprint(java.security.cert.Certificate c) throws Exception {
        return HexFormat.ofDelimiter(":").withUpperCase().formatHex(MessageDigest.getInstance("SHA-256").digest(c.getEncoded()));
    }

    static String fingerprintOfFile(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return fingerprint(java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
    }

    @Test
    void tlsAtTheFrontServesHttp2RedirectsHttpAndRenewsWithoutAFailedRequest() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(new java.io.File("/usr/bin/openssl").canExecute(), "the test makes its certificates with openssl");
        try (TestApp app = edgeApp("edgetls")) {
            Path certs = Files.createDirectories(app.dir.resolve("certs"));
            selfSigned(certs, "first", false);
            selfSigned(certs, "renewed", true);
            selfSigned(certs, "other", false);
            int port = TestHost.freePort();
            int tlsPort = TestHost.freePort();
            var r = app.deploy("v1", managed(port, "--front-tls-cert", certs.resolve("first.crt").toString(),
                    "--front-tls-key", certs.resolve("first.key").toString(), "--front-tls-port", String.valueOf(tlsPort)));
            assertEquals(0, r.code(), r.toString());
            String key = Files.readString(certs.resolve("first.key"));
            String keyLine = key.lines().filter(l -> !l.startsWith("-----")).findFirst().orElseThrow();
            assertFalse(r.out().contains(keyLine) || r.err().contains(keyLine), "the key is never printed");

            HttpClient https = HttpClient.newBuilder().sslContext(trustAll()).version(HttpClient.Version.HTTP_2).connectTimeout(Duration.ofSeconds(5)).build();
            var answer = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + tlsPort + "/headers")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, answer.statusCode(), answer.body());
            assertEquals(HttpClient.Version.HTTP_2, answer.version());
            assertEquals("https", header(answer.body(), "X-Forwarded-Proto"), answer.body());
            assertEquals(String.valueOf(tlsPort), header(answer.body(), "X-Forwarded-Port"), answer.body());
            String first = fingerprintOfFile(certs.resolve("first.crt"));
            assertEquals(first, fingerprint(answer.sslSession().orElseThrow().getPeerCertificates()[0]));

            var plain = send(port, at("/version.txt"));
            assertEquals(301, plain.statusCode());
            assertEquals("https://127.0.0.1:" + tlsPort + "/version.txt", plain.headers().firstValue("Location").orElse(""));

            // The key lives only in the front's filesystem, readable by root alone; the record holds its fingerprint, not it.
            String front = ManagedFront.containerName(app.name);
            try (var tar = new TarArchiveInputStream(TestHost.docker().copyArchiveFromContainerCmd(front, NginxConfig.TLS_KEY).exec())) {
                TarArchiveEntry e = tar.getNextEntry();
                assertEquals(0600, e.getMode() & 0777, "key mode " + Integer.toOctalString(e.getMode()));
            }
            var labels = TestHost.docker().inspectContainerCmd(lib.host.RecordStore.name(app.name)).exec().getConfig().getLabels();
            assertTrue(labels.values().stream().noneMatch(v -> v.contains(keyLine) || v.contains("PRIVATE KEY")), labels.toString());
            assertEquals(first, labels.get(lib.base.Labels.NS + "live.front.tls.fingerprint"), labels.toString());

            // A key that is not the certificate's: one line, nothing changed, the old certificate still served.
            var wrong = TestApp.run("front", "reload", "--app", app.name, "--front-tls-cert", certs.resolve("renewed.crt").toString(),
                    "--front-tls-key", certs.resolve("other.key").toString());
            assertEquals(2, wrong.code(), wrong.toString());
            assertEquals(1, wrong.err().trim().lines().count(), wrong.err());
            assertTrue(wrong.err().contains("is not a key of the certificate's type") || wrong.err().contains("is not the key of the certificate"), wrong.err());
            assertEquals(first, servedFingerprint(HttpClient.newBuilder().sslContext(trustAll()).build(), tlsPort));

            // Renewal under load over HTTPS: front reload copies the new files in and reloads; no request fails.
            // A new connection per request: Java 17's client mishandles a GOAWAY on a reused HTTP/2 connection (JDK-8335181).
            // A connection the old worker accepts just as it shuts down gets a GOAWAY before its request was processed;
            // HTTP/2 (RFC 9113, 6.8) lets a client retry such a request, as browsers do, and Java 17's only throws: retry once.
            try (var load = new Load(() -> {
                for (int attempt = 1; ; attempt++) {
                    try {
                        return String.valueOf(HttpClient.newBuilder().sslContext(trustAll()).version(HttpClient.Version.HTTP_2).build().send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + tlsPort + "/version.txt"))
                                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
                    } catch (Exception e) {
                        if (attempt == 1 && String.valueOf(e.getMessage()).contains("GOAWAY received")) continue;
                        return "ERR " + e;
                    }
                }
            }, 3_000, 60_000)) {
                Thread.sleep(500);
                var renew = TestApp.run("front", "reload", "--app", app.name, "--front-tls-cert", certs.resolve("renewed.crt").toString(),
                        "--front-tls-key", certs.resolve("renewed.key").toString());
                assertEquals(0, renew.code(), renew.toString());
                Thread.sleep(500);
                load.close();
                assertEquals(List.of(), load.errors());
                assertTrue(load.count("200") > 10, load.answers.toString());
            }
            String renewed = fingerprintOfFile(certs.resolve("renewed.crt"));
            assertEquals(renewed, servedFingerprint(HttpClient.newBuilder().sslContext(trustAll()).build(), tlsPort));
            var status = TestApp.run("status", "--app", app.name);
            assertTrue(status.out().contains("tls: on, port " + tlsPort) && status.out().contains(renewed), status.out());
            // Later commands need no flags: a reload without any takes the recorded paths again.
            var again = TestApp.run("front", "reload", "--app", app.name);
            assertEquals(0, again.code(), again.toString());
            assertTrue(again.out().contains(renewed), again.out());
        }
    }

    static String servedFingerprint(HttpClient client, int tlsPort) throws Exception {
        var r = client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + tlsPort + "/version.txt")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        return fingerprint(r.sslSession().orElseThrow().getPeerCertificates()[0]);
    }
}
