package lib.target;

import lib.base.Cancellation;
import lib.compose.ComposeProject;
import lib.docker.ImagePuller;
import lib.health.HealthGate;
import lib.health.Probes;
import lib.model.Colour;
import lib.model.ColourState;
import lib.model.HostState;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The colours of one app on one target, as the engine's steps act on them: read them once, bring one up, start or
 * stop one that exists, gate it, set it aside and back, retire it. The steps (lib/engine) know only this; today's
 * implementation is {@link DockerColours}, containers on one Docker host, and a Swarm engine is a second one, so
 * adding it does not touch the step list. Traffic moves through the managed front (lib/front), which runs on hosts
 * in either case.
 */
public interface Colours {
    /** The one read at the start of a run: both colours, what a crash set aside, the record, what the front points at. */
    HostState read();

    /** Makes the images present where the colours run, per the pull policy. */
    void pull(Set<String> images, ImagePuller.Policy policy, Cancellation cancel);

    /** The commit the images say they were built from (org.opencontainers.image.revision), else the release as given. */
    String revision(ComposeProject compose, String release);

    /**
     * A rollback to a release as it ran: images the history recorded pinned by digest (by service), used instead of
     * what their tags name now. An engine that runs images by tag ignores them.
     */
    default void useRecordedImages(Map<String, String> byService) {}

    /** One colour read again by its members' ids, without reading the whole target. */
    ColourState reread(Colour colour, List<String> ids);

    /** A gate for this target: one deadline for every member to run, be healthy and answer the probe. */
    HealthGate gate(Duration timeout, Cancellation cancel);

    /** A colour to bring up from a Compose project; nothing changes until its up(). */
    NewColour newColour(Colour colour, ComposeProject compose, Map<String, String> labels);

    /**
     * The same, with singleton services created but not started: they start at the switch, once the old colour's
     * have stopped ({@link #startAgain} on just those). An engine that cannot do this refuses singletons.
     */
    default NewColour newColour(Colour colour, ComposeProject compose, Map<String, String> labels, Set<String> createdOnly) {
        if (!createdOnly.isEmpty()) throw lib.base.DeployError.config("singletons are not supported on this engine");
        return newColour(colour, compose, labels);
    }

    /**
     * Runs one release task to its end as a one-shot made from a service of a colour's Compose project (see
     * {@link TaskRunner} on one host, a one-shot Swarm service on a Swarm), its output streamed with the task's name
     * as prefix and secrets masked, removed afterwards whatever happened. Past its timeout or on Ctrl-C it is killed.
     *
     * @param project  the colour's Compose project ({@code <app>-<colour>}) whose service, networks and volumes it uses
     * @param extraEnv variables the tool adds (a backup's BACKUP_FILE; never a secret)
     */
    lib.model.TaskResult runTask(ComposeProject compose, String project, lib.model.TaskSpec task, Map<String, String> labels,
                                 Map<String, String> extraEnv, Cancellation cancel);

    /** Starts a colour's existing members again (rollback's fast path, the undo of a stop). */
    void startAgain(ColourState colour);

    /** Stops a colour gracefully and keeps it; one note per member that had to be killed. */
    List<String> stop(ColourState colour);

    /** Returns once the colour passed the gate: every member running and healthy, the probe answering. */
    void await(HealthGate gate, ColourState colour, Probes.Settings probe);

    /**
     * Moves a colour's members out of the way of new ones without losing them (unrouted: no traffic to be graceful
     * for). Returns their teardown if it goes on in the background (members that hold no host port are only renamed
     * before it returns), else a completed future.
     */
    java.util.concurrent.CompletableFuture<Void> setAside(ColourState colour, boolean unrouted);

    /** Puts set-aside members (by id) back under their own names. */
    void restore(List<String> ids);

    /** Removes members for good, with their anonymous volumes; named volumes stay. */
    void remove(List<String> ids);

    /**
     * Retires the colour that served before: stops it (at once for members that provably ignore their stop signal,
     * when killIgnoring), and removes it when asked. Returns what the stop diagnosed.
     */
    List<String> retire(ColourState colour, boolean remove, boolean killIgnoring);

    /** Lets a colour that passed its gate restart with its host, as its Compose file's restart: asks. */
    void allowRestarts(ColourState colour);

    /** Keeps a retired colour down when its host restarts (restart: always would bring the old release back). */
    void holdRestarts(ColourState colour);

    /** Whether each running member's process handles its stop signal, asked without stopping anything. */
    List<String> stopSignalNotes(ColourState colour);

    /** The last lines a member logged: what explains a failure. */
    List<String> lastLog(String memberId, int lines);

    /** The managed front of the app on this target (on a Swarm, its network is the app's attachable overlay). */
    default lib.front.ManagedFront front(com.github.dockerjava.api.DockerClient docker, String app, lib.model.FrontSettings settings, java.io.PrintWriter out) {
        return new lib.front.ManagedFront(docker, app, settings, out);
    }

    /**
     * The switch of the app's front(s): on one host the one front; on a Swarm with several fronts: the others are made
     * to serve the live colour first, and the switch moves all of them, all or nothing.
     */
    default lib.front.FrontSwitch frontSwitch(lib.front.ManagedFront front, String liveTarget, java.io.PrintWriter out) {
        return new lib.front.FrontSwitch(front, out);
    }

    /** What the front's upstream names for a colour: on one host its front service's container by name, on a Swarm its tasks' addresses. */
    default String frontTarget(lib.front.ManagedFront front, ColourState colour) {
        return front.targetOf(colour);
    }

    /** Puts a colour where the front reaches it (on one host: its front service's container joins the front's network). */
    default void joinFront(lib.front.ManagedFront front, ColourState colour) {
        front.join(colour);
    }

    /** Each colour's addresses as the front's access log names them (its $upstream_addr), to their colour's id. */
    default Map<String, String> frontAddresses(lib.front.ManagedFront front, List<ColourState> colours) {
        return front.addresses(colours);
    }

    /**
     * deploy.yml's health.checks against a colour that passed its gate: on one host where its probe runs (the Docker
     * host's side, or this machine); on a Swarm from every front against every task. Nothing runs until its
     * firstFailure(), which may be asked again (the watch window does, every second).
     */
    default lib.health.LiveCheck smokeChecks(Probes.Settings probe, List<lib.model.SmokeCheck> checks, ColourState colour,
                                             lib.docker.DockerHost host, java.io.PrintWriter out) {
        return lib.health.SmokeChecks.against(probe, checks, colour, host, out)::firstFailure;
    }

    /**
     * Takes back the front(s) this run created (each only if it did), for a first deploy that failed before its
     * switch: nothing should answer on a front's port for an app that never went live behind it.
     */
    default void removeCreatedFronts(lib.front.ManagedFront front) {
        front.removeCreated();
    }

    /** Every front the switch moves, the given one first: on a Swarm with several fronts: entries, all of them. */
    default List<lib.front.ManagedFront> allFronts(lib.front.ManagedFront front) {
        return List.of(front);
    }

    /** A colour being brought up: remove() takes back exactly what up() created, even when up() failed half way. */
    interface NewColour {
        /** Creates and starts every member in dependency order, waiting for service_healthy dependencies. */
        void up(HealthGate gate, Cancellation cancel);

        List<String> ids();

        void remove();
    }
}
