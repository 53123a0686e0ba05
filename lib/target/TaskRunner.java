package lib.target;

import lib.base.Cancellation;
import lib.base.DeployError;
import lib.base.Labels;
import lib.compose.ComposeProject;
import lib.compose.ContainerSpec;
import lib.compose.TaskContainer;
import lib.docker.DockerHost;
import lib.docker.ImagePuller;
import lib.model.TaskResult;
import lib.model.TaskResult.Outcome;
import lib.model.TaskSpec;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.ContainerNetwork;
import com.github.dockerjava.api.model.Frame;

import java.io.Closeable;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs one release task on a Docker host, as {@code docker compose run --rm} would: creates its one-shot container
 * ({@link TaskContainer}) in the colour's networks, starts it, streams its output with the task's name as prefix,
 * waits for it within its timeout (past it, or on Ctrl-C, the container is killed), and removes it whatever happened.
 * The caller holds the deploy lock, so one task container of a name exists at a time; a crashed run's leftover of the
 * same name is removed first.
 */
public final class TaskRunner {
    /** How many of its last lines a failed task shows. */
    static final int LAST_LINES = 10;
    private final DockerHost host;
    private final DockerClient docker;
    private final String app;
    private final PrintWriter out;

    public TaskRunner(DockerHost host, String app, PrintWriter out) {
        this.host = host;
        this.docker = host.client();
        this.app = app;
        this.out = out;
    }

    /**
     * @param project the colour's Compose project ({@code <app>-<colour>}) whose service the task is made from
     * @param labels  this deploy's labels (app, release)
     * @param extraEnv variables the tool adds (never a secret)
     */
    public TaskResult run(ComposeProject compose, String project, TaskSpec task, Map<String, String> labels, Map<String, String> extraEnv,
                          Cancellation cancel) {
        ComposeProject.Service service = compose.services().get(task.service());
        if (service == null) throw DeployError.config(compose.file() + ": task \"" + task.name() + "\" names service \"" + task.service() + "\", which it does not have");
        ContainerSpec spec = TaskContainer.of(compose, service, project, task, labels, extraEnv);
        if (task.image() != null) new ImagePuller(docker, out, false, System.getenv()).pull(Set.of(task.image()), ImagePuller.Policy.MISSING, cancel);
        new ColourStack(docker, compose, project, labels, out).ensureNetworksAndVolumes();
        removeLeftover(spec.name());
        long t0 = System.currentTimeMillis();
        String id;
        try {
            id = spec.applyTo(docker.createContainerCmd(spec.image())).exec().getId();
        } catch (NotFoundException e) {
            throw DeployError.failed("task " + task.name() + ": image " + spec.image() + " is not on the host; pull it or push it to the registry first");
        } catch (DockerException e) {
            throw ContainerSpec.rejected(compose, service, e);
        }
        TaskOutput output = new TaskOutput(task.name(), out, spec.env(), LAST_LINES);
        try {
            for (var extra : spec.extraNetworks()) {
                docker.connectToNetworkCmd().withNetworkId(extra.network()).withContainerId(id).withContainerNetwork(new ContainerNetwork()).exec();
            }
            try {
                docker.startContainerCmd(id).exec();
            } catch (DockerException e) {
                throw ContainerSpec.rejected(compose, service, e);
            }
            Outcome ended = await(id, task, output, cancel);
            Integer code = ended == Outcome.OK ? exitCode(id) : null;
            output.finish();
            Outcome outcome = ended != Outcome.OK ? ended : code != null && code == 0 ? Outcome.OK : Outcome.FAILED;
            return new TaskResult(task.name(), task.when(), outcome, code, System.currentTimeMillis() - t0, output.last());
        } finally {
            ColourStack.removeQuietly(docker, id);
        }
    }

