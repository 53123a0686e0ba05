import lib.base.Cancellation;
import lib.base.DeployError;
import lib.base.ExitCode;
import lib.base.Labels;
import lib.compose.ComposeLoader;
import lib.compose.ComposeProject;
import lib.compose.ContainerSpec;
import lib.compose.TaskContainer;
import lib.engine.Plan;
import lib.engine.Steps;
import lib.engine.TaskPlan;
import lib.host.ReleaseHistory;
import lib.model.ReleaseTasks;
import lib.model.TaskResult;
import lib.model.TaskSpec;
import lib.model.TaskSpec.When;
import lib.options.TaskOptions;
import lib.project.ProjectFile;
import lib.project.SchemaWarning;
import lib.project.TasksReader;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Release tasks and singletons as data: deploy.yml's model and its checks, the one-shot container, the plan's order. */
class TasksTest {
    final Path dir;

    TasksTest() throws Exception {
        dir = Files.createTempDirectory("tasks-test");
    }

    @AfterEach
    void clean() {
        ExampleImages.deleteTree(dir);
    }

    ProjectFile load(String yaml) throws Exception {
        Files.writeString(dir.resolve("deploy.yml"), yaml);
        return ProjectFile.load(dir.resolve("deploy.yml"));
    }

    String error(String yaml) {
        DeployError e = assertThrows(DeployError.class, () -> load(yaml), yaml);
        assertEquals(ExitCode.CONFIG, e.exitCode(), yaml);
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e.getMessage();
    }

    static final String SHOP = """
            app: shop
            tasks:
              backup:
                service: app
                image: mysql:8.0
                command: [sh, -c, 'mysqldump --single-transaction shop > "$BACKUP_FILE"']
                volumes: [shop-backups:/backups]
                keep: 7
              before_switch:
                - name: migrate
                  service: app
                  command: [bin/magento, setup:upgrade, --keep-generated]
                  timeout: 10m
                - name: schema-first
                  service: app
                  command: [bin/magento, setup:db-schema:upgrade]
                  before: start
              after_switch:
                - name: warm-cache
                  service: app
                  command: [bin/magento, cache:flush]
            singletons: [cron, worker]
            """;

    @Test
    void theShopsTasksReadInTheOrderTheyRun() throws Exception {
        ReleaseTasks t = load(SHOP).tasks();
        assertEquals(List.of("backup", "schema-first", "migrate", "warm-cache"), t.tasks().stream().map(TaskSpec::name).toList());
        assertEquals(List.of(When.BACKUP, When.BEFORE_START, When.BEFORE_SWITCH, When.AFTER_SWITCH), t.tasks().stream().map(TaskSpec::when).toList());
        TaskSpec migrate = t.named("migrate").orElseThrow();
        assertEquals(List.of("bin/magento", "setup:upgrade", "--keep-generated"), migrate.command());
        assertEquals(Duration.ofMinutes(10), migrate.timeout());
        assertEquals(TaskSpec.DEFAULT_TIMEOUT, t.named("warm-cache").orElseThrow().timeout());
        assertEquals("mysql:8.0", t.named("backup").orElseThrow().image());
        assertEquals(List.of("shop-backups:/backups"), t.named("backup").orElseThrow().volumes());
        assertEquals(7, t.backupKeep());
        assertEquals(Set.of("cron", "worker"), t.singletons());
        assertTrue(t.migrates());
        assertTrue(migrate.gates());
        assertFalse(t.named("warm-cache").orElseThrow().gates());
        // the command is kept as written: nothing is interpolated on the deploying machine
        assertEquals(List.of("sh", "-c", "mysqldump --single-transaction shop > \"$BACKUP_FILE\""), t.named("backup").orElseThrow().command());
    }

    @Test
    void aFileWithoutTasksHasNone() throws Exception {
        ReleaseTasks t = load("app: shop\n").tasks();
        assertEquals(List.of(), t.tasks());
        assertEquals(Set.of(), t.singletons());
        assertFalse(t.migrates());
    }

