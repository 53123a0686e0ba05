package lib.target;

import lib.base.Cancellation;
import lib.base.Labels;
import lib.compose.ComposeProject;
import lib.docker.ContainerLogs;
import lib.docker.DockerHost;
import lib.docker.ImagePuller;
import lib.release.ReleaseInfo;
import lib.health.HealthGate;
import lib.health.Probes;
import lib.host.HostReader;
import lib.host.StopSignals;
import lib.model.Colour;
import lib.model.ColourState;
import lib.model.ContainerInfo;
import lib.model.HostState;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.RestartPolicy;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/** {@link Colours} as containers on one Docker host, made and named as docker compose would ({@link ColourStack}). */
public final class DockerColours implements Colours {
    private final DockerHost host;
    private final DockerClient docker;
    private final String app;
    private final PrintWriter out;

    public DockerColours(DockerHost host, String app, PrintWriter out) {
        this.host = host;
        this.docker = host.client();
        this.app = app;
        this.out = out;
    }

    @Override
    public void pull(Set<String> images, ImagePuller.Policy policy, Cancellation cancel) {
        new ImagePuller(docker, out, System.console() != null, System.getenv()).pull(images, policy, cancel);
    }

    @Override
    public String revision(ComposeProject compose, String release) {
        return ReleaseInfo.fromImages(docker, compose, release);
    }

    @Override
    public HostState read() {
        return HostReader.read(docker, app);
    }

    @Override
    public ColourState reread(Colour colour, List<String> ids) {
        return HostReader.reread(docker, colour, ids);
    }

    @Override
    public HealthGate gate(Duration timeout, Cancellation cancel) {
        return new HealthGate(docker, timeout, cancel, out);
    }

    @Override
    public NewColour newColour(Colour colour, ComposeProject compose, Map<String, String> labels) {
        return newColour(colour, compose, labels, Set.of());
    }

    @Override
    public NewColour newColour(Colour colour, ComposeProject compose, Map<String, String> labels, Set<String> createdOnly) {
        ColourStack stack = new ColourStack(docker, compose, colour.project(app), labels, out).leavingCreated(createdOnly);
        return new NewColour() {
            @Override
            public void up(HealthGate gate, Cancellation cancel) {
                stack.up(gate, cancel);
            }

            @Override
            public List<String> ids() {
                return stack.containerIds();
            }

            @Override
            public void remove() {
                stack.removeCreated();
            }
        };
    }

    @Override
    public lib.model.TaskResult runTask(ComposeProject compose, String project, lib.model.TaskSpec task, Map<String, String> labels,
                                        Map<String, String> extraEnv, Cancellation cancel) {
        return new TaskRunner(host, app, out).run(compose, project, task, labels, extraEnv, cancel);
    }

    @Override
    public void startAgain(ColourState colour) {
        ColourStack.startAll(docker, colour, out);
    }

    @Override
    public List<String> stop(ColourState colour) {
        return ColourStack.stopAll(docker, host.slowClient(), colour, out);
    }

    @Override
    public void await(HealthGate gate, ColourState colour, Probes.Settings probe) {
        gate.await(colour.containers().stream().map(ContainerInfo::id).toList(), Probes.fromContainers(probe, colour, docker, host, out));
    }

    @Override
    public java.util.concurrent.CompletableFuture<Void> setAside(ColourState colour, boolean unrouted) {
        holdRestarts(colour);
        return ColourStack.setAside(docker, host.slowClient(), colour, unrouted, out);
    }

    @Override
    public void restore(List<String> ids) {
        ColourStack.restoreAside(docker, ids.stream().map(id -> HostReader.inspect(docker, id)).filter(Objects::nonNull).toList(), out);
    }

    @Override
    public void remove(List<String> ids) {
        for (String id : ids) ColourStack.removeQuietly(docker, id);
    }

    @Override
    public List<String> retire(ColourState colour, boolean remove, boolean killIgnoring) {
        return ColourStack.retire(docker, host.slowClient(), colour, colour.colour().project(app), remove, killIgnoring, out);
    }

    @Override
    public void allowRestarts(ColourState colour) {
        for (ContainerInfo c : colour.containers()) {
            String policy = c.labels().get(Labels.RESTART);
            if (policy != null) docker.updateContainerCmd(c.id()).withRestartPolicy(RestartPolicy.parse(policy)).exec();
        }
    }

    @Override
    public void holdRestarts(ColourState colour) {
        for (ContainerInfo c : colour.containers()) {
            if (c.labels().containsKey(Labels.RESTART)) docker.updateContainerCmd(c.id()).withRestartPolicy(RestartPolicy.noRestart()).exec();
        }
    }

    @Override
    public List<String> stopSignalNotes(ColourState colour) {
        return StopSignals.unhandled(docker, colour);
    }

    @Override
    public List<String> lastLog(String memberId, int lines) {
        return ContainerLogs.tail(docker, memberId, lines);
    }
}
