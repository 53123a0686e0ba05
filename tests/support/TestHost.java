import lib.base.Labels;
import lib.docker.DockerHost;
import lib.docker.EngineCheck;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;

/**
 * The real local Docker Engine every end-to-end test runs against, and the fixture images, built once per run
 * from the host's busybox and nginx (no registry needed).
 */
final class TestHost {
    static final String APP_REPO = "bgtest-app";
    static final String WEB = "shop-web:1";
    private static DockerHost host;
    private static boolean built;

    private TestHost() {}

    static synchronized DockerClient docker() {
        if (host == null) {
            EngineCheck.ensureLocalEngine(new PrintWriter(System.out, true));
            host = DockerHost.connect(null, false, new PrintWriter(new StringWriter()));
        }
        return host.client();
    }

    static synchronized void images() {
        if (!built) buildImages(docker());
        built = true;
    }

    private static void buildImages(DockerClient docker) {
        var images = new ExampleImages(docker, EngineCheck.projectRoot().resolve("compose"));
        images.web(WEB);
        for (String v : new String[]{"v1", "v2", "v3"}) images.app(APP_REPO, ExampleImages.Variant.of(v));
        images.app(APP_REPO, new ExampleImages.Variant("slow", 14, false, false));
        images.app(APP_REPO, new ExampleImages.Variant("crash", 0, true, false));
        images.app(APP_REPO, new ExampleImages.Variant("unhealthy", 0, false, true));
    }

    static Path root() {
        return EngineCheck.projectRoot();
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Removes everything an app name owns: its containers (ours, compose-made, hand-made), networks and lock. */
    static void removeApp(String app) {
        removeApp(docker(), app);
    }

    static void removeApp(DockerClient d, String app) {
        for (Container c : d.listContainersCmd().withShowAll(true).exec()) {
            Map<String, String> l = c.getLabels() == null ? Map.of() : c.getLabels();
            String name = c.getNames()[0].substring(1);
            String project = l.getOrDefault(Labels.COMPOSE_PROJECT, "");
            if (app.equals(l.get(Labels.APP)) || project.startsWith(app + "-") || name.startsWith(app + "-")) {
                d.removeContainerCmd(c.getId()).withForce(true).withRemoveVolumes(true).exec();
            }
        }
        try {
            d.removeVolumeCmd(app + "-bgdeploy-state").exec();
        } catch (RuntimeException notThere) {
            // nothing recorded for this app
        }
        for (var n : d.listNetworksCmd().exec()) {
            if (n.getName().startsWith(app + "-")) {
                try {
                    d.removeNetworkCmd(n.getId()).exec();
                } catch (RuntimeException ignored) {
                    // best effort
                }
            }
        }
    }
}
