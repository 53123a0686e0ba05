import lib.front.ManagedFront;
import lib.front.NginxConfig;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Swarm node lost after the switch (tests/swarm-up.sh's worker bgh6 cut off: its link on this machine's bridge
 * down), under GET load through both fronts (bgh4, bgh5): the fronts' nginx moves on from the dead tasks, Swarm
 * reschedules them, front sync rewrites both upstreams; and a front left with an old upstream is named by status and
 * repaired by status --repair. The only test that cuts a link; it is restored in a finally (and a shutdown hook).
 */
class SwarmNodeLossTest {
    static final int LOST = SwarmBed.THIRD;
    static final String LINK = "v" + SwarmBed.hostname(LOST);
    static final String LOST_NODE = SwarmBed.hostname(LOST);
    static final String HOST = TestBed.ip(SwarmBed.MANAGER);
    static final String SECOND = TestBed.ip(SwarmBed.SECOND_FRONT);
    static final String SOCK = TestBed.socket(SwarmBed.MANAGER);
    /** Three tasks spread one per node (Swarm spreads a service's tasks); at most two per node, so bgh6's can move. */
    static final String COMPOSE = """
            services:
              app:
                image: %s:${DEPLOY_RELEASE}
                ports: ["9000"]
                deploy:
                  replicas: 3
                  placement:
                    max_replicas_per_node: 2
            """.formatted(SwarmBed.APP_REPO);

