package lib.target;

import lib.base.Cancellation;
import lib.base.DeployError;
import lib.base.Labels;
import lib.base.Text;
import lib.compose.ComposeProject;
import lib.compose.TaskContainer;
import lib.docker.DockerHost;
import lib.model.TaskResult;
import lib.model.TaskResult.Outcome;
import lib.model.TaskSpec;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs one release task on a Swarm as a one-shot service ({@link SwarmServiceSpec#forTask}): one replica from the
 * colour's service spec, never restarted, on the colour's overlays (so it reaches what the colour reaches), waited for
 * until its task completed or failed, within the task's timeout and seeing Ctrl-C, its output read from the service's
 * logs through the manager and printed as on a host (name prefix, secrets masked), and the service removed whatever
 * happened. The caller holds the deploy lock, so one task service of a name exists at a time; a crashed run's
 * leftover of the same name is removed first.
 */
final class SwarmTaskRunner {
    /** How often the task's state and its new log lines are read: a migration's output shows within about this. */
    static final Duration POLL = Duration.ofMillis(500);
    /** A task pending with a scheduler error (no node fits) this long fails, where Swarm would wait forever. */
    static final Duration PENDING_GRACE = Duration.ofSeconds(5);

    private final DockerHost manager;
    private final DockerClient docker;
    private final String app;
    private final PrintWriter out;

    SwarmTaskRunner(DockerHost manager, String app, PrintWriter out) {
        this.manager = manager;
        this.docker = manager.client();
        this.app = app;
        this.out = out;
    }

    /** @param service the task's service in {@code compose} */
    TaskResult run(ComposeProject compose, ComposeProject.Service service, String project, TaskSpec task, Map<String, String> labels,
                   Map<String, String> extraEnv, String pinnedImage, Cancellation cancel) {
        SwarmServiceSpec spec = SwarmServiceSpec.forTask(compose, service, project, task, labels, extraEnv, pinnedImage);
        removeLeftover(spec.name());
        long t0 = System.currentTimeMillis();
        String id;
        try {
            id = docker.createServiceCmd(spec.toServiceSpec()).exec().getId();
        } catch (DockerException e) {
            throw DeployError.failed("task " + task.name() + ": Swarm refused its service " + spec.name() + ": " + Text.oneLine(e.getMessage()));
        }
        TaskOutput output = new TaskOutput(task.name(), out, spec.env(), TaskRunner.LAST_LINES);
        try {
            Ended ended = await(id, task, output, cancel);
            output.finish();
            if (ended.task() != null && ended.task().nodeId() != null) {
                out.println("  task " + task.name() + " ran on node " + nodeName(ended.task().nodeId()) + " (service " + spec.name() + ")");
                out.flush();
            }
            return new TaskResult(task.name(), task.when(), ended.outcome(), ended.exitCode(), System.currentTimeMillis() - t0, output.last());
        } finally {
            remove(id);
        }
    }

    record Ended(Outcome outcome, Integer exitCode, SwarmTasks.Task task) {}

    /**
     * Until its one task ended (complete: OK; failed: its exit code), the timeout passed, or the run was cancelled;
     * new log lines printed on every round. A task Swarm rejects or cannot place throws with Swarm's words.
     */
    private Ended await(String id, TaskSpec task, TaskOutput output, Cancellation cancel) {
        long deadline = System.nanoTime() + task.timeout().toNanos();
        LogLines logs = new LogLines(id, output);
        Instant pendingSince = null;
        while (true) {
            // The signal's wake-up call is spent here, so the removal below is not cut short by it.
            boolean interrupted = Thread.interrupted();
            if (cancel.cancelled() || interrupted) {
                logs.poll(false);
                return new Ended(Outcome.INTERRUPTED, null, null);
            }
            if (System.nanoTime() > deadline) {
                logs.poll(false);
                return new Ended(Outcome.TIMED_OUT, null, null);
            }
            Optional<SwarmTasks.Task> t = SwarmTasks.of(manager, List.of(id)).stream().max(Comparator.comparing(x -> x.since() == null ? Instant.EPOCH : x.since()));
            if (t.isPresent()) {
                SwarmTasks.Task now = t.get();
                if (now.ended()) {
                    logs.poll(true);
                    if ("complete".equals(now.state())) return new Ended(Outcome.OK, 0, now);
                    if (now.exitCode() != null && now.containerId() != null) return new Ended(Outcome.FAILED, now.exitCode(), now);
                    throw DeployError.failed("task " + task.name() + ": Swarm could not run it: " + now.said());
                }
                boolean unplaceable = now.err() != null && !now.err().isBlank() && List.of("new", "pending", "assigned").contains(now.state());
                if (unplaceable) {
                    if (pendingSince == null) pendingSince = Instant.now();
                    if (Duration.between(pendingSince, Instant.now()).compareTo(PENDING_GRACE) > 0) {
                        throw DeployError.failed("task " + task.name() + ": Swarm cannot place it: " + now.said() + " (for " + PENDING_GRACE.toSeconds() + "s)");
                    }
                } else {
                    pendingSince = null;
                }
                if (now.active() && !List.of("assigned", "accepted", "preparing").contains(now.state())) logs.poll(false);
            }
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * The service's log, read whole on every round (a one-shot has one task, so its lines come in order) and printed
     * from the first line not printed yet; a line still without its newline waits for the next round, or the end.
     */
    private final class LogLines {
        private final String id;
        private final TaskOutput output;
        private int printed;

        LogLines(String id, TaskOutput output) {
            this.id = id;
            this.output = output;
        }

        void poll(boolean last) {
            String text;
            try {
                text = SwarmTasks.demultiplex(manager.get("/services/" + id + "/logs?stdout=1&stderr=1"));
            } catch (RuntimeException notYet) {
                return; // no log before the task's container exists; a failure at the end leaves what was printed
            }
            String[] lines = text.split("\n", -1);
            // the part after the last newline is a line still being written, unless nothing more will come
            int complete = lines.length - 1;
            for (int i = printed; i < complete; i++) output.line(lines[i]);
            printed = Math.max(printed, complete);
            if (last && !lines[lines.length - 1].isEmpty()) {
                output.line(lines[lines.length - 1]);
                printed++;
            }
        }
    }

    private String nodeName(String nodeId) {
        SwarmTasks.Node n = SwarmTasks.nodes(manager).get(nodeId);
        return n == null ? nodeId : n.hostname();
    }

    /** Removing the service stops its task (its stop signal, then a kill past its 1 s grace). */
    private void remove(String id) {
        try {
            docker.removeServiceCmd(id).exec();
        } catch (NotFoundException gone) {
            // removed already
        } catch (RuntimeException e) {
            out.println("  could not remove task service " + id + " (" + Text.oneLine(e.getMessage()) + "); the next run with this task removes it");
            out.flush();
        }
    }

    /** A crashed run's task service of the same name: ours (by its labels) is removed; anything else is not touched. */
    private void removeLeftover(String name) {
        Map<String, String> labels;
        try {
            labels = docker.inspectServiceCmd(name).exec().getSpec().getLabels();
        } catch (NotFoundException none) {
            return;
        }
        if (labels != null && TaskContainer.ROLE.equals(labels.get(Labels.ROLE)) && app.equals(labels.get(Labels.APP))) {
            out.println("  removing service " + name + ", left by an interrupted run");
            remove(name);
            return;
        }
        throw DeployError.failed("a Swarm service named " + name + " already exists and is not a task of app \"" + app + "\"; it is left alone: remove or rename it");
    }
}
