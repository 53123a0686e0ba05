import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** deploy.yml: environments by branch, notifications, hooks, --if-changed, and the history they leave. */
class ProjectTest {

    /** A webhook receiver on 127.0.0.1 that records every body; optionally slow. */
    static final class Receiver implements AutoCloseable {
        final List<String> bodies = new CopyOnWriteArrayList<>();
        final HttpServer server;

        Receiver(long delayMillis) throws Exception {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/", ex -> {
                bodies.add(ex.getRequestURI().getPath() + " " + new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
                try {
                    Thread.sleep(delayMillis);
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
                ex.sendResponseHeaders(200, -1);
                ex.close();
            });
            server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4));
            server.start();
        }

        String url(String path) {
            return "http://127.0.0.1:" + server.getAddress().getPort() + path;
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    static Path projectFile(TestApp app, String extra) throws Exception {
        Path f = app.dir.resolve("deploy.yml");
        Files.writeString(f, """
                app: %s
                compose: docker-compose.yml
                health:
                  probe: /health.txt
                  timeout: 60s
                environments:
                  staging:
                    host: unix:///var/run/docker.sock
                    branch: master
                  production:
                    host: tcp://127.0.0.1:1
                    branch: production
                """.formatted(app.name) + extra);
        return f;
    }

    static TestApp.Result deploy(TestApp app, Path project, String... args) {
        List<String> all = new java.util.ArrayList<>(List.of("--project", project.toString(), "--blue-port", String.valueOf(app.bluePort),
                "--green-port", String.valueOf(app.greenPort)));
        if (!List.of(args).contains("--pull")) all.addAll(List.of("--pull", "never"));
        all.addAll(List.of(args));
        return TestApp.run(all.toArray(new String[0]));
    }

    @Test
    void branchPicksTheEnvironmentAndFlagsStillWin() throws Exception {
        try (TestApp app = new TestApp("envs")) {
            Path p = projectFile(app, "");
            var staging = deploy(app, p, "--branch", "master", "--release", "v1");
            assertEquals(0, staging.code(), staging.toString());
            assertEquals("v1", app.front().get("/version.txt"));

            var production = deploy(app, p, "--branch", "production", "--release", "v2");
            assertEquals(5, production.code(), production.toString());
            assertTrue(production.err().contains("tcp://127.0.0.1:1 does not answer"), production.err());

            var overridden = deploy(app, p, "--branch", "production", "--host", "unix:///var/run/docker.sock", "--release", "v2");
            assertEquals(0, overridden.code(), overridden.toString());
            assertEquals("v2", app.front().get("/version.txt"));

            var unknown = deploy(app, p, "--branch", "feature-x", "--release", "v3");
            assertEquals(3, unknown.code(), unknown.toString());
            assertTrue(unknown.err().contains("no environment deploys branch \"feature-x\""), unknown.err());
        }
    }

    @Test
    void secretsInThePlainFileAreRefused() throws Exception {
        try (TestApp app = new TestApp("secret")) {
            Path p = projectFile(app, "notify:\n  slack:\n    url: https://hooks.slack.example/T000/B000/XXXX\n");
            var r = deploy(app, p, "--env", "staging", "--release", "v1");
            assertEquals(3, r.code(), r.toString());
            assertTrue(r.err().contains("notify.slack.url would put a secret in the file; set url_env"), r.err());
            assertFalse(r.err().contains("XXXX"), "the secret is not echoed: " + r.err());
        }
    }

    @Test
    void notificationsReachTheWebhookAndSlackAndNeverBlockOrFailTheDeploy() throws Exception {
        try (TestApp app = new TestApp("notify"); Receiver hook = new Receiver(0)) {
            Files.writeString(app.dir.resolve("webhook.url"), hook.url("/hook"));
            Files.writeString(app.dir.resolve("slack.url"), hook.url("/slack"));
            Path p = projectFile(app, "notify:\n  webhook:\n    url_file: " + app.dir.resolve("webhook.url")
                    + "\n  slack:\n    url_file: " + app.dir.resolve("slack.url") + "\n");
            assertEquals(0, deploy(app, p, "--env", "staging", "--release", "v1").code());
            var bad = deploy(app, p, "--env", "staging", "--release", "crash");
            assertEquals(1, bad.code(), bad.toString());
            List<String> hooks = hook.bodies.stream().filter(b -> b.startsWith("/hook ")).toList();
            assertEquals(4, hooks.size(), hook.bodies.toString());
            assertTrue(hooks.get(0).contains("\"event\":\"start\"") && hooks.get(0).contains("\"environment\":\"staging\""), hooks.get(0));
            assertTrue(hooks.get(1).contains("\"event\":\"success\"") && hooks.get(1).contains("\"release\":\"v1\"")
                    && hooks.get(1).contains("\"colour\":\"blue\"") && hooks.get(1).contains("\"by\":\"" + lib.base.Operator.name() + "\""), hooks.get(1));
            assertTrue(hooks.get(3).contains("\"event\":\"failure\"") && hooks.get(3).contains("\"reason\":\"")
                    && hooks.get(3).contains("\"previousRelease\":\"v1\""), hooks.get(3));
            assertTrue(hook.bodies.stream().anyMatch(b -> b.startsWith("/slack ") && b.contains("FAILED") && b.contains("release v1 still serves")), hook.bodies.toString());

            // A receiver that is down: the deploy succeeds and says it could not notify.
            hook.close();
            var down = deploy(app, p, "--env", "staging", "--release", "v2");
            assertEquals(0, down.code(), down.toString());
            assertTrue(down.err().contains("could not notify webhook"), down.err());
            assertFalse(down.err().contains(hook.url("/hook")), "webhook URLs are secrets: " + down.err());
        }
    }

    @Test
    void aSlowReceiverDelaysTheDeployOnlyWithinItsBound() throws Exception {
        try (TestApp app = new TestApp("slowhook"); Receiver slow = new Receiver(30_000)) {
            Files.writeString(app.dir.resolve("webhook.url"), slow.url("/hook"));
            Path p = projectFile(app, "notify:\n  webhook:\n    url_file: " + app.dir.resolve("webhook.url") + "\n");
            long t0 = System.nanoTime();
            var r = deploy(app, p, "--env", "staging", "--release", "v1");
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.err().contains("could not notify webhook") || r.err().contains("notifications still unsent"), r.err());
            assertTrue(seconds < 60, "bounded: " + seconds + " s");
            assertEquals("v1", app.front().get("/version.txt"));
        }
    }

    @Test
    void hooksGetTheReleaseDetailsAndAFailingPreDeployHookChangesNothing() throws Exception {
        try (TestApp app = new TestApp("hooks")) {
            Path p = projectFile(app, "hooks:\n  pre-deploy:\n    - [env]\n  post-deploy:\n    - touch post-deploy-ran\n");
            var r = deploy(app, p, "--env", "staging", "--release", "v1");
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().contains("| DEPLOY_RELEASE=v1") && r.out().contains("| DEPLOY_COLOUR=blue") && r.out().contains("| DEPLOY_ENV=staging"), r.out());
            assertTrue(Files.exists(app.dir.resolve("post-deploy-ran")), "post-deploy ran in the project file's directory");

            Path failing = projectFile(app, "hooks:\n  pre-deploy:\n    - [\"false\"]\n");
            var f = deploy(app, failing, "--env", "staging", "--release", "v2");
            assertEquals(1, f.code(), f.toString());
            assertTrue(f.err().contains("pre-deploy hook false exited with code 1; nothing was changed: blue still serves release v1"), f.err());
            assertTrue(DeployTest.state(app).green().empty());
            assertEquals("v1", app.front().get("/version.txt"));
        }
    }

    @Test
    void ifChangedDeploysOnlyWhenTheRegistryDigestMoved() throws Exception {
        try (TestRegistry registry = new TestRegistry(); TestApp app = new TestApp("cron")) {
            String image = registry.address + "/" + app.name + "-app";
            String web = registry.address + "/shop-web:1";
            push(TestHost.WEB, registry.address + "/shop-web", "1");
            push("bgtest-app:v1", image, "latest");
            Files.writeString(app.composeFile, TestApp.COMPOSE.replace("bgtest-app:${DEPLOY_RELEASE}", image + ":${DEPLOY_RELEASE}")
                    .replace("image: " + TestHost.WEB, "image: " + web));
            Path p = projectFile(app, "image: " + image + "\nrelease: latest\n");
            String[] cron = {"--env", "staging", "--if-changed", "--pull", "always"};

            var first = deploy(app, p, cron);
            assertEquals(0, first.code(), first.toString());
            assertTrue(first.out().contains("deployed"), first.out());
            assertEquals("v1", app.front().get("/version.txt"));

            var same = deploy(app, p, cron);
            assertEquals(0, same.code(), same.toString());
            assertEquals(1, same.out().lines().count(), same.out());
            assertTrue(same.out().startsWith("up to date: " + app.name + " already runs " + image + ":latest"), same.out());

            push("bgtest-app:v2", image, "latest");
            var changed = deploy(app, p, cron);
            assertEquals(0, changed.code(), changed.toString());
            assertEquals("v2", app.front().get("/version.txt"));
        }
    }

    @Test
    void historyShowsDeploysAndRollbacks() throws Exception {
        try (TestApp app = new TestApp("audit")) {
            assertEquals(0, app.deploy("v1").code());
            assertEquals(0, app.deploy("v2").code());
            assertEquals(0, Commands.rollback(app).code());
            var h = TestApp.run("history", "--app", app.name);
            List<String> rows = h.out().lines().skip(1).toList();
            assertEquals(3, rows.size(), h.out());
            assertTrue(rows.get(2).matches(".*rollback\\s+v1\\s+blue\\s+v2\\s+ok .*"), rows.get(2));
        }
    }

    static void push(String source, String repo, String tag) throws Exception {
        TestHost.docker().tagImageCmd(source, repo, tag).exec();
        TestHost.docker().pushImageCmd(repo).withTag(tag)
                .exec(new com.github.dockerjava.api.async.ResultCallback.Adapter<>()).awaitCompletion(2, TimeUnit.MINUTES);
    }
}
