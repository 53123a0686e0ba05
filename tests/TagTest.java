import lib.base.DeployError;
import lib.base.ExitCode;
import lib.docker.RegistryAuth;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * tag.java against registries that misbehave (small HTTP servers on 127.0.0.1 giving one bad answer each), run
 * in-process: one line, exit 5, no credential, and bounded in time.
 */
class TagTest {
    static TestApp.Result tag(String... args) {
        return BadInputTest.run(new tag(), args);
    }

    /** A registry whose every answer is (status, headers, body). */
    static final class FakeRegistry implements AutoCloseable {
        final HttpServer server;
        final String address;

        FakeRegistry(Map<String, Answer> answers) throws Exception {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", TestHost.freePort()), 10);
            server.createContext("/", exchange -> {
                Answer a = answers.getOrDefault(exchange.getRequestURI().getPath(), new Answer(404, Map.of(), "{\"errors\":[{\"code\":\"NAME_UNKNOWN\"}]}"));
                a.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
                byte[] body = a.body().getBytes(StandardCharsets.UTF_8);
                boolean head = exchange.getRequestMethod().equals("HEAD");
                exchange.sendResponseHeaders(a.status(), head ? -1 : body.length);
                if (!head) exchange.getResponseBody().write(body);
                exchange.close();
            });
            server.start();
            address = "127.0.0.1:" + server.getAddress().getPort();
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    record Answer(int status, Map<String, String> headers, String body) {}

    static void assertOneLineExitFive(TestApp.Result r, String part) {
        BadInputTest.assertOneLine(r, ExitCode.DOCKER, part);
    }

    @Test
    void aRegistryThatNeverAnswersIsAnErrorWithinTenSeconds() throws Exception {
        List<Socket> held = new ArrayList<>();
        try (ServerSocket silent = new ServerSocket(TestHost.freePort(), 10, java.net.InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try {
                    for (int i = 0; i < 10; i++) held.add(silent.accept());
                } catch (java.io.IOException closed) {
                    // the test is over
                }
            });
            acceptor.start();
            long t0 = System.nanoTime();
            var r = tag("list", "--image", "127.0.0.1:" + silent.getLocalPort() + "/edsilent");
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertOneLineExitFive(r, "did not answer within 10s");
            assertTrue(ms < 12_000, "gave up after " + ms + " ms");
            System.out.println("silent registry: gave up after " + ms + " ms");
        } finally {
            for (Socket s : held) s.close();
        }
    }

    @Test
    void malformedAnswersAreOneLineErrors() throws Exception {
        String repo = "/v2/edbad";
        try (var noRealm = new FakeRegistry(Map.of(repo + "/tags/list", new Answer(401, Map.of("WWW-Authenticate", "Bearer service=\"x\""), "")))) {
            assertOneLineExitFive(tag("list", "--image", noRealm.address + "/edbad"), "without naming its token service (no realm)");
        }
        try (var badRealm = new FakeRegistry(Map.of(repo + "/tags/list", new Answer(401, Map.of("WWW-Authenticate", "Bearer realm=\"ftp://x y\""), "")))) {
            assertOneLineExitFive(tag("list", "--image", badRealm.address + "/edbad"), "token service");
        }
        String index = "application/vnd.oci.image.index.v1+json";
        try (var emptyList = new FakeRegistry(Map.of(repo + "/tags/list", new Answer(200, Map.of(), "{\"tags\":[\"latest\"]}"),
                repo + "/manifests/latest", new Answer(200, Map.of("Content-Type", index), "{\"schemaVersion\":2,\"manifests\":[]}")))) {
            assertOneLineExitFive(tag("list", "--image", emptyList.address + "/edbad"), "a manifest list without a usable entry");
        }
        try (var notJson = new FakeRegistry(Map.of(repo + "/tags/list", new Answer(200, Map.of(), "<html>hello</html>")))) {
            assertOneLineExitFive(tag("list", "--image", notJson.address + "/edbad"), "not JSON");
        }
    }

    @Test
    void errorBodiesAreSummarisedWithoutCredentials() throws Exception {
        String echo = "request headers: Authorization: Basic ZWRib3Q6aHVudGVyMg==\n" + "Cookie: session=s3cret\n" + "z".repeat(2000);
        try (var echoing = new FakeRegistry(Map.of("/v2/edecho/tags/list", new Answer(500, Map.of(), echo)))) {
            var r = tag("list", "--image", echoing.address + "/edecho");
            assertOneLineExitFive(r, "could not list tags: HTTP 500 request headers: Authorization: Basic ***");
            assertFalse(r.err().contains("ZWRib3Q6aHVudGVyMg") || r.err().contains("s3cret"), r.err());
            assertTrue(r.err().length() < 400, r.err().length() + " characters");
        }
    }

    @Test
    void badNamesAreExitTwoBeforeAnyRequest() {
        BadInputTest.assertOneLine(tag("list", "--image", "127.0.0.1:18250/a b"), 2, "'--image'", "no spaces");
        BadInputTest.assertOneLine(tag("point", "--image", "127.0.0.1:18250/ab", "dead beef"), 2, "RELEASE", "not a tag");
        BadInputTest.assertOneLine(tag("point", "--image", "127.0.0.1:18250/ab", "0123456789", "--channel", "a/b"), 2, "'--channel'");
        BadInputTest.assertOneLine(tag("prune", "--image", "127.0.0.1:18250/ab", "--keep", "-1"), 2, "'--keep'", "use 1-1000");
        BadInputTest.assertOneLine(tag("list", "--image", "shop-app"), 2, "must name its registry");
    }

    @Test
    void aMalformedAuthEntryIsOneLineWithoutTheValue() throws Exception {
        var config = new com.fasterxml.jackson.databind.ObjectMapper().readTree("{\"auths\":{\"reg.example.com\":{\"auth\":\"not base64!! s3cret\"}}}");
        var e = assertThrows(DeployError.class, () -> RegistryAuth.fromConfig(config, "reg.example.com", "config.json"));
        assertEquals(ExitCode.DOCKER, e.exitCode());
        assertEquals("config.json: auths.reg.example.com.auth is not base64; run docker login reg.example.com again", e.getMessage());
        var noColon = new com.fasterxml.jackson.databind.ObjectMapper().readTree("{\"auths\":{\"r\":{\"auth\":\"czNjcmV0\"}}}");
        assertFalse(assertThrows(DeployError.class, () -> RegistryAuth.fromConfig(noColon, "r", "c")).getMessage().contains("s3cret"));
        var helperPath = new com.fasterxml.jackson.databind.ObjectMapper().readTree("{\"credsStore\":\"../../bin/sh\"}");
        assertTrue(assertThrows(DeployError.class, () -> RegistryAuth.fromConfig(helperPath, "r", "c")).getMessage().contains("not a plain name"));
        var good = new com.fasterxml.jackson.databind.ObjectMapper().readTree("{\"auths\":{\"r\":{\"auth\":\"ZWRib3Q6aHVudGVyMg==\"}}}");
        assertEquals("edbot:hunter2", RegistryAuth.fromConfig(good, "r", "c").orElseThrow());
    }
}
