import lib.docker.EngineCheck;
import java.time.Duration;
import java.nio.file.Files;
import lib.base.DeployError;
import lib.docker.DockerHost;

import com.github.dockerjava.api.DockerClient;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The simulated remote Docker hosts of ../shared/testbed/hosts.sh (tests/engine-up.sh brings up 3): host i is a network
 * namespace at 10.210.0.(10+i) with its own dockerd (tcp:2376, mutual TLS, client certificates in /tmp/bgh) and sshd.
 * Tests set a host up and check it through its dockerd's unix socket here; the code under test goes over ssh or TLS.
 */
final class TestBed {
    static final String CERTS = System.getenv().getOrDefault("BGH_DIR", "/tmp/bgh");
    private static final Map<Integer, DockerHost> HOSTS = new HashMap<>();
    private static final Set<Integer> LOADED = new HashSet<>();

    private TestBed() {}

    static String ip(int host) {
        return "10.210.0." + (10 + host);
    }

    static String ssh(int host) {
        return "ssh://root@" + ip(host);
    }

    static String tls(int host) {
        return "tcp://" + ip(host) + ":2376";
    }

    static String socket(int host) {
        return "unix:///run/bgh" + host + "/docker.sock";
    }

    static Path pidFile(int host) {
        return Path.of("/run/bgh" + host + "/docker.pid");
    }

    static synchronized DockerClient docker(int host) {
        DockerHost h = HOSTS.get(host);
        if (h == null) {
            try {
                h = DockerHost.connect(socket(host), false, new PrintWriter(new StringWriter()));
            } catch (DeployError e) {
                throw new IllegalStateException("test-bed host " + host + " is not up (" + e.getMessage()
                        + "): run ../shared/testbed/hosts.sh up 3 as root (tests/engine-up.sh does)", e);
            }
            HOSTS.put(host, h);
        }
        return h.client();
    }

    /** The fixture images, copied onto the host once per run: the hosts share no images with this machine. */
    static synchronized void images(int host) throws Exception {
        docker(host);
        TestHost.images();
        if (LOADED.contains(host)) return;
        List<String> save = new ArrayList<>(List.of("docker", "save", TestHost.WEB));
        for (String v : new String[]{"v1", "v2"}) save.add(TestHost.APP_REPO + ":" + v);
        List<Process> pipeline = ProcessBuilder.startPipeline(List.of(
                new ProcessBuilder(save).redirectError(ProcessBuilder.Redirect.INHERIT),
                new ProcessBuilder("docker", "-H", socket(host), "load", "-q")
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.INHERIT)));
        for (Process p : pipeline) {
            if (!p.waitFor(3, TimeUnit.MINUTES) || p.exitValue() != 0) {
                pipeline.forEach(Process::destroy);
                throw new IllegalStateException("docker save | docker -H " + socket(host) + " load failed");
            }
        }
        LOADED.add(host);
    }

    /** Puts a local image on a host under another tag of the same repository (a host whose "v2" is not this machine's). */
    static synchronized void loadAs(int host, String localImage, String tag) throws Exception {
        List<Process> pipeline = ProcessBuilder.startPipeline(List.of(
                new ProcessBuilder("docker", "save", localImage).redirectError(ProcessBuilder.Redirect.INHERIT),
                new ProcessBuilder("docker", "-H", socket(host), "load", "-q")
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.INHERIT)));
        for (Process p : pipeline) {
            if (!p.waitFor(3, TimeUnit.MINUTES) || p.exitValue() != 0) {
                pipeline.forEach(Process::destroy);
                throw new IllegalStateException("docker save " + localImage + " | docker -H " + socket(host) + " load failed");
            }
        }
        String repo = localImage.substring(0, localImage.lastIndexOf(':'));
        docker(host).tagImageCmd(localImage, repo, tag).exec();
    }

    /**
     * Restarts a host's dockerd as a reboot or an upgrade of the engine does (SIGTERM: it stops its containers, and on
     * the way up starts again those whose restart policy says so), with the test bed's own script.
     */
    static synchronized void restartDaemon(int host) throws Exception {
        long pid = Long.parseLong(Files.readString(pidFile(host)).trim());
        new ProcessBuilder("kill", "-TERM", String.valueOf(pid)).start().waitFor();
        if (!Poll.until(Duration.ofSeconds(60), () -> ProcessHandle.of(pid).isEmpty())) throw new IllegalStateException("dockerd of host " + host + " did not stop");
        HOSTS.remove(host);
        Path script = Path.of(System.getenv().getOrDefault("BGDEPLOY_TESTBED", EngineCheck.projectRoot().resolve("../shared/testbed/hosts.sh").toString()));
        if (!Files.exists(script)) script = Path.of("/work/shared/testbed/hosts.sh");
        Process up = new ProcessBuilder("bash", script.toString(), "up", "3").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!up.waitFor(2, TimeUnit.MINUTES) || up.exitValue() != 0) throw new IllegalStateException(script + " up 3 failed");
        if (!Poll.until(Duration.ofSeconds(60), () -> {
            try {
                DockerHost.connect(socket(host), false, new PrintWriter(new StringWriter())).close();
                return true;
            } catch (RuntimeException notYet) {
                return false;
            }
        })) throw new IllegalStateException("dockerd of host " + host + " did not come back");
    }
}
