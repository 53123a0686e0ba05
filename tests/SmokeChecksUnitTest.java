import lib.base.DeployError;
import lib.health.HttpAnswer;
import lib.model.SmokeCheck;
import lib.project.ProjectFile;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** health.checks as data: how deploy.yml's are read and refused, what a check says of an answer, how answers are read. No Docker. */
class SmokeChecksUnitTest {
    final Path dir;

    SmokeChecksUnitTest() throws Exception {
        dir = Files.createTempDirectory("checks-test");
    }

    @AfterEach
    void clean() {
        ExampleImages.deleteTree(dir);
    }

    ProjectFile load(String checks) throws Exception {
        Files.writeString(dir.resolve("deploy.yml"), "app: shop\nhealth:\n  probe: /health\n  checks:\n" + checks.stripIndent().indent(4));
        return ProjectFile.load(dir.resolve("deploy.yml"));
    }

    String error(String checks) {
        String m = assertThrows(DeployError.class, () -> load(checks)).getMessage();
        assertEquals(1, m.lines().count(), "one line: " + m);
        assertTrue(m.startsWith(dir.resolve("deploy.yml") + ": "), "names the file: " + m);
        return m;
    }

    static SmokeCheck check(List<Integer> statuses, String contains, Map<String, String> headers) {
        return new SmokeCheck("/", statuses, contains, headers, null, SmokeCheck.DEFAULT_TIMEOUT);
    }

    @Test
    void theIssuesExampleIsReadWithItsDefaults() throws Exception {
        var f = load("""
                - path: /
                  status: 200
                  contains: "<title>Shop"
                - path: /customer/account/login
                  status: [200, 302]
                - path: /api/rest/V1/store/storeConfigs
                  header: {Content-Type: application/json}
                  host: shop.example.com:8443
                  timeout: 2s
                """);
        assertEquals(List.of(
                new SmokeCheck("/", List.of(200), "<title>Shop", Map.of(), null, Duration.ofSeconds(10)),
                new SmokeCheck("/customer/account/login", List.of(200, 302), null, Map.of(), null, Duration.ofSeconds(10)),
                new SmokeCheck("/api/rest/V1/store/storeConfigs", List.of(), null, Map.of("Content-Type", "application/json"), "shop.example.com:8443", Duration.ofSeconds(2))),
                f.checks());
        assertEquals("/health", f.health().get("probe"), "the rest of health: is read as before");
        Files.writeString(dir.resolve("deploy.yml"), "app: shop\nhealth:\n  probe: /health\n");
        assertEquals(List.of(), ProjectFile.load(dir.resolve("deploy.yml")).checks(), "no checks: none");
    }

