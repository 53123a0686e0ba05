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

    // --- issue 16: real files load unchanged ----------------------------------------------------

    @Test
    void scalarsAreReadAsYaml12LikeCompose() throws Exception {
        var p = load("""
                services:
                  web:
                    image: x
                    restart: no
                    ports: [22:22]
                    environment:
                      A: yes
                      B: on
                      C: off
                      D: 2024-01-01
                      E: true
                      F: 0x1F
                """);
        var web = p.services().get("web");
        assertEquals("no", web.restart());
        assertEquals(22, web.ports().get(0).hostPort(), "22:22 is not sexagesimal 1342");
        assertEquals(Map.of("A", "yes", "B", "on", "C", "off", "D", "2024-01-01", "E", "true", "F", "31"), web.environment());
    }

    @Test
    void everyRefusalOfAFileIsReportedInOneRun() {
        String e = error("""
                services:
                  web:
                    image: x
                    post_start: [{command: x}]
                    restart: sometimes
                    ports: ["0:80"]
                  worker:
                    image: "Bad Image"
                    depends_on: [nope]
                    deploy: {replicas: 3}
                """);
        String f = dir.resolve("docker-compose.yml").toString();
        List<String> lines = List.of(e.split("\n"));
        assertEquals(6, lines.size(), e);
        assertTrue(lines.stream().allMatch(l -> l.startsWith(f + ": service \"")), e);
        assertTrue(e.contains("service \"web\": key \"post_start\" is not supported"), e);
        assertTrue(e.contains("service \"web\": restart \"sometimes\""), e);
        assertTrue(e.contains("service \"web\": bad port \"0:80\""), e);
        assertTrue(e.contains("service \"worker\": image \"Bad Image\""), e);
        assertTrue(e.contains("service \"worker\": deploy.replicas above 1 is not supported: a deploy runs one container per service per colour"), e);
        assertTrue(e.contains("service \"worker\": depends_on refers to service \"nope\""), e);
    }

    @Test
    void runKeysAreReadIntoTheService() throws Exception {
        var p = load("""
                x-logging: &logging
                  driver: json-file
                  options: {max-size: 10m, max-file: "3"}
                name: upstream-name
                services:
                  web:
                    image: x
                    build: .
                    container_name: shop_web
                    hostname: web1
                    domainname: example.com
                    expose: ["9000", "9100-9101/udp"]
                    shm_size: 256m
                    cap_add: [NET_ADMIN, cap_sys_ptrace]
                    cap_drop: [ALL]
                    security_opt: ["no-new-privileges:true"]
                    ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 512}
                    logging: *logging
                    tmpfs: [/run, "/tmp:size=64m"]
                    sysctls: {net.core.somaxconn: 1024}
                    read_only: true
                    pids_limit: 100
                    dns: [1.1.1.1]
                    mem_limit: 512m
                    memswap_limit: 1g
                    cpus: 0.5
                    cpu_shares: 512
                    oom_score_adj: -100
                    tty: true
                    stdin_open: true
                    platform: linux/amd64
                    init: true
                    x-note: ignored
                    deploy:
                      resources:
                        limits: {memory: 1g, cpus: "2"}
                        reservations: {memory: 128m}
                  db:
                    image: mariadb:11
                    deploy: {resources: {limits: {memory: 1g, cpus: "1.5"}}}
                    links: [web:frontend]
                """);
        var web = p.services().get("web");
        var r = web.run();
        assertEquals("shop_web", web.containerName());
        assertEquals("web1", web.hostname());
        assertEquals(List.of("9000/tcp", "9100/udp", "9101/udp"), web.expose());
        assertEquals(256L << 20, r.shmSize());
        assertEquals(List.of("NET_ADMIN", "SYS_PTRACE"), r.capAdd());
        assertEquals(List.of(new ComposeProject.Ulimit("nofile", 1024, 2048), new ComposeProject.Ulimit("nproc", 512, 512)), r.ulimits());
        assertEquals(new ComposeProject.Logging("json-file", Map.of("max-size", "10m", "max-file", "3")), r.logging());
        assertEquals(Map.of("/run", "", "/tmp", "size=64m"), r.tmpfs());
        assertEquals(512L << 20, r.memory(), "mem_limit wins over deploy.resources.limits.memory");
        assertEquals(500_000_000L, r.nanoCpus());
        assertEquals(128L << 20, r.memoryReservation());
        assertEquals(1L << 30, p.services().get("db").run().memory());
        assertEquals(1_500_000_000L, p.services().get("db").run().nanoCpus());
        assertEquals(Map.of("web", "frontend"), p.services().get("db").links());
        assertEquals(List.of("web", "db"), p.startOrder().stream().map(ComposeProject.Service::name).toList(), "links start the linked service first");
        String notices = String.join("\n", p.notices());
        assertTrue(notices.contains("the top-level name \"upstream-name\" is ignored: each colour runs as its own Compose project, <app>-<colour>"), notices);
        assertTrue(notices.contains("service \"web\": \"build\" is ignored (as by docker compose up --no-build): the deploy runs the image x"), notices);
        assertTrue(notices.contains("service \"web\": container_name \"shop_web\" is a network alias of the service in each colour"), notices);
    }

    @Test
    void dotEnvIsReadAsComposeReadsIt() throws Exception {
        Files.writeString(dir.resolve(".env"), """
                # a comment
                export PLAIN=value # an inline comment
                HASH=pass#word
                SINGLE='literal ${PLAIN} \\n'
                DOUBLE="line1\\nline2 ${PLAIN}"
                MULTI="first
                second"
                HOST=db
                URL=mysql://${HOST}:3306/${DB_NAME:-shop}
                EMPTY=
                """);
        var env = load("""
                services:
                  web:
                    image: x
                    environment:
                      PLAIN: ${PLAIN}
                      HASH: ${HASH}
                      SINGLE: ${SINGLE}
                      DOUBLE: ${DOUBLE}
                      MULTI: ${MULTI}
                      URL: ${URL}
                      ALT: ${PLAIN:+set}
                      ALT2: ${EMPTY+set-but-empty}
                      ALT3: ${EMPTY:+never}
                      NESTED: ${NOPE:-${ALSO_NOPE:-deep}}
                """).services().get("web").environment();
        assertEquals("value", env.get("PLAIN"));
        assertEquals("pass#word", env.get("HASH"));
        assertEquals("literal ${PLAIN} \\n", env.get("SINGLE"));
        assertEquals("line1\nline2 value", env.get("DOUBLE"));
        assertEquals("first\nsecond", env.get("MULTI"));
        assertEquals("mysql://db:3306/shop", env.get("URL"));
        assertEquals("set", env.get("ALT"));
        assertEquals("set-but-empty", env.get("ALT2"));
        assertEquals("", env.get("ALT3"));
        assertEquals("deep", env.get("NESTED"));
    }

    @Test
    void anUnbalancedQuoteInACommandNeverShowsTheCommand() throws Exception {
        Files.writeString(dir.resolve(".env"), "PASS=hunter2\n");
        String e = error("services:\n  web:\n    image: x\n    command: sh -c \"echo ${PASS}\n");
        assertTrue(e.contains("service \"web\": command: unclosed \" quote in the command (not shown"), e);
        assertTrue(!e.contains("hunter2") && !e.contains("echo"), e);
    }

    @Test
    void profilesLeaveOutServicesThatAreNotActive() throws Exception {
        String yaml = """
                services:
                  web: {image: x}
                  debug: {image: x, profiles: [debug]}
                  worker:
                    image: x
                    depends_on: {debug: {condition: service_started, required: false}}
                """;
        assertEquals(List.of("web", "worker"), List.copyOf(load(yaml).services().keySet()));
        Path f = dir.resolve("docker-compose.yml");
        assertEquals(List.of("web", "debug", "worker"), List.copyOf(ComposeLoader.load(f, "shop-green", Map.of(), Map.of(), java.util.Set.of("debug")).services().keySet()));
        assertEquals(List.of("web", "debug", "worker"), List.copyOf(load(yaml, Map.of("COMPOSE_PROFILES", "debug,other")).services().keySet()));
        String e = error("services:\n  web: {image: x, depends_on: [debug]}\n  debug: {image: x, profiles: [debug]}\n");
        assertTrue(e.contains("depends_on refers to service \"debug\", whose profile is not active; activate it with --profile"), e);
    }

    @Test
    void extendsAndIncludeMergeAsCompose() throws Exception {
        Files.createDirectories(dir.resolve("sub"));
        Files.writeString(dir.resolve("sub/common.yml"), """
                services:
                  base:
                    image: x
                    environment: {A: "1", B: "1"}
                    volumes: [./data:/data]
                """);
        Files.writeString(dir.resolve("sub/extra.yml"), "services:\n  cache:\n    image: redis:7\n    volumes: [./conf:/conf:ro]\n");
        var p = load("""
                include: [sub/extra.yml]
                services:
                  tmpl:
                    image: y
                    labels: [com.example.a=1]
                  web:
                    extends: {file: sub/common.yml, service: base}
                    environment: [B=2]
                  worker:
                    extends: tmpl
                    command: run
                """);
        var web = p.services().get("web");
        assertEquals("x", web.image());
        assertEquals(Map.of("A", "1", "B", "2"), web.environment());
        assertEquals(dir.resolve("sub/data").toString(), web.volumes().get(0).source(), "relative to the extended file");
        assertEquals("y", p.services().get("worker").image());
        assertEquals(Map.of("com.example.a", "1"), p.services().get("worker").labels());
        assertEquals(dir.resolve("sub/conf").toString(), p.services().get("cache").volumes().get(0).source());
    }

    @Test
    void secretsConfigsPortsAndVolumeOptions() throws Exception {
        Files.writeString(dir.resolve("db_password.txt"), "hunter2");
        Files.writeString(dir.resolve("nginx.conf"), "events {}");
        var p = load("""
                secrets:
                  db_password: {file: ./db_password.txt}
                configs:
                  nginx: {file: ./nginx.conf}
                volumes:
                  data: {driver: local, driver_opts: {type: none, o: bind, device: /srv/data}, labels: {com.example.x: "1"}}
                  shared: {external: {name: shared_data}}
                networks:
                  back: {driver: bridge, internal: true, ipam: {config: [{subnet: 172.28.0.0/16}]}}
                services:
                  web:
                    image: x
                    secrets: [db_password, {source: db_password, target: /etc/pw}]
                    configs: [{source: nginx, target: /etc/nginx/nginx.conf}]
                    ports:
                      - {target: 80, published: "${DEPLOY_PORT}", host_ip: 127.0.0.1}
                      - "9000-9001:9000-9001/udp"
                    volumes:
                      - data:/data:z
                      - ./src:/src:cached
                      - shared:/shared:ro,nocopy
                      - {type: tmpfs, target: /cache, tmpfs: {size: 1m}}
                      - {type: bind, source: ./src, target: /b, bind: {propagation: rshared}}
                    networks:
                      back: {ipv4_address: 172.28.0.5, aliases: [web.local]}
                """);
        var web = p.services().get("web");
        var mounts = web.volumes();
        assertEquals("z", mounts.get(0).selinux());
        assertEquals("shop-green_data", mounts.get(0).source());
        assertEquals("shared_data", mounts.get(2).source());
        assertTrue(mounts.get(2).readOnly() && mounts.get(2).noCopy());
        assertEquals(ComposeProject.MountKind.TMPFS, mounts.get(3).kind());
        assertEquals("size=1048576", mounts.get(3).options());
        assertEquals("rshared", mounts.get(4).options());
        assertTrue(mounts.contains(new ComposeProject.Mount(ComposeProject.MountKind.BIND, dir.resolve("db_password.txt").toString(), "/run/secrets/db_password", true)));
        assertTrue(mounts.contains(new ComposeProject.Mount(ComposeProject.MountKind.BIND, dir.resolve("db_password.txt").toString(), "/etc/pw", true)));
        assertTrue(mounts.contains(new ComposeProject.Mount(ComposeProject.MountKind.BIND, dir.resolve("nginx.conf").toString(), "/etc/nginx/nginx.conf", true)));
        assertEquals(List.of(new ComposeProject.Port("127.0.0.1", 8081, 80, "tcp"), new ComposeProject.Port(null, 9000, 9000, "udp"),
                new ComposeProject.Port(null, 9001, 9001, "udp")), web.ports());
        var data = p.volumes().get("data");
        assertEquals("local", data.driver());
        assertEquals(Map.of("type", "none", "o", "bind", "device", "/srv/data"), data.driverOpts());
        assertTrue(p.volumes().get("shared").external(), "external: {name: x} is the old long form of external");
        assertTrue(p.networks().get("back").internal());
        assertTrue(String.join("\n", p.notices()).contains("ipv4_address/ipv6_address on network \"back\" are not applied"), p.notices().toString());
    }

    @Test
    void oneShotDependenciesAreKnown() throws Exception {
        var p = load("""
                services:
                  migrate: {image: x, command: [migrate]}
                  web:
                    image: x
                    depends_on:
                      migrate: {condition: service_completed_successfully, restart: true}
                """);
        assertEquals(java.util.Set.of("migrate"), p.oneShots());
        assertEquals("service_completed_successfully", p.services().get("web").dependsOn().get("migrate"));
    }
}
