import lib.model.Colour;
import lib.model.HostState;
import lib.host.DeployLock;
import lib.base.Labels;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A new release that fails, in every way we know, never takes the old one down, and the exit code says so. */
class FailureTest {

    @Test
    void imageThatCrashesAtStartIsRejectedAndTheOldColourKeepsServing() throws Exception {
        try (TestApp app = new TestApp("crash")) {
            assertEquals(0, app.deploy("v1").code());
            try (var load = app.load()) {
                var r = app.deploy("crash");
                load.close();
                assertEquals(1, r.code(), r.toString());
                assertTrue(r.err().contains("crashed and was restarted") || r.err().contains("exited with code 1"), r.err());
                assertTrue(r.err().contains("simulated crash at start"), "shows the container's last log lines: " + r.err());
                assertTrue(r.err().contains("blue still serves release v1"), r.err());
                assertEquals(List.of(), load.failures());
            }
            HostState s = DeployTest.state(app);
            assertEquals(Colour.BLUE, s.live().orElseThrow());
            assertTrue(s.green().empty(), "the failed colour was removed: " + s.green().containers());
            assertEquals("v1", app.front().get("/version.txt"));
            assertTrue(DeployLock.holder(TestHost.docker(), app.name).isEmpty(), "lock released");
        }
    }

    @Test
    void imageThatNeverBecomesHealthyIsRejectedAtTheDeadline() throws Exception {
        try (TestApp app = new TestApp("unhealthy")) {
            assertEquals(0, app.deploy("v1").code());
            var r = app.deploy("unhealthy", "--health-timeout", "4s");
            assertEquals(1, r.code(), r.toString());
            assertTrue(r.err().contains("not healthy within 4s"), r.err());
            assertTrue(r.err().lines().filter(l -> l.startsWith("error:")).count() == 1, "one error line: " + r.err());
            assertEquals("v1", app.front().get("/version.txt"));
            assertTrue(DeployTest.state(app).green().empty());
        }
    }

    @Test
    void aProbePathThatIsNotFoundFailsTheGateSayingWhatTheAppAnswered() throws Exception {
        try (TestApp app = new TestApp("probe404")) {
            assertEquals(0, app.deploy("v1").code());
            var r = app.deploy("v2", "--probe", "/no-such-page.txt", "--health-timeout", "3s");
            assertEquals(1, r.code(), r.toString());
            assertTrue(r.err().contains("not healthy within 3s") && r.err().contains("404"), r.err());
            assertTrue(r.err().contains("blue still serves release v1"), r.err());
            assertEquals("v1", app.front().get("/version.txt"));
            assertTrue(DeployTest.state(app).green().empty(), "the colour whose probe failed was removed, its probe with it");
        }
    }

    @Test
    void firstDeployOfABrokenImageFailsAndSaysNothingServes() throws Exception {
        try (TestApp app = new TestApp("firstbroken")) {
            var r = app.deploy("crash");
            assertEquals(1, r.code(), r.toString());
            assertTrue(r.err().contains("no colour was live before, so nothing serves"), r.err());
            assertTrue(DeployTest.state(app).blue().empty());
        }
    }

    @Test
    void missingImageFailsBeforeAnythingStarts() throws Exception {
        try (TestApp app = new TestApp("noimage")) {
            assertEquals(0, app.deploy("v1").code());
            var r = app.deploy("does-not-exist");
            assertEquals(1, r.code(), r.toString());
            assertTrue(r.err().contains("bgtest-app:does-not-exist is not on the host"), r.err());
            assertEquals("v1", app.front().get("/version.txt"));
        }
    }