    @Test
    void everyBadValueIsOneLineNamingItsKey() {
        assertTrue(error("{path: /}").contains("health.checks: must be a list of checks"), error("{path: /}"));
        assertTrue(error("- /").contains("health.checks[0]: must be a mapping"), error("- /"));
        assertTrue(error("- {status: 200}").contains("health.checks[0]: has no path:"), error("- {status: 200}"));
        assertTrue(error("- {path: /, headers: {A: b}}").contains("unsupported key \"health.checks[0].headers\"; supported: contains, header, host, path, status, timeout"),
                error("- {path: /, headers: {A: b}}"));
        assertTrue(error("- {path: health}").contains("health.checks[0].path: \"health\" is not a URL path"), error("- {path: health}"));
        assertTrue(error("- {path: '/a b'}").contains("health.checks[0].path: \"/a b\" is not a URL path"), error("- {path: '/a b'}"));
        for (String bad : new String[]{"99", "600", "2xx", "200.0", "true", "99999999999"}) {
            assertTrue(error("- {path: /, status: " + bad + "}").contains("health.checks[0].status: \"" + bad + "\" is not an HTTP status; write 100-599"),
                    error("- {path: /, status: " + bad + "}"));
        }
        assertTrue(error("- {path: /}\n- {path: /, status: [200, 700]}").contains("health.checks[1].status: \"700\" is not an HTTP status"),
                error("- {path: /}\n- {path: /, status: [200, 700]}"));
        assertTrue(error("- {path: /, status: []}").contains("health.checks[0].status: is an empty list"), error("- {path: /, status: []}"));
        assertTrue(error("- {path: /, status: {a: 1}}").contains("health.checks[0].status: must be a single value"), error("- {path: /, status: {a: 1}}"));
        assertTrue(error("- {path: /, contains: ''}").contains("health.checks[0].contains: is empty"), error("- {path: /, contains: ''}"));
        assertTrue(error("- {path: /, contains: [a]}").contains("health.checks[0].contains: must be a single value"), error("- {path: /, contains: [a]}"));
        assertTrue(error("- {path: /, header: text/html}").contains("health.checks[0].header: must be a mapping"), error("- {path: /, header: text/html}"));
        assertTrue(error("- {path: /, header: {}}").contains("health.checks[0].header: is empty"), error("- {path: /, header: {}}"));
        assertTrue(error("- {path: /, header: {'Content Type': x}}").contains("health.checks[0].header: \"Content Type\" is not a header name"),
                error("- {path: /, header: {'Content Type': x}}"));
        assertTrue(error("- {path: /, header: {A: [x]}}").contains("health.checks[0].header.A: must be a single value"), error("- {path: /, header: {A: [x]}}"));
        assertTrue(error("- {path: /, header: {A: ~}}").contains("health.checks[0].header.A: has no value"), error("- {path: /, header: {A: ~}}"));
        assertTrue(error("- {path: /, header: {A: \"x\\ny\"}}").contains("health.checks[0].header.A: must be printable ASCII on one line"),
                error("- {path: /, header: {A: \"x\\ny\"}}"));
        assertTrue(error("- {path: /, host: 'shop example'}").contains("health.checks[0].host: \"shop example\" is not a host name"), error("- {path: /, host: 'shop example'}"));
        assertTrue(error("- {path: /, host: \"a\\r\\nX: y\"}").contains("health.checks[0].host: \"a??X: y\" is not a host name"), error("- {path: /, host: \"a\\r\\nX: y\"}"));
        assertTrue(error("- {path: /, timeout: soon}").contains("health.checks[0].timeout: \"soon\" is not a duration"), error("- {path: /, timeout: soon}"));
        assertTrue(error("- {path: /, timeout: 25h}").contains("health.checks[0].timeout: \"25h\" is longer than"), error("- {path: /, timeout: 25h}"));
        assertTrue(error("- {path: /, timeout: 0s}").contains("health.checks[0].timeout:"), error("- {path: /, timeout: 0s}"));
    }

    @Test
    void aCheckSaysWhatItAsksInWords() {
        assertEquals("GET / expecting 200 and \"<title>Shop\"", check(List.of(200), "<title>Shop", Map.of()).describe());
        assertEquals("GET /login (Host: shop.example) expecting 200 or 302 and Content-Type: text/html within 2s",
                new SmokeCheck("/login", List.of(200, 302), null, Map.of("Content-Type", "text/html"), "shop.example", Duration.ofSeconds(2)).describe());
        assertEquals("GET / expecting 2xx", check(List.of(), null, Map.of()).describe());
    }

