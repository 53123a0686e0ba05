import lib.docker.DockerHost;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The test-bed Swarm this JVM uses and its registry. tests/swarm-up.sh brings up two: Swarm 1 (bgh4 the manager,
 * bgh5 and bgh6 workers), the default, and Swarm 2 (bgh7, bgh8, bgh9), chosen with -Dswarm.bed=2, so that AllTests
 * can run the tests that freeze the manager or cut a node's link in a lane of their own. Every test reaches its Swarm
 * through these constants, never by a host number of its own. The fixture images reach the nodes through the
 * registry 10.210.0.1:5000, which this machine's engine does not trust: each is copied onto the manager's engine
 * (docker save | docker -H <manager> load) and pushed from there, once per JVM.
 */
final class SwarmBed {
    static final String REGISTRY = "10.210.0.1:5000";
    static final String APP_REPO = REGISTRY + "/se-app";
    /** The managed front's image: the fixture nginx plus busybox, whose wget the gate probes each task with. */
    static final String FRONT = "se-front:1";
    /** The system property that picks the Swarm: 1 (hosts 4-6) or 2 (hosts 7-9). */
    static final String PROPERTY = "swarm.bed";
    static final int BED = bed();
    /** The only manager; a front runs on it. */
    static final int MANAGER = BED == 2 ? 7 : 4;
    /** A worker that runs the second front (SwarmTest, SwarmChecksTest, SwarmNodeLossTest). */
    static final int SECOND_FRONT = MANAGER + 1;
    /** A worker that runs no front (SwarmNodeLossTest cuts its link). */
    static final int THIRD = MANAGER + 2;
    static final int[] NODES = {MANAGER, SECOND_FRONT, THIRD};
    private static boolean pushed;

    private SwarmBed() {}

    private static int bed() {
        String v = System.getProperty(PROPERTY, "1");
        if (!v.equals("1") && !v.equals("2")) throw new IllegalStateException("-D" + PROPERTY + "=" + v + ": the test bed has Swarm 1 (hosts 4-6) and 2 (hosts 7-9)");
        return Integer.parseInt(v);
    }

    /** A node's hostname (the Swarm's node name): bgh and its host number. */
    static String hostname(int node) {
        return "bgh" + node;
    }

    static String managerTls() {
        return TestBed.tls(MANAGER);
    }

    static synchronized DockerHost manager() {
        return DockerHost.connect(TestBed.socket(MANAGER), false, new PrintWriter(new StringWriter()));
    }

    /** v1, v2, crash and unhealthy in the registry; the front image on the manager. */
    static synchronized void images() throws Exception {
        if (pushed) return;
        TestHost.images();
        buildFront();
        List<String> save = new ArrayList<>(List.of("docker", "save", FRONT));
        for (String v : new String[]{"v1", "v2", "crash", "unhealthy"}) save.add(TestHost.APP_REPO + ":" + v);
        pipe(save, List.of("docker", "-H", TestBed.socket(MANAGER), "load", "-q"));
        // SwarmTest's second front runs there
        pipe(List.of("docker", "save", FRONT), List.of("docker", "-H", TestBed.socket(SECOND_FRONT), "load", "-q"));
        for (String v : new String[]{"v1", "v2", "crash", "unhealthy"}) {
            run("docker", "-H", TestBed.socket(MANAGER), "tag", TestHost.APP_REPO + ":" + v, APP_REPO + ":" + v);
            run("docker", "-H", TestBed.socket(MANAGER), "push", "-q", APP_REPO + ":" + v);
        }
        pushed = true;
    }

    private static void buildFront() throws Exception {
        Path ctx = Files.createTempDirectory("se-front");
        try {
            Files.copy(Path.of("/bin/busybox"), ctx.resolve("busybox"));
            Files.writeString(ctx.resolve("Dockerfile"), "FROM " + TestHost.WEB + "\nCOPY busybox /bin/busybox\n");
            run("docker", "build", "-q", "-t", FRONT, ctx.toString());
        } finally {
            ExampleImages.deleteTree(ctx);
        }
    }

    /** Removes every service, network and config of an app (prefix se-), and its front, on the manager. */
    static void removeApp(String app) throws Exception {
        String sock = TestBed.socket(MANAGER);
        for (String kind : new String[]{"service", "config"}) {
            String ids = output("docker", "-H", sock, kind, "ls", "-q", "--filter", "name=" + app);
            for (String id : ids.split("\\s+")) if (!id.isBlank()) run("docker", "-H", sock, kind, "rm", id);
        }
        for (int node : new int[]{MANAGER, SECOND_FRONT}) {
            String containers = output("docker", "-H", TestBed.socket(node), "ps", "-aq", "--filter", "name=" + app);
            for (String id : containers.split("\\s+")) {
                if (id.isBlank()) continue;
                // a task container of a service removed above may be on its way out already
                String said = output("docker", "-H", TestBed.socket(node), "rm", "-f", id);
                if (!said.contains(id) && !said.contains("already in progress") && !said.contains("No such container")) {
                    throw new IllegalStateException("docker rm -f " + id + " on bgh" + node + " failed: " + said);
                }
            }
        }
        // a removed service's tasks leave its overlay within seconds (up to half a minute on the busy test bed)
        for (int i = 0; i < 120; i++) {
            String nets = output("docker", "-H", sock, "network", "ls", "-q", "--filter", "name=" + app);
            if (nets.isBlank()) return;
            for (String id : nets.split("\\s+")) if (!id.isBlank()) output("docker", "-H", sock, "network", "rm", id);
            Thread.sleep(250);
        }
    }

    static String output(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(2, TimeUnit.MINUTES)) {
            p.destroy();
            throw new IllegalStateException(String.join(" ", cmd) + " did not finish");
        }
        return out;
    }

    static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(3, TimeUnit.MINUTES) || p.exitValue() != 0) throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
    }

    private static void pipe(List<String> from, List<String> to) throws Exception {
        List<Process> pipeline = ProcessBuilder.startPipeline(List.of(
                new ProcessBuilder(from).redirectError(ProcessBuilder.Redirect.INHERIT),
                new ProcessBuilder(to).redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.INHERIT)));
        for (Process p : pipeline) {
            if (!p.waitFor(3, TimeUnit.MINUTES) || p.exitValue() != 0) {
                pipeline.forEach(Process::destroy);
                throw new IllegalStateException(String.join(" ", from) + " | " + String.join(" ", to) + " failed");
            }
        }
    }
}
