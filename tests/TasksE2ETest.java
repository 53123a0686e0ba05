import lib.base.Labels;
import lib.host.HostReader;
import lib.host.ReleaseHistory;
import lib.model.Colour;
import lib.model.HostState;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Release tasks and singletons on the real engine: a migration from the new image before the switch, a failing one
 * and one past its timeout undone with the old colour serving, and a cron service that never runs in two colours.
 */
class TasksE2ETest {
    /**
     * The fixture's app and web, with a volume shared by both colours and the tasks, and a singleton cron that appends
     * its colour to a file in it every 100 ms while it runs.
     */
    static String compose(String app) {
        return """
                services:
                  app:
                    image: bgtest-app:${DEPLOY_RELEASE}
                    environment: {COLOUR_ENV: "${DEPLOY_COLOUR}", DB_PASSWORD: "hunter2-secret"}
                    volumes: [shared:/shared]
                  web:
                    image: shop-web:1
                    depends_on: {app: {condition: service_healthy}}
                    volumes_from: ["app:ro"]
                    ports: ["127.0.0.1:${DEPLOY_PORT}:80"]
                    stop_signal: SIGQUIT
                  cron:
                    image: bgtest-app:${DEPLOY_RELEASE}
                    environment: {COLOUR_ENV: "${DEPLOY_COLOUR}"}
                    command: [sh, -c, 'trap "exit 0" TERM; while true; do echo "$$COLOUR_ENV" >> /shared/cron.log; sleep 0.1; done']
                    volumes: [shared:/shared]
                    healthcheck: {disable: true}
                    stop_grace_period: 5s
                volumes:
                  shared: {external: true, name: APP-shared}
                """.replace("APP", app);
    }

    static Path project(TestApp app, String name, String tasks) throws Exception {
        Path p = app.dir.resolve(name);
        Files.writeString(p, tasks + "singletons: [cron]\n");
        return p;
    }

    static final String MIGRATE = """
            tasks:
              backup:
                service: app
                command: [sh, -c, 'echo "dump of $VERSION" > "$BACKUP_FILE"']
                volumes: [APP-shared:/backups]
                keep: 1
              before_switch:
                - name: migrate
                  service: app
                  command: [sh, -c, 'echo "migrating to $VERSION in $COLOUR_ENV with $DB_PASSWORD"; sleep 1; echo "$VERSION $COLOUR_ENV" >> /shared/migrations.log; [ "$VERSION" != v3 ] || exit 3']
                  timeout: 30s
              after_switch:
                - name: warm
                  service: app
                  command: [sh, -c, 'echo warmed $VERSION']
            """;

    static final String HANG = """
            tasks:
              before_switch:
                - name: hang
                  service: app
                  command: [sh, -c, 'echo started; sleep 60']
                  timeout: 2s
            """;

    static String shared(String app, String file) throws Exception {
        var out = new StringWriter();
        List<String> cmd = file.isEmpty() ? List.of("sh", "-c", "ls -1 /shared | grep backup") : List.of("cat", "/shared/" + file);
        List<String> all = new ArrayList<>(List.of("docker", "run", "--rm", "-v", app + "-shared:/shared", "bgtest-app:v1"));
        all.addAll(cmd);
        var p = new ProcessBuilder(all)
                .redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        return text;
    }

    static HostState state(TestApp app) {
        return HostReader.read(TestHost.docker(), app.name);
    }

    static List<String> taskContainers(TestApp app) {
        return TestHost.docker().listContainersCmd().withShowAll(true).withLabelFilter(Map.of(Labels.APP, app.name, Labels.ROLE, "task")).exec()
                .stream().map(c -> c.getNames()[0]).toList();
    }

    static void createVolume(TestApp app) {
        TestHost.docker().createVolumeCmd().withName(app.name + "-shared").exec();
    }

    static void removeVolume(TestApp app) {
        try {
            TestHost.docker().removeVolumeCmd(app.name + "-shared").exec();
        } catch (RuntimeException gone) {
            // removed already
        }
    }

