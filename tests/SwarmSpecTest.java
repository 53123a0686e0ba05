import lib.base.DeployError;
import lib.base.Labels;
import lib.compose.ComposeLoader;
import lib.compose.ComposeProject;
import lib.front.NginxConfig;
import lib.target.SwarmServiceSpec;
import lib.target.SwarmTasks;

import com.github.dockerjava.api.model.EndpointResolutionMode;
import com.github.dockerjava.api.model.ServiceRestartCondition;
import com.github.dockerjava.api.model.ServiceSpec;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A Compose service as the Swarm service it becomes, and the front's upstream from the tasks' addresses: data, no Docker. */
class SwarmSpecTest {
    final Path dir;
    static final String PINNED = "10.210.0.1:5000/shop:v2@sha256:" + "a".repeat(64);

    SwarmSpecTest() throws Exception {
        dir = Files.createTempDirectory("swarm-spec");
    }

    @AfterEach
    void clean() {
        ExampleImages.deleteTree(dir);
    }

    ComposeProject load(String yaml) throws Exception {
        Path f = dir.resolve("docker-compose.yml");
        Files.writeString(f, yaml);
        return ComposeLoader.loadForSwarm(f, "shop-green", Map.of(), Map.of(), Set.of());
    }

    @Test
    void everyDeployKeyAComposeServiceSetsReachesTheServiceSpecWhichIsDnsrrWithNoPublishedPort() throws Exception {
        var p = load("""
                services:
                  web:
                    image: 10.210.0.1:5000/shop:v2
                    ports: ["127.0.0.1:8080:80"]
                    environment: {MODE: prod}
                    labels: {com.example.team: shop}
                    command: ["serve", "--port", "80"]
                    stop_grace_period: 20s
                    stop_signal: SIGQUIT
                    healthcheck:
                      test: ["CMD", "wget", "-q", "http://127.0.0.1/health"]
                      interval: 2s
                      retries: 4
                    networks: [default, back]
                    volumes: ["cache:/var/cache"]
                    deploy:
                      replicas: 3
                      placement:
                        constraints: [node.role==worker, node.labels.zone!=b]
                        max_replicas_per_node: 1
                      resources:
                        limits: {cpus: "0.5", memory: 64m}
                        reservations: {cpus: "0.25", memory: 32m}
                      restart_policy: {condition: on-failure, delay: 5s, max_attempts: 3, window: 30s}
                networks:
                  back: {}
                volumes:
                  cache: {}
                """);
        var s = p.services().get("web");
        SwarmServiceSpec spec = SwarmServiceSpec.of(p, s, "shop-green", Map.of(Labels.APP, "shop", Labels.COLOUR, "green", Labels.RELEASE, "v2"), PINNED, 2, "shop-bgdeploy-front");
        assertEquals("shop-green_web", spec.name());
        assertEquals(PINNED, spec.image());
        assertEquals(3, spec.replicas(), "deploy.replicas wins over the environment's default");
        assertEquals(List.of("node.role==worker", "node.labels.zone!=b"), spec.constraints());
        assertEquals(1, spec.maxReplicasPerNode());
        assertEquals(500_000_000L, spec.limitNanoCpus());
        assertEquals(64L << 20, spec.limitMemory());
        assertEquals(250_000_000L, spec.reserveNanoCpus());
        assertEquals(32L << 20, spec.reserveMemory());
        assertEquals(new SwarmServiceSpec.Restart("on-failure", 5_000_000_000L, 3, 30_000_000_000L), spec.restart());
        assertEquals(List.of("MODE=prod"), spec.env());
        assertEquals(List.of("serve", "--port", "80"), spec.args());
        assertNull(spec.command(), "no entrypoint: the image's");
        assertEquals(20_000_000_000L, spec.stopGraceNanos());
        assertEquals("shop-green", spec.labels().get(Labels.STACK_NAMESPACE), "docker stack ps shop-green lists it");
        assertEquals("green", spec.labels().get(Labels.COLOUR));
        assertEquals("shop", spec.labels().get("com.example.team"));
        assertEquals("80/tcp", spec.labels().get(Labels.PORTS), "the port the front reaches, none published");
        assertEquals("3", spec.labels().get(Labels.REPLICAS));
        assertEquals(List.of(new SwarmServiceSpec.Attachment("shop-green_default", List.of("web")),
                new SwarmServiceSpec.Attachment("shop-green_back", List.of("web")),
                new SwarmServiceSpec.Attachment("shop-bgdeploy-front", List.of())), spec.networks(),
                "its colour's networks under its Compose name; the front's overlay without aliases (both colours are on it)");
        assertEquals(List.of(new SwarmServiceSpec.MountSpec("volume", "shop-green_cache", "/var/cache", false)), spec.mounts());

        ServiceSpec api = spec.toServiceSpec();
        assertEquals(EndpointResolutionMode.DNSRR, api.getEndpointSpec().getMode(), "never a VIP: on a kernel without IPVS it never answers");
        assertNull(api.getEndpointSpec().getPorts(), "no published port: the routing mesh is not used");
        assertEquals(3L, api.getMode().getReplicated().getReplicas());
        var task = api.getTaskTemplate();
        assertEquals(PINNED, task.getContainerSpec().getImage());
        assertEquals(List.of("node.role==worker", "node.labels.zone!=b"), task.getPlacement().getConstraints());
        assertEquals(1, task.getPlacement().getMaxReplicas());
        assertEquals(500_000_000L, task.getResources().getLimits().getNanoCPUs());
        assertEquals(32L << 20, task.getResources().getReservations().getMemoryBytes());
        assertEquals(ServiceRestartCondition.ON_FAILURE, task.getRestartPolicy().getCondition());
        assertEquals(3L, task.getRestartPolicy().getMaxAttempts());
        assertEquals(List.of("CMD", "wget", "-q", "http://127.0.0.1/health"), task.getContainerSpec().getHealthCheck().getTest());
        assertEquals(2_000_000_000L, task.getContainerSpec().getHealthCheck().getInterval());
        assertEquals("SIGQUIT", task.getContainerSpec().getStopSignal());
        assertEquals(List.of("shop-green_default", "shop-green_back", "shop-bgdeploy-front"), task.getNetworks().stream().map(n -> n.getTarget()).toList());
    }

