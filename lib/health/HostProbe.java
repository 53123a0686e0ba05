package lib.health;

import lib.base.Text;
import lib.base.DeployError;
import lib.base.Labels;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ContainerNetwork;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * --probe-from host (the default): the GET runs on the Docker host's side, as a wget (or curl) exec'd in the container
 * behind the published port against its own 127.0.0.1. It works whatever the port is published on (127.0.0.1 of a
 * remote host, say) and however the host is reached, and creates nothing on the host. An image with neither tool (a
 * FROM-scratch nginx) is probed from a sibling container of the same Compose project that has one, over their network.
 *
 * <p>An exec costs four API calls (70-100 ms), which would put that much between the app's readiness and the switch,
 * three times over. So where the container has a shell, one exec runs the GET in a loop every 20 ms and streams each
 * answer back; the loop ends by itself after the successes the gate needs, or after as many tries as fit in the gate's
 * timeout (a colour that fails its gate is removed with it). Without a shell, each check is one exec.
 */
final class HostProbe implements HealthGate.Probe {
    static final Duration EXEC_TIMEOUT = Duration.ofSeconds(5);

    /** Where the GET runs, with which command, the URL as that container sees it, and the answer to the try that found the tool. */
    private record Runner(String containerId, String name, List<String> command, String url, boolean curl, Exec firstTry) {}

    private record Exec(long exitCode, String stdout, String stderr) {
        boolean toolMissing() {
            return exitCode == 126 || exitCode == 127 || stdout.contains("executable file not found");
        }

        String said() {
            String s = (stderr + " " + stdout).strip();
            return s.isEmpty() ? "exit code " + exitCode : Text.oneLine(s);
        }
    }

    private final DockerClient docker;
    private final int hostPort;
    private final int containerPort;
    private final String path;
    private final int successesNeeded;
    private final PrintWriter out;
    private final Duration timeout;
    private final String containerId;
    private Runner runner;
    private Stream stream;

    /** @param containerId the container that publishes hostPort (0: it publishes none): the one a request to that port reaches */
    HostProbe(DockerClient docker, String containerId, int hostPort, int containerPort, String path, int successesNeeded, Duration timeout, PrintWriter out) {
        this.docker = docker;
        this.containerId = containerId;
        this.hostPort = hostPort;
        this.containerPort = containerPort;
        this.path = path;
        this.successesNeeded = successesNeeded;
        this.timeout = timeout;
        this.out = out;
    }

    @Override
    public int successesNeeded() {
        // the loop counts consecutive successes itself
        return stream != null ? 1 : successesNeeded;
    }

    @Override
    public Duration pause(Duration usual) {
        return stream != null ? ProbeLoop.INTERVAL : usual;
    }

    @Override
    public void close() {
        if (stream == null) return;
        try {
            stream.close();
        } catch (IOException alreadyClosed) {
            // the loop ended on its own
        }
    }

    @Override
    public String check() {
        try {
            if (runner == null) {
                runner = runnerFor(docker.inspectContainerCmd(containerId).exec());
                // The try that found the tool was a probe too: a warm standby that needs one answer is done now.
                String first = judge(runner.firstTry());
                if (first == null && successesNeeded == 1) return null;
                stream = Stream.start(docker, runner, successesNeeded, timeout);
                if (first != null) return first;
            }
            if (stream != null) {
                String verdict = stream.verdict(runner, successesNeeded);
                if (verdict == null || !stream.ended()) return verdict;
                // The loop ended short of its successes (by itself, for lack of a shell, or because the stream broke): one exec per try now.
                stream = null;
            }
            return judge(exec(runner.containerId(), runner.command()));
        } catch (NotFoundException | ConflictException gone) {
            // the container stopped or restarted between the gate's inspect and the exec; the gate sees why next poll
            return "the container " + behind() + " to run";
        }
    }

    /** Which container is probed, in words: the one behind a host port, or the front's (hostPort 0: none published). */
    private String behind() {
        return hostPort == 0 ? "the front sends traffic to" : "behind port " + hostPort;
    }

    /** null on a 2xx answer; otherwise what the gate waits for. */
    private String judge(Exec r) {
        if (r == null) return "GET " + runner.url() + " in " + runner.name() + " to answer within " + EXEC_TIMEOUT.toSeconds() + "s";
        if (r.exitCode() == 0 && (!runner.curl() || r.stdout().strip().startsWith("2"))) return null;
        String why = r.exitCode() == 0 ? "it answered " + r.stdout().strip() : r.said();
        return "GET " + runner.url() + " in " + runner.name() + " to answer 2xx (" + why + ")";
    }

