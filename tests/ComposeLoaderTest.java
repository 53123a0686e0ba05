import lib.base.DeployError;
import lib.base.ExitCode;
import lib.compose.ComposeFiles;
import lib.compose.ComposeLoader;
import lib.compose.ComposeProject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Compose subset: everything the shell version's files use is read; everything else is a precise error. */
class ComposeLoaderTest {
    final Path dir;

    ComposeLoaderTest() throws Exception {
        dir = Files.createTempDirectory("compose-test");
    }

    @AfterEach
    void clean() {
        ExampleImages.deleteTree(dir);
    }

    ComposeProject load(String yaml) throws Exception {
        return load(yaml, Map.of());
    }

    ComposeProject load(String yaml, Map<String, String> env) throws Exception {
        Path f = dir.resolve("docker-compose.yml");
        Files.writeString(f, yaml);
        return ComposeLoader.load(f, "shop-green", env, Map.of("DEPLOY_PORT", "8081"));
    }

    String error(String yaml) {
        return assertThrows(DeployError.class, () -> load(yaml)).getMessage();
    }

    @Test
    void readsEverySupportedKey() throws Exception {
        Files.writeString(dir.resolve(".env"), "# comment\nTAG=v7\nDB_HOST=from-dotenv\n");
        Files.writeString(dir.resolve("app.env"), "APP_KEY=secret\nDB_HOST=from-env-file\n");
        var p = load("""
                version: '2'
                services:
                  app:
                    image: registry.local:5000/shop-app:${TAG}
                    command: php-fpm -F --pid "/tmp/x y.pid"
                    entrypoint: ["/entry.sh"]
                    env_file: app.env
                    environment:
                      - DB_HOST=mysql
                      - TAG
                    volumes:
                      - /var/www
                      - ./conf:/etc/app:ro
                      - uploads:/uploads
                    labels:
                      team: shop
                    healthcheck:
                      test: wget -q -O /dev/null http://127.0.0.1/health
                      interval: 2s
                      timeout: 1s
                      retries: 5
                      start_period: 1m
                    restart: on-failure:3
                    user: "33"
                    working_dir: /var/www
                    extra_hosts: ["mysql:10.0.0.5"]
                    networks: [default, backend]
                  web:
                    image: nginx:1
                    ports: ["127.0.0.1:${DEPLOY_PORT}:80", "9000/udp"]
                    volumes_from: ["app:ro"]
                    depends_on: [app]
                    stop_signal: SIGQUIT
                    stop_grace_period: 1m30s
                  sidecar:
                    image: busybox
                    network_mode: "service:app"
                volumes:
                  uploads:
                    external: true
                networks:
                  backend: {}
                """);
        var app = p.services().get("app");
        assertEquals("registry.local:5000/shop-app:v7", app.image());
        assertEquals(List.of("php-fpm", "-F", "--pid", "/tmp/x y.pid"), app.command());
        assertEquals(Map.of("APP_KEY", "secret", "DB_HOST", "mysql", "TAG", "v7"), app.environment());
        assertEquals(ComposeProject.MountKind.ANONYMOUS, app.volumes().get(0).kind());
        assertEquals(dir.resolve("conf").toString(), app.volumes().get(1).source());
        assertTrue(app.volumes().get(1).readOnly());
        assertEquals("uploads", app.volumes().get(2).source(), "external volumes keep their name");
        assertEquals(List.of("CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1/health"), app.healthcheck().test());
        assertEquals(60_000_000_000L, app.healthcheck().startPeriodNanos());
        assertEquals("on-failure:3", app.restart());
        assertEquals(List.of("default", "backend"), List.copyOf(app.networks().keySet()));
        assertEquals("shop-green_backend", p.networks().get("backend").name());

        var web = p.services().get("web");
        assertEquals(new ComposeProject.Port("127.0.0.1", 8081, 80, "tcp"), web.ports().get(0));
        assertEquals(new ComposeProject.Port(null, null, 9000, "udp"), web.ports().get(1));
        assertEquals(90, web.stopGraceSeconds());
        assertEquals(List.of("app", "web", "sidecar"), p.startOrder().stream().map(ComposeProject.Service::name).toList());
        assertNull(p.services().get("sidecar").stopGraceSeconds());
    }