    @Test
    void aMigrationRunsOnceFromTheNewImageBeforeTheSwitchAndAFailingOrHangingOneIsUndone() throws Exception {
        try (TestApp app = new TestApp("tasks")) {
            try {
                createVolume(app);
                Files.writeString(app.composeFile, compose(app.name));
                Path migrate = project(app, "deploy.yml", MIGRATE.replace("APP", app.name));
                var r = app.deploy("v1", "--project", migrate.toString());
                assertEquals(0, r.code(), r.toString());
                r = app.deploy("v2", "--project", migrate.toString());
                assertEquals(0, r.code(), r.toString());
                assertEquals("v1 blue\nv2 green\n", shared(app.name, "migrations.log"), "once per deploy, from the new image, with the new colour's environment");
                // streamed with its name, before the switch, and never showing the secret of its environment
                String out = r.out();
                assertTrue(out.contains("[migrate] migrating to v2 in green with ***"), out);
                assertFalse(out.contains("hunter2-secret") || r.err().contains("hunter2-secret"), "a secret was printed:\n" + r);
                assertTrue(out.indexOf("[migrate] migrating") < out.indexOf("health gate") && out.indexOf("health gate") < out.indexOf("record green as live"), out);
                assertTrue(out.indexOf("[warm] warmed v2") > out.indexOf("record green as live"), "after_switch runs after the switch:\n" + out);
                assertEquals(List.of(), taskContainers(app), "the task containers are removed");
                assertEquals("v2", app.front().get("/version.txt"));
                var last = new ReleaseHistory(TestHost.docker(), app.name).read(new PrintWriter(new StringWriter())).get(1);
                assertTrue(last.migrated() && last.tasks().contains("migrate ok"), String.valueOf(last));

                // A migration that exits 3: undone, the old colour serves, and the message does not say nothing changed.
                try (var load = app.load()) {
                    r = app.deploy("v3", "--project", migrate.toString());
                    load.close();
                    assertEquals(List.of(), load.failures(), "GETs failed while the failed deploy was undone");
                }
                assertEquals(1, r.code(), r.toString());
                assertTrue(r.err().contains("task migrate exited 3"), r.toString());
                assertTrue(r.err().contains("the database may have been changed by task migrate"), r.toString());
                assertFalse(r.err().contains("nothing was changed"), r.toString());
                assertTrue(r.err().contains("or restore the backup /backups/" + app.name + "-"), "names the backup taken just before: " + r);
                // keep: 1, so only the newest backup is left, and it is v3's
                List<String> backups = shared(app.name, "").lines().toList();
                assertTrue(backups.size() == 1 && backups.get(0).startsWith(app.name + "-") && backups.get(0).endsWith("-v3.backup"), backups.toString());
                assertEquals("dump of v3\n", shared(app.name, backups.get(0)));
                assertTrue(r.err().contains("green still serves release v2"), r.toString());
                assertEquals("v2", app.front().get("/version.txt"));
                assertEquals(Colour.GREEN, state(app).live().orElseThrow());
                assertEquals(List.of(), taskContainers(app));
                var failed = new ReleaseHistory(TestHost.docker(), app.name).read(new PrintWriter(new StringWriter())).get(2);
                assertEquals("failed", failed.result());
                assertTrue(failed.tasks().contains("migrate exited 3") && failed.tasks().contains("the database may have been changed by task migrate"), String.valueOf(failed));

                // A task past its timeout: killed, undone, the lock free for the next deploy.
                long t0 = System.currentTimeMillis();
                r = app.deploy("v3", "--project", project(app, "hang.yml", HANG).toString());
                assertEquals(1, r.code(), r.toString());
                assertTrue(System.currentTimeMillis() - t0 < 30_000, "killed at its timeout, not after its sleep");
                assertTrue(r.err().contains("task hang timed out after"), r.toString());
                assertTrue(r.out().contains("[hang] started"), r.toString());
                assertEquals(List.of(), taskContainers(app));
                assertEquals("v2", app.front().get("/version.txt"));
                // --skip-tasks: a redeploy that runs none (and the lock is free)
                r = app.deploy("v3", "--project", migrate.toString(), "--skip-tasks");
                assertEquals(0, r.code(), r.toString());
                assertFalse(r.out().contains("[migrate]"), r.toString());
                assertEquals("v1 blue\nv2 green\nv3 blue\n", shared(app.name, "migrations.log"), "--skip-tasks ran no migration (v3's line is the failed one's)");
                // task run: one task from a release's image, without deploying, in the live colour's networks
                r = TestApp.run("task", "run", "migrate", "--app", app.name, "-f", app.composeFile.toString(), "--release", "v1", "--project", migrate.toString(),
                        "--blue-port", String.valueOf(app.bluePort), "--green-port", String.valueOf(app.greenPort));
                assertEquals(0, r.code(), r.toString());
                assertTrue(r.out().contains("[migrate] migrating to v1 in blue with ***"), r.toString());
                assertEquals("v1 blue\nv2 green\nv3 blue\nv1 blue\n", shared(app.name, "migrations.log"));
                assertEquals(List.of(), taskContainers(app));
                assertEquals("v3", app.front().get("/version.txt"), "task run deploys nothing");

                // Back to v1, across v2's migration: warned; without a terminal it needs --yes, with it it goes on.
                String[] back = {"v1", "--project", migrate.toString(), "-f", app.composeFile.toString(), "--pull", "never",
                        "--blue-port", String.valueOf(app.bluePort), "--green-port", String.valueOf(app.greenPort)};
                r = Commands.rollback(app, back);
                assertEquals(2, r.code(), r.toString());
                assertTrue(r.err().contains("the database schema is not rolled back: release v2 ran migrations (before_switch tasks) after release v1 last served"), r.toString());
                assertTrue(r.err().contains("pass --yes"), r.toString());
                assertEquals("v3", app.front().get("/version.txt"), "refused: nothing changed");
                r = Commands.rollback(app, Commands.concat(back, "--yes"));
                assertEquals(0, r.code(), r.toString());
                assertTrue(r.err().contains("the database schema is not rolled back"), r.toString());
                assertFalse(r.out().contains("[migrate]"), "a rollback runs no tasks: " + r);
                assertEquals("v1", app.front().get("/version.txt"));
            } finally {
                TestHost.removeApp(app.name);
                removeVolume(app);
            }
        }
    }