    @Test
    void aVerdictComparesStatusHeadersAndBody() {
        SmokeCheck any2xx = check(List.of(), null, Map.of());
        assertNull(any2xx.verdict(204, Map.of(), ""));
        assertEquals("302 (body: \"moved\")", any2xx.verdict(302, Map.of("Location", "/x"), "moved\n"), "a redirect is an answer, not followed");
        assertEquals("500 (empty body)", any2xx.verdict(500, Map.of(), ""));

        SmokeCheck listed = check(List.of(200, 302), null, Map.of());
        assertNull(listed.verdict(302, Map.of(), ""));
        assertNull(listed.verdict(200, Map.of(), ""));
        assertEquals("201 (empty body)", listed.verdict(201, Map.of(), ""), "a list is the statuses that pass, not any 2xx");

        SmokeCheck json = check(List.of(), null, Map.of("Content-Type", "application/json"));
        assertNull(json.verdict(200, Map.of("content-type", "Application/JSON; charset=utf-8"), "{}"), "names and values ignore case; the value contains the text");
        assertEquals("200 with Content-Type: text/html", json.verdict(200, Map.of("CONTENT-TYPE", "text/html"), "<p>"));
        assertEquals("200 without a Content-Type header", json.verdict(200, Map.of("Content-Length", "2"), "{}"));
        assertEquals("404 (body: \"{}\")", json.verdict(404, Map.of("Content-Type", "application/json"), "{}"), "the status is judged first");

        SmokeCheck title = check(List.of(200), "<title>Shop", Map.of());
        assertNull(title.verdict(200, Map.of(), "<html><title>Shop</title>"));
        assertEquals("200 without \"<title>Shop\" in its body (body: \"<html> <p>Something went wrong \u001b? ...\")".replace("\u001b", "?"),
                title.verdict(200, Map.of(), "<html>\n  <p>Something went wrong \u001b\u0007 ...\n"), "one printable line");
        String big = "x".repeat(200);
        assertEquals("200 without \"<title>Shop\" in its body (body: \"" + "x".repeat(80) + "...\")", title.verdict(200, Map.of(), big), "a short excerpt");
        assertEquals("200 without \"<title>Shop\" in its body (body: \"token=***\")", title.verdict(200, Map.of(), "token=s3cr3t"), "nothing secret-looking is quoted");
        assertEquals("200 without \"<title>Shop\" in its body (empty body)", title.verdict(200, Map.of(), ""));
    }

    @Test
    void answersAreReadFromRawHttpAndFromWget() {
        HttpAnswer curl = HttpAnswer.parseRaw("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 302 Found\r\nLocation: /login\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nSet-Cookie: c=3\r\n\r\nmoved\r\n\r\nmore");
        assertEquals(302, curl.status());
        assertEquals("/login", curl.headers().get("Location"));
        assertEquals("a=1, c=3", curl.headers().get("Set-Cookie"));
        assertEquals("moved\r\n\r\nmore", curl.body(), "the body is everything after the head");
        HttpAnswer lf = HttpAnswer.parseRaw("HTTP/1.0 200 OK\nContent-Type: text/html\n\n<title>Shop</title>");
        assertEquals(200, lf.status());
        assertEquals("<title>Shop</title>", lf.body());
        assertEquals(404, HttpAnswer.parseRaw("HTTP/1.1 404 Not Found\r\n").status(), "no body");
        assertNull(HttpAnswer.parseRaw(""));
        assertNull(HttpAnswer.parseRaw("SSH-2.0-OpenSSH_9.2\r\n"));

        HttpAnswer followed = HttpAnswer.parseWget("""
                Connecting to 127.0.0.1:80 (127.0.0.1:80)
                  HTTP/1.1 302 Found
                  Location: /index.html
                  HTTP/1.1 200 OK
                  Content-type: text/html
                \s\s
                writing to stdout
                """, "<title>Shop</title>");
        assertEquals(302, followed.status(), "the first answer is the one asked for");
        assertEquals(Map.of("Location", "/index.html"), followed.headers());
        HttpAnswer notFound = HttpAnswer.parseWget("Connecting to 127.0.0.1:80 (127.0.0.1:80)\n  HTTP/1.1 404 Not Found\nwget: server returned error: HTTP/1.1 404 Not Found\n", "");
        assertEquals(404, notFound.status());
        assertNull(HttpAnswer.parseWget("wget: can't connect to remote host (127.0.0.1): Connection refused\n", ""));
    }

