import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Frame;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Compose keys of issue 16 on the real engine: each is read on the created container with docker inspect, names
 * given by container_name and links resolve from another container, and a one-shot init job is waited for (its
 * failure fails the deploy while the old colour keeps serving).
 */
class ComposeKeysTest {

    /** busybox as every applet (sh, httpd, wget, nslookup), with /www/version.txt for the probe. */
    static void busyboxImage(String image, String... tags) throws Exception {
        Path ctx = Files.createTempDirectory("bgtest-kkeys");
        try {
            Files.copy(Path.of("/bin/busybox"), ctx.resolve("busybox"));
            Files.createDirectories(ctx.resolve("www"));
            Files.writeString(ctx.resolve("www/version.txt"), "keys\n");
            Files.writeString(ctx.resolve("Dockerfile"), """
                    FROM scratch
                    COPY busybox /bin/busybox
                    COPY www /www
                    RUN ["/bin/busybox", "--install", "-s", "/bin"]
                    CMD ["/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www"]
                    """);
            java.util.Set<String> named = java.util.Arrays.stream(tags).map(t -> image + ":" + t).collect(java.util.stream.Collectors.toSet());
            TestHost.docker().buildImageCmd(ctx.toFile()).withTags(named).withPull(false)
                    .exec(new com.github.dockerjava.api.command.BuildImageResultCallback()).awaitImageId(2, TimeUnit.MINUTES);
        } finally {
            ExampleImages.deleteTree(ctx);
        }
    }

    static String compose(String image, int initExit) {
        return """
                x-common: &common
                  image: IMAGE:${DEPLOY_RELEASE}
                  init: true
                services:
                  init:
                    <<: *common
                    command: ["sh", "-c", "sleep 1; echo ready > /shared/init.txt; exit EXIT"]
                    restart: "no"
                    volumes: [shared:/shared]
                  db:
                    <<: *common
                    container_name: kdb_server
                    command: ["httpd", "-f", "-p", "80", "-h", "/www"]
                  app:
                    <<: *common
                    command: ["sh", "-c", "test -f /shared/init.txt && exec httpd -f -p 80 -h /www"]
                    hostname: kapphost
                    links: [db:kdatabase]
                    depends_on:
                      init: {condition: service_completed_successfully}
                      db: {condition: service_started}
                    mem_limit: 64m
                    cpus: 0.5
                    cap_add: [NET_ADMIN]
                    cap_drop: [MKNOD]
                    ulimits: {nofile: {soft: 1024, hard: 2048}}
                    logging: {driver: json-file, options: {max-size: 1m}}
                    tmpfs: ["/scratch:size=1m"]
                    sysctls: {net.core.somaxconn: "1024"}
                    shm_size: 32m
                    volumes: [shared:/shared]
                    ports: ["127.0.0.1:${DEPLOY_PORT}:80"]
                volumes:
                  shared:
                """.replace("IMAGE", image).replace("EXIT", String.valueOf(initExit));
    }

    static String exec(String container, String... cmd) throws Exception {
        var d = TestHost.docker();
        var e = d.execCreateCmd(container).withCmd(cmd).withAttachStdout(true).withAttachStderr(true).exec();
        StringBuilder out = new StringBuilder();
        d.execStartCmd(e.getId()).exec(new ResultCallback.Adapter<Frame>() {
            @Override
            public void onNext(Frame f) {
                out.append(new String(f.getPayload()));
            }
        }).awaitCompletion(20, TimeUnit.SECONDS);
        return out.toString();
    }

