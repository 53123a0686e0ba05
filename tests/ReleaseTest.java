import org.junit.jupiter.api.Test;
import org.zeroturnaround.exec.ProcessExecutor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The release loop on a real registry: build.jsh -> deploy -> build another commit -> deploy -> rollback (fast)
 * -> rollback to a named hash (slow), checking what the front serves after every step; then tag.java.
 */
class ReleaseTest {

    /** A git work tree whose Dockerfile bakes VERSION into the test app image. */
    static final class Repo {
        static final java.util.Map<String, String> IDENTITY = java.util.Map.of("GIT_AUTHOR_NAME", "ci", "GIT_AUTHOR_EMAIL", "ci@example.test",
                "GIT_COMMITTER_NAME", "ci", "GIT_COMMITTER_EMAIL", "ci@example.test");
        final Path dir;

        Repo(Path dir) throws Exception {
            this.dir = dir;
            git("init", "-q");
            Files.writeString(dir.resolve(".dockerignore"), "secret.txt\n");
        }

        String commit(String version) throws Exception {
            Files.writeString(dir.resolve("Dockerfile"), "FROM bgtest-app:v1\nENV VERSION=" + version + "\n");
            git("add", "-A");
            git("commit", "-qm", version);
            return git("rev-parse", "--short=10", "HEAD");
        }

        String git(String... args) throws Exception {
            List<String> cmd = new ArrayList<>(List.of("git", "-C", dir.toString()));
            cmd.addAll(List.of(args));
            // Its own identity: a CI runner often has no user.name or user.email, and git commit then fails.
            var r = new ProcessExecutor().command(cmd).environment(IDENTITY).readOutput(true).timeout(30, TimeUnit.SECONDS).execute();
            assertEquals(0, r.getExitValue(), r.outputUTF8());
            return r.outputUTF8().trim();
        }
    }

