import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Blue-green on the test-bed Swarm (tests/swarm-up.sh): colours as dnsrr services spread over the nodes, the gate
 * reading every task and probing each over the overlay from the managed front, the front's upstream listing the task
 * addresses, all under GET load through the front.
 */
class SwarmTest {
    static final String HOST = TestBed.ip(SwarmBed.MANAGER);
    static final String COMPOSE = """
            services:
              app:
                image: %s:${DEPLOY_RELEASE}
                ports: ["9000"]
                deploy:
                  placement:
                    max_replicas_per_node: 1
            """.formatted(SwarmBed.APP_REPO);

    // A run beside other test runs on the same test bed passes its own prefix and ports (-Dswarm.prefix=snl -Dswarm.port=19150 -Dswarm.ports=50).
    final String app = System.getProperty("swarm.prefix", "se") + "-" + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36), 36);
    final int port = Integer.getInteger("swarm.port", 18500) + ThreadLocalRandom.current().nextInt(Integer.getInteger("swarm.ports", 100));
    Path dir;

    @BeforeAll
    static void images() throws Exception {
        SwarmBed.images();
    }

    @AfterEach
    void clean() throws Exception {
        SwarmBed.removeApp(app);
        if (dir != null) ExampleImages.deleteTree(dir);
    }

    Path project(String compose) throws Exception {
        return project(compose, "");
    }

    /** @param moreFronts further entries under fronts: */
    Path project(String compose, String moreFronts) throws Exception {
        dir = Files.createTempDirectory("swarm-" + app);
        Files.writeString(dir.resolve("docker-compose.yml"), compose);
        Files.writeString(dir.resolve("deploy.yml"), """
                app: %s
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
                %s    replicas: 2
                """.formatted(app, SwarmBed.managerTls(), TestBed.CERTS, SwarmBed.managerTls(), TestBed.CERTS, moreFronts));
        return dir;
    }

    String[] args(String release, String... extra) {
        return argsFor("docker-compose.yml", release, extra);
    }

    String[] argsFor(String composeFile, String release, String... extra) {
        List<String> a = new ArrayList<>(List.of("--project", dir.resolve("deploy.yml").toString(), "--env", "production",
                "-f", dir.resolve(composeFile).toString(), "--release", release, "--front", "managed", "--front-bind", "0.0.0.0",
                "--front-port", String.valueOf(port), "--front-image", SwarmBed.FRONT, "--probe", "/health.txt"));
        if (!List.of(extra).contains("--health-timeout")) a.addAll(List.of("--health-timeout", "40s"));
        Collections.addAll(a, extra);
        return a.toArray(new String[0]);
    }

    static String get(int port, String path) {
        return get(HOST, port, path);
    }

    static String get(String host, int port, String path) {
        return TestApp.get(host, port, path);
    }

    /** GETs through the front of the manager in a loop, bounded in count and time. */
    static TestApp.Load load(int port) {
        return load(HOST, port);
    }

    static TestApp.Load load(String host, int port) {
        return new TestApp.Load(host, port, "/version.txt", 20_000, 180_000);
    }

    /**
     * Slow POSTs (1.5 s each) through a front in three loops started 0.5 s apart, so at any moment one of them is
     * about a second from its answer: some POST is in flight across the switch. Bounded in count and time.
     */
    record SlowPosts(List<TestApp.Load> loops) implements AutoCloseable {
        static SlowPosts through(String host, int port) {
            List<TestApp.Load> loops = new ArrayList<>();
            for (int i = 0; i < 3; i++) loops.add(TestApp.Load.slowPosts(host, port, 500L * i, 200, 180_000));
            return new SlowPosts(loops);
        }

        List<String> all(java.util.function.Function<TestApp.Load, List<String>> part) {
            return loops.stream().flatMap(l -> part.apply(l).stream()).toList();
        }

        int count() {
            return loops.stream().mapToInt(l -> l.answers.size()).sum();
        }

        /** 0 failed; every POST begun after the switch answered by v2; some in flight at the switch finished on v1 after it. */
        void check(long switchedAt, String what) {
            check(switchedAt, switchedAt, what);
        }

        /**
         * The same across several fronts, which switch a moment apart: begun after the last confirmation, answered by
         * v2; in flight at the first, finished on v1.
         */
        void check(long firstSwitched, long switchedAt, String what) {
            assertEquals(List.of(), all(TestApp.Load::failures), "no failed slow POST through " + what);
            List<String> began = all(l -> l.answersSince(switchedAt));
            assertTrue(began.stream().allMatch("v2"::equals), "every POST begun after the switch answered by v2 through " + what + ": " + began);
            List<String> finished = all(l -> l.endedAfter(firstSwitched));
            assertTrue(finished.contains("v1"), "a POST in flight at the switch finished on the old colour through " + what + ": " + finished);
            System.out.println("slow POSTs through " + what + ": " + count() + ", 0 failed; in flight at the switch: "
                    + all(l -> l.inFlightAt(switchedAt)) + "; ended after it: " + finished);
        }

        @Override
        public void close() throws InterruptedException {
            for (TestApp.Load l : loops) l.close();
        }
    }

    @Test
    void v1ThenV2UnderLoadLosesNoRequestAndEveryTaskRunsDnsrrOnTheOverlay() throws Exception {
        project(COMPOSE);
        var plan = TestApp.run(args("v1", "--dry-run"));
        assertEquals(0, plan.code(), plan.toString());
        assertTrue(plan.out().contains("(dry run, nothing changes)") && plan.out().contains("health gate") && plan.out().contains("switch the front to blue"), plan.out());
        assertEquals("", SwarmBed.output("docker", "-H", TestBed.socket(SwarmBed.MANAGER), "service", "ls", "-q", "--filter", "name=" + app + "-blue").trim(),
                "a dry run creates nothing");
        var r = TestApp.run(args("v1"));
        assertEquals(0, r.code(), r.toString());
        assertEquals("v1", get(port, "/version.txt"));
        try (TestApp.Load load = load(port); SlowPosts posts = SlowPosts.through(HOST, port)) {
            Thread.sleep(1_200);
            long t0 = System.nanoTime();
            long[] switchedAt = {0};
            r = runWith("front now sends every new request", () -> switchedAt[0] = System.nanoTime(), args("v2"));
            long switched = System.nanoTime();
            assertEquals(0, r.code(), r.toString());
            assertEquals("v2", get(port, "/version.txt"));
            Thread.sleep(500);
            load.close();
            posts.close();
            posts.check(switchedAt[0], "the front");
            assertEquals(List.of(), load.failures(), "no failed request: " + r);
            List<String> after = load.answersSince(switched);
            assertFalse(after.isEmpty());
            assertTrue(after.stream().allMatch("v2"::equals), "only v2 after the switch: " + after);
            assertTrue(Set.copyOf(load.answers).containsAll(Set.of("v1", "v2")), "both served during the run: " + Set.copyOf(load.answers));
            System.out.println(r.out());
            System.out.println("swarm deploy v2: " + (switched - t0) / 1_000_000 + " ms wall, " + load.answers.size() + " GETs, 0 failed");
        }
        var status = TestApp.run("status", "--project", dir.resolve("deploy.yml").toString(), "--env", "production");
        assertEquals(0, status.code(), status.toString());
        assertTrue(status.out().contains("green (live): release v2") && status.out().contains(app + "-green_app: 2/2 running")
                && status.out().contains("blue: release v1") && status.out().contains("front: sends to green's running tasks"), status.out());
        // Two tasks per colour on two different nodes, each dnsrr with no published port, labelled as a stack.
        String sock = TestBed.socket(SwarmBed.MANAGER);
        String svc = app + "-green_app";
        if (!SwarmBed.output("docker", "-H", sock, "service", "ls", "--format", "{{.Name}}").contains(svc)) svc = app + "-blue_app";
        String inspect = SwarmBed.output("docker", "-H", sock, "service", "inspect", svc, "--format",
                "{{.Spec.EndpointSpec.Mode}} {{len .Endpoint.Ports}} {{index .Spec.Labels \"com.docker.stack.namespace\"}} {{.Spec.TaskTemplate.ContainerSpec.Image}}");
        assertTrue(inspect.startsWith("dnsrr 0 " + svc.substring(0, svc.indexOf('_')) + " " + SwarmBed.APP_REPO + ":v2@sha256:"), inspect);
        String nodes = SwarmBed.output("docker", "-H", sock, "service", "ps", svc, "--filter", "desired-state=running", "--format", "{{.Node}}");
        assertEquals(2, Set.of(nodes.trim().split("\\s+")).size(), "two tasks on two nodes: " + nodes);
        String stack = SwarmBed.output("docker", "-H", sock, "stack", "ps", svc.substring(0, svc.indexOf('_')), "--format", "{{.Name}}");
        assertTrue(stack.contains(svc), "docker stack ps lists the colour: " + stack);
    }

    /** The manager's front's upstream file, read with the front image's busybox (it has no cat on its PATH). */
    String upstream() throws Exception {
        return upstream(SwarmBed.MANAGER);
    }

    @Test
    void aCrashingANeverHealthyAnUnschedulableAndAMissingReleaseEachFailFastUnderLoadWithTheOldColourServing() throws Exception {
        project(COMPOSE);
        Files.writeString(dir.resolve("unschedulable.yml"), COMPOSE.replace("max_replicas_per_node: 1", "constraints: [node.labels.se-nowhere==1]"));
        var r = TestApp.run(args("v1"));
        assertEquals(0, r.code(), r.toString());
        String before = upstream();
        try (TestApp.Load load = load(port)) {
            record Case(String file, String release, String says, long maxMillis) {}
            for (Case c : List.of(
                    new Case("docker-compose.yml", "crash", "non-zero exit", 30_000),
                    new Case("docker-compose.yml", "unhealthy", "did not pass within 12s", 40_000),
                    new Case("unschedulable.yml", "v2", "no suitable node", 20_000),
                    new Case("docker-compose.yml", "v9", "is not in registry " + SwarmBed.REGISTRY, 10_000))) {
                long t0 = System.currentTimeMillis();
                var bad = TestApp.run(argsFor(c.file(), c.release(), "--health-timeout", "12s"));
                long took = System.currentTimeMillis() - t0;
                System.out.println(c.release() + " from " + c.file() + ": exit " + bad.code() + " in " + took + " ms: " + bad.err().lines().reduce((a, b) -> b).orElse(""));
                assertEquals(1, bad.code(), bad.toString());
                assertTrue(bad.err().contains(c.says()), c + ": " + bad);
                assertTrue(took < c.maxMillis(), c + " took " + took + " ms");
                assertFalse(bad.out().contains("front now sends"), "never switched: " + bad.out());
                assertEquals(before, upstream(), "no new address in the upstream after " + c);
                assertEquals("v1", get(port, "/version.txt"));
            }
            load.close();
            assertEquals(List.of(), load.failures(), "no failed request");
            assertEquals(Set.of("v1"), Set.copyOf(load.answers), "only v1 answered");
        }
        String left = SwarmBed.output("docker", "-H", TestBed.socket(SwarmBed.MANAGER), "service", "ls", "--format", "{{.Name}}", "--filter", "name=" + app);
        assertEquals(List.of(app + "-blue_app"), left.trim().lines().filter(l -> l.contains("_")).toList(), "only the live colour's service is left: " + left);
    }

    static TestApp.Result rollback(String... args) {
        var out = new java.io.StringWriter();
        var err = new java.io.StringWriter();
        var cl = lib.cli.Cli.commandLine(new rollback());
        cl.setOut(new java.io.PrintWriter(out, true));
        cl.setErr(new java.io.PrintWriter(err, true));
        int code = cl.execute(args);
        return new TestApp.Result(code, out.toString(), err.toString());
    }

    @Test
    void rollbackFromTheWarmStandbySwitchesTheFrontBackUnderLoadWithNoFailedRequest() throws Exception {
        project(COMPOSE);
        for (String v : new String[]{"v1", "v2"}) {
            var r = TestApp.run(args(v));
            assertEquals(0, r.code(), r.toString());
        }
        assertEquals("v2", get(port, "/version.txt"));
        try (TestApp.Load load = load(port)) {
            Thread.sleep(300);
            long t0 = System.nanoTime();
            var r = rollback("--project", dir.resolve("deploy.yml").toString(), "--env", "production", "--front", "managed", "--front-bind", "0.0.0.0",
                    "--front-port", String.valueOf(port), "--front-image", SwarmBed.FRONT, "--probe", "/health.txt");
            long took = (System.nanoTime() - t0) / 1_000_000;
            long back = System.nanoTime();
            System.out.println(r.out());
            System.out.println("swarm rollback from the warm standby: " + took + " ms wall");
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().contains("holds it (fast path, no pull)"), r.out());
            assertEquals("v1", get(port, "/version.txt"));
            Thread.sleep(300);
            load.close();
            assertEquals(List.of(), load.failures(), "no failed request");
            assertTrue(load.answersSince(back).stream().allMatch("v1"::equals), "only v1 after the rollback");
            assertTrue(took < 15_000, "a rollback to a running standby takes seconds, not a deploy: " + took + " ms");
        }
    }

    static final String SECOND = TestBed.ip(SwarmBed.SECOND_FRONT);

    String secondFront() {
        return """
                      - host: %s
                        tls_verify: true
                        cert_path: %s
                """.formatted(TestBed.tls(SwarmBed.SECOND_FRONT), TestBed.CERTS);
    }

    String upstream(int node) throws Exception {
        String u = SwarmBed.output("docker", "-H", TestBed.socket(node), "exec", app + "-front", "/bin/busybox", "cat", lib.front.NginxConfig.UPSTREAM);
        assertTrue(u.contains("upstream bgdeploy_live"), u);
        return u;
    }

    /** A deploy in-process whose output, on a line containing trigger, first runs hook on the deploy's own thread. */
    static TestApp.Result runWith(String trigger, Runnable hook, String... args) {
        return runWith(Map.of(trigger, hook), args);
    }

    /** Each hook runs once, when the output first contains its trigger. */
    static TestApp.Result runWith(Map<String, Runnable> hooks, String... args) {
        var buf = new java.io.StringWriter();
        var fired = java.util.concurrent.ConcurrentHashMap.<String>newKeySet();
        var out = new java.io.PrintWriter(new java.io.Writer() {
            @Override
            public void write(char[] c, int off, int len) {
                buf.write(c, off, len);
                hooks.forEach((trigger, hook) -> {
                    if (!fired.contains(trigger) && buf.toString().contains(trigger) && fired.add(trigger)) hook.run();
                });
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        }, true);
        var err = new java.io.StringWriter();
        var cl = lib.cli.Cli.commandLine(new deploy());
        cl.setOut(out);
        cl.setErr(new java.io.PrintWriter(err, true));
        int code = cl.execute(args);
        return new TestApp.Result(code, buf.toString(), err.toString());
    }

    @Test
    void twoFrontsSwitchTogetherUnderLoadAndAFrontLostAtTheSwitchPutsBothBackAndFrontSyncFollowsRescheduledTasks() throws Exception {
        project(COMPOSE, secondFront());
        var r = TestApp.run(args("v1"));
        assertEquals(0, r.code(), r.toString());
        // A first deploy waits for each front's workers from before its switch (they answer 502) to exit: v1 at once.
        for (String front : List.of(HOST, SECOND)) assertEquals("v1", get(front, port, "/version.txt"), "v1 on the front of " + front);
        assertEquals(upstream(SwarmBed.MANAGER), upstream(SwarmBed.SECOND_FRONT), "both fronts list v1's tasks");
        try (TestApp.Load first = load(HOST, port); TestApp.Load second = load(SECOND, port);
             SlowPosts firstPosts = SlowPosts.through(HOST, port); SlowPosts secondPosts = SlowPosts.through(SECOND, port)) {
            Thread.sleep(1_200);
            long[] switchedAt = {0, 0};
            r = runWith(Map.of("front now sends every new request", () -> switchedAt[0] = System.nanoTime(),
                    "fronts switched;", () -> switchedAt[1] = System.nanoTime()), args("v2"));
            long switched = System.nanoTime();
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().contains("answered from all 2 fronts") && r.out().contains("all 2 fronts switched"), r.out());
            Thread.sleep(500);
            first.close();
            second.close();
            firstPosts.close();
            secondPosts.close();
            firstPosts.check(switchedAt[0], switchedAt[1], "the front on " + HOST);
            secondPosts.check(switchedAt[0], switchedAt[1], "the front on " + SECOND);
            for (TestApp.Load l : List.of(first, second)) {
                assertEquals(List.of(), l.failures(), "no failed request: " + r);
                assertFalse(l.answersSince(switched).isEmpty());
                assertTrue(l.answersSince(switched).stream().allMatch("v2"::equals), "only v2 after the switch on both fronts");
            }
            System.out.println("two fronts: " + r.out().lines().filter(l -> l.contains("fronts switched")).findFirst().orElse("") + "; "
                    + (first.answers.size() + second.answers.size()) + " GETs, 0 failed");
        }
        String v2Upstream = upstream(SwarmBed.MANAGER);
        assertEquals(v2Upstream, upstream(SwarmBed.SECOND_FRONT));

        // The second front lost just before the switch (after the gate passed from both): both stay on v2, exit 1.
        try (TestApp.Load healthy = load(HOST, port)) {
            Thread.sleep(300);
            var bad = runWith("answered from all 2 fronts", () -> {
                try {
                    SwarmBed.run("docker", "-H", TestBed.socket(SwarmBed.SECOND_FRONT), "stop", "-t", "0", app + "-front");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, args("v1"));
            Thread.sleep(300);
            healthy.close();
            System.out.println(bad.out() + bad.err());
            assertEquals(1, bad.code(), bad.toString());
            assertTrue(bad.err().contains("every front keeps serving the previous colour"), bad.err());
            assertEquals(List.of(), healthy.failures(), "no failed request on the healthy front");
            assertEquals("v2", get(HOST, port, "/version.txt"));
            assertEquals(v2Upstream, upstream(SwarmBed.MANAGER), "the healthy front is back on the live colour");
        }

        // Tasks rescheduled behind the fronts' back: status names the stale fronts, front sync rewrites them.
        SwarmBed.run("docker", "-H", TestBed.socket(SwarmBed.SECOND_FRONT), "start", app + "-front");
        String live = SwarmBed.output("docker", "-H", TestBed.socket(SwarmBed.MANAGER), "service", "ls", "--format", "{{.Name}}", "--filter", "name=" + app)
                .lines().filter(l -> l.contains("_app")).filter(n -> {
                    try {
                        return SwarmBed.output("docker", "-H", TestBed.socket(SwarmBed.MANAGER), "service", "inspect", n, "--format", "{{.Spec.TaskTemplate.ContainerSpec.Image}}").contains(":v2@");
                    } catch (Exception e) {
                        return false;
                    }
                }).findFirst().orElseThrow();
        // A front started again comes up serving nowhere (127.0.0.1:9): front sync below brings it back too.
        SwarmBed.run("docker", "-H", TestBed.socket(SwarmBed.MANAGER), "service", "scale", "--detach=false", live + "=3");
        var status = TestApp.run("status", "--project", dir.resolve("deploy.yml").toString(), "--env", "production");
        assertTrue(status.out().contains("FRONT OUT OF DATE: front on") && status.out().contains("front sync"), status.toString());
        var sync = TestApp.run("front", "sync", "--project", dir.resolve("deploy.yml").toString(), "--env", "production");
        System.out.println(sync.out());
        assertEquals(0, sync.code(), sync.toString());
        assertEquals(upstream(SwarmBed.MANAGER), upstream(SwarmBed.SECOND_FRONT));
        assertEquals(3, upstream(SwarmBed.MANAGER).split("server ", -1).length - 1, "the third task is in the upstream: " + upstream(SwarmBed.MANAGER));
        assertEquals("v2", get(HOST, port, "/version.txt"));
        assertEquals("v2", get(SECOND, port, "/version.txt"));
        status = TestApp.run("status", "--project", dir.resolve("deploy.yml").toString(), "--env", "production");
        assertFalse(status.out().contains("FRONT OUT OF DATE"), status.toString());
    }
}