    @Test
    void theNewKeysReachTheContainerAndAFailingInitJobFailsTheDeploy() throws Exception {
        try (TestApp app = new TestApp("kkeys")) {
            String image = "bgtest-kkeys-" + app.name;
            busyboxImage(image, "v1", "v2");
            try {
                Files.writeString(app.composeFile, compose(image, 0));
                var r = app.deploy("v1", "--probe", "/version.txt");
                assertEquals(0, r.code(), r.toString());
                assertEquals(1, r.out().lines().filter(l -> l.contains("container_name \"kdb_server\" is a network alias")).count(), "the notice is printed once: " + r.out());

                var d = TestHost.docker();
                var c = d.inspectContainerCmd(app.name + "-blue-app-1").exec();
                var h = c.getHostConfig();
                assertEquals(64L << 20, h.getMemory());
                assertEquals(500_000_000L, h.getNanoCPUs());
                assertArrayEquals(new Capability[] {Capability.NET_ADMIN}, h.getCapAdd());
                assertArrayEquals(new Capability[] {Capability.MKNOD}, h.getCapDrop());
                assertEquals("nofile", h.getUlimits()[0].getName());
                assertEquals(1024L, h.getUlimits()[0].getSoftLong());
                assertEquals(2048L, h.getUlimits()[0].getHardLong());
                assertEquals("json-file", h.getLogConfig().getType().getType());
                assertEquals(Map.of("max-size", "1m"), h.getLogConfig().getConfig());
                assertEquals(Map.of("/scratch", "size=1m"), h.getTmpFs());
                assertEquals(Map.of("net.core.somaxconn", "1024"), h.getSysctls());
                assertEquals(32L << 20, h.getShmSize());
                assertEquals("kapphost", c.getConfig().getHostName());

                var init = d.inspectContainerCmd(app.name + "-blue-init-1").exec().getState();
                assertEquals(0L, init.getExitCodeLong(), "the init job ran to completion before app started");
                // container_name and links: aliases of db in the colour, reachable by name from app
                var dbNets = d.inspectContainerCmd(app.name + "-blue-db-1").exec().getNetworkSettings().getNetworks();
                assertTrue(dbNets.values().iterator().next().getAliases().containsAll(List.of("db", "kdb_server", "kdatabase")), dbNets.toString());
                String app1 = app.name + "-blue-app-1";
                assertEquals("keys\n", exec(app1, "wget", "-q", "-O-", "http://kdb_server/version.txt"));
                assertEquals("keys\n", exec(app1, "wget", "-q", "-O-", "http://kdatabase/version.txt"));

                // v2's init job fails: the deploy fails naming it, and blue keeps serving
                Files.writeString(app.composeFile, compose(image, 3));
                var bad = app.deploy("v2", "--probe", "/version.txt");
                assertNotEquals(0, bad.code(), bad.toString());
                assertTrue(bad.err().contains("service \"init\" (a one-shot job others wait for) exited with code 3"), bad.toString());
                assertEquals(true, d.inspectContainerCmd(app1).exec().getState().getRunning(), "the old colour still runs");
                assertEquals("keys", FrontTest.get(app.bluePort, "/version.txt"));
            } finally {
                TestHost.removeApp(app.name);
                for (String colour : List.of("blue", "green")) {
                    try {
                        TestHost.docker().removeVolumeCmd(app.name + "-" + colour + "_shared").exec();
                    } catch (RuntimeException gone) {
                        // never created
                    }
                }
                for (String t : List.of("v1", "v2")) TestHost.docker().removeImageCmd(image + ":" + t).withForce(true).exec();
            }
        }
    }

    /** Top-level network and volume options reach the Engine; read_only, security_opt, pids_limit, dns and tty too. */
    @Test
    void networkAndVolumeOptionsAndMoreHostConfig() throws Exception {
        try (TestApp app = new TestApp("knet")) {
            String image = "bgtest-knet-" + app.name;
            busyboxImage(image, "v1");
            try {
                Files.writeString(app.composeFile, """
                        name: upstream
                        services:
                          app:
                            image: IMAGE:${DEPLOY_RELEASE}
                            build: .
                            init: true
                            command: ["httpd", "-f", "-p", "80", "-h", "/www"]
                            read_only: true
                            security_opt: ["no-new-privileges:true"]
                            pids_limit: 64
                            dns_opt: ["ndots:1"]
                            tty: true
                            volumes: ["data:/data:nocopy"]
                            networks: [back]
                            ports: ["127.0.0.1:${DEPLOY_PORT}:80"]
                        networks:
                          back:
                            driver: bridge
                            labels: {com.example.tier: back}
                            attachable: true
                        volumes:
                          data:
                            driver: local
                            labels: {com.example.keep: "yes"}
                        """.replace("IMAGE", image));
                var r = app.deploy("v1", "--probe", "/version.txt");
                assertEquals(0, r.code(), r.toString());
                assertTrue(r.out().contains("\"build\" is ignored"), r.out());
                var d = TestHost.docker();
                var c = d.inspectContainerCmd(app.name + "-blue-app-1").exec();
                assertEquals(true, c.getHostConfig().getReadonlyRootfs());
                assertEquals(List.of("no-new-privileges:true"), c.getHostConfig().getSecurityOpts());
                assertEquals(64L, c.getHostConfig().getPidsLimit());
                assertEquals(List.of("ndots:1"), c.getHostConfig().getDnsOptions());
                assertEquals(true, c.getConfig().getTty());
                var net = d.inspectNetworkCmd().withNetworkId(app.name + "-blue_back").exec();
                assertEquals("back", net.getLabels().get("com.example.tier"));
                var vol = d.inspectVolumeCmd(app.name + "-blue_data").exec();
                assertEquals("yes", vol.getLabels().get("com.example.keep"));
            } finally {
                TestHost.removeApp(app.name);
                try {
                    TestHost.docker().removeVolumeCmd(app.name + "-blue_data").exec();
                } catch (RuntimeException gone) {
                    // never created
                }
                TestHost.docker().removeImageCmd(image + ":v1").withForce(true).exec();
            }
        }
    }
}
