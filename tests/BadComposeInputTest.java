import lib.base.DeployError;
import lib.base.ExitCode;
import lib.compose.ComposeLoader;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile and mistaken Compose input: each is one line naming the file, the service and the key with the fix,
 * exit 3 (or 1 when only Docker can tell, after the deploy was undone), no stack trace, no value that may be a secret.
 */
class BadComposeInputTest {
    final Path dir;
    final Path file;

    BadComposeInputTest() throws Exception {
        dir = Files.createTempDirectory("inbad");
        file = dir.resolve("docker-compose.yml");
    }

    @AfterEach
    void clean() {
        ExampleImages.deleteTree(dir);
    }

    String error(String yaml) throws Exception {
        Files.writeString(file, yaml);
        return assertThrows(DeployError.class, () -> ComposeLoader.load(file, "inbad-green", Map.of(), Map.of())).getMessage();
    }

    static String service(String body) {
        return "services:\n  app:\n    image: busybox\n" + body.indent(4);
    }

    @Test
    void environmentIsAListOrAMappingAndNothingElse() throws Exception {
        String e = error(service("environment: \"DB_PASSWORD=hunter2\""));
        assertEquals(file + ": service \"app\": \"environment\" must be a list (- KEY=value) or a mapping (KEY: value), got a string", e);
        assertTrue(error(service("environment: 5")).endsWith("got a number"));
        assertTrue(error(service("labels: team")).contains("\"labels\" must be a list (- KEY=value) or a mapping"));
        assertTrue(error(service("environment: [\"=x\"]")).contains("\"environment\" has an entry with no name"));
    }

    /** 25 levels, each a list of the level below twice: 48 aliases in about 550 bytes, 2^25 values expanded. */
    static String aliasBomb() {
        StringBuilder bomb = new StringBuilder("a0: &a0 [x, x]\n");
        for (int i = 1; i < 25; i++) bomb.append("a").append(i).append(": &a").append(i).append(" [*a").append(i - 1).append(", *a").append(i - 1).append("]\n");
        return bomb.toString();
    }

