import lib.model.Colour;
import lib.host.HostReader;
import lib.model.HostState;
import lib.host.DeployLock;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One deploy across three test-bed hosts (TLS), all or nothing, with the managed front on each host published on the
 * host's address, and load through every front from this machine.
 */
class FleetTest {
    static final int[] HOSTS = {1, 2, 3};

    @Test
    void aFleetSwitchesOnlyWhenEveryHostPassedAndOneCrashingHostLeavesAllOnTheOldRelease() throws Exception {
        for (int h : HOSTS) TestBed.images(h);
        try (TestApp app = new TestApp("fleet")) {
            int frontPort = TestHost.freePort();
            Path project = app.dir.resolve("deploy.yml");
            StringBuilder y = new StringBuilder("app: " + app.name + "\nenvironments:\n  prod:\n    hosts:\n");
            for (int h : HOSTS) {
                y.append("      - host: ").append(TestBed.tls(h)).append("\n        tls_verify: true\n        cert_path: ").append(TestBed.CERTS).append('\n');
            }
            Files.writeString(project, y.toString());
            String[] fleet = {"--project", project.toString(), "--env", "prod", "--front", "managed", "--front-bind", "0.0.0.0",
                    "--front-port", String.valueOf(frontPort), "--front-image", TestHost.WEB};
            try {
                var r = app.deploy("v1", fleet);
                assertEquals(0, r.code(), r.toString());
                assertTrue(r.out().contains("deployed") && r.out().contains("to all 3 hosts"), r.out());
                for (int h : HOSTS) assertEquals("v1", get(TestBed.ip(h), frontPort));

                // v2 crashes on host 3 only (its v2 is the crashing image): nobody switches
                TestBed.loadAs(3, TestHost.APP_REPO + ":crash", "v2");
                try (Loads load = new Loads(frontPort)) {
                    var bad = app.deploy("v2", fleet);
                    assertEquals(1, bad.code(), bad.toString());
                    assertTrue(bad.err().contains("no host was switched"), bad.err());
                    assertTrue(bad.out().contains("[" + TestBed.ip(1) + "]") && bad.out().contains("[" + TestBed.ip(3) + "]"), "output prefixed by host: " + bad.out());
                    load.stop();
                    assertEquals(List.of(), load.failures(), "no failed request through any front");
                    assertEquals(Set.of("v1"), Set.copyOf(load.answers), "only the old release answered");
                }
                for (int h : HOSTS) {
                    HostState s = HostReader.read(TestBed.docker(h), app.name);
                    assertEquals(Colour.BLUE, s.live().orElseThrow(), "host " + h);
                    assertTrue(s.green().empty(), "host " + h + ": the new colour was undone: " + s.green().containers());
                    assertTrue(DeployLock.holder(TestBed.docker(h), app.name).isEmpty(), "host " + h + ": lock released");
                    assertEquals("v1", get(TestBed.ip(h), frontPort));
                }

                // a good v2 everywhere: every host switches
                TestBed.loadAs(3, TestHost.APP_REPO + ":v2", "v2");
                try (Loads load = new Loads(frontPort)) {
                    var good = app.deploy("v2", fleet);
                    assertEquals(0, good.code(), good.toString());
                    load.stop();
                    assertEquals(List.of(), load.failures(), "no failed request through any front");
                }
                for (int h : HOSTS) assertEquals("v2", get(TestBed.ip(h), frontPort), "host " + h);

                var status = TestApp.run("status", "--project", project.toString(), "--env", "prod");
                assertEquals(0, status.code(), status.toString());
                assertTrue(!status.out().contains("MIXED FLEET"), status.out());
            } finally {
                TestBed.loadAs(3, TestHost.APP_REPO + ":v2", "v2");
                for (int h : HOSTS) TestHost.removeApp(TestBed.docker(h), app.name);
            }
        }
    }

