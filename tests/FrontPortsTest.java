import lib.base.DeployError;
import lib.base.Labels;
import lib.compose.ComposeLoader;
import lib.compose.ComposeProject;
import lib.compose.ContainerSpec;
import lib.engine.RunSettings;
import lib.model.Colour;
import lib.model.ContainerInfo;
import lib.model.FrontSettings;
import lib.model.KeepOld;
import lib.model.LiveRecord;
import lib.project.ProjectFile;

import com.github.dockerjava.api.model.ExposedPort;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Colours behind the managed front without host ports, as data: the create request, the labels, the settings. */
class FrontPortsTest {
    final Path dir;

    FrontPortsTest() throws Exception {
        dir = Files.createTempDirectory("front-ports-test");
    }

    @AfterEach
    void clean() {
        ExampleImages.deleteTree(dir);
    }

    static final String COMPOSE = """
            services:
              web:
                image: nginx:stable
                ports: ["127.0.0.1:8080:80", "8443:443", "5353:53/udp"]
              db:
                image: postgres:16
            """;

    ComposeProject compose() throws Exception {
        Path f = dir.resolve("docker-compose.yml");
        Files.writeString(f, COMPOSE);
        return ComposeLoader.load(f, "shop-green", Map.of(), Map.of());
    }

    @Test
    void withoutPublishingTheContainerPortsAreALabelAndNoHostPortIsBound() throws Exception {
        ComposeProject p = compose();
        ContainerSpec web = ContainerSpec.of(p, p.services().get("web"), "shop-green", Map.of(Labels.APP, "shop", Labels.PUBLISH, "false"));
        assertTrue(web.hostConfig().getPortBindings().getBindings().isEmpty(), web.hostConfig().getPortBindings().toString());
        assertEquals("80/tcp,443/tcp,53/udp", web.labels().get(Labels.PORTS));
        assertTrue(web.exposedPorts().contains(ExposedPort.tcp(80)), "still exposed: the front reaches it there");
        ContainerSpec db = ContainerSpec.of(p, p.services().get("db"), "shop-green", Map.of(Labels.APP, "shop", Labels.PUBLISH, "false"));
        assertNull(db.labels().get(Labels.PORTS));
        assertEquals("false", db.labels().get(Labels.PUBLISH), "every container of the colour says so");

        ContainerSpec published = ContainerSpec.of(p, p.services().get("web"), "shop-green", Map.of(Labels.APP, "shop"));
        assertEquals("8080", published.hostConfig().getPortBindings().getBindings().get(ExposedPort.tcp(80))[0].getHostPortSpec());
        assertNull(published.labels().get(Labels.PORTS));
    }

    static ContainerInfo container(Map<String, String> labels) {
        return new ContainerInfo("id", "shop-green-web-1", "web", "nginx", "sha", "running", null, null, null, null, labels);
    }

    @Test
    void theUnpublishedPortIsTheFirstTcpOne() {
        assertEquals(80, container(Map.of(Labels.PORTS, "80/tcp,443/tcp")).unpublishedPort());
        assertEquals(443, container(Map.of(Labels.PORTS, "53/udp,443/tcp")).unpublishedPort());
        assertNull(container(Map.of(Labels.PORTS, "53/udp")).unpublishedPort());
        assertNull(container(Map.of()).unpublishedPort());
        assertNull(container(Map.of(Labels.PORTS, "x/tcp")).unpublishedPort());
    }

    @Test
    void theManagedFrontPublishesNothingByDefaultAndTheRecordKeepsTheChoice() {
        assertFalse(FrontSettings.managedDefaults().publishPorts());
        assertTrue(FrontSettings.passive().publishPorts(), "the passive front balances the colours' ports");
        FrontSettings published = new FrontSettings(true, 9000, "127.0.0.1", "nginx:stable", null, null, Duration.ofSeconds(5), true);
        LiveRecord record = LiveRecord.empty().withLive(Colour.BLUE, "v1", "me", published);
        assertEquals(published, LiveRecord.fromLabels(record.toLabels("shop")).front());
        FrontSettings unpublished = FrontSettings.managedDefaults();
        assertEquals(unpublished, LiveRecord.fromLabels(LiveRecord.empty().withLive(Colour.BLUE, "v1", "me", unpublished).toLabels("shop")).front());

        Map<String, String> older = new java.util.HashMap<>(record.toLabels("shop"));
        older.remove("dev.bgdeploy.live.front.publish-ports");
        assertTrue(LiveRecord.fromLabels(older).front().publishPorts(), "a record from before the setting: its colours were published");

        // A later run without the flag keeps what the host recorded; one that names it wins.
        assertTrue(settings(FrontSettings.managedDefaults(), Set.of()).frontFor(record).publishPorts());
        assertFalse(settings(FrontSettings.managedDefaults(), Set.of("publish_ports")).frontFor(record).publishPorts());
    }

    static RunSettings settings(FrontSettings front, Set<String> given) {
        return new RunSettings("deploy", Duration.ofSeconds(60), null, null, front, false, given, KeepOld.RUNNING, false, null, null, null, java.util.List.of());
    }

    @Test
    void deployYmlTakesPublishPortsAsABoolean() throws Exception {
        Path f = dir.resolve("deploy.yml");
        Files.writeString(f, "app: shop\nfront:\n  kind: managed\n  publish_ports: true\n");
        assertEquals("true", ProjectFile.load(f).front().get("publish_ports"));
        Files.writeString(f, "app: shop\nfront:\n  publish_ports: sometimes\n");
        DeployError e = assertThrows(DeployError.class, () -> ProjectFile.load(f));
        assertTrue(e.getMessage().contains("front.publish_ports") && e.getMessage().contains("not true or false"), e.getMessage());
        assertEquals(3, e.exitCode());
    }
}