    @Test
    void everyMistakeIsOneLineNamingTheKey() {
        String[][] cases = {
                {"tasks: [a]", "tasks: must be a mapping"},
                {"tasks: {before: x}", "unsupported key \"tasks.before\"; supported: after_switch, backup, before_switch, host"},
                {"tasks: {before_switch: {name: x}}", "tasks.before_switch: must be a list of tasks"},
                {"tasks: {before_switch: [{service: app, command: [x]}]}", "tasks.before_switch[0]: has no name:"},
                {"tasks: {before_switch: [{name: m, command: [x]}]}", "tasks.before_switch[0]: has no service:"},
                {"tasks: {before_switch: [{name: m, service: app}]}", "tasks.before_switch[0]: has no command:"},
                {"tasks: {before_switch: [{name: m, service: app, command: 'bin/migrate --force'}]}", "tasks.before_switch[0].command: must be an argument array"},
                {"tasks: {before_switch: [{name: m, service: app, command: []}]}", "tasks.before_switch[0].command: is empty"},
                {"tasks: {before_switch: [{name: m, service: app, command: [x], timeout: soon}]}", "tasks.before_switch[0].timeout: \"soon\" is not a duration"},
                {"tasks: {before_switch: [{name: m, service: app, command: [x], timeout: 0s}]}", "tasks.before_switch[0].timeout: \"0s\" leaves no time"},
                {"tasks: {before_switch: [{name: m, service: app, command: [x], before: gate}]}", "tasks.before_switch[0].before: \"gate\" is not supported; write before: start"},
                {"tasks: {after_switch: [{name: m, service: app, command: [x], before: start}]}", "tasks.after_switch[0].before: is only for before_switch tasks"},
                {"tasks: {before_switch: [{name: m, service: app, command: [x], retries: 3}]}", "unsupported key \"tasks.before_switch[0].retries\""},
                {"tasks: {before_switch: [{name: 'a b', service: app, command: [x]}]}", "tasks.before_switch[0].name: \"a b\" is not a task name"},
                {"tasks: {before_switch: [{name: m, service: 'a/b', command: [x]}]}", "tasks.before_switch[0].service: \"a/b\" is not a service name"},
                {"tasks: {before_switch: [{name: m, service: app, command: [x]}], after_switch: [{name: m, service: app, command: [y]}]}", "tasks: two tasks are named \"m\""},
                {"tasks: {before_switch: [{name: m, service: app, command: [x], image: 'Not An Image'}]}", "tasks.before_switch[0].image: \"Not An Image\" is not an image reference"},
                {"tasks: {before_switch: [{name: m, service: app, command: [x], volumes: [relative/dir:/x]}]}", "tasks.before_switch[0].volumes: \"relative/dir:/x\" is not SOURCE:TARGET[:ro]"},
                {"tasks: {backup: {service: db, command: [x], keep: 0}}", "tasks.backup.keep: 0 is out of range"},
                {"tasks: {backup: {}}", "tasks.backup: is empty"},
                {"tasks: {backup: {service: db, command: [x], before: start}}", "unsupported key \"tasks.backup.before\""},
                {"tasks: {host: ''}", "tasks.host: is empty"},
                {"singletons: cron", "singletons: must be a list of service names"},
                {"singletons: [cron, cron]", "singletons: names \"cron\" twice"},
                {"singletons: ['a b']", "singletons: \"a b\" is not a service name"},
        };
        for (String[] c : cases) {
            String m = error("app: shop\n" + c[0] + "\n");
            assertTrue(m.contains("deploy.yml: " + c[1]) || m.contains(c[1]), c[0] + " -> " + m);
        }
    }