    @Test
    void aReleaseTaskIsAOneShotOfItsServiceNeverRestartedWithoutHealthcheckAliasOrFrontAndWithItsOwnCommandAndVolumes() throws Exception {
        var p = load("""
                services:
                  app:
                    image: 10.210.0.1:5000/shop:v2
                    ports: ["9000"]
                    environment: {DB_HOST: db, MYSQL_PASSWORD: s3cret}
                    entrypoint: [/entry.sh]
                    command: [serve]
                    user: www-data
                    working_dir: /srv
                    healthcheck: {test: ["CMD", "true"]}
                    volumes: ["media:/media"]
                    networks: [default, back]
                    deploy:
                      replicas: 4
                      placement: {constraints: [node.labels.db==1], max_replicas_per_node: 1}
                networks:
                  back: {}
                volumes:
                  media: {}
                """);
        var migrate = new lib.model.TaskSpec("migrate", "app", List.of("bin/migrate", "--force"), null, List.of("/srv/backups:/backups", "dumps:/dumps:ro"),
                java.time.Duration.ofMinutes(5), lib.model.TaskSpec.When.BEFORE_SWITCH);
        var t = SwarmServiceSpec.forTask(p, p.services().get("app"), "shop-green", migrate, Map.of(Labels.APP, "shop", Labels.COLOUR, "green", Labels.RELEASE, "v2"),
                Map.of("BACKUP_FILE", "/backups/x"), PINNED);
        assertEquals("shop-green-task-migrate", t.name());
        assertEquals(PINNED, t.image());
        assertEquals(1, t.replicas(), "one task, whatever the service's replicas");
        assertNull(t.maxReplicasPerNode());
        assertEquals(List.of("node.labels.db==1"), t.constraints(), "placed where its service may run (its volumes are there)");
        assertEquals("none", t.restart().condition(), "a one-shot is never restarted");
        assertEquals(List.of("NONE"), t.healthcheck().test(), "no healthcheck, not even the image's");
        assertEquals(List.of("/entry.sh"), t.command(), "the service's entrypoint");
        assertEquals(List.of("bin/migrate", "--force"), t.args(), "the task's command, not the service's");
        assertEquals("www-data", t.user());
        assertEquals("/srv", t.workingDir());
        assertTrue(t.env().containsAll(List.of("DB_HOST=db", "MYSQL_PASSWORD=s3cret", "BACKUP_FILE=/backups/x")), t.env().toString());
        assertEquals(List.of(new SwarmServiceSpec.Attachment("shop-green_default", List.of()), new SwarmServiceSpec.Attachment("shop-green_back", List.of())),
                t.networks(), "the colour's overlays, so it reaches what the colour reaches; no alias (the service's name never resolves to it), not the front's");
        assertEquals(List.of(new SwarmServiceSpec.MountSpec("volume", "shop-green_media", "/media", false),
                new SwarmServiceSpec.MountSpec("bind", "/srv/backups", "/backups", false), new SwarmServiceSpec.MountSpec("volume", "dumps", "/dumps", true)), t.mounts());
        assertEquals("task", t.labels().get(Labels.ROLE));
        assertEquals("migrate", t.labels().get(lib.compose.TaskContainer.TASK));
        assertNull(t.labels().get(Labels.COLOUR), "never counted as a member of the colour");
        assertNull(t.labels().get(Labels.PORTS));
        assertEquals("shop", t.labels().get(Labels.APP));
        ServiceSpec api = t.toServiceSpec();
        assertEquals(ServiceRestartCondition.NONE, api.getTaskTemplate().getRestartPolicy().getCondition());
        assertEquals(1L, api.getMode().getReplicated().getReplicas());
        assertNull(api.getEndpointSpec().getPorts(), "no published port");
        assertEquals(List.of("NONE"), api.getTaskTemplate().getContainerSpec().getHealthCheck().getTest());

        var unpinned = load("""
                services:
                  app: {image: 10.210.0.1:5000/shop:v2}
                """);
        var e = assertThrows(DeployError.class, () -> SwarmServiceSpec.forTask(unpinned, unpinned.services().get("app"), "shop-green", migrate, Map.of(), Map.of(), PINNED));
        assertTrue(e.getMessage().contains("volume /srv/backups:/backups is a host path") && e.getMessage().contains("deploy.placement.constraints"), e.getMessage());
        String longName = "a-very-long-task-name-that-makes-the-service-name-longer-than-swarm-allows";
        var longTask = new lib.model.TaskSpec(longName, "app", null, null, List.of(), null, lib.model.TaskSpec.When.AFTER_SWITCH);
        String fitted = SwarmServiceSpec.forTask(unpinned, unpinned.services().get("app"), "shop-green", longTask, Map.of(), Map.of(), PINNED).name();
        assertTrue(fitted.length() <= 63 && fitted.startsWith("shop-green-task-a-very"), fitted);
    }

