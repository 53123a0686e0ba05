import lib.base.DeployError;
import lib.base.ExitCode;
import lib.base.Labels;
import lib.compose.AccessoryChoice;
import lib.compose.AccessorySplit;
import lib.compose.AccessorySplit.Accessory;
import lib.compose.AccessorySplit.Split;
import lib.compose.ComposeLoader;
import lib.compose.ComposeProject;
import lib.compose.ConfigText;
import lib.compose.SpecHash;
import lib.compose.StatefulGuess;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Accessories as data: the split, the stateful guess, names, the hash and the config text; then config on the command line. No Docker. */
class AccessoriesTest {
    static final String SHOP = """
            services:
              web:
                image: nginx:stable
                ports: ["127.0.0.1:${DEPLOY_PORT}:80"]
                depends_on: [app]
              app:
                image: shop-app:1
                environment:
                  MYSQL_HOST: mysql
                  MYSQL_PASSWORD: hunter22
                  DATABASE_URL: mysql://shop:hunter22@mysql/shop
                command: ["php", "-d", "x=hunter22"]
                volumes: ["uploads:/srv/uploads"]
                depends_on:
                  mysql: {condition: service_healthy}
                  redis: {condition: service_started}
              mysql:
                image: mysql:8
                environment: {MYSQL_ROOT_PASSWORD: hunter22, MYSQL_DATABASE: shop}
                volumes: ["db_data:/var/lib/mysql", "dumps:/dumps"]
                ports: ["127.0.0.1:3306:3306"]
                healthcheck: {test: "mysqladmin ping -phunter22", interval: 5s}
                restart: always
              redis:
                image: docker.io/library/redis:7-alpine
                volumes: ["redis_data:/data"]
            volumes:
              db_data:
              redis_data:
              uploads:
              dumps: {external: true, name: shared-dumps}
            """;