    @Test
    void tasksAndSingletonsMustNameServicesOfTheComposeFile() throws Exception {
        ReleaseTasks t = load(SHOP).tasks();
        TasksReader.checkAgainst(t, Set.of("app", "cron", "worker", "web"), Path.of("compose.yml"), "deploy.yml");
        DeployError e = assertThrows(DeployError.class, () -> TasksReader.checkAgainst(t, Set.of("app", "cron", "web"), Path.of("compose.yml"), "deploy.yml"));
        assertEquals(ExitCode.CONFIG, e.exitCode());
        assertTrue(e.getMessage().contains("singletons: service \"worker\" is not in compose.yml; services: app, cron, web"), e.getMessage());
        e = assertThrows(DeployError.class, () -> TasksReader.checkAgainst(t, Set.of("web", "cron", "worker"), Path.of("compose.yml"), "deploy.yml"));
        assertTrue(e.getMessage().contains("task \"backup\": service \"app\" is not in compose.yml"), e.getMessage());
    }

    @Test
    void theOptionsSkipTasksAndAddSingletons() throws Exception {
        ReleaseTasks fromFile = load(SHOP).tasks();
        TaskOptions o = new TaskOptions();
        o.skipTasks = true;
        o.singletons = List.of("mailer");
        ReleaseTasks t = o.resolve(fromFile);
        assertEquals(List.of(), t.tasks());
        assertEquals(Set.of("cron", "worker", "mailer"), t.singletons());
        o.singletons = List.of("bad name");
        DeployError e = assertThrows(DeployError.class, () -> o.resolve(fromFile));
        assertEquals(ExitCode.USAGE, e.exitCode());
        assertTrue(e.getMessage().startsWith("--singleton \"bad name\" is not a service name"), e.getMessage());
        assertEquals(ReleaseTasks.none(), new TaskOptions().resolve(null));
    }

    ComposeProject compose(String yaml) throws Exception {
        Path f = dir.resolve("docker-compose.yml");
        Files.writeString(f, yaml);
        return ComposeLoader.load(f, "shop-green", Map.of(), Map.of());
    }

