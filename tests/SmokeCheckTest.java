import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * deploy.yml's health.checks on the real engine: a release whose / answers 200 without the expected text passes the
 * health gate but not its smoke check, and is undone under load with the old release serving throughout. The checks
 * run where the probe does: in the container behind the port (curl where it has it, else nc from its shell), in a
 * sibling when it has no tool (the FROM-scratch nginx), with wget when that is all there is.
 */
class SmokeCheckTest {
    static final String IMAGE = "sctest-app";

    /**
     * busybox httpd on port 80 serving /www (a volume, so an nginx beside it can serve the same files), and on 9000
     * where the example's nginx proxies /cgi-bin/, with CGI:
     * /cgi-bin/redirect answers 302 to a page that does not exist (a check that followed it would see 404), and
     * /cgi-bin/host echoes the Host header it got as JSON.
     */
    @BeforeAll
    static void images() throws Exception {
        TestHost.images();
        image("good", "<!doctype html><title>Shop</title><h1>Welcome</h1>", Tools.BUSYBOX);
        image("bad", "<!doctype html>\n<p>Something went wrong.</p>", Tools.BUSYBOX);
        image("wget", "<!doctype html><title>Shop</title>", Tools.WGET_ONLY);
        if (Files.isExecutable(Path.of("/usr/bin/curl"))) image("curl", "<!doctype html><title>Shop</title>", Tools.CURL_TOO);
    }

    @AfterAll
    static void removeImages() {
        for (String t : new String[]{"good", "bad", "wget", "curl"}) {
            try {
                TestHost.docker().removeImageCmd(IMAGE + ":" + t).withForce(true).exec();
            } catch (RuntimeException gone) {
                // removed already
            }
        }
    }

    /** What the image holds: busybox's applets, busybox's wget alone (no shell), or the applets and this machine's curl. */
    enum Tools { BUSYBOX, WGET_ONLY, CURL_TOO }

    static void image(String tag, String index, Tools tools) throws Exception {
        Path ctx = Files.createTempDirectory("sctest-image");
        try {
            Files.copy(Path.of("/bin/busybox"), ctx.resolve("busybox"));
            Files.createDirectories(ctx.resolve("www/cgi-bin"));
            Files.writeString(ctx.resolve("www/index.html"), index);
            Files.writeString(ctx.resolve("www/version.txt"), tag + "\n");
            Files.writeString(ctx.resolve("www/health.txt"), "ok\n");
            Files.writeString(ctx.resolve("www/cgi-bin/redirect"), "#!/bin/sh\nprintf 'Status: 302 Found\\r\\nLocation: /nowhere\\r\\nContent-Type: text/plain\\r\\n\\r\\nmoved\\n'\n");
            Files.writeString(ctx.resolve("www/cgi-bin/host"), "#!/bin/sh\nprintf 'Content-Type: application/json; charset=utf-8\\r\\n\\r\\n{\"host\":\"%s\"}\\n' \"$HTTP_HOST\"\n");
            if (tools == Tools.CURL_TOO) {
                // curl and the libraries ldd names, as the example's nginx is assembled
                Path root = Files.createDirectories(ctx.resolve("root"));
                for (String f : ExampleImages.libraries(Path.of("/usr/bin/curl"))) copyInto(root, Path.of(f));
                copyInto(root, Path.of("/usr/bin/curl"));
            }
            Files.writeString(ctx.resolve("Dockerfile"), tools == Tools.WGET_ONLY ? """
                    FROM scratch
                    COPY busybox /bin/busybox
                    RUN ["/bin/busybox", "ln", "-s", "/bin/busybox", "/bin/wget"]
                    COPY www /www
                    CMD ["/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www"]
                    """ : """
                    FROM scratch
                    COPY busybox /bin/busybox
                    RUN ["/bin/busybox", "--install", "-s", "/bin"]
                    %s
                    COPY www /www
                    RUN ["/bin/chmod", "755", "/www/cgi-bin/redirect", "/www/cgi-bin/host"]
                    VOLUME /www
                    CMD ["/bin/sh", "-c", "httpd -p 9000 -h /www; httpd -f -p 80 -h /www & trap 'kill $!; exit 0' TERM; wait"]
                    """.formatted(tools == Tools.CURL_TOO ? "COPY root/ /" : ""));
            TestHost.docker().buildImageCmd(ctx.toFile()).withTags(java.util.Set.of(IMAGE + ":" + tag)).withPull(false)
                    .exec(new com.github.dockerjava.api.command.BuildImageResultCallback()).awaitImageId(2, java.util.concurrent.TimeUnit.MINUTES);
        } finally {
            ExampleImages.deleteTree(ctx);
        }
    }