    static Path write(String name, String text) throws Exception {
        Path dir = Files.createTempDirectory("bgtest-acc-unit");
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    static ComposeProject load(String text) throws Exception {
        return ComposeLoader.load(write("docker-compose.yml", text), "shop-blue", Map.of(), Map.of("DEPLOY_PORT", "8080"));
    }

    static Split split(ComposeProject p, List<String> accessories, List<String> colours) {
        return AccessorySplit.split(p, "shop", "shop-blue", new AccessoryChoice(accessories, colours));
    }

    static ComposeProject.Service service(String yaml) throws Exception {
        return load("services:\n  s:\n" + yaml.indent(4) + "volumes:\n  db_data:\n").services().get("s");
    }

    // ---- the guess ---------------------------------------------------------------------------------------------

    @Test
    void aStatefulServiceAmongTheColoursIsRefusedWithTheLineThatSaysWhatToWrite() throws Exception {
        ComposeProject p = load("services:\n  db:\n    image: mariadb:11\n    volumes: [\"db_data:/var/lib/mysql\"]\nvolumes:\n  db_data:\n");
        DeployError e = assertThrows(DeployError.class, () -> split(p, List.of(), List.of()));
        assertEquals(ExitCode.CONFIG, e.exitCode());
        assertEquals(p.file() + ": service db (image mariadb:11, data in volume db_data) would run once per colour: blue and green would each have"
                + " their own database. List it under accessories: in deploy.yml (or --accessory db), or under colours: if that is what you want", e.getMessage());
    }

    @Test
    void theImageNameIsItsLastPathComponentOnAnyRegistryWithAnyTag() {
        assertEquals("postgresql", StatefulGuess.imageName("docker.io/bitnami/postgresql:15"));
        assertEquals("redis", StatefulGuess.imageName("registry.example.com:5000/cache/redis@sha256:" + "a".repeat(64)));
        assertEquals("mongo", StatefulGuess.imageName("mongo"));
        assertEquals("postgis", StatefulGuess.imageName("postgis/postgis:16-3.4"));
    }

    @Test
    void imagesAndDataDirectoriesGiveAStatefulServiceAway() throws Exception {
        for (String image : List.of("postgres:16", "docker.io/bitnami/postgresql:15", "mongo:7", "valkey/valkey:8", "memcached", "rabbitmq:3-management",
                "docker.elastic.co/elasticsearch/elasticsearch:8.14.0", "opensearchproject/opensearch:2", "getmeili/meilisearch:v1.8", "minio/minio",
                "bitnami/kafka:3.7", "nats:2", "quay.io/coreos/etcd:v3.5", "clickhouse/clickhouse-server:24", "percona:8")) {
            assertTrue(StatefulGuess.of(null, service("image: " + image)).isPresent(), image);
        }
        for (String dir : List.of("/var/lib/mysql", "/var/lib/postgresql/data", "/data/db", "/bitnami/mariadb", "/usr/share/elasticsearch/data", "/var/lib/rabbitmq")) {
            ComposeProject p = load("services:\n  s:\n    image: example/thing:1\n    volumes: [\"db_data:" + dir + "\"]\nvolumes:\n  db_data:\n");
            var f = StatefulGuess.of(p, p.services().get("s"));
            assertTrue(f.isPresent(), dir);
            assertEquals("image example/thing:1, data in volume db_data", f.get().evidence());
        }
        ComposeProject bind = load("services:\n  s:\n    image: example/thing:1\n    volumes: [\"./pg:/var/lib/postgresql/data\"]\n");
        assertTrue(StatefulGuess.of(bind, bind.services().get("s")).orElseThrow().evidence().contains("/pg at /var/lib/postgresql/data"));
        for (String image : List.of("nginx:stable", "mongo-express:1", "redis-commander", "phpmyadmin", "example/app:1", "adminer")) {
            assertFalse(StatefulGuess.of(null, service("image: " + image)).isPresent(), image);
        }
    }

    @Test
    void everyStatefulServiceIsReportedInOneRunAndColoursOverridesTheGuess() throws Exception {
        ComposeProject p = load(SHOP);
        DeployError e = assertThrows(DeployError.class, () -> split(p, List.of(), List.of()));
        List<String> lines = e.getMessage().lines().toList();
        assertEquals(2, lines.size(), e.getMessage());
        assertTrue(lines.get(0).contains("service mysql (image mysql:8, data in volume db_data)"), lines.get(0));
        assertTrue(lines.get(1).contains("service redis (image docker.io/library/redis:7-alpine, data in volume redis_data at /data) would run once per colour:"
                + " blue and green would each have their own cache"), lines.get(1));
        assertFalse(e.getMessage().contains("hunter22"));

        Split s = split(p, List.of("mysql"), List.of("redis"));
        assertEquals(List.of("mysql"), s.accessoryNames());
        assertTrue(s.colours().services().containsKey("redis"), "colours: keeps a cache per colour, as asked");
    }

    @Test
    void listsThatNameNoServiceOrOneServiceTwiceOrCrossTheLineAreRefused() throws Exception {
        ComposeProject p = load(SHOP);
        String m = assertThrows(DeployError.class, () -> split(p, List.of("mysql", "redis", "postgres"), List.of())).getMessage();
        assertTrue(m.contains("accessory \"postgres\" is not a service of this file; services: web, app, mysql, redis"), m);
        m = assertThrows(DeployError.class, () -> split(p, List.of("mysql", "redis"), List.of("redis"))).getMessage();
        assertTrue(m.contains("service redis is listed under both accessories: and colours:"), m);
        assertEquals(List.of("web"), List.copyOf(split(p, List.of("mysql", "redis", "app"), List.of()).colours().services().keySet()),
                "an accessory may depend on accessories");
        ComposeProject dep = load("services:\n  app:\n    image: a:1\n  cache:\n    image: c:1\n    depends_on: [app]\n");
        m = assertThrows(DeployError.class, () -> split(dep, List.of("cache"), List.of())).getMessage();
        assertTrue(m.contains("service cache: an accessory cannot depend on app, which is deployed per colour"), m);
    }

    // ---- names, networks, volumes ------------------------------------------------------------------------------

    @Test
    void anAccessoryIsNamedAfterTheAppOnTheSharedNetworkWithItsVolumesNamedAfterTheApp() throws Exception {
        Split s = split(load(SHOP), List.of("mysql", "redis"), List.of());
        Accessory db = s.accessory("mysql").orElseThrow();
        assertEquals("shop-mysql", db.name());
        assertEquals("shop_accessories", AccessorySplit.network("shop"));
        assertEquals("shop_accessories", db.spec().network().network());
        assertEquals(List.of("mysql"), db.spec().network().aliases(), "MYSQL_HOST: mysql works from either colour");
        assertEquals(Map.of("db_data", "shop_db_data"), db.volumes(), "created as <app>_<volume>; the external one is not created");
        assertTrue(List.of(db.spec().hostConfig().getBinds()).stream().map(b -> b.getPath()).toList().containsAll(List.of("shop_db_data", "shared-dumps")));
        assertEquals("shop", db.spec().labels().get(Labels.COMPOSE_PROJECT), "docker compose -p shop ps lists it");
        assertEquals("shop", db.spec().labels().get(Labels.APP));
        assertEquals(AccessorySplit.ROLE, db.spec().labels().get(Labels.ROLE), "never read as a colour's container");
        assertEquals(db.hash(), db.spec().labels().get(AccessorySplit.HASH_LABEL));
        assertEquals("always", db.spec().hostConfig().getRestartPolicy().getName(), "an accessory restarts as its file says, from the start");
        assertTrue(db.hasHealthcheck());
        assertEquals("3306", db.spec().hostConfig().getPortBindings().getBindings().values().iterator().next()[0].getHostPortSpec(), "published ports are kept");
        assertFalse(db.spec().labels().values().stream().anyMatch(v -> v.contains("hunter22")), "no secret in a label");
        assertEquals(List.of("mysql", "redis"), s.accessoryNames());
    }

    @Test
    void theColoursLoseTheAccessoriesAndTheirDependsOnAndJoinTheSharedNetworkWithoutAliases() throws Exception {
        Split s = split(load(SHOP), List.of("mysql", "redis"), List.of());
        ComposeProject c = s.colours();
        assertEquals(List.of("web", "app"), List.copyOf(c.services().keySet()));
        assertEquals(Map.of(), c.services().get("app").dependsOn(), "satisfied by the running, healthy accessories");
        assertEquals(List.of("default", AccessorySplit.NETWORK_KEY), List.copyOf(c.services().get("app").networks().keySet()));
        assertTrue(c.networks().get(AccessorySplit.NETWORK_KEY).external(), "no colour's undo or retire removes it");
        assertEquals(List.of("uploads"), List.copyOf(c.volumes().keySet()), "no per-colour copy of the accessories' volumes");
        assertTrue(AccessorySplit.isAccessoryNetwork(c, "shop_accessories"));
        assertFalse(AccessorySplit.isAccessoryNetwork(c, "shop-blue_default"));
        var app = lib.compose.ContainerSpec.of(c, c.services().get("app"), "shop-blue", Map.of());
        assertEquals("shop-blue_default", app.network().network());
        assertEquals("shop_accessories", app.extraNetworks().get(0).network());
        assertTrue(ConfigText.container(app, n -> AccessorySplit.isAccessoryNetwork(c, n)).contains("  shop_accessories (no alias)"));
    }

    @Test
    void aColourServiceThatMountsAnAccessorysVolumeGetsTheAppsVolumeNotItsOwn() throws Exception {
        ComposeProject p = load("services:\n  app:\n    image: a:1\n    volumes: [\"db_data:/backup:ro\"]\n"
                + "  db:\n    image: postgres:16\n    volumes: [\"db_data:/var/lib/postgresql/data\"]\nvolumes:\n  db_data:\n");
        ComposeProject c = split(p, List.of("db"), List.of()).colours();
        assertEquals("shop_db_data", c.services().get("app").volumes().get(0).source());
        assertTrue(c.volumes().get("db_data").external(), "the accessories' step creates it, never the colour");
    }

    @Test
    void withoutAccessoriesTheProjectIsDeployedAsBefore() throws Exception {
        ComposeProject p = load("services:\n  app:\n    image: a:1\n");
        assertEquals(p, split(p, List.of(), List.of()).colours());
    }

    // ---- the hash ----------------------------------------------------------------------------------------------

    @Test
    void theHashChangesWithTheDefinitionNotWithTheDirectoryAndHoldsNoValue() throws Exception {
        String a = split(load(SHOP), List.of("mysql", "redis"), List.of()).accessory("mysql").orElseThrow().hash();
        String again = split(load(SHOP), List.of("mysql", "redis"), List.of()).accessory("mysql").orElseThrow().hash();
        assertEquals(a, again, "the same definition from another directory");
        assertEquals(64, a.length());
        String changed = split(load(SHOP.replace("MYSQL_DATABASE: shop", "MYSQL_DATABASE: shop2")), List.of("mysql", "redis"), List.of())
                .accessory("mysql").orElseThrow().hash();
        assertNotEquals(a, changed);
        String password = split(load(SHOP.replace("MYSQL_ROOT_PASSWORD: hunter22", "MYSQL_ROOT_PASSWORD: hunter23")), List.of("mysql", "redis"), List.of())
                .accessory("mysql").orElseThrow().hash();
        assertNotEquals(a, password, "a new password is a change too, seen through the hash only");
        String redisHash = split(load(SHOP.replace("MYSQL_DATABASE: shop", "MYSQL_DATABASE: shop2")), List.of("mysql", "redis"), List.of())
                .accessory("redis").orElseThrow().hash();
        assertEquals(split(load(SHOP), List.of("mysql", "redis"), List.of()).accessory("redis").orElseThrow().hash(), redisHash, "redis did not change");
        var spec = split(load(SHOP), List.of("mysql", "redis"), List.of()).accessory("mysql").orElseThrow().spec();
        spec.hostConfig().withMemory(512L * 1024 * 1024);
        assertNotEquals(a, SpecHash.of(spec), "a limit is part of the definition");
    }

    // ---- the config text ---------------------------------------------------------------------------------------

    @Test
    void theConfigTextShowsKeysAndMasksSecretValuesWherEverTheyAppear() throws Exception {
        Split s = split(load(SHOP), List.of("mysql", "redis"), List.of());
        String text = ConfigText.render("shop", Map.of(lib.model.Colour.BLUE, s, lib.model.Colour.GREEN, s));
        assertFalse(text.contains("hunter22"), text);
        assertTrue(text.contains("colours (blue/green): web, app"), text);
        assertTrue(text.contains("accessories (once per app, shared by both colours): mysql, redis"), text);
        assertTrue(text.contains("accessory mysql: container shop-mysql"), text);
        assertTrue(text.contains("    MYSQL_ROOT_PASSWORD=****"), text);
        assertTrue(text.contains("    MYSQL_DATABASE=shop"), "other values are shown: " + text);
        assertTrue(text.contains("    MYSQL_HOST=mysql"), text);
        assertTrue(text.contains("    DATABASE_URL=mysql://***@mysql/shop"), text);
        assertTrue(text.contains("command: [php, -d, x=****]"), text);
        assertTrue(text.contains("healthcheck: [CMD-SHELL, mysqladmin ping -p****] interval 5s"), text);
        assertTrue(text.contains("    volume shop_db_data -> /var/lib/mysql (rw)"), text);
        assertTrue(text.contains("    shop_accessories aliases mysql"), text);
        assertTrue(text.contains("    127.0.0.1:3306 -> 3306/tcp"), text);
        assertTrue(text.contains("blue web: container shop-blue-web-1"), text);
        assertTrue(text.contains("    127.0.0.1:8080 -> 80/tcp"), text);
        assertTrue(text.contains("green app: container shop-green-app-1"), text);
        assertTrue(ConfigText.secretKey("API_TOKEN") && ConfigText.secretKey("aws_secret_access_key") && !ConfigText.secretKey("MYSQL_HOST"));

        var spec = s.accessory("redis").orElseThrow().spec();
        spec.hostConfig().withMemory(268435456L).withNanoCPUs(500_000_000L);
        List<String> lines = ConfigText.container(spec, n -> false);
        assertTrue(lines.contains("limits and host settings:"), lines.toString());
        assertTrue(lines.contains("  Memory: 268435456"), lines.toString());
        assertTrue(lines.contains("  NanoCpus: 500000000"), lines.toString());
    }

    /** PrestaShop's file links its database under another name (links: [mysql:some-mysql]); as an accessory it answers to both. */
    @Test
    void aLinkToAnAccessoryBecomesItsAliasAndLeavesTheColour() throws Exception {
        ComposeProject p = load("""
            services:
              app:
                image: shop-app:1
                links: ["mysql:some-mysql", "cache"]
                depends_on: [mysql]
              cache:
                image: shop-cache:1
              mysql:
                image: mysql:8
                volumes: ["db:/var/lib/mysql:z"]
            volumes:
              db: {driver: local, driver_opts: {type: none, o: bind, device: /srv/db}}
            """);
        Split s = split(p, List.of("mysql"), List.of());
        var app = s.colours().services().get("app");
        assertEquals(Map.of("cache", "cache"), app.links(), "the link to the accessory is made by the accessories' network");
        assertEquals(List.of("cache", "app"), s.colours().startOrder().stream().map(ComposeProject.Service::name).toList());
        var mysql = s.accessory("mysql").orElseThrow();
        assertTrue(mysql.spec().network().aliases().containsAll(List.of("mysql", "some-mysql")), mysql.spec().network().aliases().toString());
        assertTrue(mysql.spec().hostConfig().getBinds()[0].toString().contains("shop_db"), "the app's volume, not the colour's");
    }

    // ---- on the command line -----------------------------------------------------------------------------------

    static TestApp.Result config(Path file, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("config", "--app", "shop", "-f", file.toString(), "--host", "tcp://127.0.0.1:1"));
        args.addAll(List.of(more));
        return TestApp.run(args.toArray(new String[0]));
    }

