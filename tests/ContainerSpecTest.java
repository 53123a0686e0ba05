import lib.base.DeployError;
import lib.base.ExitCode;
import lib.base.Labels;
import lib.compose.ComposeLoader;
import lib.compose.ComposeProject;
import lib.compose.ContainerSpec;

import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.VolumesFrom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The create request for a Compose service, as data: no Docker needed. */
class ContainerSpecTest {
    final Path dir;

    ContainerSpecTest() throws Exception {
        dir = Files.createTempDirectory("spec-test");
    }

    @AfterEach
    void clean() {
        ExampleImages.deleteTree(dir);
    }

    ComposeProject load(String yaml) throws Exception {
        Path f = dir.resolve("docker-compose.yml");
        Files.writeString(f, yaml);
        return ComposeLoader.load(f, "shop-green", Map.of(), Map.of());
    }

    static ContainerSpec spec(ComposeProject p, String service) {
        return ContainerSpec.of(p, p.services().get(service), "shop-green", Map.of(Labels.APP, "shop", Labels.COLOUR, "green"));
    }

    @Test
    void theBlogsFilesAsTheyAreGiveBridgeContainersWithNoProjectNetwork() {
        for (String colour : List.of("blue", "green")) {
            Path file = BlogComposeTest.BLOG.resolve("docker-compose." + colour + ".yml");
            ComposeProject p = ComposeLoader.load(file, "blog-" + colour, Map.of(), Map.of());
            assertEquals(List.of("app", "web"), p.startOrder().stream().map(ComposeProject.Service::name).toList());
            ContainerSpec web = ContainerSpec.of(p, p.services().get("web"), "blog-" + colour, Map.of());
            assertEquals("bridge", web.hostConfig().getNetworkMode());
            assertNull(web.network(), "bridge mode joins no project network and takes no aliases");
            assertEquals(List.of(), web.extraNetworks());
            assertEquals(List.of(ExposedPort.tcp(80)), web.exposedPorts());
            var binding = web.hostConfig().getPortBindings().getBindings().get(ExposedPort.tcp(80))[0];
            assertEquals(colour.equals("blue") ? "8080" : "8081", binding.getHostPortSpec());
            assertArrayEquals(new VolumesFrom[]{new VolumesFrom("blog-" + colour + "-app-1", AccessMode.rw)}, web.hostConfig().getVolumesFrom());
        }
    }

    @Test
    void everyNetworkModeIsPassedOnAsComposeDoesAndServiceModesStartAfterTheirService() throws Exception {
        var p = load("""
                services:
                  host: {image: x, network_mode: host}
                  none: {image: x, network_mode: none}
                  other: {image: x, network_mode: "container:db-1"}
                  side: {image: x, network_mode: "service:app"}
                  app: {image: x, networks: {default: {aliases: [api]}, back: {}}}
                networks:
                  back: {}
                """);
        assertEquals("host", spec(p, "host").hostConfig().getNetworkMode());
        assertEquals("none", spec(p, "none").hostConfig().getNetworkMode());
        assertEquals("container:db-1", spec(p, "other").hostConfig().getNetworkMode());
        assertEquals("container:shop-green-app-1", spec(p, "side").hostConfig().getNetworkMode());
        for (String s : List.of("host", "none", "other", "side")) assertNull(spec(p, s).network(), s);
        assertEquals(Map.of("network_mode", "db-1"), spec(p, "other").externalContainers(), "checked before create: the Engine only notices at start");
        assertEquals(Map.of(), spec(p, "side").externalContainers());
        List<String> order = p.startOrder().stream().map(ComposeProject.Service::name).toList();
        assertTrue(order.indexOf("app") < order.indexOf("side"), order.toString());

        ContainerSpec app = spec(p, "app");
        assertEquals("shop-green_default", app.hostConfig().getNetworkMode());
        assertEquals(new ContainerSpec.Attachment("shop-green_default", List.of("app", "api")), app.network());
        assertEquals(List.of(new ContainerSpec.Attachment("shop-green_back", List.of("app"))), app.extraNetworks());
    }

