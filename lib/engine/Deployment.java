package lib.engine;

import lib.cli.Cancellation;
import lib.cli.Cli;
import lib.cli.DeployError;
import lib.cli.ExitCode;
import lib.colour.Colour;
import lib.colour.ColourDetector;
import lib.colour.ColourStack;
import lib.colour.ColourState;
import lib.colour.ContainerInfo;
import lib.colour.HostState;
import lib.colour.Labels;
import lib.compose.ComposeProject;
import lib.docker.ContainerLogs;
import lib.docker.DockerHost;
import lib.docker.ImagePuller;
import lib.docker.Parallel;
import lib.front.ManagedFront;
import lib.health.HealthGate;
import lib.health.Probes;
import lib.options.FrontOptions;
import lib.project.Hooks;
import lib.project.Notifier;
import lib.release.ReleaseHistory;
import lib.release.ReleaseInfo;

import com.github.dockerjava.api.DockerClient;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One deploy or rollback of one app on one host: the state of the run and the steps that act on it. The scripts list
 * the steps (deploy.java, rollback.java); {@link Steps} runs them, undoing on failure. Every step that changes the
 * host registers its undo right where it makes the change.
 */
public final class Deployment {
    /** What to do with the colour that served before, once the new one is live. */
    public enum KeepOld {
        /** Keep running, unrouted, behind the managed front: rollback.java switches back in a second. */
        RUNNING,
        /** Stop it and keep it for a rollback that starts it again. */
        STOPPED,
        /** Remove it. */
        REMOVED
    }

    /** Everything a run needs that does not come from the host. */
    public record Settings(String action, Duration gateTimeout, Probes.Settings probe, ImagePuller.Policy pull,
                           FrontOptions front, boolean frontGiven, KeepOld keepOld, boolean keepOldGiven,
                           Notifier notifier, Hooks hooks, String environment) {
        /** One host of a fleet: its own front settings; the fleet notifies and runs hooks once for all hosts. */
        public Settings forFleetMember(PrintWriter out, PrintWriter err) {
            return new Settings(action, gateTimeout, probe, pull, front.copy(), frontGiven, keepOld, keepOldGiven,
                    Notifier.none(err), Hooks.none(out), environment);
        }
    }

    private final DockerHost host;
    private final DockerClient docker;
    private final String app;
    private final Settings settings;
    private final Cancellation cancel;
    private final PrintWriter out;
    private final PrintWriter err;
    private final Steps steps;
    private final long started = System.currentTimeMillis();

    private final HostState state;
    private final Optional<Colour> live;
    private final String previous;
    private final LiveRecord.Front front;
    private LiveRecord record;
    private Colour next;
    private String release;
    private ComposeProject compose;
    private Map<String, String> ourLabels;
    private ColourStack stack;
    private ColourState target;
    private ManagedFront managed;
    private Set<String> oldWorkers = Set.of();
    private CompletableFuture<Void> frontChecked = CompletableFuture.completedFuture(null);
    private String previousUpstream;
    private List<String> aside = List.of();
    private HealthGate gate;
    private final List<String> notes = new ArrayList<>();

    /** Reads the host (under the lock the caller holds) and recovers what an earlier crash left half done. */
    public Deployment(DockerHost host, String app, Settings settings, Cancellation cancel, PrintWriter out, PrintWriter err) {
        this.host = host;
        this.docker = host.client();
        this.app = app;
        this.settings = settings;
        this.cancel = cancel;
        this.out = out;
        this.err = err;
        this.steps = new Steps(cancel, out, err);
        steps.beforeUndo(reason -> {
            if (reason.exitCode() != ExitCode.INTERRUPTED && reason.exitCode() != ExitCode.DOCKER) showLogs(reason);
        });
        HostState s = ColourDetector.detect(docker, app);
        if (!s.aside().isEmpty()) s = recoverAside(s);
        this.state = s;
        this.live = s.live();
        this.previous = live.map(c -> state.of(c).release()).orElse(null);
        this.record = s.record().orElse(LiveRecord.empty());
        this.front = chooseFront();
    }