    @Test
    void configPrintsTheModelWithoutConnectingToDocker() throws Exception {
        Path f = write("docker-compose.yml", SHOP);
        var r = config(f, "--accessory", "mysql", "--accessory", "redis", "--blue-port", "9080");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("accessories (once per app, shared by both colours): mysql, redis"), r.out());
        assertTrue(r.out().contains("127.0.0.1:9080 -> 80/tcp"), "the ports a deploy takes: " + r.out());
        assertFalse(r.out().contains("hunter22") || r.err().contains("hunter22"), r.toString());
        assertEquals("", r.err());
    }

    @Test
    void configReportsEveryRefusalOneLineEachWithExitThree() throws Exception {
        Path f = write("docker-compose.yml", SHOP);
        var r = config(f);
        assertEquals(ExitCode.CONFIG, r.code(), r.toString());
        List<String> lines = r.err().lines().toList();
        assertEquals(2, lines.size(), r.err());
        assertTrue(lines.stream().allMatch(l -> l.startsWith("error: " + f.toAbsolutePath().normalize() + ": service ")), r.err());
        assertEquals("", r.out());
    }

    @Test
    void deployYmlListsTheAccessoriesAndTheColours() throws Exception {
        Path f = write("docker-compose.yml", SHOP);
        Path project = f.getParent().resolve("deploy.yml");
        Files.writeString(project, "app: shop\ncompose: docker-compose.yml\naccessories: [mysql]\ncolours: [redis]\n");
        var r = TestApp.run("config", "--project", project.toString(), "--host", "tcp://127.0.0.1:1");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("colours (blue/green): web, app, redis"), r.out());
        assertTrue(r.out().contains("accessories (once per app, shared by both colours): mysql"), r.out());
        Files.writeString(project, "app: shop\ncompose: docker-compose.yml\naccessories: [mysql, redis]\n"
                + "environments:\n  dev:\n    host: tcp://127.0.0.1:1\n    accessories: [mysql]\n    colours: [redis]\n");
        r = TestApp.run("config", "--project", project.toString(), "--env", "dev");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("colours (blue/green): web, app, redis"), "the environment's lists replace the file's: " + r.out());
        Files.writeString(project, "app: shop\naccessories: {mysql: true}\n");
        r = TestApp.run("config", "--project", project.toString(), "-f", f.toString());
        assertEquals(ExitCode.CONFIG, r.code(), r.toString());
        assertTrue(r.err().contains("accessories: must be a list of Compose service names"), r.err());
    }

    @Test
    void aDeployRefusesAStatefulColourBeforeItConnects() throws Exception {
        Path f = write("docker-compose.yml", SHOP);
        var r = TestApp.run("--app", "shop", "-f", f.toString(), "--host", "tcp://127.0.0.1:1", "--release", "v1");
        assertEquals(ExitCode.CONFIG, r.code(), "refused before any connection (that would be exit 5): " + r);
        assertTrue(r.err().contains("service mysql (image mysql:8"), r.err());
        assertFalse(r.err().contains("hunter22"));
    }

    @Test
    void anAccessoryDefinedPerColourIsRefused() throws Exception {
        Path f = write("docker-compose.yml", SHOP.replace("MYSQL_DATABASE: shop}", "MYSQL_DATABASE: \"shop-${DEPLOY_COLOUR}\"}"));
        var r = config(f, "--accessory", "mysql", "--accessory", "redis");
        assertEquals(ExitCode.CONFIG, r.code(), r.toString());
        assertTrue(r.err().contains("accessory mysql is defined differently for blue and green"), r.err());
    }

    @Test
    void aPublishedAccessoryPortIsNoClashBetweenTheColours() throws Exception {
        Path f = write("docker-compose.yml", SHOP);
        var r = config(f, "--accessory", "mysql");
        assertEquals(ExitCode.CONFIG, r.code(), r.toString());
        assertFalse(r.err().contains("both publish host port"), "3306 runs once: " + r.err());
        assertTrue(r.err().contains("service redis"), r.err());
    }
}