    @Test
    void processEnvironmentWinsOverDotEnv() throws Exception {
        Files.writeString(dir.resolve(".env"), "TAG=from-dotenv\n");
        var p = load("services:\n  a:\n    image: x:${TAG}\n", Map.of("TAG", "from-env"));
        assertEquals("x:from-env", p.services().get("a").image());
    }

    @Test
    void unsupportedKeysNameFileServiceAndKey() {
        String f = dir.resolve("docker-compose.yml").toString();
        assertEquals(f + ": service \"web\": unsupported key \"privileged_mode\"; see the README's \"Compose files\" for the keys a deploy reads"
                        + " (extension keys start with x-)",
                error("services:\n  web:\n    image: x\n    privileged_mode: true\n"));
        assertTrue(error("services:\n  web:\n    image: x\n    post_start: [{command: x}]\n").contains("service \"web\": key \"post_start\" is not supported: lifecycle hooks"));
        assertTrue(error("services:\n  web:\n    image: x\nsecret: {}\n").contains(": unsupported top-level key \"secret\""));
        assertTrue(error("services:\n  web:\n    image: x\n    healthcheck:\n      test: [CMD, x]\n      when: always\n").contains("unsupported healthcheck key \"when\""));
    }

    @Test
    void badYamlAndDuplicateKeysGiveLineNumbers() {
        String dup = error("services:\n  web:\n    image: x\n    image: y\n");
        assertTrue(dup.matches(".*docker-compose.yml:4:\\d+: invalid YAML: found duplicate key image"), dup);
        String bad = error("services:\n  web:\n    image: [x\n");
        assertTrue(bad.contains("docker-compose.yml:") && bad.contains("invalid YAML"), bad);
        String tabs = error("services:\n\tweb: {}\n");
        assertTrue(tabs.contains("invalid YAML"), tabs);
    }

    @Test
    void badValuesSayWhatToWrite() {
        assertTrue(error("services:\n  web:\n    image: x\n    ports: [\"80:80:80:80\"]\n").contains("bad port \"80:80:80:80\": too many ':'"));
        assertTrue(error("services:\n  web:\n    image: x\n    ports: [\"8000-8010:80\"]\n").contains("the host range and the container range differ in length"));
        assertTrue(error("services:\n  web:\n    image: x\n    ports: [\"0:80\"]\n").contains("0 is outside 1-65535"));
        assertTrue(error("services:\n  web:\n    image: x\n    ports: [\"80/sctp\"]\n").contains("protocol must be tcp or udp"));
        assertTrue(error("services:\n  web:\n    image: x\n    volumes: [\"data:/d\"]\n").contains("volume \"data\" is not declared"));
        assertTrue(error("services:\n  web:\n    image: x\n    restart: sometimes\n").contains("restart \"sometimes\" is not one of"));
        assertTrue(error("services:\n  web:\n    image: x\n    depends_on: [db]\n").contains("refers to service \"db\", which is not defined"));
        assertTrue(error("services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    volumes_from: [a]\n").contains("dependency cycle between services: a -> b -> a"));
        assertTrue(error("services:\n  web:\n    build: .\n").contains("key \"build\" is not supported without \"image\": deploys use prebuilt images"));
        assertTrue(error("services:\n  web:\n    environment: [A=1]\n").contains("key \"image\" is required"));
        assertTrue(error("services:\n  web:\n    image: x:${NOPE}\n").contains("variable NOPE is not set"));
        assertTrue(error("version: '1'\nservices:\n  web:\n    image: x\n").contains("version \"1\" is not supported"));
        assertTrue(error("services: []\n").contains("services must be a mapping"));
    }

    @Test
    void missingFileSaysHowToPointAtOne() {
        var e = assertThrows(DeployError.class, () -> ComposeLoader.load(dir.resolve("nope.yml"), "p", Map.of(), Map.of()));
        assertEquals(dir.resolve("nope.yml") + ": Compose file not found; pass -f FILE or run from the app's directory", e.getMessage());
        var none = assertThrows(DeployError.class, () -> ComposeFiles.pattern(null, dir));
        assertTrue(none.getMessage().startsWith("no Compose file in "), none.getMessage());
    }