    public DockerHost host() {
        return host;
    }

    public HostState state() {
        return state;
    }

    public Optional<Colour> live() {
        return live;
    }

    public String release() {
        return release;
    }

    public Colour next() {
        return next;
    }

    public boolean managedFront() {
        return front.managed();
    }

    public static Steps.Step before(String title, Steps.Action a) {
        return Steps.before(title, a);
    }

    public static Steps.Step after(String title, Steps.Action a) {
        return Steps.after(title, a);
    }

    public static Steps.Step theSwitch(String title, Steps.Action a) {
        return Steps.theSwitch(title, a);
    }

    /** A deploy of a Compose project into the idle colour. */
    public Deployment toCompose(Colour colour, ComposeProject compose, String release) {
        this.next = colour;
        this.compose = compose;
        this.release = release;
        this.ourLabels = ReleaseInfo.labels(app, colour, release);
        return this;
    }

    /** A rollback to the containers a colour already holds. */
    public Deployment toStandby(Colour colour) {
        this.next = colour;
        this.target = state.of(colour);
        this.release = target.release();
        return this;
    }

    /**
     * Runs the steps. Success prints the result line; failure undoes, records, notifies and throws a DeployError
     * whose message says what failed and what serves now.
     */
    public int run(List<Steps.Step> list) {
        notifier().send(event("start", 0, null));
        try {
            steps.run(list);
        } catch (Steps.Failed failed) {
            throw failure(failed);
        }
        return ExitCode.OK;
    }

    /** A fleet's first phase: every step before the switch. Returns the failure (already undone and recorded), or null. */
    public DeployError prepare(List<Steps.Step> list) {
        try {
            steps.runUpToSwitch(list);
            return null;
        } catch (Steps.Failed failed) {
            return failure(failed);
        }
    }

    /** Another host failed before the switch: undo this one too and record why. */
    public DeployError abort(String why) {
        List<String> problems = steps.abort();
        history("failed", why);
        return new DeployError(ExitCode.DEPLOY_FAILED, why + "; " + (problems.isEmpty() ? "undone here; " : "could not undo everything ("
                + String.join("; ", problems) + "); ") + live.map(c -> c + " still serves release " + previous).orElse("nothing served here before"));
    }

    /** A fleet's second phase: the switch and the rest. Returns the failure, or null. */
    public DeployError finish(List<Steps.Step> list) {
        try {
            steps.runFromSwitch(list);
            return null;
        } catch (Steps.Failed failed) {
            return failure(failed);
        }
    }

    // ---- the steps -------------------------------------------------------------------------------------------

    public void preHook(String hook) {
        String failure = settings.hooks().run(hook, hookEnv());
        if (failure != null) throw DeployError.failed(failure);
    }

    /** A host that has no record yet gets one now, before anything starts: a crash later must not make guesses. */
    public void ensureRecord() {
        if (state.record().isPresent()) return;
        LiveRecord r = new LiveRecord(null, null, null, null, front, new java.util.EnumMap<>(Colour.class));
        for (Colour c : Colour.values()) {
            if (!state.of(c).empty() && state.mayServe(state.of(c))) r = r.withGated(c, state.of(c).release());
        }
        if (live.isPresent()) r = r.withLive(live.get(), previous, state.of(live.get()).deployedBy(), front);
        record = r;
        record.write(docker, app);
    }

