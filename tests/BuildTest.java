import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** build.jsh through JBang (it is a JShell script): bad input, and what a failed push leaves behind. */
class BuildTest {
    private final Path dir = BadInputTest.tempDir();

    @AfterEach
    void removeFiles() throws Exception {
        ExampleImages.deleteTree(dir);
    }

    @Test
    void badCommandLinesAreOneLineExitTwo() throws Exception {
        BadInputTest.assertOneLine(ReleaseTest.jbang(dir, "build.jsh", "--image", "127.0.0.1:18250/ed app"), 2, "'--image'", "no spaces", "see build.jsh --help");
        BadInputTest.assertOneLine(ReleaseTest.jbang(dir, "build.jsh", "--image", "127.0.0.1:18250/edapp", "--host="), 2, "'--host'", "empty");
        BadInputTest.assertOneLine(ReleaseTest.jbang(dir, "build.jsh", "--image", "127.0.0.1:18250/edapp", "--host", "ftp://user:s3cret@x"), 2, "not a Docker host scheme");
        var help = ReleaseTest.jbang(dir, "build.jsh", "--help");
        assertTrue(help.out().contains("Exit codes:") && help.out().contains("  3    not a git work tree"), help.out());
    }

    @Test
    void aFailedReleasePushLeavesLatestWhereItWasAndSaysSo() throws Exception {
        TestHost.images();
        String repoName = "edbuild-" + Long.toString(System.nanoTime() % 100000, 36);
        try (var registry = new TagTest.FakeRegistry(Map.of(
                "/v2/", new TagTest.Answer(200, Map.of(), "{}"),
                "/v2/" + repoName + "/tags/list", new TagTest.Answer(200, Map.of(), "{\"tags\":[]}")))) {
            String image = registry.address + "/" + repoName;
            var repo = new ReleaseTest.Repo(Files.createDirectory(dir.resolve("src")));
            String hash = repo.commit("one");
            try {
                var r = ReleaseTest.jbang(repo.dir, "build.jsh", "--image", image);
                BadInputTest.assertOneLine(r, 1, "push of " + image + ":" + hash + " failed: ",
                        ":latest was not moved, neither on this Docker host nor in the registry");
                assertThrows(com.github.dockerjava.api.exception.NotFoundException.class,
                        () -> TestHost.docker().inspectImageCmd(image + ":latest").exec(), "latest was not tagged locally");
                assertEquals(hash, TestHost.docker().inspectImageCmd(image + ":" + hash).exec().getConfig().getLabels()
                        .get("org.opencontainers.image.revision").substring(0, 10));
            } finally {
                for (String t : new String[]{hash, "latest"}) {
                    try {
                        TestHost.docker().removeImageCmd(image + ":" + t).exec();
                    } catch (com.github.dockerjava.api.exception.NotFoundException gone) {
                        // never tagged
                    }
                }
            }
            assertFalse(TestHost.docker().listImagesCmd().exec().stream().anyMatch(i -> i.getRepoTags() != null
                    && java.util.Arrays.stream(i.getRepoTags()).anyMatch(t -> t.startsWith(image))), "nothing left behind");
        }
    }
}