    @Test
    void aSingletonIsCreatedWithNoTaskAndScalesBackToOne() throws Exception {
        var p = load("""
                services:
                  cron: {image: r.example.com/app:1}
                """);
        var spec = SwarmServiceSpec.of(p, p.services().get("cron"), "shop-blue", Map.of(), PINNED, 1, "f").withReplicas(0);
        assertEquals(0L, spec.toServiceSpec().getMode().getReplicated().getReplicas(), "not started before the switch");
        assertEquals("1", spec.labels().get(Labels.REPLICAS), "what startAgain scales it to");
    }

    @Test
    void withoutDeployKeysTheEnvironmentsReplicasAndTheComposeRestartApply() throws Exception {
        var p = load("""
                services:
                  app: {image: r.example.com/app:1, restart: unless-stopped, expose: ["9000"]}
                  job: {image: r.example.com/job:1, restart: "no"}
                """);
        var app = SwarmServiceSpec.of(p, p.services().get("app"), "shop-blue", Map.of(), PINNED, 4, "shop-bgdeploy-front");
        assertEquals(4, app.replicas());
        assertEquals("any", app.restart().condition());
        assertEquals("9000/tcp", app.labels().get(Labels.PORTS));
        assertEquals("none", SwarmServiceSpec.of(p, p.services().get("job"), "shop-blue", Map.of(), PINNED, 4, "f").restart().condition());
        assertEquals(EndpointResolutionMode.DNSRR, app.toServiceSpec().getEndpointSpec().getMode());
    }

