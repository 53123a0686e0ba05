package lib.docker;

import lib.base.DeployError;
import lib.base.ExitCode;
import lib.base.Text;

import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.model.LocalNodeState;
import com.github.dockerjava.api.model.SwarmInfo;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The managers of a Swarm environment, tried in order: the first that answers and is a manager of an active Swarm
 * answers for the whole cluster. A node that answers but is a worker (or in no Swarm) is skipped with a note: its API
 * would refuse every Swarm call, or worse, a standalone engine would take services for containers. With none left the
 * run ends with exit 5, each manager's failure on the one line, within the Docker call bounds (a dead address costs
 * the connect timeout and the ping bound, never more).
 */
public final class SwarmManagers implements AutoCloseable {
    private final List<HostAddress> managers;
    private final PrintWriter err;
    private int current;
    private DockerHost host;
    private final java.util.concurrent.atomic.AtomicInteger failovers = new java.util.concurrent.atomic.AtomicInteger();

    private SwarmManagers(List<HostAddress> managers, PrintWriter err) {
        this.managers = List.copyOf(managers);
        this.err = err;
    }

    /** Connects to the first manager that answers as one, noting on {@code err} each one passed over. */
    public static SwarmManagers connect(List<HostAddress> managers, PrintWriter err) {
        if (managers.isEmpty()) throw DeployError.config("a Swarm environment needs at least one manager under managers:");
        SwarmManagers m = new SwarmManagers(managers, err);
        m.tryFrom(0, managers.size());
        return m;
    }

    /** The manager answering for the cluster. */
    public synchronized DockerHost host() {
        return host;
    }

    /**
     * One call to the Swarm through the manager answering now, repeated once through the next one when that manager is
     * lost mid-call ({@link #lost}), with a note on {@code notes} naming it. {@code op} must be safe to repeat: the
     * first try may have landed with only its answer lost (see {@link #failovers} to tell). Once no manager is left, every
     * call fails at once with exit 5, so an undo after the loss costs no further waits.
     */
    public <T> T call(String what, PrintWriter notes, Function<DockerHost, T> op) {
        DockerHost m = host();
        if (m == null) {
            throw new DeployError(ExitCode.DOCKER, "no Swarm manager answers any more (lost earlier in this run) while " + what
                    + "; run again once one answers");
        }
        try {
            return op.apply(m);
        } catch (RuntimeException e) {
            if (!lost(e)) throw e;
            notes.println("note: the Swarm manager " + m.describe() + " stopped answering while " + what + " (" + DockerHost.rootMessage(e) + ")"
                    + (managers.size() > 1 ? "; going on through the next manager" : ""));
            notes.flush();
            DockerHost next = failover(m);
            failovers.incrementAndGet();
            return op.apply(next);
        }
    }

    /**
     * Calls repeated through another manager so far: one that grew during a write means a conflict may be that write's
     * own first try, landed, whose answer was lost with the manager.
     */
    public int failovers() {
        return failovers.get();
    }

    /**
     * The manager is gone, as opposed to having answered no: no answer within the bound (or an earlier call ran out of
     * it), or the connection itself failed. A refusal by the daemon (an HTTP status) is its answer, never a reason to
     * ask another manager.
     */
    public static boolean lost(Throwable e) {
        if (e instanceof DeployError d) return d.exitCode() == ExitCode.DOCKER;
        // 503: the node lost its managers' quorum or was demoted; another manager may still answer for the cluster.
        if (e instanceof DockerException d) return d.getHttpStatus() == 503;
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.io.IOException) return true;
        }
        return false;
    }

    /** Which entry of managers: answers (for messages and tests): its address as deploy.yml gave it. */
    public synchronized HostAddress address() {
        return managers.get(current);
    }

    /**
     * The manager answering stopped (mid-run): the others are tried, those after it in the list first, then those
     * before; it is not tried again. Exit 5 when none answers.
     */
    public synchronized DockerHost failover() {
        return failover(host);
    }

    /**
     * The same when {@code lost} stopped answering; a caller that saw an older manager fail (another thread moved on
     * already) gets the one answering now.
     */
    public synchronized DockerHost failover(DockerHost lost) {
        if (host != null && host != lost) return host;
        int from = current;
        host = null;
        if (lost != null) lost.close();
        List<Integer> order = new ArrayList<>();
        for (int i = 1; i < managers.size(); i++) order.add((from + i) % managers.size());
        if (order.isEmpty()) {
            HostAddress only = managers.get(from);
            throw new DeployError(ExitCode.DOCKER, "the Swarm's only manager in deploy.yml, " + (only.url() == null ? "the default Docker host" : Text.printable(only.url()))
                    + ", stopped answering; run again once it answers (more managers under managers: let a run go on through another)");
        }
        tryOrder(order);
        return host;
    }

    private void tryFrom(int start, int count) {
        List<Integer> order = new ArrayList<>();
        for (int i = start; i < start + count; i++) order.add(i);
        tryOrder(order);
    }

    private void tryOrder(List<Integer> order) {
        List<String> failures = new ArrayList<>();
        for (int i : order) {
            HostAddress a = managers.get(i);
            String name = a.url() == null ? "(the default Docker host)" : Text.printable(a.url());
            DockerHost h;
            try {
                h = a.connect(err);
            } catch (DeployError e) {
                if (e.exitCode() == ExitCode.INTERRUPTED) throw e;
                // The connect error names the host; its advice about --host and DOCKER_HOST is for a single host.
                String m = e.getMessage();
                int advice = m.indexOf(". Is dockerd running?");
                failures.add(advice > 0 ? m.substring(0, advice) : name + ": " + m);
                // refused here before any connection (plaintext without --insecure, missing TLS files): not a dead manager
                note(advice > 0 ? name + " does not answer; trying the next manager" : "skipping " + name + ": " + m);
                continue;
            }
            String notManager;
            try {
                SwarmInfo swarm = h.client().infoCmd().exec().getSwarm();
                notManager = notAManager(swarm == null ? null : swarm.getLocalNodeState(), swarm == null ? null : swarm.getControlAvailable());
            } catch (RuntimeException e) {
                h.close();
                if (e instanceof DeployError d && d.exitCode() == ExitCode.INTERRUPTED) throw d;
                failures.add(name + ": docker info failed (" + DockerHost.rootMessage(e) + ")");
                note(name + " answers but not to docker info; trying the next manager");
                continue;
            }
            if (notManager != null) {
                h.close();
                failures.add(name + ": " + notManager);
                note("skipping " + name + ": " + notManager);
                continue;
            }
            current = i;
            host = h;
            return;
        }
        throw new DeployError(ExitCode.DOCKER, "no Swarm manager answers (" + String.join("; ", failures)
                + "); check managers: in deploy.yml, or that the Swarm has a leader (docker node ls on a manager)");
    }

    private void note(String line) {
        err.println("note: " + line);
        err.flush();
    }

    /**
     * Why a node that answered cannot answer for the Swarm (null when it can): docker info's Swarm.LocalNodeState must
     * be active and Swarm.ControlAvailable true (a manager; a worker has it false).
     */
    public static String notAManager(LocalNodeState state, Boolean controlAvailable) {
        if (state == null || state == LocalNodeState.INACTIVE || state == LocalNodeState.EMPTY) return "it is not part of a Swarm (a standalone Docker engine)";
        if (state != LocalNodeState.ACTIVE) return "its Swarm state is " + state.getValue() + ", not active";
        if (!Boolean.TRUE.equals(controlAvailable)) return "it is a Swarm worker, not a manager";
        return null;
    }

    @Override
    public synchronized void close() {
        if (host != null) host.close();
        host = null;
    }
}
