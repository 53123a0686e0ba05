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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Nothing lost on the test-bed Swarm: the idle colour's release before last survives a failed deploy and a deploy
 * killed after it was set aside (its services' specs kept in a Swarm config); a rollback to a release no colour holds
 * deploys it by the digest the history recorded, even after its tag was pushed over; hooks and notifications run
 * for a Swarm deploy and rollback.
 */
class SwarmAsideTest {
    final String app = "sas-" + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36), 36);
    final int port = 19250 + ThreadLocalRandom.current().nextInt(50);
    final String sock = TestBed.socket(SwarmBed.MANAGER);
    Path dir;
    List<String> pushed = new ArrayList<>();

    @BeforeAll
    static void images() throws Exception {
        SwarmBed.images();
    }

    @AfterEach
    void clean() throws Exception {
        SwarmBed.removeApp(app);
        for (String image : pushed) SwarmBed.output("docker", "-H", sock, "rmi", image);
        if (dir != null) ExampleImages.deleteTree(dir);
    }

    void project(String image, String extra) throws Exception {
        dir = Files.createTempDirectory("swarm-" + app);
        Files.writeString(dir.resolve("docker-compose.yml"), SwarmTest.COMPOSE.replace(SwarmBed.APP_REPO + ":", image + ":"));
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
                """.formatted(app, extra, SwarmBed.managerTls(), TestBed.CERTS, SwarmBed.managerTls(), TestBed.CERTS));
    }

    List<String> common() {
        return new ArrayList<>(List.of("--project", dir.resolve("deploy.yml").toString(), "--env", "production",
                "-f", dir.resolve("docker-compose.yml").toString(), "--front", "managed", "--front-bind", "0.0.0.0",
                "--front-port", String.valueOf(port), "--front-image", SwarmBed.FRONT, "--probe", "/health.txt", "--health-timeout", "40s"));
    }

    TestApp.Result deploy(String release) {
        List<String> a = common();
        a.addAll(List.of("--release", release));
        return TestApp.run(a.toArray(new String[0]));
    }

    static void ok(TestApp.Result r) {
        assertEquals(0, r.code(), r.toString());
    }

    TestApp.Result rollback(String... release) {
        List<String> a = common();
        a.addAll(List.of(release));
        return SwarmTest.rollback(a.toArray(new String[0]));
    }

    String inspect(String service, String format) throws Exception {
        return SwarmBed.output("docker", "-H", sock, "service", "inspect", service, "--format", format).trim();
    }

    String asideConfigs() throws Exception {
        return SwarmBed.output("docker", "-H", sock, "config", "ls", "--format", "{{.Name}}", "--filter", "name=" + app + "-bgdeploy-aside").trim();
    }

    /** Every task of the service running, as many as it wants. */
    boolean allRunning(String service) throws Exception {
        return Poll.until(java.time.Duration.ofSeconds(60), () -> {
            String states = SwarmBed.output("docker", "-H", sock, "service", "ps", service, "--filter", "desired-state=running", "--format", "{{.CurrentState}}");
            return states.lines().filter(l -> l.startsWith("Running")).count() == 2;
        });
    }

    @Test
    void aFailedDeployIntoTheStandbyColourGetsTheStandbyBackAndRollbackSwitchesToItInOneStep() throws Exception {
        project(SwarmBed.APP_REPO, "");
        ok(deploy("v1"));
        ok(deploy("v2"));
        String v1Image = inspect(app + "-blue_app", "{{.Spec.TaskTemplate.ContainerSpec.Image}}");
        try (var load = SwarmTest.load(port)) {
            var failed = deploy("crash");
            assertEquals(1, failed.code(), failed.toString());
            assertTrue(failed.out().contains("specs kept in Swarm config") && failed.out().contains("restored service " + app + "-blue_app"), failed.out());
            load.close();
            assertEquals(List.of(), load.failures(), "no failed GET during the failed deploy");
        }
        assertEquals(v1Image, inspect(app + "-blue_app", "{{.Spec.TaskTemplate.ContainerSpec.Image}}"), "blue holds v1 again, pinned as before");
        assertEquals("2", inspect(app + "-blue_app", "{{.Spec.Mode.Replicated.Replicas}}"));
        assertTrue(allRunning(app + "-blue_app"), "blue runs again as the warm standby: "
                + SwarmBed.output("docker", "-H", sock, "service", "ps", "--no-trunc", app + "-blue_app") + inspect(app + "-blue_app", "{{json .Spec.TaskTemplate.Networks}}"));
        assertEquals("", asideConfigs(), "the kept specs go once the services are back");
        var back = rollback();
        assertEquals(0, back.code(), back.toString());
        assertTrue(back.out().contains("blue holds it (fast path, no pull)") && back.out().contains("still running (warm standby): checking it once"), back.out());
        assertEquals("v1", SwarmTest.get(port, "/version.txt"));
    }

    @Test
    void aDeployKilledAfterItSetTheStandbyAsideLeavesItToTheNextRollbackWithNoManualStep() throws Exception {
        project(SwarmBed.APP_REPO, "");
        ok(deploy("v1"));
        ok(deploy("v2"));
        Path log = dir.resolve("killed.log");
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-cp", System.getProperty("java.class.path"), "deploy"));
        cmd.addAll(common());
        cmd.addAll(List.of("--release", "crash"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            assertTrue(Commands.waitForLine(log, "specs kept in Swarm config", 120_000), "never set blue aside: " + Files.readString(log));
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        assertTrue(asideConfigs().startsWith(app + "-bgdeploy-aside-blue-"), "the killed run left its kept specs: " + asideConfigs());
        try (var load = SwarmTest.load(port)) {
            var back = rollback();
            load.close();
            assertEquals(0, back.code(), back.toString());
            assertTrue(back.out().contains("==> put back what an interrupted deploy set aside") || back.out().contains("no colour holds it"), back.out());
            assertEquals(List.of(), load.failures(), "no failed GET during the rollback");
            System.out.println("swarm rollback after a deploy killed past its set-aside: " + back.out().lines()
                    .filter(l -> l.contains("restored service") || l.contains("slow path") || l.contains("fast path")).toList());
        }
        assertEquals("v1", SwarmTest.get(port, "/version.txt"));
        assertEquals("", asideConfigs(), "nothing left set aside");
        var s = TestApp.run("status", "--project", dir.resolve("deploy.yml").toString(), "--env", "production");
        assertTrue(s.out().contains("blue (live): release v1") && s.out().contains("front: sends to"), s.toString());
    }

    @Test
    void aRollbackToAReleaseNoColourHoldsDeploysItsRecordedDigestAndRunsHooksAndNotifications() throws Exception {
        String repo = SwarmBed.REGISTRY + "/" + app;
        push(SwarmBed.APP_REPO + ":v1", repo + ":r1");
        push(SwarmBed.APP_REPO + ":v2", repo + ":r2");
        push(SwarmBed.APP_REPO + ":v1", repo + ":r3");
        try (var hook = new ProjectTest.Receiver(0)) {
            Path urlFile = Files.createTempFile("webhook", ".url");
            try {
                Files.writeString(urlFile, hook.url("/hook"));
                project(repo, """
                        hooks:
                          pre-deploy:
                            - [env]
                          post-deploy:
                            - touch post-deploy-ran
                          post-rollback:
                            - [sh, -c, 'echo "$DEPLOY_RELEASE $DEPLOY_COLOUR $DEPLOY_PREVIOUS_RELEASE" > post-rollback-ran']
                        notify:
                          webhook:
                            url_file: %s""".formatted(urlFile));
                var first = deploy("r1");
                assertEquals(0, first.code(), first.toString());
                assertTrue(first.out().contains("| DEPLOY_RELEASE=r1") && first.out().contains("| DEPLOY_COLOUR=blue")
                        && first.out().contains("| DEPLOY_ENV=production") && first.out().contains("| DEPLOY_APP=" + app), first.out());
                assertTrue(Files.exists(dir.resolve("post-deploy-ran")), "post-deploy ran");
                String r1 = inspect(app + "-blue_app", "{{.Spec.TaskTemplate.ContainerSpec.Image}}");
                assertTrue(r1.startsWith(repo + ":r1@sha256:"), r1);
                assertEquals(0, deploy("r2").code());
                assertEquals(0, deploy("r3").code());
                // r1's tag now names v2's image: the rollback must bring back the bits r1 ran
                push(SwarmBed.APP_REPO + ":v2", repo + ":r1");
                var back = rollback("r1");
                assertEquals(0, back.code(), back.toString());
                assertTrue(back.out().contains("no colour holds it, deploying it to green (slow path)") && back.out().contains("the digest the history recorded"), back.out());
                assertEquals(r1, inspect(app + "-green_app", "{{.Spec.TaskTemplate.ContainerSpec.Image}}"), "pinned by the recorded digest");
                assertEquals("v1", SwarmTest.get(port, "/version.txt"));
                assertEquals("r1 green r3", Files.readString(dir.resolve("post-rollback-ran")).trim(), "post-rollback saw the release details");
                List<String> events = hook.bodies.stream().filter(b -> b.startsWith("/hook ")).map(b -> b.replaceAll(".*\"event\":\"([a-z-]+)\".*", "$1")).toList();
                assertEquals(List.of("start", "success", "start", "success", "start", "success", "start", "rollback"), events, hook.bodies.toString());
                String last = hook.bodies.get(hook.bodies.size() - 1);
                assertTrue(last.contains("\"environment\":\"production\"") && last.contains("\"release\":\"r1\"") && last.contains("\"colour\":\"green\""), last);
            } finally {
                Files.deleteIfExists(urlFile);
            }
        }
    }

    /** Tags an image on the manager's engine and pushes it to the test-bed registry (the tag is removed after the test). */
    void push(String from, String to) throws Exception {
        SwarmBed.run("docker", "-H", sock, "tag", from, to);
        SwarmBed.run("docker", "-H", sock, "push", "-q", to);
        if (!pushed.contains(to)) pushed.add(to);
    }
}
