import lib.base.DeployError;
import lib.base.ExitCode;
import lib.base.Cancellation;
import lib.docker.ImagePuller;
import lib.docker.RegistryAuth;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectImageCmd;
import com.github.dockerjava.api.command.PullImageCmd;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.AuthConfig;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

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
        var e = assertThrows(DeployError.class, () -> RegistryAuth.fromConfig(config, "reg.example.com", "config.json", Map.of()));
        assertEquals(ExitCode.DOCKER, e.exitCode());
        assertEquals("config.json: auths.reg.example.com.auth is not base64; run docker login reg.example.com again", e.getMessage());
        var noColon = new com.fasterxml.jackson.databind.ObjectMapper().readTree("{\"auths\":{\"r\":{\"auth\":\"czNjcmV0\"}}}");
        assertFalse(assertThrows(DeployError.class, () -> RegistryAuth.fromConfig(noColon, "r", "c", Map.of())).getMessage().contains("s3cret"));
        var helperPath = new com.fasterxml.jackson.databind.ObjectMapper().readTree("{\"credsStore\":\"../../bin/sh\"}");
        assertTrue(assertThrows(DeployError.class, () -> RegistryAuth.fromConfig(helperPath, "r", "c", Map.of())).getMessage().contains("not a plain name"));
        var good = new com.fasterxml.jackson.databind.ObjectMapper().readTree("{\"auths\":{\"r\":{\"auth\":\"ZWRib3Q6aHVudGVyMg==\"}}}");
        assertEquals("edbot:hunter2", RegistryAuth.fromConfig(good, "r", "c", Map.of()).orElseThrow());
    }

    /** A proxy answering every call with answer(proxy, method name, arguments). */
    @SuppressWarnings("unchecked")
    static <T> T fake(Class<T> type, TriFunction answer) {
        return (T) java.lang.reflect.Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[]{type}, (p, m, a) -> answer.apply(p, m.getName(), a));
    }

    interface TriFunction {
        Object apply(Object proxy, String method, Object[] args);
    }

    @Test
    void aCredentialHelperAnswersForItsRegistryAndThePullSendsWhatItSays() throws Exception {
        Path dir = BadInputTest.tempDir();
        try {
            Path bin = Files.createDirectories(dir.resolve("bin"));
            Path helper = bin.resolve("docker-credential-wtafake");
            // As a real helper: the registry on stdin, JSON on stdout, exit 1 for a registry it knows nothing of.
            Files.writeString(helper, "#!/bin/sh\nread r\n[ \"$r\" = 127.0.0.1:18150 ] || exit 1\n"
                    + "echo '{\"ServerURL\":\"127.0.0.1:18150\",\"Username\":\"wtabot\",\"Secret\":\"s3cret-wta\"}'\n");
            assertTrue(helper.toFile().setExecutable(true));
            Path config = Files.createDirectories(dir.resolve("docker"));
            Files.writeString(config.resolve("config.json"), "{\"auths\":{\"127.0.0.1:18150\":{}},\"credHelpers\":{\"127.0.0.1:18150\":\"wtafake\"}}");
            Map<String, String> env = Map.of("DOCKER_CONFIG", config.toString(), "PATH", "/nonexistent:" + bin);
            assertEquals("wtabot:s3cret-wta", RegistryAuth.basic("127.0.0.1:18150", env).orElseThrow());
            assertEquals(Optional.empty(), RegistryAuth.basic("127.0.0.1:18151", env), "no helper and no auths entry for it: anonymous");

            AtomicReference<AuthConfig> sent = new AtomicReference<>();
            var pulled = new java.util.concurrent.atomic.AtomicBoolean();
            DockerClient docker = fake(DockerClient.class, (d, method, args) -> switch (method) {
                // The puller checks that the image is there after the pull: it is once the fake pull ran.
                case "inspectImageCmd" -> fake(InspectImageCmd.class, (c, m, a) -> {
                    if (!m.equals("exec")) return c;
                    if (!pulled.get()) throw new NotFoundException("no such image");
                    return new com.github.dockerjava.api.command.InspectImageResponse();
                });
                case "pullImageCmd" -> fake(PullImageCmd.class, (c, m, a) -> {
                    if (m.equals("withAuthConfig")) sent.set((AuthConfig) a[0]);
                    if (!m.equals("exec")) return c;
                    pulled.set(true);
                    var callback = (com.github.dockerjava.api.async.ResultCallback<?>) a[0];
                    callback.onComplete();
                    return callback;
                });
                default -> throw new UnsupportedOperationException(method);
            });
            var out = new java.io.StringWriter();
            new ImagePuller(docker, new java.io.PrintWriter(out), false, env).pull(List.of("127.0.0.1:18150/wtashop:1"), ImagePuller.Policy.ALWAYS, Cancellation.none());
            assertEquals("127.0.0.1:18150", sent.get().getRegistryAddress());
            assertEquals("wtabot", sent.get().getUsername());
            assertEquals("s3cret-wta", sent.get().getPassword());
            assertTrue(out.toString().contains("pulled 127.0.0.1:18150/wtashop:1") && !out.toString().contains("s3cret"), out.toString());

            var missing = assertThrows(DeployError.class, () -> RegistryAuth.basic("127.0.0.1:18150", Map.of("DOCKER_CONFIG", config.toString(), "PATH", "/nonexistent")));
            assertEquals(ExitCode.DOCKER, missing.exitCode());
            assertEquals("credential helper docker-credential-wtafake (from the Docker config) is not on PATH; install it, or remove it from credsStore/credHelpers", missing.getMessage());
        } finally {
            ExampleImages.deleteTree(dir);
        }
    }

    @Test
    void imagesNameTheirRegistryAsForTheDockerCli() {
        assertEquals("127.0.0.1:18150", RegistryAuth.registryOf("127.0.0.1:18150/team/shop:1"));
        assertEquals("registry.example.com", RegistryAuth.registryOf("registry.example.com/shop@sha256:" + "0".repeat(64)));
        assertEquals("localhost", RegistryAuth.registryOf("localhost/shop"));
        for (String hub : List.of("nginx:1.27", "library/nginx", "bitnami/redis:7", "docker.io/library/nginx", "index.docker.io/nginx")) {
            assertEquals("https://index.docker.io/v1/", RegistryAuth.registryOf(hub), hub);
        }
    }
}