    private Runner runnerFor(InspectContainerResponse probed) {
        String name = probed.getName().replaceFirst("^/", "");
        Runner own = withTool(probed.getId(), name, "http://127.0.0.1:" + containerPort + path);
        if (own != null) {
            out.println("  probe runs in " + name + " on the Docker host: " + String.join(" ", own.command()));
            return own;
        }
        String project = probed.getConfig().getLabels() == null ? null : probed.getConfig().getLabels().get(Labels.COMPOSE_PROJECT);
        if (project != null) {
            for (Container c : docker.listContainersCmd().withStatusFilter(List.of("running"))
                    .withLabelFilter(Map.of(Labels.COMPOSE_PROJECT, project)).exec()) {
                String ip = sharedNetworkIp(probed, c);
                if (c.getId().equals(probed.getId()) || ip == null) continue;
                Runner sibling = withTool(c.getId(), c.getNames()[0].replaceFirst("^/", ""), "http://" + ip + ":" + containerPort + path);
                if (sibling != null) {
                    out.println("  probe runs in " + sibling.name() + " on the Docker host (" + name + " has neither wget nor curl): "
                            + String.join(" ", sibling.command()));
                    return sibling;
                }
            }
        }
        throw DeployError.config(name + " (" + behind() + ") has neither wget nor curl for the health probe, nor has any other container of its project: "
                + "add one to its image, or give it a HEALTHCHECK and pass --no-probe, or probe from this machine with --probe-from local");
    }

    /** The probed container's address on a network the sibling is on too; null if they share none. */
    static String sharedNetworkIp(InspectContainerResponse probed, Container sibling) {
        Map<String, ContainerNetwork> theirs = sibling.getNetworkSettings() == null ? Map.of() : sibling.getNetworkSettings().getNetworks();
        for (var e : probed.getNetworkSettings().getNetworks().entrySet()) {
            String ip = e.getValue().getIpAddress();
            if (theirs.containsKey(e.getKey()) && ip != null && !ip.isEmpty()) return ip;
        }
        return null;
    }

    /** wget, else curl, in that container; null if it has neither. */
    private Runner withTool(String containerId, String name, String url) {
        // No -T: busybox 1.35's wget crashes with it; EXEC_TIMEOUT bounds the wait instead.
        List<String> wget = List.of("wget", "-q", "-O", "/dev/null", url);
        Exec r = exec(containerId, wget);
        if (r == null || !r.toolMissing()) return new Runner(containerId, name, wget, url, false, r);
        List<String> curl = List.of("curl", "-sS", "-o", "/dev/null", "-m", "2", "-w", "%{http_code}", url);
        r = exec(containerId, curl);
        if (r == null || !r.toolMissing()) return new Runner(containerId, name, curl, url, true, r);
        return null;
    }

    /** The looping probe's answers as they arrive, read by the gate between its polls. */
    static final class Stream extends lib.docker.StreamCallback<Frame> {
        private final boolean curl;
        private final java.io.ByteArrayOutputStream partial = new java.io.ByteArrayOutputStream();
        private volatile int consecutive;
        private volatile String lastFailure;

        Stream(boolean curl) {
            this.curl = curl;
        }

        static Stream start(DockerClient docker, Runner runner, int successes, Duration timeout) {
            List<String> cmd = ProbeLoop.command(timeout, successes, runner.curl(), runner.command());
            String id = docker.execCreateCmd(runner.containerId()).withCmd(cmd.toArray(String[]::new))
                    .withAttachStdout(true).withAttachStderr(true).exec().getId();
            return docker.execStartCmd(id).exec(new Stream(runner.curl()));
        }

        /** The loop's lines are on stdout; bytes are kept until a whole line is in, so no character is split. */
        @Override
        public synchronized void onNext(Frame f) {
            if (f.getStreamType() == StreamType.STDERR) return;
            for (byte b : f.getPayload()) {
                if (b != '\n') {
                    partial.write(b);
                    continue;
                }
                ProbeLoop.Answer a = ProbeLoop.parse(partial.toString(StandardCharsets.UTF_8), curl);
                partial.reset();
                if (a == null) continue;
                if (a.good()) {
                    consecutive++;
                } else {
                    consecutive = 0;
                    lastFailure = a.said();
                }
            }
        }

        /** null once the loop saw the successes it needs; until then the last failure (successes on the way say nothing new). */
        String verdict(Runner runner, int needed) {
            if (consecutive >= needed) return null;
            return "GET " + runner.url() + " in " + runner.name() + " to answer" + (lastFailure == null ? "" : " 2xx (" + lastFailure + ")");
        }
    }

    /** Runs a command in a container; null when it did not finish within EXEC_TIMEOUT. */
    private Exec exec(String containerId, List<String> command) {
        String id = docker.execCreateCmd(containerId).withCmd(command.toArray(String[]::new))
                .withAttachStdout(true).withAttachStderr(true).exec().getId();
        StringBuffer stdout = new StringBuffer();
        StringBuffer stderr = new StringBuffer();
        try (var done = docker.execStartCmd(id).exec(new ResultCallback.Adapter<Frame>() {
            @Override
            public void onNext(Frame f) {
                (f.getStreamType() == StreamType.STDERR ? stderr : stdout).append(new String(f.getPayload(), StandardCharsets.UTF_8));
            }
        })) {
            if (!done.awaitCompletion(EXEC_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) return null;
        } catch (InterruptedException e) {
            // the gate's next sleep sees the interrupt and cancels the deploy
            Thread.currentThread().interrupt();
            return null;
        } catch (IOException closing) {
            // the answer is in already; closing the stream cannot change it
        }
        Long code = docker.inspectExecCmd(id).exec().getExitCodeLong();
        return new Exec(code == null ? -1 : code, stdout.toString(), stderr.toString());
    }
}