    @Test
    void initLabelsHealthcheckAndStopSettingsReachTheRequest() throws Exception {
        var p = load("""
                services:
                  web:
                    image: x
                    init: true
                    labels: {team: blog}
                    stop_signal: SIGQUIT
                    stop_grace_period: 1m
                    user: "33:33"
                    working_dir: /var/www
                    extra_hosts: ["db:10.0.0.5"]
                    restart: unless-stopped
                    healthcheck: {test: [CMD, true], interval: 2s}
                  plain: {image: x}
                """);
        ContainerSpec web = spec(p, "web");
        assertEquals(true, web.hostConfig().getInit());
        assertNull(spec(p, "plain").hostConfig().getInit(), "no init: the engine's default");
        assertEquals("blog", web.labels().get("team"));
        assertEquals("shop-green", web.labels().get(Labels.COMPOSE_PROJECT));
        assertEquals("web", web.labels().get(Labels.COMPOSE_SERVICE));
        assertEquals("green", web.labels().get(Labels.COLOUR));
        assertEquals("60", web.labels().get(Labels.STOP_GRACE));
        assertEquals(60, web.stopTimeout());
        assertEquals("SIGQUIT", web.stopSignal());
        assertEquals("33:33", web.user());
        assertEquals("/var/www", web.workingDir());
        assertArrayEquals(new String[]{"db:10.0.0.5"}, web.hostConfig().getExtraHosts());
        assertNull(web.hostConfig().getRestartPolicy(), "no restart policy before the gate: a daemon restart must not bring back an ungated release");
        assertEquals("unless-stopped", web.labels().get(Labels.RESTART), "applied at the switch");
        assertNull(spec(p, "plain").labels().get(Labels.RESTART));
        assertEquals(2_000_000_000L, web.healthcheck().getInterval());
        assertEquals("shop-green-web-1", web.name());
    }

    @Test
    void aDockerRefusalNamesTheFileTheServiceAndTheKey() throws Exception {
        var p = load("""
                services:
                  app: {image: x, user: nobody-here}
                  web: {image: x, volumes_from: ["container:gone"]}
                  side: {image: x, network_mode: "container:elsewhere"}
                """);
        String f = dir.resolve("docker-compose.yml").toString();
        DeployError user = ContainerSpec.rejected(p, p.services().get("app"), new DockerException(
                "Status 500: {\"message\":\"unable to find user nobody-here: no matching entries in passwd file\"}\n", 500));
        assertEquals(ExitCode.DEPLOY_FAILED, user.exitCode());
        assertEquals(f + ": service \"app\": key \"user\": Docker refused the container: unable to find user nobody-here: no matching entries in passwd file",
                user.getMessage());
        assertTrue(ContainerSpec.rejected(p, p.services().get("web"), new DockerException("{\"message\":\"No such container: gone\"}", 404))
                .getMessage().contains("service \"web\": key \"volumes_from\""));
        assertTrue(ContainerSpec.rejected(p, p.services().get("side"), new DockerException("{\"message\":\"No such container: elsewhere\"}", 404))
                .getMessage().contains("service \"side\": key \"network_mode\""));
        String secret = ContainerSpec.rejected(p, p.services().get("app"), new DockerException(
                "{\"message\":\"pull access denied for https://bob:hunter2@registry.example/x, token=abc123\"}", 500)).getMessage();
        assertFalse(secret.contains("hunter2") || secret.contains("abc123"), secret);
        assertFalse(secret.contains("\n"), secret);
    }

    /** "Bind for 0.0.0.0:8081 failed" is about a host port, not a bind mount: the user looks where the message points. */
    @Test
    void aPortAlreadyAllocatedNamesPortsNotVolumes() throws Exception {
        var p = load("services:\n  web: {image: x, ports: [\"8081:80\"]}\n");
        var web = p.services().get("web");
        String allocated = ContainerSpec.rejected(p, web, new DockerException("{\"message\":\"failed to set up container networking: driver failed"
                + " programming external connectivity on endpoint shop-green-web-1 (0123abcd): Bind for 0.0.0.0:8081 failed: port is already allocated\"}", 500))
                .getMessage();
        assertTrue(allocated.contains("service \"web\": key \"ports\": Docker refused"), allocated);
        String inUse = ContainerSpec.rejected(p, web, new DockerException("{\"message\":\"driver failed programming external connectivity on endpoint"
                + " x: Error starting userland proxy: listen tcp4 0.0.0.0:8081: bind: address already in use\"}", 500)).getMessage();
        assertTrue(inUse.contains("service \"web\": key \"ports\": Docker refused"), inUse);
    }