    /** Follows the output until the container exits (OK here means "exited"), it times out, or the run is cancelled. */
    private Outcome await(String id, TaskSpec task, TaskOutput output, Cancellation cancel) {
        long deadline = System.nanoTime() + task.timeout().toNanos();
        Follower follow = new Follower(id, output);
        try {
            while (true) {
                // The signal's wake-up call is spent here, so the kill and the removal below are not cut short by it.
                boolean interrupted = Thread.interrupted();
                if (cancel.cancelled() || interrupted) {
                    kill(id);
                    return Outcome.INTERRUPTED;
                }
                if (System.nanoTime() > deadline) {
                    kill(id);
                    return Outcome.TIMED_OUT;
                }
                if (!running(id)) {
                    follow.drain();
                    return Outcome.OK;
                }
                follow.keepFollowing();
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        } finally {
            follow.close();
        }
    }

    private boolean running(String id) {
        var st = docker.inspectContainerCmd(id).exec().getState();
        return Boolean.TRUE.equals(st.getRunning()) || "created".equals(st.getStatus());
    }

    private Integer exitCode(String id) {
        Long c = docker.inspectContainerCmd(id).exec().getState().getExitCodeLong();
        return c == null ? null : c.intValue();
    }

    private void kill(String id) {
        try {
            docker.killContainerCmd(id).exec();
        } catch (NotFoundException | NotModifiedException | com.github.dockerjava.api.exception.ConflictException gone) {
            // exited meanwhile
        }
    }

    /** A crashed run's task container of the same name: ours (by its labels) is removed; anything else is not touched. */
    private void removeLeftover(String name) {
        Map<String, String> labels;
        try {
            labels = docker.inspectContainerCmd(name).exec().getConfig().getLabels();
        } catch (NotFoundException none) {
            return;
        }
        if (labels != null && TaskContainer.ROLE.equals(labels.get(Labels.ROLE)) && app.equals(labels.get(Labels.APP))) {
            out.println("  removing " + name + ", left by an interrupted run");
            ColourStack.removeQuietly(docker, name);
            return;
        }
        throw DeployError.failed("a container named " + name + " already exists and is not a task of app \"" + app + "\"; it is left alone: remove or rename it");
    }

    /**
     * The container's output, followed on the slow client (a migration may print nothing for minutes). The engine
     * ends a follow when the container exits or the connection times out; then it is picked up again from the last
     * line's timestamp, so nothing is printed twice or lost.
     */
    private final class Follower implements Closeable {
        private final String id;
        private final TaskOutput output;
        private lib.docker.StreamCallback<Frame> current;
        private volatile String lastStamp;
        private int printedAtStamp;
        private int skipAtStamp;

        Follower(String id, TaskOutput output) {
            this.id = id;
            this.output = output;
        }

        void keepFollowing() {
            if (current != null && !current.ended()) return;
            current = follow(true);
        }

        /** After the exit: whatever the follow has not delivered yet. */
        void drain() {
            if (current != null) {
                try {
                    current.awaitCompletion(5, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                closeQuietly(current);
            }
            var rest = follow(false);
            try {
                rest.awaitCompletion(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            closeQuietly(rest);
        }

        private lib.docker.StreamCallback<Frame> follow(boolean follow) {
            var cmd = host.slowClient().logContainerCmd(id).withStdOut(true).withStdErr(true).withTimestamps(true).withFollowStream(follow);
            String since = lastStamp;
            synchronized (this) {
                skipAtStamp = printedAtStamp; // the lines at the last stamp come again
            }
            if (since != null) cmd.withSince((int) java.time.Instant.parse(since).getEpochSecond());
            return cmd.exec(new lib.docker.StreamCallback<>() {
                final StringBuilder partial = new StringBuilder();

                @Override
                public void onNext(Frame frame) {
                    partial.append(new String(frame.getPayload(), StandardCharsets.UTF_8));
                    int nl;
                    while ((nl = partial.indexOf("\n")) >= 0) {
                        stamped(partial.substring(0, nl));
                        partial.delete(0, nl + 1);
                    }
                }
            });
        }

        /** "2026-12-02T01:02:03.123456789Z text": printed unless an earlier follow printed it already. */
        private synchronized void stamped(String raw) {
            int sp = raw.indexOf(' ');
            String stamp = sp > 0 ? raw.substring(0, sp) : raw;
            String text = sp > 0 ? raw.substring(sp + 1) : "";
            int cmp = lastStamp == null ? 1 : stamp.compareTo(lastStamp);
            if (cmp < 0) return; // shown by an earlier follow
            if (cmp == 0 && skipAtStamp > 0) {
                skipAtStamp--;
                return;
            }
            if (cmp > 0) {
                lastStamp = stamp;
                printedAtStamp = 0;
                skipAtStamp = 0;
            }
            printedAtStamp++;
            output.line(text);
        }

        @Override
        public void close() {
            if (current != null) closeQuietly(current);
        }

        private void closeQuietly(Closeable c) {
            try {
                c.close();
            } catch (java.io.IOException | RuntimeException ignored) {
                // the stream is over either way
            }
        }
    }

    /** For --dry-run and status: the name a task's container has while it runs. */
    public static List<String> containerNames(String project, List<TaskSpec> tasks) {
        return tasks.stream().map(t -> TaskContainer.name(project, t.name())).toList();
    }
}
