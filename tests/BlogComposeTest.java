import lib.model.Colour;
import lib.model.HostState;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.BuildImageResultCallback;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shell version's own per-colour Compose files (tests/fixture/blog), deployed blue then green: version '2',
 * network_mode 'bridge', depends_on, volumes_from, a web server whose shell-form CMD ignores SIGTERM.
 */
class BlogComposeTest {
    static final Path BLOG = TestHost.root().resolve("tests/fixture/blog");

    @Test
    void theBlogsPerColourFilesDeployBlueThenGreen() throws Exception {
        DockerClient docker = TestHost.docker();
        try (TestApp app = new TestApp("inblog")) {
            build(docker, "web", "inblog-web:latest", "v1");
            build(docker, "app", "inblog-app:latest", "v1");
            // Only the host ports differ from the blog's 8080/8081, so parallel tests cannot collide on them.
            for (Colour c : Colour.values()) {
                String blog = Files.readString(BLOG.resolve("docker-compose." + c.id() + ".yml"));
                String published = (c == Colour.BLUE ? "8080" : "8081") + ":80";
                assertTrue(blog.contains("- " + published + "\n"), blog);
                Files.writeString(app.dir.resolve("docker-compose." + c.id() + ".yml"),
                        blog.replace(published, (c == Colour.BLUE ? app.bluePort : app.greenPort) + ":80"));
            }
            String files = app.dir.resolve("docker-compose.{colour}.yml").toString();

            var first = TestApp.run("--app", app.name, "-f", files, "--release", "v1", "--pull", "never");
            assertEquals(0, first.code(), first.toString());
            assertEquals("v1", FrontTest.get(app.bluePort, "/version.txt"));
            var web = docker.inspectContainerCmd(app.name + "-blue-web-1").exec();
            assertEquals("bridge", web.getHostConfig().getNetworkMode());
            assertNull(docker.listNetworksCmd().withNameFilter(app.name + "-blue_default").exec().stream()
                    .filter(n -> n.getName().equals(app.name + "-blue_default")).findFirst().orElse(null), "bridge mode makes no project network");

            build(docker, "app", "inblog-app:latest", "v2");
            var second = TestApp.run("--app", app.name, "-f", files, "--release", "v2", "--pull", "never");
            assertEquals(0, second.code(), second.toString());
            assertEquals("v2", FrontTest.get(app.greenPort, "/version.txt"));
            HostState s = DeployTest.state(app);
            assertEquals(Colour.GREEN, s.live().orElseThrow());
            assertEquals("stopped", s.blue().condition(), "blue is kept stopped for a fast rollback");
            // The blog's web ignores SIGTERM: once green passed its gate, waiting out blue's grace period would only have kept v1
            // serving next to v2 before the same kill, so it is killed at once, and the deploy says why, once, with the fix.
            assertEquals(1, second.out().lines().filter(l -> l.contains("web's PID 1 (httpd) does not handle SIGTERM: killed at once")).count(), second.out());
            assertTrue(second.out().contains("init: true"), second.out());
            assertTrue(FrontTest.get(app.bluePort, "/version.txt").startsWith("ERR"), "blue no longer serves");
        }
    }

    /** Builds a blog image from tests/fixture/blog/NAME with the host's busybox; VERSION is written into the app's files. */
    static void build(DockerClient docker, String name, String tag, String version) throws Exception {
        Path ctx = Files.createTempDirectory("inblog-" + name);
        try {
            Files.copy(BLOG.resolve(name).resolve("Dockerfile"), ctx.resolve("Dockerfile"));
            Files.copy(Path.of("/bin/busybox"), ctx.resolve("busybox"), StandardCopyOption.REPLACE_EXISTING);
            docker.buildImageCmd(ctx.toFile()).withTags(Set.of(tag)).withPull(false).withBuildArg("VERSION", version)
                    .exec(new BuildImageResultCallback()).awaitImageId(5, TimeUnit.MINUTES);
        } finally {
            ExampleImages.deleteTree(ctx);
        }
    }
}