    static void copyInto(Path root, Path file) throws java.io.IOException {
        Path target = root.resolve(file.toString().substring(1));
        Files.createDirectories(target.getParent());
        Files.copy(file, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** The app alone, publishing its port: the checks run in its own container. */
    static final String ALONE = """
            services:
              app:
                image: sctest-app:${DEPLOY_RELEASE}
                ports:
                  - "127.0.0.1:${DEPLOY_PORT}:80"
            """;

    /** The app behind the example's nginx (no shell, no tools): the checks run in the app, against the nginx. */
    static final String BEHIND_NGINX = """
            services:
              app:
                image: sctest-app:${DEPLOY_RELEASE}
              web:
                image: shop-web:1
                depends_on: [app]
                volumes_from: ["app:ro"]
                ports:
                  - "127.0.0.1:${DEPLOY_PORT}:80"
                stop_signal: SIGQUIT
            """;

    static Path project(TestApp app, String compose, String checks) throws Exception {
        Files.writeString(app.composeFile, compose);
        Path file = app.dir.resolve("deploy.yml");
        Files.writeString(file, "health:\n  checks:\n" + checks.stripIndent().indent(4));
        return file;
    }

    static String[] with(Path project, String... extra) {
        List<String> args = new ArrayList<>(List.of("--project", project.toString(), "--probe", "/health.txt"));
        args.addAll(List.of(extra));
        return args.toArray(new String[0]);
    }

    @Test
    void aReleaseWithoutTheExpectedTextIsUndoneUnderLoadAndTheOldOneServes() throws Exception {
        try (TestApp app = new TestApp("scshop")) {
            Path project = project(app, BEHIND_NGINX, """
                    - path: /
                      status: 200
                      contains: "<title>Shop"
                    - path: /cgi-bin/host
                      header: {Content-Type: application/json}
                    """);
            int port = TestHost.freePort();
            var plan = app.deploy("good", with(project, concat(FrontTest.managed(app, port), "--dry-run")));
            assertEquals(0, plan.code(), plan.toString());
            assertTrue(plan.out().contains("smoke checks: GET / expecting 200 and \"<title>Shop\"; GET /cgi-bin/host expecting 2xx and Content-Type: application/json"),
                    "the plan shows the checks: " + plan.out());

            var r = app.deploy("good", with(project, FrontTest.managed(app, port)));
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().contains("smoke checks run in " + app.name + "-blue-app-1 on the Docker host, with nc (" + app.name + "-blue-web-1 has neither"),
                    "the nginx has no tool: its sibling runs the checks: " + r.out());
            assertTrue(r.out().contains("all 2 checks passed"), "a page nginx proxies is answered too (the request's end is not the client giving up): " + r.out());
            try (var load = new TestApp.Load(port, "/version.txt", 3_000, 90_000)) {
                Thread.sleep(300);
                r = app.deploy("bad", with(project, FrontTest.managed(app, port)));
                Thread.sleep(300);
                load.close();
                assertEquals(1, r.code(), r.toString());
                assertTrue(r.err().contains("smoke check GET / expecting 200 and \"<title>Shop\" failed: it answered 200 without \"<title>Shop\" in its body"
                        + " (body: \"<!doctype html> <p>Something went wrong.</p>\")"), "the message quotes the check and the answer: " + r.err());
                assertEquals(List.of(), load.failures());
                assertTrue(load.answers.size() > 10, "the load ran: " + load.answers.size());
                assertEquals(List.of("good"), load.answers.stream().distinct().toList(), "only the old release answered");
            }
            assertEquals("good", FrontTest.get(port, "/version.txt"));
            assertTrue(TestHost.docker().listContainersCmd().withShowAll(true).withNameFilter(List.of(app.name + "-green-")).exec().isEmpty(),
                    "the rejected colour is removed");
        }
    }

    @Test
    void statusesHeadersAndTheHostHeaderAreCheckedWithoutFollowingRedirects() throws Exception {
        try (TestApp app = new TestApp("scchk")) {
            Path project = project(app, ALONE, """
                    - path: /cgi-bin/redirect
                      status: [200, 302]
                    - path: /cgi-bin/host
                      host: shop.example.com
                      header: {content-type: application/json}
                      contains: '{"host":"shop.example.com"}'
                      timeout: 5s
                    """);
            var r = app.deploy("good", with(project, "--front", "passive"));
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().contains("smoke checks run in " + app.name + "-blue-app-1 on the Docker host, with nc"), r.out());
            assertTrue(r.out().contains("all 2 checks passed"), r.out());

            project(app, ALONE, """
                    - path: /cgi-bin/host
                      header: {Content-Type: text/html}
                    """);
            r = app.deploy("good", with(project, "--front", "passive"));
            assertEquals(1, r.code(), r.toString());
            assertTrue(r.err().contains("smoke check GET /cgi-bin/host expecting 2xx and Content-Type: text/html failed: it answered 200 with Content-Type: application/json; charset=utf-8"), r.err());

            project(app, ALONE, """
                    - path: /cgi-bin/redirect
                    """);
            r = app.deploy("good", with(project, "--front", "passive"));
            assertEquals(1, r.code(), r.toString());
            assertTrue(r.err().contains("smoke check GET /cgi-bin/redirect expecting 2xx failed: it answered 302 (body: \"moved\")"), "not followed: " + r.err());
            assertEquals("good", FrontTest.get(app.bluePort, "/version.txt"), "blue still serves");

            // A rollback target must pass the checks too: blue's release, stopped behind the passive front, does not.
            project(app, ALONE, """
                    - path: /cgi-bin/redirect
                      status: 302
                    """);
            r = app.deploy("bad", with(project, "--front", "passive"));
            assertEquals(0, r.code(), r.toString());
            project(app, ALONE, """
                    - path: /
                      contains: Something went wrong
                    """);
            r = BadInputTest.run(new rollback(), "--app", app.name, "--project", project.toString(), "--probe", "/health.txt", "--pull", "never");
            assertEquals(1, r.code(), r.toString());
            assertTrue(r.err().contains("smoke check GET / expecting 2xx and \"Something went wrong\" failed: it answered 200 without"), r.err());
            assertEquals("bad", FrontTest.get(app.greenPort, "/version.txt"), "the rollback was undone: green still serves");
        }
    }