    /** Managed front: exists, runs, has the live colour on its network and upstream (a passive app moving to managed). */
    public void ensureFront() {
        if (!front.managed()) return;
        managed = new ManagedFront(docker, app, settings.front(), out);
        String liveTarget = live.map(c -> managed.targetOf(state.of(c))).orElse(null);
        previousUpstream = liveTarget;
        Optional<Colour> recorded = state.record().flatMap(LiveRecord::liveColour);
        boolean interruptedSwitch = state.frontPoints().isPresent() && !state.frontPoints().equals(recorded);
        // A rollback to a warm standby behind a front that serves the live colour: both are on the network already.
        boolean warmRollback = compose == null && target != null && target.allRunning() && state.frontPoints().equals(live);
        Runnable check = () -> {
            live.ifPresent(c -> managed.join(state.of(c)));
            managed.ensure(liveTarget);
        };
        if (warmRollback) {
            managed.ensureRunning(liveTarget); // the switch rewrites the upstream anyway
        } else if (!interruptedSwitch && managed.running()) {
            // The usual case. Reading its files back to compare (a copy out of the container) and joining the live colour
            // to its network go on while the new colour is pulled and started; start() waits for them.
            frontChecked = CompletableFuture.runAsync(check, Parallel.POOL);
        } else {
            check.run();
        }
        if (interruptedSwitch) {
            // A run killed inside its switch: the file names a colour that passed its gate, nginx may not serve it yet.
            out.println("  an interrupted switch left the front's file naming " + state.frontPoints().get() + ": reloading and draining before going on");
            managed.drain(managed.reloadAsWritten(), cancel);
            record = record.withGated(state.frontPoints().get(), previous).withLive(state.frontPoints().get(), previous, DeployLock.whoAmI(), front);
            record.write(docker, app);
        }
    }

    /** The front's check, if it went on in the background: done (or its failure thrown) before the front is used. */
    private void awaitFront() {
        while (true) {
            cancel.check();
            try {
                frontChecked.get(100, TimeUnit.MILLISECONDS);
                return;
            } catch (TimeoutException stillChecking) {
                // a Ctrl-C is seen within 100 ms
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            }
        }
    }

    public void pull() {
        LinkedHashSet<String> images = new LinkedHashSet<>();
        compose.startOrder().forEach(s -> images.add(s.image()));
        new ImagePuller(docker, out, System.console() != null).pull(images, settings.pull(), cancel);
        String built = ReleaseInfo.fromImages(docker, compose, release);
        if (!built.equals(release)) {
            out.println("  " + release + " is commit " + built + " (org.opencontainers.image.revision); recording it as release " + built);
            release = built;
            ourLabels.put(Labels.RELEASE, release);
        }
    }

    /**
     * The idle colour's containers hold the release before last (kept for a fast rollback) or the remains of an
     * interrupted deploy. The first are set aside and put back if this deploy fails; the second never passed a gate
     * and are removed.
     */
    public void clearTarget() {
        ColourState old = state.of(next);
        aside = new ArrayList<>(state.aside().stream().filter(c -> c.name().startsWith(next.project(app) + "-")).map(ContainerInfo::id).toList());
        if (!old.empty() && !state.mayServe(old)) {
            out.println("  removing " + next + ": it never passed its health gate (an interrupted deploy)");
            ColourStack.retire(docker, host.slowClient(), old, next.project(app), true, out);
            old = new ColourState(next, List.of());
        }
        if (old.empty() && aside.isEmpty()) return;
        String held = old.empty() ? "the release set aside by an interrupted deploy" : "release " + old.release();
        old.containers().forEach(c -> aside.add(c.id()));
        // Registered first: a set-aside cut short half way is put back too.
        steps.onUndo("restore " + next + " (" + held + ")", () -> {
            List<ContainerInfo> back = aside.stream().map(id -> ColourDetector.inspect(docker, id)).filter(c -> c != null).toList();
            ColourStack.restoreAside(docker, back, out);
        });
        if (!old.empty()) {
            out.println("  setting aside " + next + " (" + held + ") until " + release + " passed its gate");
            ColourStack.setAside(docker, host.slowClient(), old, front.managed(), out);
        }
    }

    /** --strategy recreate: the old colour goes down first (a short outage) and comes back if the new one fails. */
    public void stopLive() {
        if (live.isEmpty()) return;
        awaitFront(); // its check may reload nginx, which must still resolve the live colour's name
        ColourState old = state.of(live.get());
        steps.onUndo("start " + live.get() + " again", () -> ColourStack.startAll(docker, ColourDetector.detect(docker, app).of(live.get()), out));
        ColourStack.stopAll(docker, host.slowClient(), old, out);
    }