    @Test
    void anAliasBombFailsFastWithOneLine() throws Exception {
        Files.writeString(file, aliasBomb());
        assertTrue(Files.size(file) < 600, "a small file: " + Files.size(file));
        assertEquals(48, aliasBomb().split("\\*a", -1).length - 1, "48 aliases, under the count limit of 50");
        var e = assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> assertThrows(DeployError.class, () -> ComposeLoader.load(file, "inbad-green", Map.of(), Map.of())));
        assertEquals(file + ": expands to more than 100000 values (nested YAML aliases?); write the values out or use fewer aliases", e.getMessage());
    }

    /** The alias count limit is raised for real files; 30 levels of 30 references each still fail on their size at once. */
    @Test
    void aWiderBombUnderTheRaisedAliasLimitStillFailsFast() throws Exception {
        StringBuilder bomb = new StringBuilder("a0: &a0 [x, x]\n");
        for (int i = 1; i < 30; i++) bomb.append("a").append(i).append(": &a").append(i).append(" [").append(("*a" + (i - 1) + ", ").repeat(29)).append("*a").append(i - 1).append("]\n");
        Files.writeString(file, bomb.toString());
        var e = assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> assertThrows(DeployError.class, () -> ComposeLoader.load(file, "inbad-green", Map.of(), Map.of())));
        assertTrue(e.getMessage().endsWith("expands to more than 100000 values (nested YAML aliases?); write the values out or use fewer aliases"), e.getMessage());
        // and a large legitimate file, an anchor merged into each of 300 services, loads
        StringBuilder big = new StringBuilder("x-common: &common\n  image: busybox\n  restart: unless-stopped\nservices:\n");
        for (int i = 0; i < 300; i++) big.append("  s").append(i).append(":\n    <<: *common\n    labels: {com.example.n: \"").append(i).append("\"}\n");
        Files.writeString(file, big.toString());
        assertEquals(300, ComposeLoader.load(file, "inbad-green", Map.of(), Map.of()).services().size());
    }

    @Test
    void aDirectoryOrAFifoIsOneLineAndNeverHangs() throws Exception {
        Path fifo = dir.resolve("fifo.yml");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        var e = assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> assertThrows(DeployError.class, () -> ComposeLoader.load(fifo, "inbad-green", Map.of(), Map.of())));
        assertEquals(fifo + ": is not a regular file (a pipe or device?), not a YAML file; name the file itself", e.getMessage());
        e = assertThrows(DeployError.class, () -> ComposeLoader.load(dir, "inbad-green", Map.of(), Map.of()));
        assertEquals(dir + ": is a directory, not a YAML file; name the file itself", e.getMessage());
    }

    @Test
    void labelsInOurNamespaceOrComposesAreRefused() throws Exception {
        String ours = error(service("labels: {dev.bgdeploy.role: lock}"));
        assertEquals(file + ": service \"app\": label \"dev.bgdeploy.role\" is in bgdeploy's own namespace, which the deploy sets itself;"
                + " rename it (e.g. com.example.role)", ours);
        assertTrue(error(service("labels: [com.docker.compose.project=other]"))
                .contains("label \"com.docker.compose.project\" is in Compose's own namespace"));
    }

    @Test
    void settingsDockerWouldRefuseAreCaughtAtLoadWithTheirKey() throws Exception {
        String at = file + ": service \"app\": ";
        assertEquals(at + "stop_signal \"SIGFOO\" is not a signal; write e.g. SIGTERM, SIGQUIT, SIGINT or a number 1-64", error(service("stop_signal: SIGFOO")));
        assertTrue(error(service("extra_hosts: [\"db:not-an-ip\"]")).startsWith(at + "bad extra_hosts entry \"db:not-an-ip\"; write HOST:IP"));
        assertTrue(error(service("extra_hosts: {db: 10.0.0.300}")).startsWith(at + "bad extra_hosts entry"));
        assertTrue(error(service("working_dir: var/www")).startsWith(at + "working_dir \"var/www\" is not an absolute path"));
        assertTrue(error(service("user: \"www data\"")).startsWith(at + "user \"www data\" is not USER[:GROUP]"));
        assertTrue(error(service("healthcheck: {test: [CMD, x], interval: 10 sec}")).startsWith(at + "healthcheck.interval: \"10 sec\" is not a duration"));
        assertTrue(error(service("healthcheck: {test: [CMD, x], timeout: 1us}")).startsWith(at + "healthcheck.timeout \"1us\" is shorter than 1ms"));
        assertTrue(error(service("stop_grace_period: 48h")).startsWith(at + "stop_grace_period \"48h\" is over a day"));
        assertTrue(error(service("init: \"yes\"")).startsWith(at + "\"init\" must be true or false, got a string"));
        assertTrue(error(service("ports: [\"8000-8010:80\"]")).contains("the host range and the container range differ in length"));
        assertTrue(error(service("network_mode: host\nports: [\"8080:80\"]")).startsWith(at + "\"ports\" cannot be published with network_mode \"host\""));
        assertTrue(error(service("network_mode: \"service:db\"")).startsWith(at + "network_mode refers to service \"db\", which is not defined in this file"));
        assertTrue(error("services:\n  app:\n    image: \"shop app:1\"\n").startsWith(at + "image \"shop app:1\" is not an image reference"));
    }

    @Test
    void secretsInBadValuesAreNeverEchoed() throws Exception {
        Files.writeString(dir.resolve("app.env"), "# app secrets\nDB_PASSWORD hunter2\n");
        String envFile = error(service("env_file: app.env"));
        assertEquals(dir.resolve("app.env") + ":2: not a KEY=VALUE line (KEY: letters, digits, '_', '.', '-'; # starts a comment);"
                + " the line is not shown, as it may hold a secret", envFile);
        String dollar = error(service("environment: {DB_PASSWORD: \"hunter2$\"}"));
        assertTrue(dollar.startsWith(file + ": services.app.environment.DB_PASSWORD: a lone \"$\""), dollar);
        assertFalse(dollar.contains("hunter2"), dollar);
        assertFalse(error(service("environment: {DB_PASSWORD: \"hunter2${\"}")).contains("hunter2"));
        assertFalse(error(service("environment: \"hunter2\"")).contains("hunter2"));
    }

    /** The same inputs through deploy.java: exit 3, exactly one line on stderr, nothing from the host touched. */
    @Test
    void deployJavaReportsEachAsOneLineWithExitThree() throws Exception {
        Path fifo = dir.resolve("fifo.yml");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        List<String> bad = List.of(service("environment: \"A=1\""), service("labels: {dev.bgdeploy.colour: blue}"),
                service("stop_signal: TERMINATE"), service("network_mode: \"service:nope\""), aliasBomb());
        for (String yaml : bad) check(yaml, file);
        check(null, fifo);
        check(null, dir);
    }

    private void check(String yaml, Path f) throws Exception {
        if (yaml != null) Files.writeString(f, yaml);
        var r = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> TestApp.run("--app", "inbad", "-f", f.toString(), "--release", "v1"));
        assertEquals(ExitCode.CONFIG, r.code(), r.toString());
        assertEquals(1, r.err().lines().count(), r.toString());
        assertTrue(r.err().startsWith("error: " + f), r.toString());
        assertFalse(r.err().contains("internal error") || r.err().contains("\tat "), r.toString());
    }

    /** What only the Engine can refuse comes back naming the file, the service and the key; the deploy is undone. */
    @Test
    void aDockerRefusalAtCreateNamesFileServiceAndKeyAndIsUndone() throws Exception {
        try (TestApp app = new TestApp("inrefuse")) {
            Files.writeString(app.composeFile, "services:\n  app:\n    image: bgtest-app:v1\n  side:\n    image: bgtest-app:v1\n"
                    + "    network_mode: \"container:" + app.name + "-nosuch\"\n");
            var r = TestApp.run("--app", app.name, "-f", app.composeFile.toString(), "--release", "v1", "--pull", "never", "--no-probe");
            assertEquals(ExitCode.DEPLOY_FAILED, r.code(), r.toString());
            assertTrue(r.err().contains(app.composeFile + ": service \"side\": key \"network_mode\": container \"" + app.name
                    + "-nosuch\" does not exist on the host"), r.toString());
            assertFalse(r.err().contains("Docker API error"), r.toString());
            assertTrue(DeployTest.state(app).blue().empty(), "the half-made colour was removed");
        }
    }

    /** 20 MB of YAML once ran out a 200 s limit: the size is checked before a byte is parsed. */
    @Test
    void anOversizedComposeFileEnvOrEnvFileIsRefusedBeforeParsing() throws Exception {
        Files.writeString(file, service("env_file: app.env"));
        Path dotEnv = dir.resolve(".env");
        Files.writeString(dotEnv, "A=1\n");
        Files.writeString(dir.resolve("app.env"), "B=2\n");
        for (Path big : List.of(file, dotEnv, dir.resolve("app.env"))) {
            byte[] before = Files.readAllBytes(big);
            try (var f = new java.io.RandomAccessFile(big.toFile(), "rw")) {
                f.setLength(20L << 20);
            }
            DeployError e = assertTimeoutPreemptively(Duration.ofSeconds(2),
                    () -> assertThrows(DeployError.class, () -> ComposeLoader.load(file, "inbad-green", Map.of(), Map.of())));
            assertEquals(ExitCode.CONFIG, e.exitCode());
            assertTrue(e.getMessage().startsWith(big.toAbsolutePath() + ": is 20971520 bytes, over the limit of 1048576 (1 MiB)"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
            Files.write(big, before);
        }
    }
}
