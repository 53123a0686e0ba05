import lib.model.Colour;
import lib.model.HostState;

import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.PortBinding;
import org.junit.jupiter.api.Test;
import org.zeroturnaround.exec.ProcessExecutor;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every state a real host can be in, made for real, and what deploy.java does with it. */
class HostStatesTest {

    @Test
    void aDamagedRecordIsNamedAndTheContainersDecideAsOnAHostWithoutOne() throws Exception {
        try (TestApp app = new TestApp("badrec")) {
            assertEquals(0, app.deploy("v1").code());
            // Made by hand or by a bug: a colour we do not know, and no word of what passed its gate.
            var docker = TestHost.docker();
            String record = lib.host.RecordStore.name(app.name);
            docker.removeContainerCmd(record).withForce(true).exec();
            docker.createContainerCmd(lib.docker.MarkerImage.ensure(docker)).withName(record).withCmd("/live")
                    .withLabels(java.util.Map.of(lib.base.Labels.ROLE, "live-record", lib.base.Labels.APP, app.name,
                            lib.base.Labels.NS + "live.colour", "purple", lib.base.Labels.NS + "live.front", "passive")).exec();
            var status = TestApp.run("status", "--app", app.name);
            assertTrue(status.out().contains("record: " + record + " is damaged (it names colour \"purple\""), status.out());
            assertTrue(status.out().contains("blue is live"), "judged by its containers, blue serves: " + status.out());
            assertEquals(0, status.code(), status.toString());

            var r = app.deploy("v2");
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().contains("record what serves now (the host's record " + record + " is damaged"), r.out());
            HostState s = DeployTest.state(app);
            assertEquals(Colour.GREEN, s.live().orElseThrow());
            assertTrue(!s.blue().anyRunning(), "the old colour was retired, not left running beside the new one: " + s.describe());
            assertTrue(s.recordProblem().isEmpty(), "the deploy wrote a good record");
        }
    }

    @Test
    void colourMadeByDockerComposeV1WithTheShellVersionsProjectNameIsDetectedAndReplaced() throws Exception {
        try (TestApp app = new TestApp("shellmade")) {
            Path blue = shellFile(app, Colour.BLUE, "v1");
            compose(app, blue, "up", "-d");
            waitHealthy(app);
            HostState s = DeployTest.state(app);
            assertEquals(Colour.BLUE, s.live().orElseThrow());
            assertEquals("compose", s.blue().origins());
            assertEquals("v1", s.blue().release());

            var r = app.deploy("v2");
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().contains("to green") && r.out().contains("blue is live"), r.out());
            s = DeployTest.state(app);
            assertEquals(Colour.GREEN, s.live().orElseThrow());
            assertEquals("stopped", s.blue().condition(), "the compose-made colour was stopped");
            assertEquals("v2", app.front().get("/version.txt"));
        }
    }

    @Test
    void colourMadeByHandWithDockerRunIsDetectedByName() throws Exception {
        try (TestApp app = new TestApp("handmade")) {
            var docker = TestHost.docker();
            String id = docker.createContainerCmd("bgtest-app:v1").withName(app.name + "-blue_app_1")
                    .withExposedPorts(ExposedPort.tcp(9000))
                    .withHostConfig(HostConfig.newHostConfig().withPortBindings(PortBinding.parse("127.0.0.1:" + app.bluePort + ":9000")))
                    .exec().getId();
            docker.startContainerCmd(id).exec();
            HostState s = DeployTest.state(app);
            assertEquals(Colour.BLUE, s.live().orElseThrow());
            assertEquals("manual", s.blue().origins());

            var r = app.deploy("v2");
            assertEquals(0, r.code(), r.toString());
            assertEquals("stopped", DeployTest.state(app).blue().condition());
            assertEquals("v2", app.front().get("/version.txt"));
        }
    }

    @Test
    void stoppedColourMeansNothingIsLiveAndTheDeployUsesTheOtherColour() throws Exception {
        try (TestApp app = new TestApp("exited")) {
            assertEquals(0, app.deploy("v1").code());
            for (var c : DeployTest.state(app).blue().containers()) TestHost.docker().stopContainerCmd(c.id()).withTimeout(5).exec();
            HostState s = DeployTest.state(app);
            assertEquals(HostState.Situation.NONE_RUNNING, s.situation());
            var status = TestApp.run("status", "--app", app.name);
            assertEquals(1, status.code(), status.toString());
            assertTrue(status.out().contains("no colour is running (blue stopped, green absent)"), status.out());

            var r = app.deploy("v2");
            assertEquals(0, r.code(), r.toString());
            s = DeployTest.state(app);
            assertEquals(Colour.GREEN, s.live().orElseThrow());
            assertEquals("stopped", s.blue().condition(), "the stopped colour is left alone");

            r = app.deploy("v3");
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().contains("setting aside blue (release v1)"), r.out());
            assertEquals("v3", app.front().get("/version.txt"));
        }
    }

    @Test
    void bothColoursRunningKeepsTheOneThatWentLiveFirstAndReplacesTheOther() throws Exception {
        try (TestApp app = new TestApp("both")) {
            assertEquals(0, app.deploy("v1").code());
            // An interrupted deploy left green running next to blue.
            compose(app, shellFile(app, Colour.GREEN, "v2"), "up", "-d");
            HostState s = DeployTest.state(app);
            assertEquals(HostState.Situation.BOTH_RUNNING, s.situation());
            assertEquals(Colour.BLUE, s.live().orElseThrow());

            var r = app.deploy("v3");
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().contains("green runs as a standby and will be replaced") && r.out().contains("setting aside green"), r.out());
            s = DeployTest.state(app);
            assertEquals(Colour.GREEN, s.live().orElseThrow());
            assertEquals("v3", s.green().release());
            assertEquals("stopped", s.blue().condition());
        }
    }

    /** The shell version's file: fixed port, project named <app>-<colour>, run by docker-compose v1. */
    private static Path shellFile(TestApp app, Colour colour, String version) throws Exception {
        Path f = app.dir.resolve("docker-compose." + colour.id() + ".yml");
        Files.writeString(f, TestApp.COMPOSE.replace("${DEPLOY_RELEASE}", version)
                .replace("${DEPLOY_PORT}", String.valueOf(colour == Colour.BLUE ? app.bluePort : app.greenPort)));
        return f;
    }

    private static void compose(TestApp app, Path file, String... args) throws Exception {
        String project = app.name + "-" + file.getFileName().toString().split("\\.")[1];
        var cmd = new java.util.ArrayList<>(java.util.List.of("docker-compose", "-p", project, "-f", file.toString()));
        cmd.addAll(java.util.List.of(args));
        var r = new ProcessExecutor().command(cmd).readOutput(true).timeout(120, java.util.concurrent.TimeUnit.SECONDS).execute();
        assertEquals(0, r.getExitValue(), r.outputUTF8());
    }

    private static void waitHealthy(TestApp app) throws Exception {
        Poll.until(java.time.Duration.ofSeconds(60), () -> app.front().get("/version.txt").startsWith("v"));
    }
}
