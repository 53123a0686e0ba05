package lib.health;

import lib.base.Text;
import lib.base.Labels;
import lib.base.Cancellation;
import lib.base.DeployError;
import lib.base.ExitCode;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Replaces the shell script's "sleep 10": the new colour goes live only when every container is running, every
 * container with a HEALTHCHECK reports healthy, and, if configured, an HTTP probe answers 2xx several times in a row.
 * It fails fast on a container that exits, restarts or turns unhealthy, and gives up at the deadline.
 */
public final class HealthGate {
    /** The HTTP probe (null when none is configured); asked once per poll after the containers are fine. */
    public interface Probe extends AutoCloseable {
        /** null on a 2xx answer; otherwise what the gate is waiting for. */
        String check();

        int successesNeeded();

        /** How long the gate waits before asking again, given its usual pause: a probe whose answers stream in asks sooner. */
        default Duration pause(Duration usual) {
            return usual;
        }

        /** The gate is over, whatever its outcome. */
        @Override
        default void close() {}
    }

    static final Duration POLL = Duration.ofMillis(100);
    /** Between the consecutive successes the probe needs: they prove stability, not patience. */
    static final Duration PROBE_INTERVAL = Duration.ofMillis(10);

    private final DockerClient docker;
    private final Duration timeout;
    /** One deadline for the whole gate, service_healthy waits included: set by the first wait. */
    private Instant deadline;
    private final Cancellation cancel;
    private final PrintWriter out;

    public HealthGate(DockerClient docker, Duration timeout, Cancellation cancel, PrintWriter out) {
        this.docker = docker;
        this.timeout = timeout;
        this.cancel = cancel;
        this.out = out;
    }

    /** A failed gate: the message and the container whose logs explain it. */
    public static final class Failure extends DeployError {
        private final String containerId;

        Failure(String message, String containerId) {
            super(ExitCode.DEPLOY_FAILED, message);
            this.containerId = containerId;
        }

        public String containerId() {
            return containerId;
        }
    }

    public void await(List<String> containerIds, Probe probe) {
        try {
            awaitWith(containerIds, probe);
        } finally {
            if (probe != null) probe.close();
        }
    }

    private void awaitWith(List<String> containerIds, Probe probe) {
        if (deadline == null) deadline = Instant.now().plus(timeout);
        int successes = 0;
        String waitingFor = "";
        String lastContainer = containerIds.isEmpty() ? null : containerIds.get(0);
        long inspected = System.nanoTime() - POLL.toNanos();
        while (true) {
            cancel.check();
            String pending = null;
            // A probe that asks more often than POLL (its answers stream in) does not make the containers' state
            // be read more often: that stays every POLL, which is soon enough to see a crash.
            if (System.nanoTime() - inspected >= POLL.toNanos()) {
                inspected = System.nanoTime();
                for (String id : containerIds) {
                    pending = containerVerdict(docker.inspectContainerCmd(id).exec());
                    if (pending != null) {
                        lastContainer = id;
                        break;
                    }
                }
            }
            String now;
            if (pending != null) {
                successes = 0;
                now = pending;
            } else if (probe == null) {
                return;
            } else {
                String answer = probe.check();
                if (answer == null) {
                    if (++successes >= probe.successesNeeded()) return;
                    now = waitingFor;
                } else {
                    successes = 0;
                    now = answer;
                }
            }
            if (!now.equals(waitingFor)) {
                out.println("  waiting for " + now);
                out.flush();
                waitingFor = now;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new Failure("not healthy within " + timeout.toSeconds() + "s: still waiting for " + (waitingFor.isEmpty() ? "containers to start" : waitingFor)
                        + " (raise --health-timeout if the app is just slow)", lastContainer);
            }
            cancel.sleep(probe == null || pending != null ? POLL : probe.pause(successes > 0 ? PROBE_INTERVAL : POLL));
        }
    }

    /** Waits until one container reports healthy (depends_on: condition: service_healthy). */
    public void awaitHealthy(String containerId) {
        await(List.of(containerId), null);
    }

    /**
     * Waits for a one-shot container (depends_on: condition: service_completed_successfully) to exit, within the
     * gate's time; a non-zero exit fails the deploy, naming the service.
     */
    public void awaitCompleted(String containerId, String service) {
        if (deadline == null) deadline = Instant.now().plus(timeout);
        boolean said = false;
        while (true) {
            cancel.check();
            InspectContainerResponse r = docker.inspectContainerCmd(containerId).exec();
            var st = r.getState();
            if (!Boolean.TRUE.equals(st.getRunning()) && !"created".equals(st.getStatus()) && !"restarting".equals(st.getStatus())) {
                Long code = st.getExitCodeLong();
                if (code != null && code == 0) return;
                throw new Failure("service \"" + service + "\" (a one-shot job others wait for) exited with code " + code
                        + (Boolean.TRUE.equals(st.getOOMKilled()) ? " (killed: out of memory)" : "") + "; see its logs: docker logs "
                        + r.getName().replaceFirst("^/", ""), containerId);
            }
            if (!said) {
                out.println("  waiting for " + r.getName().replaceFirst("^/", "") + " to complete");
                out.flush();
                said = true;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new Failure("service \"" + service + "\" (a one-shot job others wait for) did not complete within "
                        + timeout.toSeconds() + "s (raise --health-timeout if it is just slow)", containerId);
            }
            cancel.sleep(POLL);
        }
    }

    /** null when this container is fine; otherwise what we are waiting for. Throws when it can never become fine. */
    private String containerVerdict(InspectContainerResponse r) {
        var s = r.getState();
        String name = r.getName().replaceFirst("^/", "");
        if (r.getRestartCount() != null && r.getRestartCount() > 0) {
            throw new Failure(name + " crashed and was restarted " + r.getRestartCount() + " time(s) (last exit code " + s.getExitCodeLong() + ")", r.getId());
        }
        if (!Boolean.TRUE.equals(s.getRunning())) {
            if ("created".equals(s.getStatus())) return name + " to start";
            boolean oneShot = r.getConfig() != null && r.getConfig().getLabels() != null && "true".equals(r.getConfig().getLabels().get(Labels.ONE_SHOT));
            if (oneShot && s.getExitCodeLong() != null && s.getExitCodeLong() == 0) return null; // its job is done
            throw new Failure(name + " exited with code " + s.getExitCodeLong()
                    + (s.getOOMKilled() != null && s.getOOMKilled() ? " (killed: out of memory)" : ""), r.getId());
        }
        if (s.getHealth() == null) return null;
        return switch (s.getHealth().getStatus()) {
            case "healthy" -> null;
            case "unhealthy" -> throw new Failure(name + " is unhealthy: its HEALTHCHECK keeps failing" + lastProbeOutput(s.getHealth()), r.getId());
            default -> name + " HEALTHCHECK to pass";
        };
    }

    private static String lastProbeOutput(com.github.dockerjava.api.command.HealthState h) {
        if (h.getLog() == null || h.getLog().isEmpty()) return "";
        String o = h.getLog().get(h.getLog().size() - 1).getOutput();
        return o == null || o.isBlank() ? "" : " (last output: " + Text.oneLine(o) + ")";
    }
}