    static TestApp.Result jbang(Path cwd, String script, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(TestHost.root().resolve("jbang").toString(), "--quiet",
                TestHost.root().resolve(script).toString()));
        cmd.addAll(List.of(args));
        var err = new java.io.ByteArrayOutputStream();
        var r = new ProcessExecutor().command(cmd).directory(cwd.toFile()).environment("NO_COLOR", "1").readOutput(true)
                .redirectError(err).timeout(5, TimeUnit.MINUTES).execute();
        return new TestApp.Result(r.getExitValue(), r.outputUTF8(), err.toString().lines()
                .filter(l -> !l.startsWith("WARNING: Using incubator modules")).reduce("", (a, b) -> a + b + "\n"));
    }

    @Test
    void buildDeployRollbackFastThenRollbackSlowToANamedHash() throws Exception {
        try (TestRegistry registry = new TestRegistry(); TestApp app = new TestApp("release")) {
            String image = registry.address + "/" + app.name + "-app";
            // Every image the deploy pulls comes from the loopback registry: --pull always must never reach out further.
            String web = registry.address + "/shop-web:1";
            TestHost.docker().tagImageCmd(TestHost.WEB, registry.address + "/shop-web", "1").exec();
            TestHost.docker().pushImageCmd(registry.address + "/shop-web").withTag("1")
                    .exec(new com.github.dockerjava.api.async.ResultCallback.Adapter<>()).awaitCompletion(2, TimeUnit.MINUTES);
            Files.writeString(app.composeFile, TestApp.COMPOSE.replace("bgtest-app:${DEPLOY_RELEASE}", image + ":${DEPLOY_RELEASE}")
                    .replace("image: " + TestHost.WEB, "image: " + web));
            Repo repo = new Repo(Files.createDirectory(app.dir.resolve("src")));

            String one = repo.commit("one");
            var b1 = jbang(repo.dir, "build.jsh", "--image", image);
            assertEquals(0, b1.code(), b1.toString());
            assertTrue(b1.out().contains("pushed " + image + ":" + one + " and :latest"), b1.out());
            var inspect = TestHost.docker().inspectImageCmd(image + ":" + one).exec();
            assertEquals(repo.git("rev-parse", "HEAD"), inspect.getConfig().getLabels().get("org.opencontainers.image.revision"));
            assertTrue(inspect.getConfig().getLabels().containsKey("org.opencontainers.image.created"));
            TestHost.docker().removeImageCmd(image + ":" + one).withForce(true).exec(); // the deploy must pull it
            var d1 = app.deploy(one, "--pull", "always");
            assertEquals(0, d1.code(), d1.toString());
            assertEquals("one", app.front().get("/version.txt"));

            String two = repo.commit("two");
            assertEquals(0, jbang(repo.dir, "build.jsh", "--image", image).code());
            var d2 = app.deploy(two, "--pull", "always");
            assertEquals(0, d2.code(), d2.toString());
            assertEquals("two", app.front().get("/version.txt"));

            long t0 = System.nanoTime();
            var fast = Commands.rollback(app);
            long fastMillis = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(0, fast.code(), fast.toString());
            assertTrue(fast.out().contains("fast path, no pull"), fast.out());
            assertEquals("one", app.front().get("/version.txt"));
            System.out.println("    fast-path rollback took " + fastMillis + " ms");

            String three = repo.commit("three");
            assertEquals(0, jbang(repo.dir, "build.jsh", "--image", image).code());
            assertEquals(0, app.deploy(three, "--pull", "always").code());
            assertEquals("three", app.front().get("/version.txt"));
            // two is now only in the registry: no stopped colour holds it.
            TestHost.docker().removeImageCmd(image + ":" + two).withForce(true).exec();

            t0 = System.nanoTime();
            var slow = Commands.rollback(app, two, "-f", app.composeFile.toString(), "--pull", "always",
                    "--blue-port", String.valueOf(app.bluePort), "--green-port", String.valueOf(app.greenPort));
            long slowMillis = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(0, slow.code(), slow.toString());
            assertTrue(slow.out().contains("slow path"), slow.out());
            assertEquals("two", app.front().get("/version.txt"));
            System.out.println("    slow-path rollback took " + slowMillis + " ms");

            var history = TestApp.run("history", "--app", app.name);
            assertTrue(history.out().lines().filter(l -> l.contains("rollback")).count() == 2, history.out());

            // tag.java: list shows releases, latest and what is live; point moves latest; prune keeps the newest.
            var list = jbang(app.dir, "tag.java", "list", "--image", image, "--app", app.name);
            assertEquals(0, list.code(), list.toString());
            assertTrue(list.out().lines().anyMatch(l -> l.startsWith(three) && l.contains("channels: latest")), list.out());
            assertTrue(list.out().lines().anyMatch(l -> l.startsWith(two) && l.contains("LIVE on " + app.name)), list.out());
            var point = jbang(app.dir, "tag.java", "point", "--image", image, one);
            assertEquals(0, point.code(), point.toString());
            list = jbang(app.dir, "tag.java", "list", "--image", image);
            assertTrue(list.out().lines().anyMatch(l -> l.startsWith(one) && l.contains("channels: latest")), list.out());
            // two is live and three is the stopped colour: with --app, prune keeps both, and one because latest points at it.
            var keepAll = jbang(app.dir, "tag.java", "prune", "--image", image, "--keep", "1", "--app", app.name);
            assertEquals(0, keepAll.code(), keepAll.toString());
            assertTrue(keepAll.out().contains("deleted 0 release(s)"), keepAll.out());
            var prune = jbang(app.dir, "tag.java", "prune", "--image", image, "--keep", "1");
            assertEquals(0, prune.code(), prune.toString());
            assertTrue(prune.out().contains("delete " + two) && prune.out().contains("keep   " + one), prune.out());
            list = jbang(app.dir, "tag.java", "list", "--image", image);
            assertTrue(list.out().lines().anyMatch(l -> l.startsWith(two) && l.contains("only on the host")), "gone from the registry: " + list.out());
            assertTrue(list.out().contains(three) && list.out().contains(one), list.out());
        }
    }

    @Test
    void badInputsAreOneLineErrorsWithTheRightExitCode() throws Exception {
        try (TestRegistry registry = new TestRegistry(); TestApp app = new TestApp("relbad")) {
            String image = registry.address + "/" + app.name + "-app";
            Path notRepo = Files.createDirectory(app.dir.resolve("plain"));
            var r = jbang(notRepo, "build.jsh", "--image", image);
            assertEquals(3, r.code(), r.toString());
            assertTrue(r.err().contains("is not a git work tree"), r.err());

            Repo repo = new Repo(Files.createDirectory(app.dir.resolve("src")));
            String hash = repo.commit("one");
            Files.delete(repo.dir.resolve("Dockerfile"));
            repo.git("commit", "-qam", "no dockerfile");
            r = jbang(repo.dir, "build.jsh", "--image", image);
            assertEquals(3, r.code(), r.toString());
            assertTrue(r.err().contains("no Dockerfile at "), r.err());

            repo.commit("two");
            Files.writeString(repo.dir.resolve("Dockerfile"), "FROM bgtest-app:v1\nENV VERSION=dirty\n");
            r = jbang(repo.dir, "build.jsh", "--image", image);
            assertEquals(3, r.code(), r.toString());
            assertTrue(r.err().contains("has uncommitted changes") && r.err().contains("--allow-dirty"), r.err());
            r = jbang(repo.dir, "build.jsh", "--image", image, "--allow-dirty");
            assertEquals(0, r.code(), r.toString());
            String head = repo.git("rev-parse", "--short=10", "HEAD");
            assertTrue(r.out().contains("pushed " + image + ":" + head + "-dirty; latest not moved"), r.out());

            r = jbang(repo.dir, "build.jsh", "--image", "127.0.0.1:1/" + app.name + "-app", "--allow-dirty");
            assertEquals(5, r.code(), r.toString());
            assertTrue(r.err().contains("registry 127.0.0.1:1 is unreachable") && r.err().contains("nothing was built or pushed"), r.err());

            var point = jbang(app.dir, "tag.java", "point", "--image", image, "deadbeef00");
            assertEquals(3, point.code(), point.toString());
            assertTrue(point.err().contains("tag \"deadbeef00\" is not in " + image), point.err());
            var down = jbang(app.dir, "tag.java", "list", "--image", "127.0.0.1:1/x");
            assertEquals(5, down.code(), down.toString());
            assertEquals(1, down.err().lines().count(), down.err());

            assertEquals(0, app.deploy("v1").code());
            var unknown = Commands.rollback(app, "deadbeef00");
            assertEquals(3, unknown.code(), unknown.toString());
            assertTrue(unknown.err().contains("release deadbeef00 is not on a standby colour"), unknown.err());
            var nothing = Commands.rollback(app);
            assertEquals(3, nothing.code(), nothing.toString());
            assertTrue(nothing.err().contains("nothing to roll back to"), nothing.err());
            assertEquals("v1", app.front().get("/version.txt"));
            assertEquals(10, hash.length());
        }
    }

}