    public void start() {
        gate = new HealthGate(docker, settings.gateTimeout(), cancel, out);
        stack = new ColourStack(docker, compose, next.project(app), ourLabels, out);
        steps.onUndo("remove " + next + "'s new containers", stack::removeCreated);
        stack.up(gate, cancel);
        // Joined now, while the app gets ready, so the switch itself is only the front's reload.
        if (managed != null) {
            awaitFront();
            managed.join(ColourDetector.reread(docker, next, stack.containerIds()));
        }
    }

    /** Rollback's fast path: the standby colour's own containers, started again (no pull, nothing created). */
    public void startStandby() {
        gate = new HealthGate(docker, settings.gateTimeout(), cancel, out);
        if (target.allRunning()) {
            out.println("  " + next + " is still running (warm standby): checking it once");
            return;
        }
        steps.onUndo("stop " + next + " again", () -> ColourStack.stopAll(docker, host.slowClient(), ColourDetector.detect(docker, app).of(next), out));
        ColourStack.startAll(docker, target, out);
        awaitFront();
    }

    public void gate() {
        ColourState fresh = ColourDetector.reread(docker, next, stack != null ? stack.containerIds() : ids(target));
        target = fresh;
        Probes.Settings p = settings.probe();
        if (fresh.allRunning() && stack == null) p = p.withSuccesses(1); // a warm standby: once
        gate.await(fresh.containers().stream().map(ContainerInfo::id).toList(), Probes.fromContainers(p, fresh, docker, host, out));
    }

    /**
     * The commit point. Managed front: the new upstream, validated and reloaded (the front puts the old one back if
     * that fails). Then the record says the new colour is live; from here on nothing is undone.
     */
    public void switchTraffic() {
        if (managed != null) {
            awaitFront();
            // Registered first: a switch cut short by a signal between its SIGHUP and its confirmation is taken back too.
            steps.onUndo("switch the front back", () -> managed.switchTo(previousUpstream == null ? ManagedFront.NOWHERE : previousUpstream));
            oldWorkers = managed.switchTo(managed.targetOf(target), previousUpstream);
        }
        // Written after the front's reload, off the switch's path: a crash in between leaves the front naming a colour
        // that passed its gate, and the next run finishes that switch (ensureFront).
        record = record.withGated(next, release).withLive(next, release, DeployLock.whoAmI(), front);
        record.write(docker, app);
        steps.commit();
    }

    public void drain() {
        if (managed == null || live.isEmpty()) return;
        managed.drain(oldWorkers, cancel);
    }

    /** After the switch: the old colour per --keep-old, then the set-aside containers (now two releases back). */
    public void retireOld() {
        KeepOld keep = keepOld();
        if (keep == KeepOld.RUNNING || live.isEmpty()) {
            // Nothing is stopped now, so nothing measures the grace period: ask the process table instead.
            try {
                List<String> unhandled = lib.colour.StopSignals.unhandled(docker, target);
                unhandled.forEach(n -> out.println(Cli.ansi().string("  @|yellow note:|@ ") + n));
                notes.addAll(unhandled);
            } catch (RuntimeException unknown) {
                // a diagnosis only: a host whose ps cannot say is no reason to warn or fail
            }
        }
        if (live.isPresent()) {
            ColourState old = ColourDetector.reread(docker, live.get(), ids(state.of(live.get())));
            if (keep == KeepOld.RUNNING) {
                out.println("  " + live.get() + " keeps running, unrouted, as a warm standby: rollback.java switches back to it at once"
                        + " (it holds its memory until the next deploy; --keep-old stopped frees it)");
            } else {
                retireWatchingForInterrupts(old, keep == KeepOld.REMOVED);
            }
        }
        for (String id : aside) {
            try {
                docker.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
            } catch (com.github.dockerjava.api.exception.NotFoundException gone) {
                // already gone
            }
        }
    }