    @Test
    void aFleetDryRunPlansEveryHostAndItsHooksSeeEveryHostAndRollbackRunsItsHook() throws Exception {
        int[] two = {1, 2};
        for (int h : two) TestBed.images(h);
        try (TestApp app = new TestApp("fleethook")) {
            Path project = app.dir.resolve("deploy.yml");
            StringBuilder y = new StringBuilder("app: " + app.name + "\nhooks:\n"
                    + "  pre-deploy:\n    - [sh, -c, 'env | grep ^DEPLOY_ | sort > pre-deploy.env']\n"
                    + "  post-rollback:\n    - [sh, -c, 'env | grep ^DEPLOY_ | sort > post-rollback.env']\n"
                    + "environments:\n  prod:\n    hosts:\n");
            for (int h : two) {
                y.append("      - host: ").append(TestBed.tls(h)).append("\n        tls_verify: true\n        cert_path: ").append(TestBed.CERTS).append('\n');
            }
            Files.writeString(project, y.toString());
            String[] fleet = {"--project", project.toString(), "--env", "prod"};
            try {
                var plan = app.deploy("v1", Commands.concat(fleet, "--dry-run"));
                assertEquals(0, plan.code(), plan.toString());
                for (int h : two) assertTrue(plan.out().contains("plan for " + app.name + " on " + TestBed.tls(h)), "every host planned: " + plan.out());
                for (int h : two) assertTrue(HostReader.read(TestBed.docker(h), app.name).blue().empty(), "a dry run changes nothing");

                var r = app.deploy("v1", fleet);
                assertEquals(0, r.code(), r.toString());
                String pre = Files.readString(app.dir.resolve("pre-deploy.env"));
                for (String v : List.of("DEPLOY_APP=" + app.name, "DEPLOY_ENV=prod", "DEPLOY_RELEASE=v1", "DEPLOY_COLOUR=blue",
                        "DEPLOY_PREVIOUS_RELEASE=", "DEPLOY_BY=" + lib.base.Operator.name())) {
                    assertTrue(pre.lines().anyMatch(v::equals), v + " in " + pre);
                }
                String hostLine = pre.lines().filter(l -> l.startsWith("DEPLOY_HOST=")).findFirst().orElse("");
                for (int h : two) assertTrue(hostLine.contains(TestBed.ip(h)), "DEPLOY_HOST names every host: " + hostLine);

                assertEquals(0, app.deploy("v2", fleet).code());
                var back = Commands.rollback(app, Commands.concat(fleet, "v1"));
                assertEquals(0, back.code(), back.toString());
                String post = Files.readString(app.dir.resolve("post-rollback.env"));
                assertTrue(post.lines().anyMatch("DEPLOY_RELEASE=v1"::equals) && post.lines().anyMatch("DEPLOY_PREVIOUS_RELEASE=v2"::equals), post);
            } finally {
                for (int h : two) TestHost.removeApp(TestBed.docker(h), app.name);
            }
        }
    }


    @Test
    void ifChangedIsHonouredForAnEnvironmentOfSeveralHosts() throws Exception {
        int[] two = {1, 2};
        for (int h : two) TestBed.images(h);
        try (TestRegistry registry = new TestRegistry(); TestApp app = new TestApp("fleetcron")) {
            String image = registry.address + "/" + app.name + "-app";
            Path project = app.dir.resolve("deploy.yml");
            StringBuilder y = new StringBuilder("app: " + app.name + "\nimage: " + image + "\nenvironments:\n  prod:\n    hosts:\n");
            for (int h : two) {
                y.append("      - host: ").append(TestBed.tls(h)).append("\n        tls_verify: true\n        cert_path: ").append(TestBed.CERTS).append('\n');
            }
            Files.writeString(project, y.toString());
            String[] cron = {"--project", project.toString(), "--env", "prod", "--if-changed"};
            try {
                // The registry has no such tag: the cron run asks it first, and deploys nothing anywhere.
                var missing = app.deploy("v1", cron);
                assertEquals(3, missing.code(), missing.toString());
                assertTrue(missing.err().contains("tag \"v1\" is not in " + image), missing.err());
                for (int h : two) assertTrue(HostReader.read(TestBed.docker(h), app.name).blue().empty(), "host " + h + " untouched");

                // Pushed, and no host runs it yet: every host deploys it.
                ProjectTest.push(TestHost.APP_REPO + ":v1", image, "v1");
                var changed = app.deploy("v1", cron);
                assertEquals(0, changed.code(), changed.toString());
                for (int h : two) assertEquals(Colour.BLUE, HostReader.read(TestBed.docker(h), app.name).live().orElseThrow(), "host " + h);
            } finally {
                for (int h : two) TestHost.removeApp(TestBed.docker(h), app.name);
            }
        }
    }

