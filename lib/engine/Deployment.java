package lib.engine;

import lib.docker.ImagePuller;

import lib.base.Text;
import lib.target.Colours;
import lib.target.DockerColours;
import lib.base.Operator;
import lib.front.NginxConfig;
import lib.front.AccessLog;
import lib.front.FrontSwitch;
import lib.model.FrontSettings;
import lib.model.KeepOld;
import lib.host.AppState;
import lib.host.HostAppState;
import lib.model.LiveRecord;
import lib.base.Style;
import lib.base.Cancellation;
import lib.base.DeployError;
import lib.base.ExitCode;
import lib.model.Colour;
import lib.model.ColourState;
import lib.model.ContainerInfo;
import lib.model.HostState;
import lib.base.Labels;
import lib.compose.ComposeProject;
import lib.compose.AccessorySplit;
import lib.compose.ContainerSpec;
import lib.target.Accessories;
import lib.docker.DockerHost;
import lib.docker.Parallel;
import lib.front.ManagedFront;
import lib.health.HealthGate;
import lib.health.Probes;
import lib.project.Notifier;
import lib.host.ReleaseHistory;
import lib.release.ReleaseInfo;

import com.github.dockerjava.api.DockerClient;

import java.io.PrintWriter;
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
    private final DockerHost host;
    private final DockerClient docker;
    private final Colours colours;
    /** Where the record and the history live: the host itself, or a Swarm's store. */
    private final AppState store;
    private final String app;
    private final RunSettings settings;
    private final Cancellation cancel;
    private final PrintWriter out;
    private final PrintWriter err;
    private final Steps steps;
    private final long started = System.currentTimeMillis();

    private final Recovery recovery;
    private final HostState state;
    private final Optional<Colour> live;
    private final String previous;
    private final FrontSettings front;
    private final KeepOld keepOld;
    private LiveRecord record;
    private Colour next;
    private String release;
    private ComposeProject compose;
    private Map<String, String> ourLabels;
    private Colours.NewColour created;
    private ColourState target;
    private ManagedFront managed;
    private FrontSwitch frontSwitch;
    private Set<String> oldWorkers = Set.of();
    private CompletableFuture<Void> frontChecked = CompletableFuture.completedFuture(null);
    private String previousUpstream;
    private List<String> aside = List.of();
    private HealthGate gate;
    private final List<String> notes = new ArrayList<>();
    private List<AccessorySplit.Accessory> accessories = List.of();
    /** The access log rotated if due, and the front's clock against ours: started with the front's check, joined after the switch. */
    private CompletableFuture<Long> logPrepared = CompletableFuture.completedFuture(0L);
    private long switchStarted;
    private AccessLog.Report traffic;
    /** With several fronts: each one's share of the traffic report (null with one front). */
    private String trafficPerFront;
    /** The other fronts' log rotations and clock offsets, as logPrepared is the first's. */
    private final Map<ManagedFront, CompletableFuture<Long>> otherLogsPrepared = new java.util.concurrent.ConcurrentHashMap<>();
    private CompletableFuture<Void> asideTeardown = CompletableFuture.completedFuture(null);
    private TaskSteps tasks;
    private Singletons singletons;
    /** What the watch window after the switch measured; null without one. */
    private lib.front.WatchWindow.Report watched;

    /**
     * Reads the host once (under the lock the caller holds, or for --dry-run without it): read-only, so a plan can be
     * made and printed without changing anything. What an earlier crash left half done is the first step's work.
     */
    public Deployment(DockerHost host, String app, RunSettings settings, Cancellation cancel, PrintWriter out, PrintWriter err) {
        this(host, new DockerColours(host, app, out), app, settings, cancel, out, err);
    }

    /**
     * The same on another engine's colours (the seam for a second engine, such as Swarm): the host is where the
     * record, the history and the managed front live.
     */
    public Deployment(DockerHost host, Colours colours, String app, RunSettings settings, Cancellation cancel, PrintWriter out, PrintWriter err) {
        this(host, colours, new HostAppState(host, app), app, settings, cancel, out, err);
    }

    /**
     * The same with the app's record and history kept where {@code store} keeps them (a Swarm's replicated store); the
     * one store must be the one the colours' read() took the record from, so that a write is checked against that read.
     */
    public Deployment(DockerHost host, Colours colours, AppState store, String app, RunSettings settings, Cancellation cancel, PrintWriter out,
                      PrintWriter err) {
        this.store = store;
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
        this.colours = colours;
        this.recovery = Recovery.of(colours.read());
        HostState s = recovery.after();
        this.state = s;
        this.live = s.live();
        this.previous = live.map(c -> state.of(c).release()).orElse(null);
        this.record = s.record().orElse(LiveRecord.empty());
        this.front = chooseFront();
        this.keepOld = settings.keepOldFor(front);
        if (settings.watch().on() && !front.managed()) {
            throw DeployError.config("--watch needs the managed front (--front managed): behind the passive front the colours publish"
                    + " their own ports, so no single place sees the traffic to count its errors, and nothing can switch it back in a second");
        }
        if (settings.watch().on() && live.isEmpty()) {
            out.println(Style.note() + "nothing served " + app + " before, so there is no old colour to switch back to: no watch window");
        }
        withTasks(lib.model.ReleaseTasks.none());
    }

    /** deploy.yml's tasks and singletons for this run (none by default; a fleet host that does not run the tasks gets only the singletons). */
    public Deployment withTasks(lib.model.ReleaseTasks releaseTasks) {
        this.tasks = new TaskSteps(colours, app, releaseTasks, cancel, out, err);
        this.singletons = new Singletons(releaseTasks.singletons(), colours, out);
        return this;
    }

    public lib.model.ReleaseTasks tasks() {
        return tasks.tasks();
    }

    /** A release task, from the new colour's service (see {@link TaskSteps}). */
    public void runTask(lib.model.TaskSpec task) {
        tasks.run(task, compose, next.project(app), ourLabels, release);
    }

    public boolean hasSingletons() {
        return singletons.any();
    }

    /** Whether a crash (or an older version) left singletons running outside the live colour, or the live colour's down. */
    public boolean singletonsUnsettled() {
        return singletons.unsettled(state, live);
    }

    public void settleSingletons() {
        singletons.settle(colours.read(), live);
    }

    /** Just past the switch: the old colour's singletons stop, then the new colour's start. */
    public void handOverSingletons() {
        singletons.handOver(live.map(c -> state.of(c)), target);
    }

    /** Where this run keeps the record and the history (rollback.java reads the history from it). */
    public AppState store() {
        return store;
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

    /** The release that served before this run, if any. */
    public String previous() {
        return previous;
    }

    /** What the retire step does to the colour that served before, in words for its title. */
    public String retiring() {
        return switch (keepOld) {
            case RUNNING -> "keep it running, unrouted, as a warm standby";
            case STOPPED -> "stop it gracefully and keep it for a rollback";
            case REMOVED -> "stop it gracefully and remove it";
        };
    }

    /** The containers the start step creates, for --dry-run: name, image and published ports. */
    public List<String> creates() {
        if (compose == null) return List.of();
        List<String> shared = accessories.stream().map(a -> a.name() + " from " + a.image() + " (accessory, if it does not run yet)").toList();
        return java.util.stream.Stream.concat(shared.stream(), compose.startOrder().stream().map(s -> ContainerSpec.containerName(next.project(app), s.name()) + " from " + s.image()
                + (s.ports().isEmpty() ? "" : front.managed() && !front.publishPorts() ? " (ports " + s.ports().stream().map(p -> p.containerPort())
                .toList() + " reached by the front, none published)" : " ports " + s.ports().stream()
                .map(p -> (p.hostIp() == null ? "" : p.hostIp() + ":") + p.hostPort() + "->" + p.containerPort()).toList()))).toList();
    }

    public boolean hasHook(String hook) {
        return settings.hooks().has(hook);
    }

    public boolean managedFront() {
        return front.managed();
    }

    /** Whether a crashed run left containers set aside that the first step puts back or removes. */
    public boolean needsRecovery() {
        return recovery.needed();
    }

    /** Whether the host has no record yet (a host of the shell version, or of a release before records). */
    public String recordStepTitle() {
        return "record what serves now (" + state.recordProblem().map(p -> "the host's record " + p + "; judged by the containers")
                .orElse("this host has no record yet") + ")";
    }

    public boolean needsRecord() {
        return state.record().isEmpty();
    }

    /** A deploy of a Compose project into the idle colour. */
    public Deployment toCompose(Colour colour, ComposeProject compose, String release) {
        this.next = colour;
        this.compose = compose;
        this.release = release;
        this.ourLabels = ReleaseInfo.labels(app, colour, release);
        if (front.managed() && !front.publishPorts()) ourLabels.put(Labels.PUBLISH, "false");
        return this;
    }

    /** A rollback's slow path: the release's images as the history recorded them, pinned by digest (see Colours). */
    public Deployment withRecordedImages(Map<String, String> byService) {
        if (!byService.isEmpty()) colours.useRecordedImages(byService);
        return this;
    }

    /** The accessories a deploy starts before the new colour when they are missing (and never stops). */
    public Deployment withAccessories(List<AccessorySplit.Accessory> accessories) {
        this.accessories = List.copyOf(accessories);
        return this;
    }

    public boolean hasAccessories() {
        return !accessories.isEmpty();
    }

    public String accessoryNames() {
        return String.join(", ", accessories.stream().map(AccessorySplit.Accessory::service).toList());
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
    public int run(Plan list) {
        // promote and abort act on what a --preview already announced
        if (!settings.action().equals("promote") && !settings.action().equals("abort")) notifier().send(event("start", 0, null));
        try {
            steps.run(list);
        } catch (Steps.Failed failed) {
            throw failure(failed);
        }
        return ExitCode.OK;
    }

    /** A fleet's first phase: every step before the switch. Returns the failure (already undone and recorded), or null. */
    public DeployError prepare(Plan list) {
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
                + String.join("; ", problems) + "); ") + live.map(c -> c + " still serves release " + Text.printable(previous)).orElse("nothing served here before"));
    }

    /** A fleet's second phase: the switch and the rest. Returns the failure, or null. */
    public DeployError finish(Plan list) {
        try {
            steps.runFromSwitch(list);
            return null;
        } catch (Steps.Failed failed) {
            return failure(failed);
        }
    }

    // ---- the steps -------------------------------------------------------------------------------------------

    /**
     * A crash between "set aside" and "switch" left the previous release renamed: it goes back under its own names,
     * or away when the colour that replaced it is live (see {@link Recovery}).
     */
    public void recover() {
        colours.remove(ids(recovery.remove()));
        if (!recovery.restore().isEmpty()) {
            out.println("  restoring the previous release that an interrupted deploy had set aside");
            colours.restore(ids(recovery.restore()));
        }
    }

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
        // Registered first: a host that had no record has none again if this run fails before its switch.
        steps.onUndo("remove the record it wrote", store::removeRecord);
        store.writeRecord(record);
    }

    /** Managed front: exists, runs, has the live colour on its network and upstream (a passive app moving to managed). */
    public void ensureFront() {
        if (!front.managed()) return;
        managed = colours.front(docker, app, front, out);
        if (promotesPreview() && !target.empty()) managed.keepingPreview(colours.frontTarget(managed, target));
        String liveTarget = live.map(c -> colours.frontTarget(managed, state.of(c))).orElse(null);
        boolean running = managed.running();
        // Registered first: a front this run creates goes again if the run fails before its switch; on a first deploy
        // so does every other front it creates (a Swarm's fronts: entries past the first, made just below).
        if (!running || live.isEmpty()) steps.onUndo(colours.allFronts(managed).size() > 1 ? "remove the managed fronts this run created" : "remove the managed front if this run created it",
                () -> colours.removeCreatedFronts(managed));
        frontSwitch = colours.frontSwitch(managed, liveTarget, out);
        // The other fronts exist now (frontSwitch made them serve the live colour): their logs are counted too.
        for (ManagedFront o : colours.allFronts(managed)) {
            if (o != managed) otherLogsPrepared.put(o, CompletableFuture.supplyAsync(o::prepareLog, Parallel.POOL));
        }
        previousUpstream = liveTarget;
        Optional<Colour> recorded = state.record().flatMap(LiveRecord::liveColour);
        boolean interruptedSwitch = state.frontPoints().isPresent() && !state.frontPoints().equals(recorded);
        // A rollback to a warm standby behind a front that serves the live colour: both are on the network already.
        boolean warmRollback = compose == null && target != null && singletons.without(target).allRunning() && state.frontPoints().equals(live);
        Runnable check = () -> {
            live.ifPresent(c -> colours.joinFront(managed, state.of(c)));
            managed.ensure(liveTarget);
        };
        if (running) logPrepared = CompletableFuture.supplyAsync(managed::prepareLog, Parallel.POOL);
        if (warmRollback) {
            managed.ensureRunning(liveTarget); // the switch rewrites the upstream anyway
        } else if (!interruptedSwitch && running) {
            // The usual case. Reading its files back to compare (a copy out of the container) and joining the live colour
            // to its network go on while the new colour is pulled and started; start() waits for them.
            frontChecked = CompletableFuture.runAsync(check, Parallel.POOL);
        } else {
            check.run();
        }
        if (interruptedSwitch) {
            // A run killed inside its switch: the file names a colour that passed its gate, nginx may not serve it yet.
            out.println("  an interrupted switch left the front's file naming " + state.frontPoints().get() + ": reloading and draining before going on");
            frontSwitch.drain(frontSwitch.reloadAsWritten(), cancel);
            record = record.withGated(state.frontPoints().get(), previous).withLive(state.frontPoints().get(), previous, Operator.name(), front);
            store.writeRecord(record);
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
        // A service's pull_policy applies unless --pull was given as always or never (as `docker compose up --pull`
        // overrides it); daily/weekly/every_N are read as missing, since the host keeps no record of the last pull.
        java.util.Map<ImagePuller.Policy, LinkedHashSet<String>> byPolicy = new java.util.EnumMap<>(ImagePuller.Policy.class);
        compose.startOrder().forEach(s -> {
            ImagePuller.Policy p = settings.pull() != ImagePuller.Policy.MISSING || s.pullPolicy() == null ? settings.pull()
                    : s.pullPolicy().equals("always") ? ImagePuller.Policy.ALWAYS : s.pullPolicy().equals("never") ? ImagePuller.Policy.NEVER
                    : ImagePuller.Policy.MISSING;
            byPolicy.computeIfAbsent(p, k -> new LinkedHashSet<>()).add(s.image());
        });
        byPolicy.forEach((policy, images) -> colours.pull(images, policy, cancel));
        String built = colours.revision(compose, release);
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
        aside = new ArrayList<>(state.aside().stream().filter(c -> next.owns(app, c.name())).map(ContainerInfo::id).toList());
        if (!old.empty() && !state.mayServe(old)) {
            out.println("  removing " + next + ": it never passed its health gate (an interrupted deploy)");
            colours.retire(old, true, false);
            old = new ColourState(next, List.of());
        }
        if (old.empty() && aside.isEmpty()) return;
        String held = old.empty() ? "the release set aside by an interrupted deploy" : "release " + Text.printable(old.release());
        old.containers().forEach(c -> aside.add(c.id()));
        // Registered first: a set-aside cut short half way is put back too.
        steps.onUndo("restore " + next + " (" + held + ")", () -> {
            awaitTeardown();
            colours.restore(aside);
        });
        if (!old.empty()) {
            out.println("  setting aside " + next + " (" + held + ") until " + Text.printable(release) + " passed its gate");
            asideTeardown = colours.setAside(old, front.managed());
            if (!asideTeardown.isDone()) out.println("  it publishes no host port: it goes down while " + next + " starts");
        }
    }

    /** A set-aside colour's teardown still going on in the background is done before its containers are touched again. */
    private void awaitTeardown() {
        try {
            asideTeardown.get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException failed) {
            // stopped or not, the containers are still renamed; what follows works on them either way
        }
    }

    /**
     * Missing accessories are started (and every healthcheck awaited under the deploy's deadline) before the new colour,
     * which reaches them by name. No undo: an accessory outlives a failed deploy, as it outlives the colours.
     */
    public void startAccessories() {
        List<String> changed = new Accessories(docker, app, out).ensure(accessories, settings.pull(), settings.gateTimeout(), cancel);
        notes.addAll(changed);
    }

    /** --strategy recreate: the old colour goes down first (a short outage) and comes back if the new one fails. */
    public void stopLive() {
        if (live.isEmpty()) return;
        awaitFront(); // its check may reload nginx, which must still resolve the live colour's name
        ColourState old = state.of(live.get());
        steps.onUndo("start " + live.get() + " again", () -> colours.startAgain(colours.read().of(live.get())));
        colours.stop(old);
    }

    public void start() {
        gate = colours.gate(settings.gateTimeout(), cancel);
        created = colours.newColour(next, compose, ourLabels, singletons.services().stream().filter(compose.services()::containsKey)
                .collect(java.util.stream.Collectors.toSet()));
        steps.onUndo("remove " + next + "'s new containers", created::remove);
        created.up(gate, cancel);
        // Joined now, while the app gets ready, so the switch itself is only the front's reload.
        if (managed != null) {
            awaitFront();
            colours.joinFront(managed, colours.reread(next, created.ids()));
        }
    }

    /** Rollback's fast path: the standby colour's own containers, started again (no pull, nothing created). */
    public void startStandby() {
        gate = colours.gate(settings.gateTimeout(), cancel);
        ColourState web = singletons.without(target); // its singletons start only at the switch
        if (web.allRunning()) {
            out.println("  " + next + " is still running (warm standby): checking it once");
            return;
        }
        steps.onUndo("stop " + next + " again", () -> colours.stop(singletons.without(colours.read().of(next))));
        colours.startAgain(web);
        awaitFront();
    }

    public void gate() {
        // A migration between the start and the gate may take minutes: the gate's deadline starts after it.
        if (!tasks.tasks().at(lib.model.TaskSpec.When.BEFORE_SWITCH).isEmpty()) gate = colours.gate(settings.gateTimeout(), cancel);
        ColourState fresh = colours.reread(next, created != null ? created.ids() : ids(target.containers()));
        target = fresh;
        ColourState gated = singletons.without(fresh); // singletons are not started yet: they start at the switch
        Probes.Settings p = settings.probe();
        if (gated.allRunning() && created == null) p = p.withSuccesses(1); // a warm standby: once
        colours.await(gate, gated, p);
    }

    public boolean hasChecks() {
        return !settings.checks().isEmpty();
    }

    /** The smoke checks in words, for the plan: GET / expecting 200 and "<title>Shop"; GET /login expecting 2xx. */
    public String checksDescribed() {
        return String.join("; ", settings.checks().stream().map(lib.model.SmokeCheck::describe).toList());
    }

    /** After the gate, before the switch: the new colour must answer deploy.yml's health.checks as they expect. */
    public void smokeChecks() {
        String failed = colours.smokeChecks(settings.probe(), settings.checks(), singletons.without(target), host, out).firstFailure();
        if (failed != null) throw new DeployError(ExitCode.DEPLOY_FAILED, failed);
        out.println("  " + (settings.checks().size() == 1 ? "the check" : "all " + settings.checks().size() + " checks") + " passed");
    }

    /**
     * The commit point. Managed front: the new upstream, validated and reloaded (the front puts the old one back if
     * that fails). Then the record says the new colour is live; from here on nothing is undone.
     */
    public void switchTraffic() {
        if (managed != null) {
            awaitFront();
            switchStarted = System.currentTimeMillis();
            // Registered first: a switch cut short by a signal between its SIGHUP and its confirmation is taken back too.
            steps.onUndo("switch the front back", () -> frontSwitch.switchTo(previousUpstream == null ? NginxConfig.NOWHERE : previousUpstream));
            oldWorkers = frontSwitch.switchTo(colours.frontTarget(managed, target), previousUpstream);
        }
        colours.allowRestarts(target);
        // Written after the front's reload, off the switch's path: a crash in between leaves the front naming a colour
        // that passed its gate, and the next run finishes that switch (ensureFront).
        record = record.withGated(next, release).withLive(next, release, Operator.name(), front);
        store.writeRecord(record);
    }

    public void drain() {
        if (managed == null) return;
        if (live.isPresent()) frontSwitch.drain(oldWorkers, cancel);
        countTraffic();
    }

    /**
     * What the front's access log says about the switch's window, its start to now (the drain's end): answers by the
     * old and the new colour, failures, the longest silence. A report only: a log that cannot be read is a warning.
     */
    private void countTraffic() {
        long end = System.currentTimeMillis();
        List<ManagedFront> fronts = colours.allFronts(managed);
        List<AccessLog.Report> reports = new ArrayList<>();
        List<String> perFront = new ArrayList<>();
        Map<String, String> addresses = null;
        for (int i = 0; i < fronts.size(); i++) {
            ManagedFront f = fronts.get(i);
            try {
                long offset = 0;
                try {
                    offset = (f == managed ? logPrepared : otherLogsPrepared.getOrDefault(f, CompletableFuture.completedFuture(0L))).get(5, TimeUnit.SECONDS);
                } catch (ExecutionException | TimeoutException rotationFailed) {
                    // a log not rotated is still readable; the clocks are then taken to agree
                }
                if (addresses == null) {
                    List<ColourState> both = new ArrayList<>();
                    live.ifPresent(c -> both.add(state.of(c)));
                    both.add(target);
                    addresses = colours.frontAddresses(managed, both);
                }
                var lines = AccessLog.parse(f.accessLog(AccessLog.DEPLOY_TAIL_BYTES, false));
                AccessLog.Report r = AccessLog.report(lines, switchStarted + offset, end + offset, addresses, live.map(Colour::id).orElse(null), next.id());
                reports.add(r);
                perFront.add(r.counts());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                perFront.add("not read");
                err.println(Style.warning() + "could not count the requests of the switch from the " + (fronts.size() == 1 ? "front's" : "front " + (i + 1) + "'s")
                        + " access log: " + Failures.classify(e, Cancellation.none()).getMessage());
            }
        }
        if (reports.isEmpty()) return;
        traffic = AccessLog.Report.sum(reports);
        trafficPerFront = fronts.size() == 1 ? null : "per front (in fronts: order): " + String.join("; ", perFront);
    }

    /** Whether the plan has a watch window: asked for, behind the managed front, with an old colour to switch back to. */
    public boolean watches() {
        return settings.watch().on() && front.managed() && live.isPresent();
    }

    public String watchTitle() {
        return "watch " + next + " for " + settings.watch().describe() + "; " + live.map(Colour::toString).orElse("") + " stays running meanwhile";
    }

    /**
     * The watch window: every second, the access log's new lines and one probe of the new colour (then its smoke
     * checks), judged by
     * {@link lib.front.WatchWindow}. Tripped, it switches the front back to the old colour (still running: its
     * retirement waits for the window) and ends the run with exit 1. A Ctrl-C ends the window early and the new
     * release stays live.
     */
    public void watch() {
        lib.model.WatchSettings w = settings.watch();
        long offset = clockOffset();
        Colour old = live.get();
        var addresses = managed.addresses(List.of(state.of(old), target));
        lib.front.WatchWindow window = new lib.front.WatchWindow(w, addresses, old.id(), next.id(), switchStarted + offset);
        // From a little before the log's end: the lines of the switch and the drain count too.
        lib.front.LogTail log = lib.front.LogTail.fromEnd(managed, 1L << 20);
        List<lib.health.LiveCheck> checks = new ArrayList<>();
        var probe = Probes.fromContainers(settings.probe().withSuccesses(1), singletons.without(target), docker, host, out);
        if (probe != null) checks.add(lib.health.LiveCheck.probe(probe));
        if (hasChecks()) checks.add(colours.smokeChecks(settings.probe(), settings.checks(), singletons.without(target), host, out));
        lib.health.LiveCheck check = lib.health.LiveCheck.all(checks);
        java.util.concurrent.ExecutorService prober = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "bgdeploy-watch-probe");
            t.setDaemon(true);
            return t;
        });
        long start = System.currentTimeMillis();
        long end = start + w.length().toMillis();
        long nextNote = start + 10_000;
        java.util.concurrent.Future<String> probing = null;
        String logTrouble = null;
        lib.front.WatchWindow.Verdict v = window.verdict(start + offset);
        try {
            while (true) {
                long tick = System.currentTimeMillis();
                try {
                    boolean byCopy = log.byCopy();
                    window.add(AccessLog.parse(log.next()));
                    if (!byCopy && log.byCopy()) {
                        out.println("  the front's image has no tail: its access log is read by a copy of the whole file each second");
                    }
                    logTrouble = null;
                } catch (RuntimeException e) {
                    // one unreadable second is no verdict; the probe still runs, and the next read gets the lines
                    if (logTrouble == null) err.println(Style.warning() + "the watch could not read the front's access log: " + Failures.classify(e, Cancellation.none()).getMessage());
                    logTrouble = e.getMessage();
                }
                if (probing != null && probing.isDone()) {
                    window.probe(probeAnswer(probing));
                    probing = null;
                }
                if (probing == null && !checks.isEmpty()) probing = prober.submit(check::firstFailure);
                long now = System.currentTimeMillis();
                v = window.verdict(now + offset);
                if (v.switchBack()) {
                    switchBack(window, v, now, offset);
                    return; // switchBack ends the run
                }
                if (now >= end) break;
                if (cancel.cancelled()) {
                    watched = window.report(now + offset, "cut short", v);
                    out.println("  the watch window was cut short (interrupted after " + seconds(now - start) + "): " + next
                            + " stays live; " + watched.describe());
                    return;
                }
                if (now >= nextNote) {
                    nextNote += 10_000;
                    out.println("  " + seconds(now - start) + ": " + v.errors() + " errors of " + v.requests() + " requests to " + next
                            + " in the last " + lib.base.Durations.describe(lib.model.WatchSettings.SLIDE) + (v.probeFailuresInARow() == 0 ? ", probe ok"
                            : ", " + v.probeFailuresInARow() + " failed probes in a row"));
                    out.flush();
                }
                long wake = Math.min(end, tick + 1000);
                while (System.currentTimeMillis() < wake && !cancel.cancelled()) sleepQuietly(Math.min(100, wake - System.currentTimeMillis()));
            }
        } finally {
            prober.shutdownNow();
            check.close();
        }
        watched = window.report(System.currentTimeMillis() + offset, "passed", v);
        out.println("  " + watched.describe());
    }

    private static String probeAnswer(java.util.concurrent.Future<String> done) {
        try {
            return done.get();
        } catch (ExecutionException e) {
            return "the probe failed: " + Failures.classify(e.getCause(), Cancellation.none()).getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static String seconds(long ms) {
        return String.format(java.util.Locale.ROOT, "%.0fs", ms / 1000.0);
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(Math.max(1, ms));
        } catch (InterruptedException e) {
            // past the switch a signal only sets the flag the loop reads
        }
    }

    /** The front's clock minus ours, as measured at the deploy's start; 0 if that failed. */
    private long clockOffset() {
        try {
            return logPrepared.get(5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException rotationFailed) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    /**
     * The window tripped: the front goes back to the old colour at once (it never stopped), the record names it live
     * again and no longer offers the new release as a standby, then the history, the notification, and the failed
     * colour stopped (its containers kept for their logs). Ends the run with exit 1.
     */
    private void switchBack(lib.front.WatchWindow window, lib.front.WatchWindow.Verdict v, long decidedAt, long offset) {
        Colour old = live.get();
        ColourState oldState = state.of(old);
        out.println("  " + v.why() + ": switching back to " + old);
        out.flush();
        Set<String> workers = frontSwitch.switchTo(managed.targetOf(oldState), managed.targetOf(target));
        long took = System.currentTimeMillis() - decidedAt;
        record = record.withoutGated(next).withLive(old, previous, Operator.name(), front);
        store.writeRecord(record);
        watched = window.report(decidedAt + offset, "switched back", v);
        String why = v.why() + "; switched back to " + old + " (release " + Text.printable(previous) + ") " + took + " ms after deciding";
        out.println("  " + watched.describe());
        history("failed-after-switch", why);
        notifier().send(new Notifier.Event("failed-after-switch", app, settings.environment(), next.id(), release, previous,
                Operator.name(), System.currentTimeMillis() - started, why, traffic, watched));
        try {
            if (singletons.any()) singletons.handOver(Optional.of(target), colours.reread(old, ids(oldState.containers())));
            frontSwitch.drain(workers, Cancellation.none());
            ColourState failed = colours.reread(next, ids(target.containers()));
            out.println("  stopping " + next + " (release " + Text.printable(release) + "); its containers stay for their logs");
            out.flush();
            colours.holdRestarts(failed);
            colours.retire(failed, false, false);
            // The release before last, set aside for this deploy, goes as a finished deploy removes it: its colour holds the failed one.
            awaitTeardown();
            colours.remove(aside);
        } catch (RuntimeException e) {
            err.println(Style.warning() + "after switching back: " + Failures.classify(e, Cancellation.none()).getMessage()
                    + " (" + old + " serves; the next deploy replaces " + next + ")");
        }
        notifier().flush();
        throw new Steps.EndRun(ExitCode.DEPLOY_FAILED, settings.action() + " failed after the switch: " + v.why() + "; " + old
                + " serves release " + Text.printable(previous) + " again (switched back " + took + " ms after the window tripped); "
                + next + " is stopped, its containers kept for their logs");
    }

    /** After the switch: the old colour per --keep-old, then the set-aside containers (now two releases back). */
    public void retireOld() {
        // A first deploy has no drain step; its front's workers from before the switch still answer 502 for a moment.
        if (live.isEmpty() && managed != null && oldWorkers != null) frontSwitch.settle(oldWorkers, cancel);
        retireNote();
        KeepOld keep = keepOld;
        if (keep == KeepOld.RUNNING || live.isEmpty()) {
            // Nothing is stopped now, so nothing measures the grace period: ask the process table instead.
            try {
                List<String> unhandled = colours.stopSignalNotes(target);
                unhandled.forEach(n -> out.println(Style.note() + n));
                notes.addAll(unhandled);
            } catch (RuntimeException unknown) {
                // a diagnosis only: a host whose ps cannot say is no reason to warn or fail
            }
        }
        if (live.isPresent()) {
            ColourState old = colours.reread(live.get(), ids(state.of(live.get()).containers()));
            if (keep == KeepOld.RUNNING) {
                out.println("  " + live.get() + " keeps running, unrouted, as a warm standby: rollback.java switches back to it at once"
                        + " (it holds its memory until the next deploy; --keep-old stopped frees it)");
            } else {
                retireWatchingForInterrupts(old, keep == KeepOld.REMOVED);
            }
        }
        awaitTeardown();
        colours.remove(aside);
    }

    /**
     * The old colour's graceful stop can take its whole grace period (an app that ignores SIGTERM behind the managed
     * front, or one ps cannot diagnose: 10 s). Past the switch an interrupt must not wait for it: the stop goes on in
     * the daemon, and the run records and exits.
     */
    private void retireWatchingForInterrupts(ColourState old, boolean remove) {
        // Behind the passive front the old colour serves until it is down; the managed one sends it nothing since the switch.
        boolean killIgnoring = !front.managed();
        CompletableFuture<List<String>> retiring = CompletableFuture.supplyAsync(() -> {
            colours.holdRestarts(old);
            return colours.retire(old, remove, killIgnoring);
        });
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
        // A first deploy has nothing to drain: its window ends here.
        if (traffic == null && managed != null && switchStarted > 0 && live.isEmpty()) countTraffic();
        history("ok", null, notes.isEmpty() ? null : String.join("; ", notes));
        boolean rollback = settings.action().equals("rollback");
        if (traffic != null) out.println("  " + traffic.describe());
        if (traffic != null && trafficPerFront != null) out.println("    " + trafficPerFront);
        out.println(Style.success(rollback ? "rolled back" : settings.action().equals("promote") ? "promoted" : "deployed") + " " + app + " release " + Text.printable(release) + ": "
                + next + " is live" + (cancel.cancelled() ? " (interrupted after the switch; the rest is left to the daemon and the next deploy)" : ""));
        out.flush();
        notifier().send(event(rollback ? "rollback" : "success", System.currentTimeMillis() - started, null, traffic));
        String postFailure = settings.hooks().run(rollback ? "post-rollback" : "post-deploy", hookEnv());
        if (postFailure != null) err.println(Style.warning() + postFailure + " (the " + settings.action() + " itself succeeded)");
        notifier().flush();
    }

    // ---- preview, promote, abort ---------------------------------------------------------------------------------

    /** The preview the host records as open, if any: its colour passed its gate and waits for promote or abort. */
    public Optional<LiveRecord.Preview> openPreview() {
        return record.openPreview();
    }

    /** The open preview as this run's subject (abort): its colour and release; none open is an error saying so. */
    public Deployment toPreview(String command) {
        LiveRecord.Preview p = record.openPreview().orElseThrow(() -> DeployError.config("no preview of " + app + " is open on " + host.describe()
                + ", so there is nothing to " + command + " (deploy.java --preview opens one; deploy.java status --app " + app + " shows what serves)"));
        // A promote killed after its switch leaves the front on the preview's colour and the record not yet moved:
        // that colour serves every request, and removing it would take the site down.
        if (!command.equals("promote") && live.equals(Optional.of(p.colour()))) {
            throw DeployError.failed("the preview of " + app + " (release " + Text.printable(p.release()) + " on " + p.colour() + ") was promoted by a run"
                    + " that stopped after its switch: the front sends every request to " + p.colour() + ", so it is not removed; run deploy.java"
                    + " promote --app " + app + " to finish that promote (then rollback.java --app " + app + " goes back)");
        }
        next = p.colour();
        release = p.release();
        return this;
    }

    /** Whether this run switches to the open preview's colour (a promote). */
    public boolean promotesPreview() {
        return compose == null && next != null && record.openPreview().map(p -> p.colour() == next).orElse(false);
    }

    /**
     * A deploy or rollback while a preview is open would replace or switch to a colour someone is testing: refused,
     * naming the commands that end the preview first.
     */
    public void refuseOpenPreview(String what) {
        record.openPreview().ifPresent(p -> {
            throw new DeployError(ExitCode.PREVIEW_OPEN, "a preview of " + app + " is open (release " + Text.printable(p.release()) + " on " + p.colour()
                    + (p.by() == null ? "" : ", by " + Text.printable(p.by())) + "): run deploy.java promote --app " + app + " or deploy.java abort --app " + app
                    + (what == null ? "" : ", or pass --replace-preview to " + what));
        });
    }

    /**
     * --preview's commit point: the record says the new colour passed its gate and is previewed (written first, so a
     * crash after it leaves a preview that promote and abort understand), then the front routes the preview port and
     * the cookie to it. The live colour's upstream is not touched.
     */
    public void openPreviewStep() {
        awaitFront();
        LiveRecord before = record;
        record = record.withGated(next, release).withPreview(new LiveRecord.Preview(next, release, Instant.now(), Operator.name()));
        steps.onUndo("take the preview out of the host's record", () -> store.writeRecord(before));
        store.writeRecord(record);
        steps.onUndo("close the preview on the front", () -> managed.setPreview(null));
        managed.setPreview(managed.targetOf(target));
        // The front's preview file names this colour, and nginx starts only when every name it holds resolves: after
        // a host restart the preview must come back with the front, as the live colour does.
        colours.allowRestarts(target);
    }

    /** After the preview opened: the release the colour held before is two releases old now (as after a switch); history; how to go on. */
    public void recordPreview() {
        awaitTeardown();
        colours.remove(aside);
        history("ok", null, notes.isEmpty() ? null : String.join("; ", notes));
        out.println(Style.success("preview open:") + " " + app + " release " + Text.printable(release) + " on " + next
                + live.map(c -> "; " + c + " (release " + Text.printable(previous) + ") keeps all other traffic").orElse("; nothing else serves"));
        for (String line : previewLines(ManagedFront.previewAddress(docker, app), app)) out.println("  " + line);
        out.flush();
    }

    /** How a tester reaches the preview and how it ends: for --preview's last lines and status. */
    public static List<String> previewLines(Optional<String> previewAddress, String app) {
        return List.of(previewAddress.map(a -> "on the front's preview port: http://" + a + "/, or ").orElse("")
                        + "on the main port with the cookie " + NginxConfig.PREVIEW_COOKIE + "=1",
                "then: deploy.java promote --app " + app + " (switch to it), or deploy.java abort --app " + app + " (remove it)");
    }

    /** Past a promote's switch: the cookie and the preview port stop routing to the colour that is live now. */
    public void closePreviewRouting() {
        if (managed != null) managed.setPreview(null);
    }

    /**
     * abort: the preview's routing goes first (nothing may route to containers about to go), then its containers,
     * then the record. Each is safe to repeat, so an abort cut short is finished by the next.
     */
    public void abortPreviewStep() {
        LiveRecord.Preview p = record.openPreview().orElseThrow(() -> DeployError.config("no preview of " + app + " is open; nothing to abort"));
        if (ManagedFront.state(docker, app, true).exists()) {
            new ManagedFront(docker, app, front, out).setPreview(null);
            out.println("  the cookie and the preview port no longer reach " + p.colour());
        }
        ColourState previewed = colours.read().of(p.colour());
        colours.remove(ids(previewed.containers()));
        out.println("  removed " + p.colour() + "'s " + previewed.containers().size() + " containers (release " + Text.printable(p.release()) + ")");
        // its containers are gone: a later run of the same release in that colour, killed before its gate, must not read as gated
        record = record.withPreview(null).withoutGated(p.colour());
        store.writeRecord(record);
        history("ok", null);
        out.println(Style.success("aborted") + " the preview of " + app + " release " + Text.printable(p.release())
                + live.map(c -> "; " + c + " still serves release " + Text.printable(previous)).orElse(""));
        out.flush();
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
        String serving = live.map(c -> c + " still serves release " + Text.printable(previous)).orElse("no colour was live before, so nothing serves");
        String undone = failed.undoProblems().isEmpty() ? (failed.changedAnything() ? "what it changed was undone; " : "nothing was changed: ")
                : "could not undo everything (" + String.join("; ", failed.undoProblems()) + "); run the deploy again once the host answers; ";
        if (tasks.databaseNote() != null) undone = undone.replace("nothing was changed: ", "the new colour was undone; ") + tasks.databaseNote() + "; ";
        return new DeployError(reason.exitCode(), what + "; " + undone + serving, reason);
    }

    private void showLogs(DeployError reason) {
        err.println(Style.error(settings.action() + " rejected:") + " " + reason.getMessage());
        String culprit = reason instanceof HealthGate.Failure f ? f.containerId() : null;
        if (culprit == null && created != null && !created.ids().isEmpty()) culprit = created.ids().get(created.ids().size() - 1);
        if (culprit != null) {
            try {
                var lines = colours.lastLog(culprit, 20);
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

    private static List<String> ids(List<ContainerInfo> containers) {
        return containers.stream().map(ContainerInfo::id).toList();
    }

    /** History is for people; failing to write it must not turn a good deploy into a failed one. */
    private void history(String result, String reason) {
        history(result, reason, null);
    }

    private void history(String result, String reason, String notes) {
        if (next == null) return;
        try {
            String ran = tasks.summary();
            if (ran != null && !"ok".equals(result) && tasks.databaseNote() != null) ran += "; " + tasks.databaseNote();
            store.appendHistory(new ReleaseHistory.Entry(Instant.now().toString(), settings.action(),
                    release, next.id(), previous, result, System.currentTimeMillis() - started, Operator.name(), reason, notes, traffic, ran, watched,
                    pinnedImages()));
        } catch (RuntimeException e) {
            err.println(Style.warning() + "could not record the release history: " + Failures.classify(e, Cancellation.none()).getMessage());
        }
    }

    /**
     * The colour's images by service when pinned by digest (a Swarm's services are): what a later rollback to this
     * release deploys, whatever its tag names by then. Null when none is pinned (a host runs its images by tag).
     */
    private Map<String, String> pinnedImages() {
        if (target == null) return null;
        Map<String, String> out = new java.util.TreeMap<>();
        for (ContainerInfo c : target.containers()) {
            if (c.image() != null && c.image().contains("@sha256:")) out.put(c.service(), c.image());
        }
        return out.isEmpty() ? null : out;
    }

    private Notifier notifier() {
        return settings.notifier();
    }

    private Notifier.Event event(String kind, long millis, String reason) {
        return event(kind, millis, reason, null);
    }

    private Notifier.Event event(String kind, long millis, String reason, AccessLog.Report traffic) {
        return new Notifier.Event(kind, app, settings.environment(), next == null ? null : next.id(), release, previous,
                Operator.name(), millis, reason, traffic, watched);
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
        env.put("DEPLOY_BY", Operator.name());
        return env;
    }

    /** The front per {@link RunSettings#frontFor}; a passive deploy must not stop the colour a managed front serves. */
    private FrontSettings chooseFront() {
        FrontSettings f = settings.frontFor(record);
        if (!f.managed() && !settings.frontGiven() && state.recordProblem().isPresent() && ManagedFront.upstreamOf(docker, app).isPresent()) {
            throw DeployError.config("the host's record " + state.recordProblem().get() + ", and the managed front " + ManagedFront.containerName(app)
                    + " serves the app: pass --front managed (with its --front-port) so the deploy goes on behind it");
        }
        if (!f.managed() && record.front().managed() && ManagedFront.upstreamOf(docker, app).isPresent()) {
            throw DeployError.config(app + " runs behind the managed front " + ManagedFront.containerName(app)
                    + "; a passive deploy would stop the colour it sends traffic to. Drop --front passive (or remove the front: docker rm -f "
                    + ManagedFront.containerName(app) + ")");
        }
        return f;
    }

    private void retireNote() {
        if (settings.keepOldGiven() && settings.keepOld() == KeepOld.RUNNING && !front.managed()) {
            out.println("  --keep-old running needs the managed front (a passive front would keep sending traffic to it): stopping it instead");
        }
    }
}
