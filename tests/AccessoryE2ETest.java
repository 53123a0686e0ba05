import lib.base.Labels;
import lib.compose.AccessorySplit;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Container;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Accessories on the real engine: one database and one cache for both colours, through deploys, a rollback, a failed
 * first deploy and a changed definition. The "database" is busybox httpd serving its volume at /var/lib/mysql on 3306;
 * the app reads it by service name (http://db:3306/) through a CGI script, so data written once is read from either colour.
 */
class AccessoryE2ETest {
    static final String DB_IMAGE = "bgtest-accdb:1";

    static String compose(String app, String dbExtra) {
        return """
                services:
                  app:
                    image: bgtest-accapp-%s:${DEPLOY_RELEASE}
                    ports: ["127.0.0.1:${DEPLOY_PORT}:80"]
                    init: true
                    depends_on:
                      db: {condition: service_healthy}
                      cache: {condition: service_started}
                  db:
                    image: %s
                    command: ["/bin/busybox", "httpd", "-f", "-p", "3306", "-h", "/var/lib/mysql"]
                    volumes: ["db_data:/var/lib/mysql"]
                    environment: {MYSQL_ROOT_PASSWORD: hunter22%s}
                    healthcheck: {test: ["CMD", "/bin/busybox", "test", "-d", "/var/lib/mysql"], interval: 1s}
                  cache:
                    image: redis-like-%s:7
                    command: ["/bin/busybox", "httpd", "-f", "-p", "6379", "-h", "/data"]
                    volumes: ["cache_data:/data"]
                volumes:
                  db_data:
                  cache_data:
                """.formatted(app, DB_IMAGE, dbExtra, app);
    }

    /** busybox with its applets installed; the app adds a CGI script that reads the database by its service name. */
    static void images(String app, String... releases) throws Exception {
        Path ctx = Files.createTempDirectory("bgtest-acc");
        try {
            Files.copy(Path.of("/bin/busybox"), ctx.resolve("busybox"));
            Files.createDirectories(ctx.resolve("www/cgi-bin"));
            Files.writeString(ctx.resolve("www/version.txt"), "ok\n");
            Files.writeString(ctx.resolve("www/cgi-bin/db"), "#!/bin/sh\necho 'Content-Type: text/plain'\necho\nwget -q -O - http://db:3306/data.txt\n");
            ctx.resolve("www/cgi-bin/db").toFile().setExecutable(true, false);
            Files.writeString(ctx.resolve("Dockerfile"), """
                    FROM scratch
                    COPY busybox /bin/busybox
                    RUN ["/bin/busybox", "--install", "-s", "/bin"]
                    COPY www /www
                    CMD ["/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www"]
                    """);
            java.util.Set<String> tags = new java.util.HashSet<>(List.of(DB_IMAGE, "redis-like-" + app + ":7"));
            for (String r : releases) tags.add("bgtest-accapp-" + app + ":" + r);
            TestHost.docker().buildImageCmd(ctx.toFile()).withTags(tags).withPull(false)
                    .exec(new com.github.dockerjava.api.command.BuildImageResultCallback()).awaitImageId(2, java.util.concurrent.TimeUnit.MINUTES);
        } finally {
            ExampleImages.deleteTree(ctx);
        }
    }

    static List<Container> accessories(String app) {
        return TestHost.docker().listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(Labels.APP, app, Labels.ROLE, AccessorySplit.ROLE)).exec();
    }

    static InspectContainerResponse db(String app) {
        return TestHost.docker().inspectContainerCmd(app + "-db").exec();
    }

    static void exec(String container, String... cmd) throws Exception {
        var id = TestHost.docker().execCreateCmd(container).withCmd(cmd).exec().getId();
        TestHost.docker().execStartCmd(id).exec(new com.github.dockerjava.api.async.ResultCallback.Adapter<>()).awaitCompletion(20, java.util.concurrent.TimeUnit.SECONDS);
    }

    static void cleanUp(TestApp app, String... releases) {
        TestHost.removeApp(app.name);
        for (String v : List.of(app.name + "_db_data", app.name + "_cache_data")) {
            try {
                TestHost.docker().removeVolumeCmd(v).exec();
            } catch (RuntimeException gone) {
                // not created
            }
        }
        try {
            TestHost.docker().removeNetworkCmd(AccessorySplit.network(app.name)).exec();
        } catch (RuntimeException gone) {
            // not created
        }
        for (String r : releases) {
            try {
                TestHost.docker().removeImageCmd("bgtest-accapp-" + app.name + ":" + r).withForce(true).exec();
            } catch (RuntimeException gone) {
                // not built
            }
        }
        try {
            TestHost.docker().removeImageCmd("redis-like-" + app.name + ":7").withForce(true).exec();
        } catch (RuntimeException gone) {
            // not built
        }
    }

    static TestApp.Result rollback(TestApp app) {
        return BadInputTest.run(new rollback(), "--app", app.name, "--pull", "never", "--probe", "/version.txt", "--health-timeout", "30s");
    }

    @Test
    void oneDatabaseServesEveryReleaseAndARollbackAndAChangedDefinitionIsReportedNotApplied() throws Exception {
        try (TestApp app = new TestApp("acc")) {
            String[] releases = {"v1", "v2", "v3"};
            try {
                images(app.name, releases);
                Files.writeString(app.composeFile, compose(app.name, ""));
                String[] acc = {"--probe", "/version.txt", "--accessory", "db", "--accessory", "cache"};

                var r = app.deploy("v1", acc);
                assertEquals(0, r.code(), r.toString());
                assertTrue(r.out().contains("started " + app.name + "-db (" + DB_IMAGE + "), once for both colours"), r.out());
                assertTrue(r.out().contains("started " + app.name + "-cache"), r.out());
                var first = db(app.name);
                assertEquals(app.name, first.getConfig().getLabels().get(Labels.COMPOSE_PROJECT), "docker compose -p <app> ps lists it");
                assertTrue(first.getMounts().stream().anyMatch(m -> (app.name + "_db_data").equals(m.getName())), "volume <app>_db_data");
                assertFalse(first.getConfig().getLabels().values().stream().anyMatch(v -> v.contains("hunter22")), "no secret in a label");
                exec(app.name + "-db", "/bin/busybox", "sh", "-c", "echo written-under-v1 > /var/lib/mysql/data.txt");
                assertEquals("written-under-v1", FrontTest.get(app.bluePort, "/cgi-bin/db").trim());

                r = app.deploy("v2", acc);
                assertEquals(0, r.code(), r.toString());
                assertTrue(r.out().contains(app.name + "-db runs (running, healthy), left as it is"), r.out());
                assertEquals("written-under-v1", FrontTest.get(app.greenPort, "/cgi-bin/db").trim(), "green reads blue's database");
                r = app.deploy("v3", acc);
                assertEquals(0, r.code(), r.toString());
                assertEquals("written-under-v1", FrontTest.get(app.bluePort, "/cgi-bin/db").trim());
                r = rollback(app);
                assertEquals(0, r.code(), r.toString());
                assertEquals("written-under-v1", FrontTest.get(app.greenPort, "/cgi-bin/db").trim(), "v2 again after the rollback");

                assertEquals(2, accessories(app.name).size(), "one database and one cache, never two: " + accessories(app.name));
                var now = db(app.name);
                assertEquals(first.getId(), now.getId(), "the same database container the whole time");
                assertEquals(first.getState().getStartedAt(), now.getState().getStartedAt(), "never restarted");
                assertEquals(0, now.getRestartCount());

                // A changed definition: reported, left running as it was.
                Files.writeString(app.composeFile, compose(app.name, ", MAX_CONNECTIONS: \"50\""));
                r = app.deploy("v3", acc);
                assertEquals(0, r.code(), r.toString());
                assertTrue(r.out().contains("accessory db: its definition in the Compose file changed since " + app.name + "-db was started"), r.out());
                assertTrue(r.out().contains("deploy.java accessory up --app " + app.name + " db"), r.out());
                assertFalse(r.out().contains("accessory cache: its definition"), "cache is unchanged: " + r.out());
                now = db(app.name);
                assertEquals(first.getId(), now.getId(), "left running as it was");
                assertEquals(first.getState().getStartedAt(), now.getState().getStartedAt());

                var status = TestApp.run("accessory", "status", "--app", app.name);
                assertEquals(0, status.code(), status.toString());
                assertTrue(status.out().contains("db: " + app.name + "-db running, healthy"), status.out());
                status = TestApp.run("status", "--app", app.name);
                assertTrue(status.out().contains("accessories (once for both colours): cache running; db running, healthy"), status.out());

                // accessory up without a terminal asks for --yes; with it, recreates, and the volume keeps the data.
                var refused = TestApp.run("accessory", "up", "--app", app.name, "-f", app.composeFile.toString(), "--accessory", "db", "--accessory", "cache",
                        "--blue-port", String.valueOf(app.bluePort), "--green-port", String.valueOf(app.greenPort), "--release", "v3", "db");
                assertEquals(2, refused.code(), refused.toString());
                assertTrue(refused.err().contains("pass --yes"), refused.err());
                var up = TestApp.run("accessory", "up", "--app", app.name, "-f", app.composeFile.toString(), "--accessory", "db", "--accessory", "cache",
                        "--blue-port", String.valueOf(app.bluePort), "--green-port", String.valueOf(app.greenPort), "--release", "v3", "--yes", "db");
                assertEquals(0, up.code(), up.toString());
                assertNotEquals(first.getId(), db(app.name).getId(), "recreated");
                assertEquals("written-under-v1", FrontTest.get(app.bluePort, "/cgi-bin/db").trim(), "the data outlived the container (blue is live)");
                r = app.deploy("v1", acc);
                assertEquals(0, r.code(), r.toString());
                assertFalse(r.out().contains("its definition in the Compose file changed"), "up to date now: " + r.out());
                String recreated = db(app.name).getId();

                // rollback.java's slow path (no colour holds v2 any more) deploys with the same accessories.
                r = BadInputTest.run(new rollback(), "--app", app.name, "v2", "-f", app.composeFile.toString(), "--accessory", "db", "--accessory", "cache",
                        "--pull", "never", "--probe", "/version.txt", "--blue-port", String.valueOf(app.bluePort), "--green-port", String.valueOf(app.greenPort));
                assertEquals(0, r.code(), r.toString());
                assertTrue(r.out().contains("slow path"), r.out());
                assertEquals("written-under-v1", FrontTest.get(app.bluePort, "/cgi-bin/db").trim());
                assertEquals(recreated, db(app.name).getId());
                assertEquals(2, accessories(app.name).size());
            } finally {
                cleanUp(app, releases);
            }
        }
    }

    @Test
    void behindTheManagedFrontBothColoursReachTheOneDatabaseFromDeployYml() throws Exception {
        try (TestApp app = new TestApp("accfront")) {
            String[] releases = {"v1", "v2"};
            try {
                images(app.name, releases);
                Files.writeString(app.composeFile, compose(app.name, ""));
                Path project = app.dir.resolve("deploy.yml");
                Files.writeString(project, "app: " + app.name + "\ncompose: docker-compose.yml\naccessories: [db, cache]\n");
                int port = TestHost.freePort();
                String[] args = {"--project", project.toString(), "--probe", "/version.txt", "--front", "managed", "--front-port", String.valueOf(port),
                        "--front-image", TestHost.WEB};
                var r = app.deploy("v1", args);
                assertEquals(0, r.code(), r.toString());
                exec(app.name + "-db", "/bin/busybox", "sh", "-c", "echo shared > /var/lib/mysql/data.txt");
                assertEquals("shared", FrontTest.get(port, "/cgi-bin/db"));
                String id = db(app.name).getId();
                r = app.deploy("v2", args);
                assertEquals(0, r.code(), r.toString());
                assertEquals("shared", FrontTest.get(port, "/cgi-bin/db"), "green, through the front, reads the same database");
                assertEquals(id, db(app.name).getId());
                assertEquals(2, accessories(app.name).size());
            } finally {
                cleanUp(app, releases);
            }
        }
    }

    @Test
    void aFailedFirstDeployLeavesTheAccessoryItsVolumeAndItsNetwork() throws Exception {
        try (TestApp app = new TestApp("accfail")) {
            try {
                images(app.name, "v1");
                Files.writeString(app.composeFile, compose(app.name, "").replace("bgtest-accapp-" + app.name + ":${DEPLOY_RELEASE}", "bgtest-app:crash"));
                var r = app.deploy("v1", "--probe", "/version.txt", "--accessory", "db", "--accessory", "cache", "--health-timeout", "20s");
                assertEquals(1, r.code(), r.toString());
                var db = db(app.name);
                assertTrue(db.getState().getRunning(), "a failure never stops an accessory");
                assertEquals(2, accessories(app.name).size());
                assertFalse(TestHost.docker().listNetworksCmd().withNameFilter(AccessorySplit.network(app.name)).exec().isEmpty(),
                        "the first deploy's undo removed its own networks, not the accessories'");
                TestHost.docker().inspectVolumeCmd(app.name + "_db_data").exec();
                assertTrue(TestHost.docker().listContainersCmd().withShowAll(true).withNameFilter(List.of(app.name + "-blue-")).exec().isEmpty(),
                        "the colour was undone");
            } finally {
                cleanUp(app, "v1");
            }
        }
    }
}