    final String app = "snl-" + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36), 36);
    final int port = 19150 + ThreadLocalRandom.current().nextInt(50);
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

    void project() throws Exception {
        dir = Files.createTempDirectory("swarm-" + app);
        Files.writeString(dir.resolve("docker-compose.yml"), COMPOSE);
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
                      - host: %s
                        tls_verify: true
                        cert_path: %s
                """.formatted(app, SwarmBed.managerTls(), TestBed.CERTS, SwarmBed.managerTls(), TestBed.CERTS,
                TestBed.tls(SwarmBed.SECOND_FRONT), TestBed.CERTS));
    }

    String[] deploy(String release) {
        return new String[]{"--project", dir.resolve("deploy.yml").toString(), "--env", "production",
                "-f", dir.resolve("docker-compose.yml").toString(), "--release", release, "--front", "managed", "--front-bind", "0.0.0.0",
                "--front-port", String.valueOf(port), "--front-image", SwarmBed.FRONT, "--probe", "/health.txt", "--health-timeout", "60s"};
    }

    TestApp.Result cli(String... args) {
        List<String> a = new ArrayList<>(List.of(args));
        a.addAll(List.of("--project", dir.resolve("deploy.yml").toString(), "--env", "production"));
        return TestApp.run(a.toArray(new String[0]));
    }

    String upstream(int node) throws Exception {
        String u = SwarmBed.output("docker", "-H", TestBed.socket(node), "exec", ManagedFront.containerName(app), "/bin/busybox", "cat", NginxConfig.UPSTREAM);
        assertTrue(u.contains("upstream bgdeploy_live"), u);
        return u;
    }

    /** The live colour's service: the one whose image is release v2. */
    String liveService() throws Exception {
        for (String n : SwarmBed.output("docker", "-H", SOCK, "service", "ls", "--format", "{{.Name}}", "--filter", "name=" + app).trim().split("\\s+")) {
            if (n.endsWith("_app") && SwarmBed.output("docker", "-H", SOCK, "service", "inspect", n, "--format", "{{.Spec.TaskTemplate.ContainerSpec.Image}}").contains(":v2@")) return n;
        }
        throw new AssertionError("no service of " + app + " runs v2");
    }

    /** The service's tasks Swarm wants running: "node state address" each, address on the front's overlay. */
    List<String> tasks(String service) throws Exception {
        List<String> out = new ArrayList<>();
        String ids = SwarmBed.output("docker", "-H", SOCK, "service", "ps", "-q", "--no-trunc", "--filter", "desired-state=running", service);
        for (String id : ids.trim().split("\\s+")) {
            if (id.isBlank()) continue;
            out.add(SwarmBed.output("docker", "-H", SOCK, "inspect", id, "--format", "{{.NodeID}} {{.Status.State}} {{range .NetworksAttachments}}{{if eq .Network.Spec.Name \""
                    + ManagedFront.network(app) + "\"}}{{index .Addresses 0}}{{end}}{{end}}").trim().replaceFirst("/\\d+$", ""));
        }
        return out;
    }

    static String nodeId(String hostname) throws Exception {
        return SwarmBed.output("docker", "-H", SOCK, "node", "inspect", hostname, "--format", "{{.ID}}").trim();
    }

    static String nodeState(String hostname) throws Exception {
        return SwarmBed.output("docker", "-H", SOCK, "node", "inspect", hostname, "--format", "{{.Status.State}}").trim();
    }

    static void link(String state) throws Exception {
        Process p = new ProcessBuilder("ip", "link", "set", LINK, state).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IllegalStateException("ip link set " + LINK + " " + state + " failed: " + out);
    }

    /** The link up again, retried: the other lanes' Swarm tests need bgh6. */
    static void restore() {
        for (int i = 0; i < 5; i++) {
            try {
                link("up");
                return;
            } catch (Exception e) {
                System.err.println("restoring " + LINK + ": " + e.getMessage());
            }
        }
    }

    static long ms(long fromNanos) {
        return (System.nanoTime() - fromNanos) / 1_000_000;
    }

    @Test
    void aNodeLostAfterTheSwitchCostsOnlyTheRequestsInFlightOnItThenSwarmReschedulesAndFrontSyncAndStatusRepairFollow() throws Exception {
        assertEquals("ready", nodeState(LOST_NODE), LOST_NODE + " is Ready before the test (docker node ls)");
        project();
        for (String v : new String[]{"v1", "v2"}) {
            var r = TestApp.run(deploy(v));
            assertEquals(0, r.code(), r.toString());
        }
        for (String front : List.of(HOST, SECOND)) {
            assertTrue(Poll.until(java.time.Duration.ofSeconds(5), () -> "v2".equals(TestApp.get(front, port, "/version.txt"))), "v2 on the front of " + front);
        }
        String live = liveService();
        String lostId = nodeId(LOST_NODE);
        List<String> before = tasks(live);
        List<String> lostAddresses = before.stream().filter(t -> t.startsWith(lostId + " ")).map(t -> t.substring(t.lastIndexOf(' ') + 1)).toList();
        assertFalse(lostAddresses.isEmpty(), "a task of " + live + " runs on " + LOST_NODE + " (Swarm spreads 3 tasks over 3 nodes): " + before);
        String oldUpstream = upstream(SwarmBed.SECOND_FRONT);
        assertEquals(upstream(SwarmBed.MANAGER), oldUpstream);
        for (String a : lostAddresses) assertTrue(oldUpstream.contains("server " + a + ":9000;"), oldUpstream);

        long cut;
        long down = -1;
        long rescheduled;
        long cutFor;
        TestApp.Result sync;
        TestApp.Result status;
        Thread hook = new Thread(SwarmNodeLossTest::restore);
        try (TestApp.Load first = new TestApp.Load(HOST, port, "/version.txt", 20_000, 180_000);
             TestApp.Load second = new TestApp.Load(SECOND, port, "/version.txt", 20_000, 180_000)) {
            Thread.sleep(1_000);
            Runtime.getRuntime().addShutdownHook(hook);
            cut = System.nanoTime();
            try {
                link("down");
                // Swarm marks the node down after missed heartbeats (12-16 s here) and starts its tasks elsewhere
                // (20-24 s); bounded so the cut stays under a minute with the sync.
                List<String> now = List.of();
                while (true) {
                    if (down < 0 && "down".equals(nodeState(LOST_NODE))) down = ms(cut);
                    now = tasks(live);
                    if (now.size() == 3 && now.stream().allMatch(t -> t.contains(" running ")) && now.stream().noneMatch(t -> t.startsWith(lostId + " "))) break;
                    assertTrue(ms(cut) < 40_000, "Swarm did not reschedule " + live + "'s tasks off " + LOST_NODE + " within 40 s: " + now);
                    Thread.sleep(500);
                }
                rescheduled = ms(cut);
                sync = cli("front", "sync");
            } finally {
                restore();
                cutFor = ms(cut);
                Runtime.getRuntime().removeShutdownHook(hook);
            }
            // read once the link is back, so the cut stays short; the fronts do not change with it
            status = cli("status");
            System.out.println(LOST_NODE + "'s link down for " + cutFor + " ms: Swarm marked it down after " + down + " ms, its tasks ran elsewhere after " + rescheduled + " ms");
            System.out.println(sync.out() + sync.err());
            System.out.println(status.out() + status.err());
            assertEquals(0, sync.code(), sync.toString());
            String synced = upstream(SwarmBed.MANAGER);
            assertEquals(synced, upstream(SwarmBed.SECOND_FRONT), "both fronts list the same tasks");
            assertEquals(3, synced.split("server ", -1).length - 1, "the three live tasks: " + synced);
            for (String a : lostAddresses) assertFalse(synced.contains(a + ":"), "no task of " + LOST_NODE + " in the upstream: " + synced);
            assertFalse(status.out().contains("FRONT OUT OF DATE"), status.toString());
            assertEquals(2, status.out().lines().filter(l -> l.startsWith("front on tcp://") && l.contains(": sends to ")).count(), "both fronts send to the live tasks: " + status.out());
            // Back on the Swarm: the node's old tasks are shut down by Swarm (replaced), nothing routes to them.
            // A node back from a cut can read Ready on its old session, then down while its agent registers again:
            // Ready counts once it held for 10 s.
            long back = System.nanoTime();
            long readySince = -1;
            while (readySince < 0 || ms(readySince) < 10_000) {
                assertTrue(ms(back) < 120_000, LOST_NODE + " is not steadily Ready 120 s after its link came back");
                boolean ready = "ready".equals(nodeState(LOST_NODE));
                if (!ready) readySince = -1;
                else if (readySince < 0) readySince = System.nanoTime();
                Thread.sleep(500);
            }
            System.out.println(LOST_NODE + " Ready again (and for 10 s) " + ms(back) + " ms after its link came back");
            Thread.sleep(1_000);
            first.close();
            second.close();
            long settled = cut + 3_000_000_000L;
            StringBuilder report = new StringBuilder("node lost after the switch (" + LOST_NODE + "'s link down for " + cutFor + " ms): Swarm marked it down after "
                    + down + " ms, its tasks ran elsewhere after " + rescheduled + " ms;");
            for (var l : List.of(first, second)) {
                int lost = 0;
                synchronized (l.answers) {
                    for (int i = 0; i < l.answers.size(); i++) if (l.startedAt.get(i) <= settled && l.answers.get(i).startsWith("ERR")) lost++;
                }
                long slowest = 0;
                synchronized (l.answers) {
                    for (int i = 0; i < l.answers.size(); i++) if (l.startedAt.get(i) > cut) slowest = Math.max(slowest, l.endedAt.get(i) - l.startedAt.get(i));
                }
                report.append(" front ").append(l == first ? HOST : SECOND).append(": ").append(l.answers.size()).append(" GETs, ").append(lost).append(" lost at the cut ")
                        .append(l.failures()).append(", the slowest begun after it ").append(slowest / 1_000_000).append(" ms;");
            }
            System.out.println(report);
            for (var l : List.of(first, second)) {
                List<String> after = l.answersSince(settled);
                assertFalse(after.isEmpty(), "GETs ran after nginx moved on");
                assertTrue(after.stream().allMatch("v2"::equals), "0 failed GETs from 3 s after the cut, through " + (l == first ? HOST : SECOND) + ": "
                        + after.stream().filter(a -> !a.equals("v2")).toList());
            }
        }

        // A front that comes back with an old upstream (here: bgh5's given the one it had before the cut, by hand).
        SwarmBed.run("docker", "-H", TestBed.socket(SwarmBed.SECOND_FRONT), "exec", ManagedFront.containerName(app), "/bin/busybox", "sh", "-c",
                "printf '%s' \"$1\" > " + NginxConfig.UPSTREAM + " && /bin/busybox kill -HUP 1", "sh", oldUpstream);
        assertEquals(oldUpstream, upstream(SwarmBed.SECOND_FRONT));
        var stale = cli("status");
        assertEquals(1, stale.code(), stale.toString());
        assertEquals(List.of(TestBed.tls(SwarmBed.SECOND_FRONT)), stale.out().lines().filter(l -> l.startsWith("FRONT OUT OF DATE: front on "))
                .map(l -> l.substring("FRONT OUT OF DATE: front on ".length()).split(" ")[0]).toList(), "only the stale front is named: " + stale.out());
        var repaired = cli("status", "--repair");
        System.out.println(repaired.out() + repaired.err());
        assertEquals(0, repaired.code(), repaired.toString());
        String after = repaired.out().substring(repaired.out().indexOf("after the repair:"));
        assertFalse(after.contains("FRONT OUT OF DATE"), repaired.out());
        assertEquals(upstream(SwarmBed.MANAGER), upstream(SwarmBed.SECOND_FRONT), "the stale front lists the live tasks again");
        assertEquals("v2", TestApp.get(SECOND, port, "/version.txt"));
        var clean = cli("status");
        assertEquals(0, clean.code(), clean.toString());
        assertFalse(clean.out().contains("FRONT OUT OF DATE"), clean.out());
    }

    /**
     * A node lost during the gate: the new colour's task there never counts (the gate waits for Swarm to run it
     * elsewhere, within --health-timeout, or fails with the old colour serving), and no address of a task on the lost
     * node is ever in an upstream; GETs through the fronts go on from the old colour's other tasks.
     */
    @Test
    void aNodeLostDuringTheGateIsNeverRoutedToAndTheDeployWaitsForSwarmOrFailsWithTheOldColourServing() throws Exception {
        assertEquals("ready", nodeState(LOST_NODE), LOST_NODE + " is Ready before the test (docker node ls)");
        project();
        var first = TestApp.run(deploy("v1"));
        assertEquals(0, first.code(), first.toString());
        for (String front : List.of(HOST, SECOND)) {
            assertTrue(Poll.until(java.time.Duration.ofSeconds(5), () -> "v1".equals(TestApp.get(front, port, "/version.txt"))), "v1 on the front of " + front);
        }
        String lostId = nodeId(LOST_NODE);
        var gateBegins = new java.util.concurrent.CountDownLatch(1);
        var out = new java.io.StringWriter() {
            @Override
            public void write(String str, int off, int len) {
                super.write(str, off, len);
                if (toString().contains("==> health gate")) gateBegins.countDown();
            }
        };
        var err = new java.io.StringWriter();
        List<String> lostAddresses = new ArrayList<>();
        int code;
        long cut;
        Thread hook = new Thread(SwarmNodeLossTest::restore);
        try (TestApp.Load a = new TestApp.Load(HOST, port, "/version.txt", 20_000, 180_000);
             TestApp.Load b = new TestApp.Load(SECOND, port, "/version.txt", 20_000, 180_000)) {
            var deploying = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                var cl = lib.cli.Cli.commandLine(new deploy());
                cl.setOut(new java.io.PrintWriter(out, true));
                cl.setErr(new java.io.PrintWriter(err, true));
                return cl.execute(deploy("v2"));
            });
            assertTrue(gateBegins.await(120, TimeUnit.SECONDS), out.toString());
            Runtime.getRuntime().addShutdownHook(hook);
            cut = System.nanoTime();
            try {
                link("down");
                // the new colour's tasks as Swarm placed them when the node went: the one there must never be routed
                for (String service : SwarmBed.output("docker", "-H", SOCK, "service", "ls", "--format", "{{.Name}}", "--filter", "name=" + app).trim().split("\\s+")) {
                    if (!service.endsWith("_app") || !SwarmBed.output("docker", "-H", SOCK, "service", "inspect", service, "--format", "{{.Spec.TaskTemplate.ContainerSpec.Image}}").contains(":v2@")) continue;
                    for (String t : tasks(service)) if (t.startsWith(lostId + " ") && t.split(" ").length == 3) lostAddresses.add(t.substring(t.lastIndexOf(' ') + 1));
                }
                assertFalse(lostAddresses.isEmpty(), "a task of the new colour was placed on " + LOST_NODE + " (Swarm spreads 3 tasks over 3 nodes)");
                code = deploying.get(150, TimeUnit.SECONDS);
            } finally {
                restore();
                Runtime.getRuntime().removeShutdownHook(hook);
            }
            System.out.println("node lost during the gate: the deploy ended with exit " + code + " after the cut " + ms(cut) + " ms; the new colour's addresses on "
                    + LOST_NODE + " then: " + lostAddresses + "\n" + out + err);
            Thread.sleep(1_000);
            a.close();
            b.close();
            long settled = cut + 3_000_000_000L;
            String serving = code == 0 ? "v2" : "v1";
            assertTrue(code == 0 || code == 1, "the deploy passed once Swarm ran the task elsewhere, or failed: " + code + "\n" + out + err);
            for (var l : List.of(a, b)) {
                List<String> after = l.answersSince(settled);
                assertFalse(after.isEmpty(), "GETs ran after the cut");
                assertTrue(after.stream().allMatch(x -> x.equals("v1") || x.equals("v2")), "0 failed GETs from 3 s after the cut: " + after.stream().filter(x -> !x.startsWith("v")).toList());
                assertEquals(serving, after.get(after.size() - 1), "the last GET is answered by the release the deploy left live");
            }
            for (int node : new int[]{SwarmBed.MANAGER, SwarmBed.SECOND_FRONT}) {
                String u = upstream(node);
                for (String addr : lostAddresses) assertFalse(u.contains(addr + ":"), "no task of " + LOST_NODE + " in the upstream of front " + node + ": " + u);
            }
        }
        // bgh6 back and steady for the tests after this one
        long back = System.nanoTime();
        long readySince = -1;
        while (readySince < 0 || ms(readySince) < 10_000) {
            assertTrue(ms(back) < 120_000, LOST_NODE + " is not steadily Ready 120 s after its link came back");
            boolean ready = "ready".equals(nodeState(LOST_NODE));
            if (!ready) readySince = -1;
            else if (readySince < 0) readySince = System.nanoTime();
            Thread.sleep(500);
        }
    }
}