    @Test
    void badComposeInputIsOneLineNamingFileAndKeyWithExitThree() throws Exception {
        try (TestApp app = new TestApp("badcompose")) {
            String[][] cases = {
                    {"  web:\n    build: .\n", "service \"web\": key \"build\" is not supported without \"image\""},
                    {"  web:\n    image: x\n    privileged_mode: true\n", "service \"web\": unsupported key \"privileged_mode\""},
                    {"  web:\n    image: x\n    ports: [\"99999:80\"]\n", "bad port \"99999:80\""},
                    {"  web:\n    image: x\n   bad-indent: [\n", "invalid YAML"},
            };
            for (String[] c : cases) {
                Files.writeString(app.composeFile, "services:\n" + c[0]);
                var r = app.deploy("v1");
                assertEquals(3, r.code(), r.toString());
                assertTrue(r.err().contains(app.composeFile.toString()) && r.err().contains(c[1]), r.err());
                assertEquals(1, r.err().lines().count(), "one line: " + r.err());
                assertEquals("", r.out());
            }
            // all of a file's refusals in one run, one error line each
            Files.writeString(app.composeFile, "services:\n  web:\n    image: x\n    post_start: [{command: x}]\n    restart: sometimes\n");
            var two = app.deploy("v1");
            assertEquals(3, two.code(), two.toString());
            assertEquals(2, two.err().lines().filter(l -> l.startsWith("error: " + app.composeFile)).count(), two.err());
            assertEquals(2, two.err().lines().count(), two.err());
            var missing = TestApp.run("--app", app.name, "-f", app.dir.resolve("nope.yml").toString());
            assertEquals(3, missing.code());
            assertTrue(missing.err().contains("nope.yml: Compose file not found"), missing.err());
        }
    }

    @Test
    void ctrlCDuringTheHealthGateRemovesTheNewColourReleasesTheLockAndKeepsTheOldOne() throws Exception {
        try (TestApp app = new TestApp("sigint")) {
            assertEquals(0, app.deploy("v1").code());
            // env restores SIGINT's default disposition: a suite started in the background inherits it ignored.
            List<String> cmd = new ArrayList<>(List.of("env", "--default-signal=INT", ProcessHandle.current().info().command().orElse("java"),
                    "-cp", System.getProperty("java.class.path"), "deploy"));
            cmd.addAll(app.deployArgs("slow"));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(app.dir.resolve("deploy.log").toFile()).start();
            assertTrue(Poll.until(java.time.Duration.ofSeconds(60), () -> !DeployTest.state(app).green().empty()), "green started");
            new ProcessBuilder("kill", "-INT", String.valueOf(p.pid())).start().waitFor();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "deploy exited after Ctrl-C");
            String log = Files.readString(app.dir.resolve("deploy.log"));
            assertEquals(130, p.exitValue(), log);
            assertTrue(log.contains("deploy interrupted") && log.contains("blue still serves release v1"), log);
            HostState s = DeployTest.state(app);
            assertTrue(s.green().empty(), "new colour removed: " + s.green().containers());
            assertEquals(Colour.BLUE, s.live().orElseThrow());
            assertTrue(DeployLock.holder(TestHost.docker(), app.name).isEmpty(), "lock released");
            assertEquals("v1", app.front().get("/version.txt"));

            var again = app.deploy("v2");
            assertEquals(0, again.code(), again.toString());
            assertEquals("v2", app.front().get("/version.txt"));
        }
    }

    /** The container in the way is another app's (its live one, perhaps): the advice must not be to remove it. */
    @Test
    void aNameTakenByAnotherAppsContainerIsNeverAdvisedForRemoval() throws Exception {
        try (TestApp app = new TestApp("taken")) {
            String name = app.name + "-blue-app-1";
            String other = TestHost.docker().createContainerCmd("bgtest-app:v1").withName(name)
                    .withLabels(Map.of(Labels.APP, "other", Labels.COLOUR, "green")).exec().getId();
            var r = app.deploy("v1");
            assertEquals(1, r.code(), r.toString());
            assertTrue(r.err().contains("a container named " + name + " already exists and belongs to app \"other\""), r.err());
            assertFalse(r.err().contains("docker rm"), r.err());
            assertEquals(name, TestHost.docker().inspectContainerCmd(other).exec().getName().substring(1), "left alone");
        }
    }
}