    @Test
    void keysASwarmCannotRunAreOneLineEachNamingFileServiceAndKey() throws Exception {
        String e = assertThrows(DeployError.class, () -> load("""
                services:
                  app: {image: r.example.com/app:1}
                  web:
                    image: r.example.com/web:1
                    volumes_from: [app]
                    volumes: ["./html:/www:ro"]
                  side:
                    image: r.example.com/side:1
                    network_mode: "service:app"
                  pinned:
                    image: r.example.com/pinned:1
                    volumes: ["/srv/data:/data"]
                    deploy: {placement: {constraints: [node.hostname==web1]}}
                  typo:
                    image: r.example.com/typo:1
                    deploy: {placement: {constraints: [node.hostname web1]}, replicas: 0}
                """)).getMessage();
        String f = dir.resolve("docker-compose.yml").toString();
        List<String> lines = List.of(e.split("\n"));
        assertTrue(lines.stream().allMatch(l -> l.startsWith(f + ": service \"")), e);
        assertTrue(e.contains("service \"web\": key \"volumes_from\" is not supported on Swarm"), e);
        assertTrue(e.contains("service \"web\": key \"volumes\": a host bind mount is not supported on Swarm without deploy.placement.constraints"), e);
        assertTrue(e.contains("service \"side\": key \"network_mode\" is not supported on Swarm"), e);
        assertTrue(e.contains("service \"typo\": deploy.replicas must be at least 1"), e);
        assertTrue(e.contains("service \"typo\": deploy.placement.constraints entry \"node.hostname web1\" is not KEY==VALUE"), e);
        assertTrue(lines.stream().noneMatch(l -> l.contains("\"pinned\"")), "a bind mount pinned to a node is fine: " + e);
        assertEquals(5, lines.size(), e);
    }

    @Test
    void onOneHostReplicasAboveOneAreStillRefusedAndTheSwarmKeysAreKept() throws Exception {
        Path f = dir.resolve("docker-compose.yml");
        Files.writeString(f, "services:\n  app:\n    image: r.example.com/app:1\n    deploy: {replicas: 1, placement: {max_replicas_per_node: 1}}\n");
        var p = ComposeLoader.load(f, "shop-blue", Map.of(), Map.of());
        assertEquals(1, p.services().get("app").swarm().maxReplicasPerNode());
        Files.writeString(f, "services:\n  app:\n    image: r.example.com/app:1\n    deploy: {replicas: 2}\n");
        assertTrue(assertThrows(DeployError.class, () -> ComposeLoader.load(f, "shop-blue", Map.of(), Map.of())).getMessage()
                .contains("deploy.replicas above 1 is not supported"));
    }