    @Test
    void theOneShotContainerIsTheServiceWithoutWhatMakesItAServer() throws Exception {
        ComposeProject p = compose("""
                services:
                  app:
                    image: shop-app:1
                    ports: ["127.0.0.1:8081:80"]
                    environment: {DB_HOST: db, DB_PASSWORD: s3cret}
                    volumes: [media:/var/www/media]
                    networks: [default, backend]
                    user: www-data
                    working_dir: /var/www
                    restart: always
                    labels: {traefik.enable: "false"}
                    healthcheck: {test: [CMD, curl, -f, http://localhost/], interval: 5s}
                    command: [php-fpm]
                volumes: {media: {}}
                networks: {backend: {}}
                """);
        TaskSpec migrate = new TaskSpec("migrate", "app", List.of("bin/magento", "setup:upgrade"), null, List.of("/srv/backups:/backups:ro"), null, When.BEFORE_SWITCH);
        ContainerSpec spec = TaskContainer.of(p, p.services().get("app"), "shop-green", migrate,
                Map.of(Labels.APP, "shop", Labels.COLOUR, "green", Labels.RELEASE, "r2"), Map.of("BACKUP_FILE", "/backups/x"));
        ContainerSpec app = ContainerSpec.of(p, p.services().get("app"), "shop-green", Map.of(Labels.APP, "shop", Labels.COLOUR, "green"));
        assertEquals("shop-green-task-migrate", spec.name());
        assertEquals("shop-app:1", spec.image());
        assertEquals(List.of("bin/magento", "setup:upgrade"), spec.cmd());
        assertEquals("www-data", spec.user());
        assertEquals("/var/www", spec.workingDir());
        assertTrue(spec.env().containsAll(app.env()), "the service's environment: " + spec.env());
        assertTrue(spec.env().contains("BACKUP_FILE=/backups/x"));
        // no ports, no healthcheck, no restart policy, no alias that would send the service's traffic to it
        assertEquals(List.of(), spec.exposedPorts());
        assertTrue(spec.hostConfig().getPortBindings().getBindings().isEmpty());
        assertEquals(List.of("NONE"), spec.healthcheck().getTest(), "not even the image's HEALTHCHECK");
        assertFalse(spec.labels().containsKey(Labels.RESTART));
        assertEquals(List.of(), spec.network().aliases());
        assertEquals("shop-green_default", spec.network().network());
        assertEquals(List.of("shop-green_backend"), spec.extraNetworks().stream().map(ContainerSpec.Attachment::network).toList());
        assertTrue(spec.extraNetworks().stream().allMatch(a -> a.aliases().isEmpty()));
        // its volumes and the task's own
        var binds = List.of(spec.hostConfig().getBinds()).stream().map(b -> b.getPath() + ":" + b.getVolume().getPath() + ":" + b.getAccessMode()).toList();
        assertTrue(binds.contains("shop-green_media:/var/www/media:rw"), binds.toString());
        assertTrue(binds.contains("/srv/backups:/backups:ro"), binds.toString());
        // a task, never a colour member: reading the host does not count it in green
        assertEquals("task", spec.labels().get(Labels.ROLE));
        assertEquals("migrate", spec.labels().get(TaskContainer.TASK));
        assertFalse(spec.labels().containsKey(Labels.COLOUR));
        assertEquals("True", spec.labels().get(Labels.COMPOSE_ONEOFF));
        assertNull(lib.host.HostReader.classify("shop", spec.name(), spec.labels()));
        // the service's own container is unchanged by the task's being made from it
        assertEquals(List.of("php-fpm"), app.cmd());
        assertTrue(app.exposedPorts().size() == 1 && app.healthcheck() != null);
        // another image (a backup with mysqldump)
        TaskSpec backup = new TaskSpec("backup", "app", List.of("mysqldump"), "mysql:8.0", List.of(), null, When.BACKUP);
        assertEquals("mysql:8.0", TaskContainer.of(p, p.services().get("app"), "shop-green", backup, Map.of(), Map.of()).image());
    }

    final List<String> log = new ArrayList<>();
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();

    /** The plan as deploy.java assembles it around the tasks (see deploy.steps and deploy.fromSwitch). */
    Plan plan(ReleaseTasks t, Set<String> failing, boolean singletons) {
        java.util.function.Consumer<TaskSpec> run = task -> {
            log.add(task.name());
            if (failing.contains(task.name())) throw DeployError.failed("task " + task.name() + " exited 3");
        };
        return new Plan().before("pull images", () -> log.add("pull"))
                .then(TaskPlan.beforeStart(t, run))
                .before("start green", () -> log.add("start"))
                .then(TaskPlan.beforeSwitch(t, run))
                .before("health gate", () -> log.add("gate"))
                .theSwitch("switch", () -> log.add("switch"))
                .afterIf(singletons, "singletons: stop blue's, then start green's", () -> log.add("singletons"))
                .then(TaskPlan.afterSwitch(t, run))
                .after("retire blue", () -> log.add("retire"));
    }

    @Test
    void theTasksRunWhereTheIssueSays() throws Exception {
        ReleaseTasks t = load(SHOP).tasks();
        Plan p = plan(t, Set.of(), true);
        assertEquals(List.of("pull images",
                "backup backup (app as mysql:8.0: sh -c mysqldump --single-transaction shop > \"$BACKUP_FILE\", timeout 10m)",
                "task before start schema-first (app: bin/magento setup:db-schema:upgrade, timeout 10m)",
                "start green",
                "task migrate (app: bin/magento setup:upgrade --keep-generated, timeout 10m)",
                "health gate", "switch", "singletons: stop blue's, then start green's",
                "task after the switch warm-cache (app: bin/magento cache:flush, timeout 10m)",
                "retire blue"), p.titles());
        new Steps(Cancellation.none(), new PrintWriter(out, true), new PrintWriter(err, true)).run(p);
        assertEquals(List.of("pull", "backup", "schema-first", "start", "migrate", "gate", "switch", "singletons", "warm-cache", "retire"), log);
    }