    /**
     * The old colour's graceful stop can take its whole grace period (an app that ignores SIGTERM: 10 s). Past the
     * switch an interrupt must not wait for it: the stop goes on in the daemon, and the run records and exits.
     */
    private void retireWatchingForInterrupts(ColourState old, boolean remove) {
        CompletableFuture<List<String>> retiring = CompletableFuture.supplyAsync(() ->
                ColourStack.retire(docker, host.slowClient(), old, live.get().project(app), remove, out));
        while (true) {
            try {
                notes.addAll(retiring.get(100, TimeUnit.MILLISECONDS));
                return;
            } catch (TimeoutException stillStopping) {
                if (cancel.cancelled()) {
                    out.println("  interrupted: the daemon finishes stopping " + live.get() + " on its own");
                    return;
                }
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            } catch (InterruptedException e) {
                return; // only a signal interrupts this thread, and past the switch that means: stop waiting
            }
        }
    }

    /** History, the line CI logs show, the notification and the post hook. */
    public void recordSuccess() {
        history("ok", null, notes.isEmpty() ? null : String.join("; ", notes));
        boolean rollback = settings.action().equals("rollback");
        out.println(Cli.ansi().string(rollback ? "@|bold,green rolled back|@ " : "@|bold,green deployed|@ ") + app + " release " + release + ": "
                + next + " is live" + (cancel.cancelled() ? " (interrupted after the switch; the rest is left to the daemon and the next deploy)" : ""));
        out.flush();
        notifier().send(event(rollback ? "rollback" : "success", System.currentTimeMillis() - started, null));
        String postFailure = settings.hooks().run(rollback ? "post-rollback" : "post-deploy", hookEnv());
        if (postFailure != null) err.println(Cli.ansi().string("@|yellow warning:|@ ") + postFailure + " (the " + settings.action() + " itself succeeded)");
        notifier().flush();
    }

    // ---- failure -------------------------------------------------------------------------------------------------

    private DeployError failure(Steps.Failed failed) {
        try {
            // A front check still going on in the background finishes (it takes milliseconds) before the run reports.
            frontChecked.get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException ignored) {
            // the run failed already; this is not what it reports
        }
        DeployError reason = failed.reason();
        boolean interrupted = reason.exitCode() == ExitCode.INTERRUPTED;
        history(interrupted ? "interrupted" : "failed", reason.getMessage());
        notifier().send(event("failure", System.currentTimeMillis() - started, reason.getMessage()));
        notifier().flush();
        String what = (interrupted ? settings.action() + " interrupted" : settings.action() + " failed") + ": " + reason.getMessage();
        String serving = live.map(c -> c + " still serves release " + previous).orElse("no colour was live before, so nothing serves");
        String undone = failed.undoProblems().isEmpty() ? (failed.changedAnything() ? "what it changed was undone; " : "nothing was changed: ")
                : "could not undo everything (" + String.join("; ", failed.undoProblems()) + "); run the deploy again once the host answers; ";
        return new DeployError(reason.exitCode(), what + "; " + undone + serving, reason);
    }

    private void showLogs(DeployError reason) {
        err.println(Cli.ansi().string("@|red " + settings.action() + " rejected:|@ ") + reason.getMessage());
        String culprit = reason instanceof HealthGate.Failure f ? f.containerId() : null;
        if (culprit == null && stack != null && !stack.containerIds().isEmpty()) culprit = stack.containerIds().get(stack.containerIds().size() - 1);
        if (culprit != null) {
            try {
                var lines = ContainerLogs.tail(docker, culprit, 20);
                if (!lines.isEmpty()) {
                    err.println("last log lines of " + culprit.substring(0, 12) + ":");
                    lines.forEach(l -> err.println("  | " + l));
                }
            } catch (RuntimeException gone) {
                // removed with its colour already, or the daemon is gone: the reason above stands alone
            }
        }
        err.flush();
    }

    // ---- helpers ---------------------------------------------------------------------------------------------------

    private static List<String> ids(ColourState colour) {
        return colour.containers().stream().map(ContainerInfo::id).toList();
    }

    /** History is for people; failing to write it must not turn a good deploy into a failed one. */
    private void history(String result, String reason) {
        history(result, reason, null);
    }