    @Test
    void aHostWhoseDaemonFreezesMidDeployFailsTheFleetAndTheOthersAreUndone() throws Exception {
        for (int h : HOSTS) TestBed.images(h);
        TestBed.loadAs(3, TestHost.APP_REPO + ":slow", "slow");
        for (int h : new int[]{1, 2}) TestBed.loadAs(h, TestHost.APP_REPO + ":v2", "slow"); // ready at once there
        try (TestApp app = new TestApp("fleetfz")) {
            Path project = app.dir.resolve("deploy.yml");
            StringBuilder y = new StringBuilder("app: " + app.name + "\nenvironments:\n  prod:\n    hosts:\n");
            for (int h : HOSTS) y.append("      - host: ").append(TestBed.socket(h)).append('\n');
            Files.writeString(project, y.toString());
            try {
                assertEquals(0, app.deploy("v1", "--project", project.toString(), "--env", "prod").code());
                Path log = app.dir.resolve("fleet.log");
                Process p = EngineTest.deployProcess(app, log, "slow", "--project", project.toString(), "--env", "prod");
                assertTrue(Commands.waitForLine(log, "[/run/bgh3/docker.sock] ==> health gate", 60_000), Files.readString(log));
                String pid = Files.readString(TestBed.pidFile(3)).strip();
                try {
                    new ProcessBuilder("kill", "-STOP", pid).start().waitFor();
                    assertTrue(p.waitFor(90, java.util.concurrent.TimeUnit.SECONDS), "the fleet deploy gave up on the frozen host");
                } finally {
                    new ProcessBuilder("kill", "-CONT", pid).start().waitFor();
                }
                String out = Files.readString(log);
                assertTrue(p.exitValue() != 0, out);
                assertTrue(out.contains("no host was switched"), out);
                for (int h : new int[]{1, 2}) {
                    HostState s = HostReader.read(TestBed.docker(h), app.name);
                    assertEquals(Colour.BLUE, s.live().orElseThrow(), "host " + h);
                    assertTrue(s.green().empty(), "host " + h + " undone: " + s.green().containers());
                }
                var again = app.deploy("v2", "--project", project.toString(), "--env", "prod");
                assertEquals(0, again.code(), "the next fleet deploy recovers with no manual step: " + again);
            } finally {
                for (int h : HOSTS) TestHost.removeApp(TestBed.docker(h), app.name);
            }
        }
    }

    static String get(String ip, int port) {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://" + ip + ":" + port + "/version.txt"))
                    .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? r.body().trim() : "ERR " + r.statusCode();
        } catch (Exception e) {
            return "ERR " + e.getClass().getSimpleName();
        }
    }

    /** GETs through every host's front in turn, bounded in count and time, until stopped. */
    static final class Loads implements AutoCloseable {
        final List<String> answers = Collections.synchronizedList(new ArrayList<>());
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Thread thread;

        Loads(int port) {
            long end = System.currentTimeMillis() + 180_000;
            thread = new Thread(() -> {
                for (int i = 0; i < 20_000 && !stop.get() && System.currentTimeMillis() < end; i++) {
                    answers.add(get(TestBed.ip(HOSTS[i % HOSTS.length]), port));
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            thread.start();
        }

        List<String> failures() {
            synchronized (answers) {
                return answers.stream().filter(a -> a.startsWith("ERR")).toList();
            }
        }

        void stop() throws InterruptedException {
            stop.set(true);
            thread.join(10_000);
        }

        @Override
        public void close() throws InterruptedException {
            stop();
        }
    }

    /**
     * A fleet of three runs its tasks once, on tasks.host; every host keeps its singletons. Here, not in TasksE2ETest:
     * this lane owns test-bed hosts 1-3 (another test of it freezes their daemons).
     */
    @Test
    void aFleetRunsItsTasksOnceOnTheTasksHost() throws Exception {
        int[] hosts = {1, 2, 3};
        for (int h : hosts) TestBed.images(h);
        try (TestApp app = new TestApp("tfleet")) {
            Path project = app.dir.resolve("deploy.yml");
            StringBuilder y = new StringBuilder("app: " + app.name + "\nenvironments:\n  prod:\n    hosts:\n");
            for (int h : hosts) {
                y.append("      - host: ").append(TestBed.tls(h)).append("\n        tls_verify: true\n        cert_path: ").append(TestBed.CERTS).append('\n');
            }
            y.append("tasks:\n  host: ").append(TestBed.tls(2)).append("\n  before_switch:\n    - name: once\n      service: app\n      command: [sh, -c, 'echo ran once for $VERSION']\n");
            Files.writeString(project, y.toString());
            try {
                var r = app.deploy("v1", "--project", project.toString(), "--env", "prod");
                assertEquals(0, r.code(), r.toString());
                List<String> ran = r.out().lines().filter(l -> l.contains("[once] ran once for v1")).toList();
                assertEquals(1, ran.size(), r.toString());
                assertTrue(ran.get(0).startsWith("[" + TestBed.ip(2)), "on tasks.host: " + ran);
                for (int h : hosts) {
                    assertEquals(List.of(), TestBed.docker(h).listContainersCmd().withShowAll(true)
                            .withLabelFilter(java.util.Map.of(lib.base.Labels.APP, app.name, lib.base.Labels.ROLE, "task")).exec(), "host " + h);
                }
            } finally {
                for (int h : hosts) TestHost.removeApp(TestBed.docker(h), app.name);
            }
        }
    }
}