    @Test
    void aFailingMigrationFailsTheDeployBeforeTheSwitchAndAFailingAfterSwitchTaskIsAWarning() throws Exception {
        ReleaseTasks t = load(SHOP).tasks();
        Steps s = new Steps(Cancellation.none(), new PrintWriter(out, true), new PrintWriter(err, true));
        var failed = assertThrows(Steps.Failed.class, () -> s.run(plan(t, Set.of("migrate"), true)));
        assertEquals("task migrate exited 3", failed.reason().getMessage());
        assertEquals(List.of("pull", "backup", "schema-first", "start", "migrate"), log, "no gate, no switch, no singletons started");
        log.clear();
        new Steps(Cancellation.none(), new PrintWriter(out, true), new PrintWriter(err, true)).run(plan(t, Set.of("warm-cache"), true));
        assertEquals(List.of("pull", "backup", "schema-first", "start", "migrate", "gate", "switch", "singletons", "warm-cache", "retire"), log);
        assertTrue(err.toString().contains("warning: task after the switch warm-cache"), err.toString());
        log.clear();
        // a failed backup refuses the migrations
        assertThrows(Steps.Failed.class, () -> new Steps(Cancellation.none(), new PrintWriter(out, true), new PrintWriter(err, true))
                .run(plan(t, Set.of("backup"), true)));
        assertEquals(List.of("pull", "backup"), log);
    }

    @Test
    void skippedTasksLeaveThePlanAsBefore() throws Exception {
        ReleaseTasks t = load(SHOP).tasks().withoutTasks();
        assertEquals(List.of("pull images", "start green", "health gate", "switch", "retire blue"), plan(t, Set.of(), false).titles());
    }

    @Test
    void resultsReadAsOnePhraseAndTheHistoryMarksAMigration() {
        assertEquals("migrate ok in 2.1s", new TaskResult("migrate", When.BEFORE_SWITCH, TaskResult.Outcome.OK, 0, 2100, null).summary());
        assertEquals("migrate exited 3 after 0.4s", new TaskResult("migrate", When.BEFORE_SWITCH, TaskResult.Outcome.FAILED, 3, 400, null).summary());
        assertEquals("migrate timed out after 2.0s and was killed", new TaskResult("migrate", When.BEFORE_SWITCH, TaskResult.Outcome.TIMED_OUT, null, 2000, null).summary());
        var plain = new ReleaseHistory.Entry("2026-01-01T00:00:00Z", "deploy", "r1", "blue", null, "ok", 1, "ci", null, null, null);
        var migrated = new ReleaseHistory.Entry("2026-01-02T00:00:00Z", "deploy", "r2", "green", "r1", "ok", 1, "ci", null, null,
                "tasks: migrate ok in 1.0s; " + ReleaseHistory.Entry.MIGRATED);
        var after = new ReleaseHistory.Entry("2026-01-03T00:00:00Z", "deploy", "r3", "blue", "r2", "ok", 1, "ci", null, null, null);
        assertFalse(plain.migrated());
        assertTrue(migrated.migrated());
        assertTrue(SchemaWarning.forRollback(List.of(plain, migrated, after), "r1").orElseThrow()
                .startsWith("the database schema is not rolled back: release r2 ran migrations (before_switch tasks) after release r1 last served"));
        assertEquals(java.util.Optional.empty(), SchemaWarning.forRollback(List.of(plain, migrated, after), "r2"), "r2 itself ran them: its code knows the schema");
        assertEquals(java.util.Optional.empty(), SchemaWarning.forRollback(List.of(plain, after), "r1"));
        var failedMigration = new ReleaseHistory.Entry("2026-01-02T00:00:00Z", "deploy", "r2", "green", "r1", "failed", 1, "ci", "task migrate exited 3", null,
                "tasks: migrate exited 3 after 1.0s; " + ReleaseHistory.Entry.MIGRATED);
        assertEquals(java.util.Optional.empty(), SchemaWarning.forRollback(List.of(plain, failedMigration), "r1"), "only releases that went live count");
    }