    private void history(String result, String reason, String notes) {
        if (next == null) return;
        try {
            new ReleaseHistory(docker, app).append(new ReleaseHistory.Entry(Instant.now().toString(), settings.action(),
                    release, next.id(), previous, result, System.currentTimeMillis() - started, DeployLock.whoAmI(), reason, notes));
        } catch (RuntimeException e) {
            err.println(Cli.ansi().string("@|yellow warning:|@ ") + "could not record the release history: " + Failures.classify(e, Cancellation.none()).getMessage());
        }
    }

    private Notifier notifier() {
        return settings.notifier();
    }

    private Notifier.Event event(String kind, long millis, String reason) {
        return new Notifier.Event(kind, app, settings.environment(), next == null ? null : next.id(), release, previous,
                DeployLock.whoAmI(), millis, reason);
    }

    /** What hooks get: the release details, never a secret. */
    public Map<String, String> hookEnv() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("DEPLOY_APP", app);
        env.put("DEPLOY_ENV", settings.environment() == null ? "" : settings.environment());
        env.put("DEPLOY_RELEASE", release == null ? "" : release);
        env.put("DEPLOY_COLOUR", next == null ? "" : next.id());
        env.put("DEPLOY_PREVIOUS_RELEASE", previous == null ? "" : previous);
        env.put("DEPLOY_HOST", host.describe());
        env.put("DEPLOY_BY", DeployLock.whoAmI());
        return env;
    }

    /**
     * The front is what the host recorded unless the command line says otherwise: a rollback or a deploy without
     * --front must not leave a managed front pointing at a colour it is about to stop.
     */
    private LiveRecord.Front chooseFront() {
        FrontOptions f = settings.front();
        LiveRecord.Front recorded = record.front();
        if (!settings.frontGiven() && recorded.managed()) {
            f.kind = FrontOptions.Kind.MANAGED;
            f.port = recorded.port();
            f.bind = recorded.bind();
            f.image = recorded.image();
            if (f.service == null) f.service = recorded.service();
            if (f.targetPort == null) f.targetPort = recorded.targetPort();
            if (recorded.drain() != null) f.drainTimeout = Duration.parse(recorded.drain());
        }
        if (!f.managed()) {
            if (recorded.managed() && ManagedFront.upstreamOf(docker, app).isPresent()) {
                throw DeployError.config(app + " runs behind the managed front " + ManagedFront.containerName(app)
                        + "; a passive deploy would stop the colour it sends traffic to. Drop --front passive (or remove the front: docker rm -f "
                        + ManagedFront.containerName(app) + ")");
            }
            return LiveRecord.Front.passive();
        }
        return new LiveRecord.Front(true, f.port, f.bind, f.image, f.service, f.targetPort, f.drainTimeout.toString());
    }

    private KeepOld keepOld() {
        if (settings.keepOldGiven()) {
            if (settings.keepOld() == KeepOld.RUNNING && !front.managed()) {
                out.println("  --keep-old running needs the managed front (a passive front would keep sending traffic to it): stopping it instead");
                return KeepOld.STOPPED;
            }
            return settings.keepOld();
        }
        return front.managed() ? KeepOld.RUNNING : settings.keepOld();
    }

    /**
     * A crash between "set aside" and "switch" leaves the previous release renamed. When its names are free again it
     * goes back; when the colour that replaced it is live, it is two releases old and goes away.
     */
    private HostState recoverAside(HostState s) {
        List<ContainerInfo> restore = new ArrayList<>();
        for (ContainerInfo c : s.aside()) {
            String own = c.name().substring(0, c.name().length() - ColourDetector.ASIDE.length());
            boolean taken = s.blue().containers().stream().anyMatch(x -> x.name().equals(own))
                    || s.green().containers().stream().anyMatch(x -> x.name().equals(own));
            if (!taken) {
                restore.add(c);
            } else if (s.live().isPresent() && own.startsWith(s.live().get().project(app) + "-")) {
                docker.removeContainerCmd(c.id()).withForce(true).withRemoveVolumes(true).exec();
            }
        }
        if (!restore.isEmpty()) {
            out.println("  restoring the previous release that an interrupted deploy had set aside");
            ColourStack.restoreAside(docker, restore, out);
        }
        return ColourDetector.detect(docker, app);
    }
}