    @Test
    void oneSharedFileNeedsAPerColourPort() throws Exception {
        Files.writeString(dir.resolve("compose.yml"), "services:\n  web:\n    image: x\n    ports: [\"127.0.0.1:8080:80\"]\n");
        var ports = new EnumMap<lib.model.Colour, Integer>(Map.of(lib.model.Colour.BLUE, 8080, lib.model.Colour.GREEN, 8081));
        var e = assertThrows(DeployError.class, () -> ComposeFiles.loadBoth(ComposeFiles.pattern(null, dir), "shop", ports, null, Map.of()));
        assertTrue(e.getMessage().contains("blue and green both publish host port(s) [8080]"), e.getMessage());

        Files.writeString(dir.resolve("compose.yml"), "services:\n  web:\n    image: x\n    ports: [\"127.0.0.1:${DEPLOY_PORT}:80\"]\n");
        var both = ComposeFiles.loadBoth(ComposeFiles.pattern(null, dir), "shop", ports, null, Map.of());
        assertEquals(8081, both.get(lib.model.Colour.GREEN).services().get("web").ports().get(0).hostPort());
    }

    @Test
    void perColourFilesAreFoundByConvention() throws Exception {
        Files.writeString(dir.resolve("docker-compose.blue.yml"), "services:\n  web:\n    image: x\n    ports: [\"8080:80\"]\n");
        Files.writeString(dir.resolve("docker-compose.green.yml"), "services:\n  web:\n    image: x\n    ports: [\"8081:80\"]\n");
        String pattern = ComposeFiles.pattern(null, dir);
        assertEquals(dir.resolve("docker-compose.{colour}.yml").toString(), pattern);
        var both = ComposeFiles.loadBoth(pattern, "shop", new EnumMap<>(Map.of(lib.model.Colour.BLUE, 1, lib.model.Colour.GREEN, 2)), null, Map.of());
        assertEquals(8080, both.get(lib.model.Colour.BLUE).services().get("web").ports().get(0).hostPort());
    }

    /** nginx resolves the managed front's upstream by container name: over a DNS label, green could never go live. */
    @Test
    void aContainerNameOverTheDnsLabelLimitNamesTheService() throws Exception {
        String app = "a".repeat(52);
        var ports = new EnumMap<lib.model.Colour, Integer>(Map.of(lib.model.Colour.BLUE, 8080, lib.model.Colour.GREEN, 8081));
        Files.writeString(dir.resolve("compose.yml"), "services:\n  db: {image: x}\n  web:\n    image: x\n    ports: [\"127.0.0.1:${DEPLOY_PORT}:80\"]\n");
        var e = assertThrows(DeployError.class, () -> ComposeFiles.loadBoth(ComposeFiles.pattern(null, dir), app, ports, null, Map.of()));
        assertEquals(ExitCode.CONFIG, e.exitCode());
        assertEquals(dir.resolve("compose.yml") + ": service \"web\": container name " + app + "-green-web-1 is 64 characters, over"
                + " DNS's 63-character label (the managed front could not resolve it); shorten the service name to at most 2 characters"
                + " or the app name", e.getMessage());
        Files.writeString(dir.resolve("compose.yml"), "services:\n  db:\n    image: x\n    ports: [\"127.0.0.1:${DEPLOY_PORT}:80\"]\n");
        assertEquals(2, ComposeFiles.loadBoth(ComposeFiles.pattern(null, dir), app, ports, null, Map.of()).size(), "db: 63 characters, the most a DNS label holds");
        // each colour's own name counts: blue's is a character shorter
        Files.writeString(dir.resolve("docker-compose.blue.yml"), "services:\n  abc:\n    image: x\n    ports: [\"8080:80\"]\n");
        Files.writeString(dir.resolve("docker-compose.green.yml"), "services:\n  ab:\n    image: x\n    ports: [\"8081:80\"]\n");
        assertEquals(2, ComposeFiles.loadBoth(dir.resolve("docker-compose.{colour}.yml").toString(), app, ports, null, Map.of()).size());
    }
}