    /** On a Swarm what cannot apply is refused before anything connects: tasks.host, a task's unknown service, accessories (saying what works). */
    @Test
    void onASwarmTasksHostAnUnknownTaskServiceAndAccessoriesAreOneLineEachBeforeAnythingConnects() throws Exception {
        Files.writeString(dir.resolve("docker-compose.yml"), """
                services:
                  app: {image: "r.example.com/app:${DEPLOY_RELEASE}", ports: ["9000"]}
                  db: {image: "mysql:8", volumes: ["data:/var/lib/mysql"]}
                volumes: {data: {}}
                """);
        String env = """
                environments:
                  production:
                    engine: swarm
                    managers: ["tcp://192.0.2.1:2376"]
                    fronts: ["tcp://192.0.2.1:2376"]
                """;
        record Case(String yaml, String says) {}
        for (Case c : List.of(
                new Case("app: shop\ncolours: [db]\ntasks:\n  host: tcp://192.0.2.1:2376\n  before_switch:\n    - {name: m, service: app, command: [true]}\n",
                        "tasks.host: names a host of a fleet; on a Swarm each task runs as a one-shot service"),
                new Case("app: shop\ncolours: [db]\ntasks:\n  before_switch:\n    - {name: m, service: nope, command: [true]}\n", "nope"),
                new Case("app: shop\ncolours: [db]\nsingletons: [nope]\n", "nope"),
                new Case("app: shop\naccessories: [db]\n", "accessories (db) are not run on a Swarm yet: take them out of the Compose file, run each once"))) {
            Files.writeString(dir.resolve("deploy.yml"), c.yaml() + env);
            var r = TestApp.run("--project", dir.resolve("deploy.yml").toString(), "--env", "production", "-f", dir.resolve("docker-compose.yml").toString(),
                    "--release", "v1", "--front", "managed");
            assertEquals(3, r.code(), c + ": " + r);
            assertTrue(r.err().contains(c.says()), c + ": " + r);
            assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
            assertFalse(r.err().contains("192.0.2.1") && r.err().contains("connect"), "nothing connected: " + r.err());
        }
    }

    /** A singleton about to run (a restarting container, a Swarm task still pulling) is stopped at a hand-over like a running one. */
    @Test
    void aSingletonAboutToRunOutsideTheLiveColourIsUnsettled() {
        java.util.function.BiFunction<String, String, lib.model.ContainerInfo> cron = (colour, state) -> new lib.model.ContainerInfo(colour + "-id",
                "shop-" + colour + "_cron", "cron", "img", null, state, null, null, null, null, Map.of());
        var singletons = new lib.engine.Singletons(Set.of("cron"), null, new java.io.PrintWriter(new java.io.StringWriter()));
        for (String state : List.of("running", "restarting")) {
            var host = new lib.model.HostState("shop", new lib.model.ColourState(lib.model.Colour.BLUE, List.of(cron.apply("blue", state))),
                    new lib.model.ColourState(lib.model.Colour.GREEN, List.of(cron.apply("green", "running"))));
            assertTrue(singletons.unsettled(host, java.util.Optional.of(lib.model.Colour.GREEN)), state + " outside the live colour");
        }
        var settled = new lib.model.HostState("shop", new lib.model.ColourState(lib.model.Colour.BLUE, List.of(cron.apply("blue", "exited"))),
                new lib.model.ColourState(lib.model.Colour.GREEN, List.of(cron.apply("green", "running"))));
        assertFalse(singletons.unsettled(settled, java.util.Optional.of(lib.model.Colour.GREEN)));
    }
}