    @Test
    void runKeysBecomeHostConfigAndCreateFields() throws Exception {
        var p = load("""
                services:
                  db:
                    image: mariadb:11
                    container_name: shop_db
                    hostname: db1
                    domainname: example.com
                    expose: ["3306"]
                    cap_add: [SYS_NICE]
                    cap_drop: [NET_RAW]
                    security_opt: ["no-new-privileges:true"]
                    shm_size: 64m
                    ulimits: {nofile: {soft: 1024, hard: 2048}}
                    logging: {driver: json-file, options: {max-size: 1m}}
                    tmpfs: ["/run:size=1m"]
                    sysctls: {net.core.somaxconn: "1024"}
                    read_only: true
                    pids_limit: 50
                    dns: [1.1.1.1]
                    dns_search: [example.com]
                    dns_opt: [ndots:2]
                    devices: ["/dev/null:/dev/xnull"]
                    group_add: ["100"]
                    ipc: shareable
                    mem_limit: 256m
                    mem_reservation: 64m
                    memswap_limit: 512m
                    cpus: 1.5
                    cpu_shares: 256
                    cpuset: "0"
                    oom_score_adj: 100
                    tty: true
                    stdin_open: true
                    mac_address: 02:42:ac:11:00:02
                    volumes:
                      - ./data:/data:Z
                      - {type: tmpfs, target: /cache, tmpfs: {size: 2m}}
                  web:
                    image: x
                    links: [db:database]
                    ipc: service:db
                    depends_on: {db: {condition: service_completed_successfully}}
                """);
        ContainerSpec db = spec(p, "db");
        var h = db.hostConfig();
        assertEquals("shop-green-db-1", db.name(), "containers keep their per-colour names");
        assertEquals(List.of("db", "shop_db", "database"), db.network().aliases(), "container_name and links are aliases in the colour");
        assertEquals("true", db.labels().get(Labels.ONE_SHOT), "web waits for db to complete");
        assertEquals(new ContainerSpec.Create("db1", "example.com", "02:42:ac:11:00:02", null, true, true), db.create());
        assertTrue(db.exposedPorts().contains(ExposedPort.tcp(3306)));
        assertArrayEquals(new com.github.dockerjava.api.model.Capability[] {com.github.dockerjava.api.model.Capability.SYS_NICE}, h.getCapAdd());
        assertArrayEquals(new com.github.dockerjava.api.model.Capability[] {com.github.dockerjava.api.model.Capability.NET_RAW}, h.getCapDrop());
        assertEquals(List.of("no-new-privileges:true"), h.getSecurityOpts());
        assertEquals(64L << 20, h.getShmSize());
        assertEquals("nofile", h.getUlimits()[0].getName());
        assertEquals(2048L, h.getUlimits()[0].getHardLong());
        assertEquals("json-file", h.getLogConfig().getType().getType());
        assertEquals(Map.of("max-size", "1m"), h.getLogConfig().getConfig());
        assertEquals(Map.of("/run", "size=1m", "/cache", "size=2097152"), h.getTmpFs());
        assertEquals(Map.of("net.core.somaxconn", "1024"), h.getSysctls());
        assertEquals(true, h.getReadonlyRootfs());
        assertEquals(50L, h.getPidsLimit());
        assertEquals(List.of("1.1.1.1"), List.of(h.getDns()));
        assertEquals(List.of("ndots:2"), h.getDnsOptions());
        assertEquals("/dev/xnull", h.getDevices()[0].getPathInContainer());
        assertEquals(256L << 20, h.getMemory());
        assertEquals(64L << 20, h.getMemoryReservation());
        assertEquals(512L << 20, h.getMemorySwap());
        assertEquals(1_500_000_000L, h.getNanoCPUs());
        assertEquals(256, h.getCpuShares());
        assertEquals(100, h.getOomScoreAdj());
        assertEquals("shareable", h.getIpcMode());
        var bind = h.getBinds()[0];
        assertEquals(com.github.dockerjava.api.model.SELContext.single, bind.getSecMode(), ":Z is a private SELinux label");
        ContainerSpec web = spec(p, "web");
        assertEquals("container:shop-green-db-1", web.hostConfig().getIpcMode());
        assertNull(web.hostConfig().getMemory(), "absent keys leave Docker's defaults");
        assertNull(web.create().hostname());
    }
}
