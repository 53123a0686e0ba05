import lib.docker.DockerHost;
import lib.target.SwarmTasks;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Release tasks and singletons on the test-bed Swarm: a migration runs once per deploy as a one-shot service from the
 * new colour's image and environment, a failing one undoes the deploy under load with the old colour serving, and a
 * singleton cron never runs in two colours across a deploy and a rollback. The app, its cron and so its tasks are
 * pinned to the manager, so their volume (what the migration and the cron write to) is the manager's.
 */
class SwarmTasksTest {
    final String app = "stk-" + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36), 36);
    final int port = 19300 + ThreadLocalRandom.current().nextInt(50);
    final String volume = app + "-shared";
    Path dir;

    String compose() {
        return """
                services:
                  app:
                    image: %s:${DEPLOY_RELEASE}
                    ports: ["9000"]
                    environment: {COLOUR_ENV: "${DEPLOY_COLOUR}", DB_PASSWORD: "hunter2-secret"}
                    volumes: [shared:/shared]
                    networks: [default, accessories]
                    deploy:
                      placement:
                        constraints: [node.role==manager]
                  cron:
                    image: %s:${DEPLOY_RELEASE}
                    environment: {COLOUR_ENV: "${DEPLOY_COLOUR}"}
                    command: [sh, -c, 'trap "exit 0" TERM; while true; do echo "$$COLOUR_ENV" >> /shared/cron.log; sleep 0.1; done']
                    volumes: [shared:/shared]
                    healthcheck: {disable: true}
                    stop_grace_period: 5s
                    deploy:
                      placement:
                        constraints: [node.role==manager]
                volumes:
                  shared: {external: true, name: %s}
                networks:
                  accessories: {external: true, name: %s-accessories}
                """.formatted(SwarmBed.APP_REPO, SwarmBed.APP_REPO, volume, app);
    }

    /** Fails (exit 3) while /shared/fail exists, so one release can migrate once and fail the next time. */
    static final String TASKS = """
            tasks:
              before_switch:
                - name: dbcheck
                  service: app
                  command: [sh, -c, 'echo "the db answers $(wget -qO- http://DBHOST:9000/version.txt)"']
                  timeout: 60s
                - name: migrate
                  service: app
                  command: [sh, -c, 'echo "migrating to $VERSION in $COLOUR_ENV with $DB_PASSWORD"; echo "$VERSION $COLOUR_ENV" >> /shared/migrations.log; if [ -f /shared/fail ]; then echo "schema conflict"; exit 3; fi']
                  timeout: 60s
              after_switch:
                - name: warm
                  service: app
                  command: [sh, -c, 'echo warmed $VERSION']
            singletons: [cron]
            """;

    @BeforeAll
    static void images() throws Exception {
        SwarmBed.images();
    }

    @AfterEach
    void clean() throws Exception {
        SwarmBed.removeApp(app);
        for (int i = 0; i < 40; i++) {
            // the volume is in use until the removed services' containers are gone from the manager
            String out = SwarmBed.output("docker", "-H", TestBed.socket(SwarmBed.MANAGER), "volume", "rm", volume);
            if (!out.contains("in use")) break;
            Thread.sleep(500);
        }
        if (dir != null) ExampleImages.deleteTree(dir);
    }

    void project() throws Exception {
        dir = Files.createTempDirectory("swarm-" + app);
        Files.writeString(dir.resolve("docker-compose.yml"), compose());
        Files.writeString(dir.resolve("deploy.yml"), """
                app: %s
                %s
                environments:
                  production:
                    engine: swarm
                    managers:
                      - host: %s
                        tls_verify: true
                        cert_path: %s
                    fronts:
                      - host: %s
                        tls_verify: true
                        cert_path: %s
                    replicas: 2
                """.formatted(app, TASKS.replace("DBHOST", app + "-db"), SwarmBed.managerTls(), TestBed.CERTS, SwarmBed.managerTls(), TestBed.CERTS));
        String sock = TestBed.socket(SwarmBed.MANAGER);
        SwarmBed.run("docker", "-H", sock, "volume", "create", volume);
        // The app's "database": an accessory run once outside the colours, as deploy.java's refusal of accessories: on a Swarm says to
        SwarmBed.run("docker", "-H", sock, "network", "create", "-d", "overlay", "--attachable", app + "-accessories");
        SwarmBed.run("docker", "-H", sock, "service", "create", "--detach", "-q", "--name", app + "-db", "--network", app + "-accessories",
                "--endpoint-mode", "dnsrr", "--constraint", "node.role==worker", SwarmBed.APP_REPO + ":v1");
    }

    String[] args(String release, String... extra) {
        List<String> a = new ArrayList<>(List.of("--project", dir.resolve("deploy.yml").toString(), "--env", "production",
                "-f", dir.resolve("docker-compose.yml").toString(), "--release", release, "--front", "managed", "--front-bind", "0.0.0.0",
                "--front-port", String.valueOf(port), "--front-image", SwarmBed.FRONT, "--probe", "/health.txt", "--health-timeout", "40s"));
        Collections.addAll(a, extra);
        return a.toArray(new String[0]);
    }

    /** A file of the app's volume on the manager, read by a one-off container there. */
    String shared(String... shell) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("docker", "-H", TestBed.socket(SwarmBed.MANAGER), "run", "--rm", "-v", volume + ":/shared",
                TestHost.APP_REPO + ":v1", "sh", "-c"));
        cmd.add(String.join(" ", shell));
        return SwarmBed.output(cmd.toArray(new String[0]));
    }

    List<String> services() throws Exception {
        return SwarmBed.output("docker", "-H", TestBed.socket(SwarmBed.MANAGER), "service", "ls", "--format", "{{.Name}}", "--filter", "name=" + app)
                .lines().filter(l -> !l.isBlank()).sorted().toList();
    }

    @Test
    void aMigrationRunsOncePerDeployAsAOneShotServiceFromTheNewImageAndAFailingOneIsUndoneUnderLoad() throws Exception {
        project();
        var plan = TestApp.run(args("v1", "--dry-run"));
        assertEquals(0, plan.code(), plan.toString());
        assertTrue(plan.out().contains("task migrate (app: sh -c") && plan.out().contains("task after the switch warm")
                && plan.out().contains("singletons: start blue's"), "the dry run lists the tasks and the singletons' hand-over:\n" + plan.out());
        var r = TestApp.run(args("v1"));
        assertEquals(0, r.code(), r.toString());
        r = TestApp.run(args("v2"));
        assertEquals(0, r.code(), r.toString());
        assertEquals("v1 blue\nv2 green\n", shared("cat /shared/migrations.log"), "once per deploy, from the new image, with the new colour's environment:\n" + r);
        String out = r.out();
        assertTrue(out.contains("[migrate] migrating to v2 in green with ***"), "streamed with its name, the secret masked:\n" + out);
        assertFalse(out.contains("hunter2-secret") || r.err().contains("hunter2-secret"), "a secret was printed:\n" + r);
        assertTrue(out.contains("task migrate ran on node " + SwarmBed.hostname(SwarmBed.MANAGER)), "on the node its service's constraint names:\n" + out);
        assertTrue(out.contains("[dbcheck] the db answers v1"), "a task reaches the accessory on a worker over the colour's external overlay:\n" + out);
        assertTrue(out.indexOf("[migrate] migrating") < out.indexOf("health gate") && out.indexOf("health gate") < out.indexOf("switch the front to green"), out);
        assertTrue(out.indexOf("[warm] warmed v2") > out.indexOf("switch the front to green"), "after_switch runs after the switch:\n" + out);
        assertTrue(out.contains("task migrate ok in"), out);
        assertFalse(services().stream().anyMatch(s -> s.contains("-task-")), "every task's service is removed: " + services());
        // the one-shot is made from the colour's service, minus what makes it a server
        var history = TestApp.run("history", "--project", dir.resolve("deploy.yml").toString(), "--env", "production");
        assertTrue(history.out().contains("migrate ok in") && history.out().contains("ran before_switch tasks"), history.toString());

        shared("touch /shared/fail");
        try (TestApp.Load load = SwarmTest.load(port)) {
            Thread.sleep(300);
            var bad = TestApp.run(args("v1"));
            Thread.sleep(500);
            load.close();
            assertEquals(1, bad.code(), bad.toString());
            assertTrue(bad.out().contains("[migrate] schema conflict"), bad.out());
            assertTrue(bad.err().contains("task migrate exited 3") && bad.err().contains("its last output:") && bad.err().contains("schema conflict"), bad.err());
            assertTrue(bad.err().contains("the database may have been changed by task dbcheck, migrate"), "never 'nothing was changed' once a migration ran: " + bad.err());
            assertFalse(bad.out().contains("front now sends"), "never switched: " + bad.out());
            assertEquals(List.of(), load.failures(), "no failed request: " + bad);
            assertEquals(Set.of("v2"), Set.copyOf(load.answers), "only the old colour answered");
        }
        assertEquals("v2", SwarmTest.get(port, "/version.txt"));
        assertEquals(List.of(app + "-bgdeploy-record", app + "-blue_app", app + "-blue_cron", app + "-db", app + "-green_app", app + "-green_cron"), services(),
                "the new colour and the task's service are removed, the standby it replaced is back (recreated from its kept specs); the live colour and its singleton stay");
        assertEquals(0, replicas(app + "-blue_cron"), "the restored standby's singleton stays at 0: only the live colour's runs");
        assertEquals(1, replicas(app + "-green_cron"));
        assertEquals("v1 blue\nv2 green\nv1 blue\n", shared("cat /shared/migrations.log"));

        // task run: one task from a release's image, without deploying, from the live colour's service
        shared("rm /shared/fail");
        var run = TestApp.run("task", "run", "migrate", "--project", dir.resolve("deploy.yml").toString(), "--env", "production",
                "-f", dir.resolve("docker-compose.yml").toString(), "--release", "v1");
        assertEquals(0, run.code(), run.toString());
        assertTrue(run.out().contains("[migrate] migrating to v1 in green with ***") && run.out().contains("task migrate ok in"), run.toString());
        assertEquals("v1 blue\nv2 green\nv1 blue\nv1 green\n", shared("cat /shared/migrations.log"), "v1's image, green's environment");
        assertEquals("v2", SwarmTest.get(port, "/version.txt"), "task run deploys nothing");

        // a task past its timeout is stopped and removed, and the deploy undone
        Files.writeString(dir.resolve("hang.yml"), Files.readString(dir.resolve("deploy.yml")).replace(TASKS.replace("DBHOST", app + "-db"), """
                tasks:
                  before_switch:
                    - name: hang
                      service: app
                      command: [sh, -c, 'echo started; sleep 300']
                      timeout: 3s
                """));
        List<String> hang = new ArrayList<>(List.of(args("v1")));
        hang.set(1, dir.resolve("hang.yml").toString());
        long t0 = System.currentTimeMillis();
        var hung = TestApp.run(hang.toArray(new String[0]));
        long took = System.currentTimeMillis() - t0;
        assertEquals(1, hung.code(), hung.toString());
        assertTrue(hung.err().contains("task hang timed out after") && hung.err().contains("was killed"), hung.err());
        assertTrue(took < 90_000, "the task's timeout bounds it: " + took + " ms");
        assertFalse(services().stream().anyMatch(s -> s.contains("-task-")), "the task's service is removed: " + services());
        assertEquals(0, replicas(app + "-blue_cron"), "the new colour is undone and the standby it replaced is back, its singleton at 0: " + services());
        assertEquals("v2", SwarmTest.get(port, "/version.txt"));
    }

    /** Every 100 ms: how many tasks of the app's cron services (both colours) run; the most ever seen at once. */
    static final class CronSampler implements AutoCloseable {
        final List<Integer> counts = Collections.synchronizedList(new ArrayList<>());
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Thread thread;

        CronSampler(String app) {
            DockerHost manager = SwarmBed.manager();
            String filter = URLEncoder.encode("{\"service\":{\"" + app + "-blue_cron\":true,\"" + app + "-green_cron\":true}}", StandardCharsets.UTF_8);
            long end = System.currentTimeMillis() + 240_000;
            thread = new Thread(() -> {
                try (manager) {
                    for (int i = 0; i < 5_000 && !stop.get() && System.currentTimeMillis() < end; i++) {
                        try {
                            counts.add((int) SwarmTasks.parse(manager.get("/tasks?filters=" + filter)).stream().filter(SwarmTasks.Task::running).count());
                        } catch (RuntimeException busy) {
                            // one missed sample: the next one counts
                        }
                        Thread.sleep(100);
                    }
                } catch (InterruptedException e) {
                    // closed
                }
            });
            thread.start();
        }

        int max() {
            synchronized (counts) {
                return counts.stream().mapToInt(Integer::intValue).max().orElse(0);
            }
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            thread.join(15_000);
        }
    }

    int replicas(String service) throws Exception {
        return Integer.parseInt(SwarmBed.output("docker", "-H", TestBed.socket(SwarmBed.MANAGER), "service", "inspect", service, "--format",
                "{{.Spec.Mode.Replicated.Replicas}}").trim());
    }

    /** The colours in the cron's log with runs of one colour collapsed: blue, green, blue for a deploy and a rollback. */
    String cronRuns() throws Exception {
        List<String> runs = new ArrayList<>();
        for (String l : shared("cat /shared/cron.log").lines().toList()) if (runs.isEmpty() || !runs.get(runs.size() - 1).equals(l)) runs.add(l);
        return String.join(" ", runs);
    }

    @Test
    void aSingletonCronNeverRunsInTwoColoursAcrossADeployAndARollback() throws Exception {
        project();
        try (CronSampler sampler = new CronSampler(app)) {
            var r = TestApp.run(args("v1"));
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().contains(app + "-blue_cron (a singleton: 0 replicas until the switch"), r.out());
            assertTrue(Poll.until(java.time.Duration.ofSeconds(60), () -> cronRuns().equals("blue")), "blue's cron runs after the first deploy: " + cronRuns());
            r = TestApp.run(args("v2"));
            assertEquals(0, r.code(), r.toString());
            System.out.println(r.out());
            assertTrue(r.out().contains("stopping blue's singletons (cron; the old colour)") && r.out().contains("starting green's singletons: cron"), r.out());
            assertEquals(0, replicas(app + "-blue_cron"), "the standby's singleton is scaled to 0");
            assertEquals(1, replicas(app + "-green_cron"));
            assertEquals(2, replicas(app + "-blue_app"), "the standby's web service stays warm");
            assertTrue(Poll.until(java.time.Duration.ofSeconds(60), () -> cronRuns().endsWith("blue green")), "green's cron runs: " + cronRuns());
            String[] rollback = {"--project", dir.resolve("deploy.yml").toString(), "--env", "production", "--front", "managed", "--front-bind", "0.0.0.0",
                    "--front-port", String.valueOf(port), "--front-image", SwarmBed.FRONT, "--probe", "/health.txt"};
            var refused = SwarmTest.rollback(rollback);
            assertEquals(2, refused.code(), "v2 migrated after v1 last served: without a terminal the rollback needs --yes\n" + refused);
            assertTrue(refused.err().contains("the database schema is not rolled back: release v2 ran migrations"), refused.toString());
            assertEquals(1, replicas(app + "-green_cron"), "a refused rollback changes nothing");
            List<String> withYes = new ArrayList<>(List.of(rollback));
            withYes.add("--yes");
            var back = SwarmTest.rollback(withYes.toArray(new String[0]));
            System.out.println(back.out());
            assertEquals(0, back.code(), back.toString());
            assertTrue(back.out().contains("holds it (fast path, no pull)") && back.out().contains("starting blue's singletons: cron"), back.out());
            assertEquals(1, replicas(app + "-blue_cron"), "the rollback hands the singleton back");
            assertEquals(0, replicas(app + "-green_cron"));
            // scaled to 1 is not yet running: on the loaded test bed its task takes seconds to start writing
            assertTrue(Poll.until(java.time.Duration.ofSeconds(60), () -> cronRuns().endsWith("green blue")), "blue's cron runs again: " + cronRuns());
            Thread.sleep(1000);
            sampler.close();
            assertTrue(sampler.counts.size() > 100, "sampled all along: " + sampler.counts.size());
            assertEquals(1, sampler.max(), "never two cron tasks running at once: " + sampler.counts);
        }
        assertEquals("blue green blue", cronRuns(), "the cron's log: one colour at a time, handed over twice");
    }
}