    @Test
    void anImageWithWgetAloneIsCheckedWithWget() throws Exception {
        try (TestApp app = new TestApp("scwget")) {
            Path project = project(app, ALONE, """
                    - path: /
                      contains: "<title>Shop"
                      header: {X-Missing: here}
                    """);
            var r = app.deploy("wget", with(project, "--front", "passive"));
            assertEquals(1, r.code(), r.toString());
            assertTrue(r.out().contains("with wget"), r.out());
            assertTrue(r.err().contains("failed: it answered 200 without a X-Missing header"), r.err());

            project(app, ALONE, """
                    - path: /
                      contains: "<title>Shop"
                    """);
            r = app.deploy("wget", with(project, "--front", "passive"));
            assertEquals(0, r.code(), r.toString());
        }
    }

    @Test
    void anImageWithCurlIsCheckedWithCurl() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/curl")), "this machine has no curl to put in an image");
        try (TestApp app = new TestApp("sccurl")) {
            Path project = project(app, ALONE, """
                    - path: /cgi-bin/redirect
                      status: 302
                      header: {Location: /nowhere}
                    - path: /cgi-bin/host
                      host: shop.example.com
                      contains: '{"host":"shop.example.com"}'
                    """);
            var r = app.deploy("curl", with(project, "--front", "passive"));
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().contains("smoke checks run in " + app.name + "-blue-app-1 on the Docker host, with curl"), r.out());
            assertTrue(r.out().contains("all 2 checks passed"), r.out());
        }
    }

    static String[] concat(String[] a, String... b) {
        List<String> all = new ArrayList<>(List.of(a));
        all.addAll(List.of(b));
        return all.toArray(new String[0]);
    }
}