    /** What busybox 1.35's wget -q -S prints for a 200 (its stderr; the body is on stdout), as seen on this machine. */
    static final String WGET_200 = """
            Connecting to 10.0.6.8:9000 (10.0.6.8:9000)
              HTTP/1.1 200 OK
              Date: Wed, 02 Dec 2026 13:01:22 GMT
              Connection: close
              Content-type: text/plain
              Content-Length: 3
            \s\s
            """;

    @Test
    void aCheckFromASwarmFrontIsOneBusyboxWgetWithArgumentsAndItsOutputIsJudgedAsTheAnswer() {
        assertEquals(List.of("/bin/busybox", "timeout", "3", "/bin/busybox", "wget", "-q", "-S", "-O", "-", "-U", "bgdeploy-check",
                        "--header", "Host: shop.example.com", "http://10.0.6.8:9000/a b;$(x)"),
                lib.front.ManagedFront.fetchCommand("http://10.0.6.8:9000/a b;$(x)", "shop.example.com", "bgdeploy-check", Duration.ofMillis(2500)),
                "whole seconds rounded up, every value one argument as given (no shell)");
        assertEquals(List.of("/bin/busybox", "timeout", "1", "/bin/busybox", "wget", "-q", "-S", "-O", "-", "-U", "ua", "http://a:1/"),
                lib.front.ManagedFront.fetchCommand("http://a:1/", null, "ua", Duration.ofMillis(10)), "no Host header unless asked; at least a second");

        SmokeCheck v1 = new SmokeCheck("/version.txt", List.of(), "v1", Map.of("Content-Type", "text/plain"), null, Duration.ofSeconds(5));
        assertNull(lib.health.FrontChecks.judge(v1, new lib.front.ManagedFront.Fetched(0L, "v1\n", WGET_200)), "status, header (any case) and body pass");
        assertEquals("it answered 200 without \"v1\" in its body (body: \"v2\")",
                lib.health.FrontChecks.judge(v1, new lib.front.ManagedFront.Fetched(0L, "v2\n", WGET_200)), "the failure quotes the answer");
        assertEquals("it answered 200 with Content-Type: text/html",
                lib.health.FrontChecks.judge(v1, new lib.front.ManagedFront.Fetched(0L, "v1", WGET_200.replace("text/plain", "text/html"))));
        assertEquals("it answered 503 (busybox wget shows no body of an error)",
                lib.health.FrontChecks.judge(v1, new lib.front.ManagedFront.Fetched(1L, "",
                        "Connecting to 10.0.6.8:9000 (10.0.6.8:9000)\n  HTTP/1.1 503 Service Unavailable\nwget: server returned error: HTTP/1.1 503 Service Unavailable\n")),
                "an error's status, not a claim about a body wget never read");
        SmokeCheck gone = new SmokeCheck("/old", List.of(404), null, Map.of(), null, Duration.ofSeconds(5));
        assertNull(lib.health.FrontChecks.judge(gone, new lib.front.ManagedFront.Fetched(1L, "", "  HTTP/1.1 404 Not Found\nwget: server returned error: HTTP/1.1 404 Not Found\n")),
                "a check may expect a 404: wget's exit 1 is not the verdict");
        assertEquals("no HTTP answer (wget: can't connect to remote host (10.0.6.8): Connection refused)",
                lib.health.FrontChecks.judge(v1, new lib.front.ManagedFront.Fetched(1L, "",
                        "Connecting to 10.0.6.8:9000 (10.0.6.8:9000)\nwget: can't connect to remote host (10.0.6.8): Connection refused\n")));
        assertEquals("no answer within 5s", lib.health.FrontChecks.judge(v1, new lib.front.ManagedFront.Fetched(143L, "", "Connecting to 10.0.6.8:9000 (10.0.6.8:9000)\n")),
                "busybox's timeout ended it");
        assertEquals("no answer within 5s", lib.health.FrontChecks.judge(v1, new lib.front.ManagedFront.Fetched(null, "", "")), "the exec's own bound ended it");
    }
}
