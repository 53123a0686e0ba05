import lib.cli.Cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad option values and deploy.yml values for deploy.java and rollback.java, run in-process: one line naming the
 * option (exit 2) or the file and key (exit 3), no usage dump, no stack trace. None of these reaches Docker.
 */
class BadInputTest {
    private final Path dir = tempDir();

    static Path tempDir() {
        try {
            return Files.createTempDirectory("edbad");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @AfterEach
    void removeFiles() throws Exception {
        ExampleImages.deleteTree(dir);
    }

    static TestApp.Result run(Object command, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = Cli.commandLine(command);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new TestApp.Result(code, out.toString(), err.toString());
    }

    /** One line on stderr with every expected part, nothing on stdout, the exit code, no usage text, no stack trace. */
    static void assertOneLine(TestApp.Result r, int code, String... parts) {
        assertEquals(code, r.code(), r.toString());
        assertEquals(1, r.err().lines().count(), r.toString());
        assertFalse(r.err().contains("Usage:") || r.err().contains("\tat "), r.toString());
        for (String p : parts) assertTrue(r.err().contains(p), "missing \"" + p + "\" in: " + r.err());
    }

    @Test
    void badOptionValuesAreOneLineNamingTheOptionAndExitTwo() {
        String[][] cases = {
                {"--health-timeout", "2562048h2562048h", "longer than 24h"},
                {"--health-timeout", "99999999999h", "longer than 24h"},
                {"--health-timeout", "0s", "leaves no time"},
                {"--health-timeout", "ten", "is not a duration"},
                {"--probe-successes", "-5", "use 1-1000"},
                {"--probe-successes", "x", "whole number"},
                {"--probe-successes", "2000000000", "2000000000 is out of range; use 1-1000"},
                {"--probe-successes", "99999999999999999999", "is out of range; use 1-1000"},
                {"--blue-port", "99999999999", "99999999999 is not a port; use 1-65535"},
                {"--blue-port", "0", "use 1-65535"},
                {"--green-port", "70000", "use 1-65535"},
                {"--front-port", "abc", "whole number"},
                {"--front-target-port", "65536", "use 1-65535"},
                {"--drain-timeout", "25h", "longer than 24h"},
                {"--wait-lock", "-1s", "is not a duration"},
                {"--pull", "sometimes", "always, missing, never"},
                {"--strategy", "canary", "blue-green, recreate"},
                {"--front", "magic", "managed, passive"},
                {"--app", "Shop App", "not a valid app name"},
                {"--probe", "/a b", "is not a URL path"},
                {"--probe", "/a#b", "is not a URL path"},
                {"--host", "", "the Docker host is empty"},
                {"--host", "ftp://x", "not a Docker host scheme"},
                {"--host", "tcp://[::1", "is not a URL"},
                {"--host", "garbage!!", "is not a URL"},
                {"--host", "tcp://user:pass@", "names no host"},
                {"--host", "tcp://127.0.0.1:99999", "has port 99999; use 1-65535"},
                {"--host", "ssh://web1:65536", "has port 65536; use 1-65535"},
                {"--host", "tcp://127.0.0.1:0", "has port 0; use 1-65535"},
                {"--host", "tcp://user@[::1", "\"tcp://***@[::1\" is not a URL"},
                {"--release", "v1\ngreen LIVE running release FORGED", "\"v1?green LIVE running release FORGED\" is not a release ID"},
                {"--release", "x".repeat(100_000), "a release ID of 100000 characters is too long"},
                {"--host", "tcp://user@web1:1/v1", "\"tcp://***@web1:1/v1\" has a path or query"},
        };
        for (String[] c : cases) {
            var r = run(new deploy(), "--app", "edshop", c[0], c[1], "--dry-run");
            assertOneLine(r, 2, "'" + c[0] + "'", c[2], "see deploy.java --help");
            assertFalse(r.err().contains("user:pass") || r.err().contains("user@"), "user info shown: " + r.err());
        }
        assertOneLine(run(new rollback(), "--app", "edshop", "--wait-lock", "2562048h2562048h"), 2, "'--wait-lock'", "see rollback.java --help");
        assertOneLine(run(new rollback(), "--app", "edshop", "abc1234\nFORGED"), 2, "RELEASE", "is not a release ID", "see rollback.java --help");
        assertOneLine(run(new deploy(), "--app", "edshop", "--no-such-option"), 2, "--no-such-option");
    }

    /** Checked with the options, before the Docker host is asked anything: this host could not be reached at all. */
    @Test
    void aProbePathThatIsNoUrlPathIsExitTwoBeforeTheHostIsTouched() throws Exception {
        Path compose = dir.resolve("docker-compose.yml");
        Files.writeString(compose, TestApp.COMPOSE);
        var r = run(new deploy(), "--app", "wtbprobe", "-f", compose.toString(), "--release", "v1", "--host", "tcp://127.0.0.1:1",
                "--blue-port", "18201", "--green-port", "18202", "--probe", "/a b");
        assertOneLine(r, 2, "'--probe'", "\"/a b\" is not a URL path", "see deploy.java --help");
    }

    @Test
    void aMissingAppIsExitTwo() {
        assertOneLine(run(new deploy(), "--dry-run"), 2, "missing --app NAME");
        assertOneLine(run(new rollback()), 2, "missing --app NAME");
        assertOneLine(run(new deploy(), "status"), 2, "missing --app NAME");
    }

    @Test
    void theSamePortForBothColoursIsExitTwo() throws Exception {
        Path compose = dir.resolve("docker-compose.yml");
        Files.writeString(compose, TestApp.COMPOSE);
        var r = run(new deploy(), "--app", "edshop", "-f", compose.toString(), "--release", "v1", "--blue-port", "18201", "--green-port", "18201", "--dry-run");
        assertOneLine(r, 2, "--blue-port and --green-port are both 18201");
    }

    @Test
    void badValuesInDeployYmlNameTheFileAndKeyAndExitThree() throws Exception {
        String[][] cases = {
                {"health:\n  timeout: 2562048h2562048h\n", "health.timeout", "longer than 24h"},
                {"health:\n  timeout: 99999999999h\n", "health.timeout", "longer than 24h"},
                {"health:\n  successes: -5\n", "health.successes", "use 1-1000"},
                {"health:\n  successes: many\n", "health.successes", "whole number"},
                {"front:\n  port: http\n", "front.port", "whole number"},
                {"front:\n  port: 0\n", "front.port", "use 1-65535"},
                {"front:\n  target_port: eighty\n", "front.target_port", "whole number"},
                {"front:\n  kind: magic\n", "front.kind", "managed, passive"},
                {"front:\n  drain_timeout: 1y\n", "front.drain_timeout", "is not a duration"},
                {"front:\n  max_body: 64mb\n", "front.max_body", "is not a size"},
                {"front:\n  read_timeout: 0s\n", "front.read_timeout", "leaves no time"},
                {"front:\n  trusted_proxies: [10.0.0.0/8, \"1.2.3.4; allow all\"]\n", "front.trusted_proxies[1]", "is not an address or CIDR block"},
                {"front:\n  tls:\n    cert: /etc/le/fullchain.pem\n", "front.tls", "needs both cert: and key:"},
                {"front:\n  tls:\n    port: 0\n", "front.tls.port", "use 1-65535"},
                {"front:\n  tls:\n    redirect: maybe\n", "front.tls.redirect", "must be true or false"},
                {"health:\n  probe: /a#b\n", "health.probe", "is not a URL path"},
                {"health:\n  probe: \"/a b\"\n", "health.probe", "is not a URL path"},
                {"health:\n  probe: \"/x\\r\\nFORGED\"\n", "health.probe", "\"/x??FORGED\" is not a URL path"},
                {"health:\n  checks:\n    - path: \"/x\\nFORGED\"\n", "health.checks[0].path", "\"/x?FORGED\" is not a URL path"},
                {"front:\n  kind: \"magic\\nFORGED\"\n", "front.kind", "\"magic?FORGED\" is not one of"},
                {"release: \"v1\\nFORGED\"\n", "release", "\"v1?FORGED\" is not a release ID"},
                {"release: " + "x".repeat(200) + "\n", "release", "a release ID of 200 characters is too long"},
        };
        Path project = dir.resolve("deploy.yml");
        for (String[] c : cases) {
            Files.writeString(project, "app: edshop\n" + c[0]);
            for (Object command : List.of(new deploy(), new rollback())) {
                List<String> args = new ArrayList<>(List.of("--project", project.toString()));
                if (command instanceof deploy) args.add("--dry-run");
                var r = run(command, args.toArray(new String[0]));
                assertOneLine(r, 3, project + ": " + c[1] + ": ", c[2]);
                assertFalse(r.err().contains("--health-timeout") || r.err().contains("--front"), "names the key, not the option: " + r.err());
            }
        }
        // The file is checked whole when it is read: a bad value is an error even where an option would win over it.
        Files.writeString(project, "app: edshop\nhealth:\n  timeout: forever\n");
        var r = run(new deploy(), "--project", project.toString(), "--health-timeout", "1s", "-f", dir.resolve("missing.yml").toString(), "--dry-run");
        assertOneLine(r, 3, project + ": health.timeout: ", "is not a duration");
    }

    @Test
    void anInvalidAppNameInDeployYmlIsExitThree() throws Exception {
        Path project = dir.resolve("deploy.yml");
        Files.writeString(project, "app: Shop App\n");
        assertOneLine(run(new deploy(), "--project", project.toString(), "--dry-run"), 3, "not a valid app name");
        Files.writeString(project, "app: \"shop\\nFORGED\"\n");
        assertOneLine(run(new deploy(), "--project", project.toString(), "--dry-run"), 3, "\"shop?FORGED\" is not a valid app name");
    }

    /** The managed front on a colour's host port would make every deploy to that colour fail "port is already allocated". */
    @Test
    void aFrontPortThatIsAColoursHostPortIsRefusedBeforeTheHostIsTouched() throws Exception {
        Path compose = dir.resolve("docker-compose.yml");
        Files.writeString(compose, TestApp.COMPOSE);
        String[] common = {"--app", "wtbfront", "-f", compose.toString(), "--host", "tcp://127.0.0.1:1", "--blue-port", "18201", "--green-port", "18202",
                "--front", "managed"};
        var r = run(new deploy(), Commands.concat(common, "--release", "v1", "--front-port", "18202"));
        assertOneLine(r, 2, "--front-port 18202 is also green's host port (--green-port 18202), published by service \"web\" of " + compose,
                "port is already allocated", "give the front another port");

        // a port the Compose file publishes itself, on blue only (one file per colour)
        Files.writeString(dir.resolve("docker-compose.blue.yml"), TestApp.COMPOSE.replace("${DEPLOY_PORT}:80", "${DEPLOY_PORT}:80\"\n      - \"9443:443"));
        Files.writeString(dir.resolve("docker-compose.green.yml"), TestApp.COMPOSE);
        common[3] = dir.resolve("docker-compose.{colour}.yml").toString();
        assertOneLine(run(new deploy(), Commands.concat(common, "--release", "v1", "--front-port", "9443")), 2,
                "--front-port 9443 is also blue's host port, published by service \"web\" of " + dir.resolve("docker-compose.blue.yml"));
        Path project = dir.resolve("deploy.yml");
        Files.writeString(project, "front:\n  port: 9443\n");
        assertOneLine(run(new deploy(), Commands.concat(new String[]{"--project", project.toString()}, Commands.concat(common, "--release", "v1"))), 3,
                project + ": front.port 9443 is also blue's host port");

        common[3] = compose.toString();
        // Docker would publish one of two ports given the same host port and drop the other without a word
        assertOneLine(run(new deploy(), Commands.concat(common, "--release", "v1", "--front-port", "18203", "--front-preview-port", "18203")), 2,
                "--front-preview-port 18203 is the front's own port (--front-port 18203)", "--front-preview-port 18204");
        assertOneLine(run(new deploy(), Commands.concat(common, "--release", "v1", "--front-port", "18203", "--front-preview-port", "18201")), 2,
                "--front-preview-port 18201 is also blue's host port (--blue-port 18201)");
        Files.writeString(project, "front:\n  port: 18203\n  preview_port: 18203\n");
        assertOneLine(run(new deploy(), Commands.concat(new String[]{"--project", project.toString()}, Commands.concat(common, "--release", "v1"))), 3,
                project + ": front.preview_port 18203 is the front's own port (" + project + ": front.port 18203)");
        var elsewhere = run(new deploy(), Commands.concat(common, "--release", "v1", "--front-port", "18202", "--front-bind", "127.0.0.2"));
        assertEquals(5, elsewhere.code(), "a front on another address shares no port with a colour on 127.0.0.1; the host is what fails: " + elsewhere);
    }
}