    /** Samples (bounded) how many colours' cron containers run at once. */
    static final class CronWatch implements AutoCloseable {
        final List<Integer> samples = Collections.synchronizedList(new ArrayList<>());
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Thread thread;

        CronWatch(String app) {
            long end = System.currentTimeMillis() + 120_000;
            thread = new Thread(() -> {
                for (int i = 0; i < 2000 && !stop.get() && System.currentTimeMillis() < end; i++) {
                    samples.add(TestHost.docker().listContainersCmd().withLabelFilter(Map.of(Labels.APP, app, Labels.COMPOSE_SERVICE, "cron")).exec().size());
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            thread.join(10_000);
        }
    }

    /** The colours in the order the cron lines show them, each run of lines once: [blue, green, blue]. */
    static List<String> runs(String log) {
        List<String> runs = new ArrayList<>();
        for (String l : log.lines().toList()) if (runs.isEmpty() || !runs.get(runs.size() - 1).equals(l)) runs.add(l);
        return runs;
    }

    static long running(TestApp app, Colour c) {
        return state(app).of(c).containers().stream().filter(x -> x.service().equals("cron") && x.running()).count();
    }

    @Test
    void aSingletonCronNeverRunsInTwoColoursAcrossADeployAndARollback() throws Exception {
        try (TestApp app = new TestApp("single")) {
            try {
                createVolume(app);
                Files.writeString(app.composeFile, compose(app.name));
                Path p = project(app, "deploy.yml", "");
                var r = app.deploy("v1", "--project", p.toString());
                assertEquals(0, r.code(), r.toString());
                assertEquals(1, running(app, Colour.BLUE));
                Thread.sleep(500);
                try (var watch = new CronWatch(app.name)) {
                    r = app.deploy("v2", "--project", p.toString());
                    assertEquals(0, r.code(), r.toString());
                    assertTrue(r.out().contains("a singleton: it starts at the switch"), r.toString());
                    Thread.sleep(500);
                    // rollback across nothing that migrated: no warning, no --yes needed
                    r = Commands.rollback(app, "--project", p.toString());
                    assertEquals(0, r.code(), r.toString());
                    Thread.sleep(500);
                    watch.close();
                    assertTrue(watch.samples.size() > 20, "sampled: " + watch.samples.size());
                    assertTrue(watch.samples.stream().allMatch(n -> n <= 1), "two colours' cron ran at once: " + watch.samples);
                }
                assertEquals(1, running(app, Colour.BLUE), "after the rollback blue's cron runs");
                assertEquals(0, running(app, Colour.GREEN));
                assertEquals(List.of("blue", "green", "blue"), runs(shared(app.name, "cron.log")), "the colours' lines never interleave");

                // A crash (here: a hand) left the standby's cron running: the next run stops it before anything else.
                TestHost.docker().startContainerCmd(app.name + "-green-cron-1").exec();
                r = app.deploy("v3", "--project", p.toString());
                assertEquals(0, r.code(), r.toString());
                assertTrue(r.out().indexOf("singletons: stop any outside the live colour") < r.out().indexOf("pull images"), r.toString());
                assertEquals(1, running(app, Colour.GREEN), "green is live with v3: its cron runs");
                assertEquals(0, running(app, Colour.BLUE));
                r = TestApp.run("status", "--app", app.name, "--project", p.toString());
                assertTrue(r.out().contains("singleton cron: runs in green"), r.toString());
            } finally {
                TestHost.removeApp(app.name);
                removeVolume(app);
            }
        }
    }

    /** Ctrl-C while a migration runs: the task is killed and removed, the deploy undone, the lock free. */
    @Test
    void ctrlCDuringATaskKillsItAndUndoesTheDeploy() throws Exception {
        try (TestApp app = new TestApp("tsigint")) {
            Path p = app.dir.resolve("deploy.yml");
            Files.writeString(p, "tasks:\n  before_switch:\n    - name: slow\n      service: app\n      command: [sh, -c, 'echo started; sleep 120']\n");
            assertEquals(0, app.deploy("v1").code());
            List<String> cmd = new ArrayList<>(List.of("env", "--default-signal=INT", ProcessHandle.current().info().command().orElse("java"),
                    "-cp", System.getProperty("java.class.path"), "deploy"));
            cmd.addAll(app.deployArgs("v2", "--project", p.toString()));
            Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(app.dir.resolve("deploy.log").toFile()).start();
            try {
                assertTrue(Poll.until(java.time.Duration.ofSeconds(90), () -> !taskContainers(app).isEmpty()), "the task started");
                assertTrue(Commands.waitForLine(app.dir.resolve("deploy.log"), "[slow] started", 20_000), Files.readString(app.dir.resolve("deploy.log")));
                new ProcessBuilder("kill", "-INT", String.valueOf(proc.pid())).start().waitFor();
                assertTrue(proc.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "deploy exited after Ctrl-C");
            } finally {
                proc.destroyForcibly();
            }
            String log = Files.readString(app.dir.resolve("deploy.log"));
            assertEquals(130, proc.exitValue(), log);
            assertTrue(log.contains("deploy interrupted") && log.contains("blue still serves release v1"), log);
            assertTrue(log.contains("the database may have been changed by task slow"), log);
            assertEquals(List.of(), taskContainers(app), "the task's container is removed");
            assertTrue(state(app).green().empty(), "the new colour is removed");
            assertTrue(lib.host.DeployLock.holder(TestHost.docker(), app.name).isEmpty(), "lock released");
            assertEquals("v1", app.front().get("/version.txt"));
        }
    }

    /** Behind the managed front the warm standby keeps its web services, not its singletons, and a rollback hands them back. */
    @Test
    void theWarmStandbyKeepsItsWebServicesButNotItsSingletons() throws Exception {
        try (TestApp app = new TestApp("twarm")) {
            try {
                createVolume(app);
                Files.writeString(app.composeFile, compose(app.name));
                Path p = project(app, "deploy.yml", "");
                String[] managed = {"--project", p.toString(), "--front", "managed", "--front-port", String.valueOf(TestHost.freePort()), "--front-image", TestHost.WEB};
                var r = app.deploy("v1", managed);
                assertEquals(0, r.code(), r.toString());
                try (var watch = new CronWatch(app.name)) {
                    r = app.deploy("v2", managed);
                    assertEquals(0, r.code(), r.toString());
                    HostState s = state(app);
                    assertTrue(s.blue().containers().stream().filter(c -> !c.service().equals("cron")).allMatch(c -> c.running()), "blue's web services are the warm standby");
                    assertEquals(0, running(app, Colour.BLUE), "but not its cron");
                    assertEquals(1, running(app, Colour.GREEN));
                    r = Commands.rollback(app, "--project", p.toString());
                    assertEquals(0, r.code(), r.toString());
                    assertTrue(r.out().contains("warm standby"), r.toString());
                    watch.close();
                    assertTrue(watch.samples.stream().allMatch(n -> n <= 1), "two colours' cron ran at once: " + watch.samples);
                }
                assertEquals(1, running(app, Colour.BLUE), "after the rollback blue's cron runs");
                assertEquals(0, running(app, Colour.GREEN), "green, the new standby, keeps no cron");
                assertEquals(List.of("blue", "green", "blue"), runs(shared(app.name, "cron.log")));
            } finally {
                TestHost.removeApp(app.name);
                removeVolume(app);
            }
        }
    }

    /** SIGKILL of the deploy during its migration: the next deploy removes the leftovers; blue's cron alone ran throughout. */
    @Test
    void aDeployKilledDuringItsTaskIsFinishedByTheNextAndOnlyOneColoursCronEverRuns() throws Exception {
        try (TestApp app = new TestApp("tkill")) {
            try {
                createVolume(app);
                Files.writeString(app.composeFile, compose(app.name));
                Path p = project(app, "deploy.yml", """
                        tasks:
                          before_switch:
                            - name: slow
                              service: app
                              command: [sh, -c, 'echo started; if [ "$VERSION" = v2 ] && [ ! -f /shared/once ]; then touch /shared/once; sleep 120; fi']
                        """);
                assertEquals(0, app.deploy("v1", "--project", p.toString()).code());
                try (var watch = new CronWatch(app.name)) {
                    List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                            "-cp", System.getProperty("java.class.path"), "deploy"));
                    cmd.addAll(app.deployArgs("v2", "--project", p.toString()));
                    Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(app.dir.resolve("deploy.log").toFile()).start();
                    try {
                        assertTrue(Commands.waitForLine(app.dir.resolve("deploy.log"), "[slow] started", 90_000), Files.readString(app.dir.resolve("deploy.log")));
                        proc.destroyForcibly(); // SIGKILL: no undo runs
                        assertTrue(proc.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
                    } finally {
                        proc.destroyForcibly();
                    }
                    assertEquals(1, taskContainers(app).size(), "the killed run left its task running");
                    assertEquals(0, running(app, Colour.GREEN), "green's cron was never started");
                    var r = app.deploy("v2", "--project", p.toString());
                    assertEquals(0, r.code(), r.toString());
                    assertTrue(r.out().contains("removing " + app.name + "-green-task-slow, left by an interrupted run"), r.toString());
                    watch.close();
                    assertTrue(watch.samples.stream().allMatch(n -> n <= 1), "two colours' cron ran at once: " + watch.samples);
                }
                assertEquals(List.of(), taskContainers(app));
                assertEquals(1, running(app, Colour.GREEN));
                assertEquals(0, running(app, Colour.BLUE));
                assertEquals(List.of("blue", "green"), runs(shared(app.name, "cron.log")));
            } finally {
                TestHost.removeApp(app.name);
                removeVolume(app);
            }
        }
    }
}