    static final String TASKS = """
            [{"ID":"t1","ServiceID":"s1","Slot":1,"NodeID":"n1","DesiredState":"running",
              "Status":{"Timestamp":"2026-12-02T05:00:00.5Z","State":"running","Message":"started","ContainerStatus":{"ContainerID":"c1"}},
              "NetworksAttachments":[{"Network":{"Spec":{"Name":"shop-green_default"}},"Addresses":["10.0.5.7/24"]},
                                     {"Network":{"Spec":{"Name":"shop-bgdeploy-front"}},"Addresses":["10.0.9.12/24"]}]},
             {"ID":"t2","ServiceID":"s1","Slot":2,"DesiredState":"running",
              "Status":{"Timestamp":"2026-12-02T05:00:00.6Z","State":"pending","Message":"pending task scheduling",
                        "Err":"no suitable node (scheduling constraints not satisfied on 3 nodes)"}}]
            """;

    @Test
    void taskAddressesOnTheFrontsOverlayAndSwarmsOwnWordsAreRead() {
        List<SwarmTasks.Task> tasks = SwarmTasks.parse(TASKS.getBytes(StandardCharsets.UTF_8));
        assertEquals(2, tasks.size());
        assertEquals("10.0.9.12", tasks.get(0).addresses().get("shop-bgdeploy-front"), "the address without its prefix length");
        assertTrue(tasks.get(0).running() && tasks.get(0).wanted());
        assertEquals(Map.of(), tasks.get(1).addresses(), "a pending task has no address yet");
        assertEquals("pending: no suitable node (scheduling constraints not satisfied on 3 nodes)", tasks.get(1).said());
        assertNull(tasks.get(0).exitCode(), "a running task has no exit code");
        assertTrue(tasks.get(0).active() && !tasks.get(0).ended());
        var failed = SwarmTasks.parse("""
                [{"ID":"t3","ServiceID":"s2","Slot":1,"NodeID":"n1","DesiredState":"shutdown",
                  "Status":{"State":"failed","Err":"task: non-zero exit (3)","ContainerStatus":{"ContainerID":"c3","ExitCode":3}}}]
                """.getBytes(StandardCharsets.UTF_8)).get(0);
        assertEquals(3, failed.exitCode(), "a one-shot's exit code, for the task's result");
        assertTrue(failed.ended() && !failed.active());
    }

    @Test
    void theUpstreamListsEveryTaskAddressOneServerEachAndReadsBack() {
        String target = NginxConfig.targetOf(List.of("10.0.9.13:9000", "10.0.9.12:9000"));
        assertEquals("10.0.9.12:9000,10.0.9.13:9000", target, "sorted: the same tasks give the same file");
        String conf = NginxConfig.upstreamConfig(target);
        assertTrue(conf.contains("    server 10.0.9.12:9000;\n    server 10.0.9.13:9000;\n"), conf);
        assertEquals(target, NginxConfig.currentTarget(conf));
        String one = NginxConfig.upstreamConfig("shop-blue-web-1:80");
        assertEquals("# Managed by bgdeploy: the live colour.\nupstream bgdeploy_live {\n    server shop-blue-web-1:80;\n    keepalive 16;\n}\n"
                + "map $pid $bgdeploy_upstream { default \"shop-blue-web-1:80\"; }\n", one, "one host's upstream is as before");
        assertEquals("shop-blue-web-1:80", NginxConfig.currentTarget(one));
    }

    @Test
    void aTasksLogStreamIsDemultiplexed() {
        byte[] line = "fatal: cannot connect\n".getBytes(StandardCharsets.UTF_8);
        byte[] frame = new byte[8 + line.length];
        frame[0] = 2;
        frame[7] = (byte) line.length;
        System.arraycopy(line, 0, frame, 8, line.length);
        assertEquals("fatal: cannot connect\n", SwarmTasks.demultiplex(frame));
        assertEquals("plain\n", SwarmTasks.demultiplex("plain\n".getBytes(StandardCharsets.UTF_8)), "a TTY's stream is plain text");
    }
}
