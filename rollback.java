///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS info.picocli:picocli:4.7.6
//SOURCES deploy.java

import lib.docker.HostAddress;
import lib.engine.Plan;
import lib.engine.RunSettings;
import lib.model.Strategy;
import lib.base.Style;
import lib.base.Text;
import lib.base.Values;
import lib.base.Cancellation;
import lib.cli.Cli;
import lib.base.DeployError;
import lib.base.ExitCode;
import lib.model.Colour;
import lib.model.ColourState;
import lib.model.HostState;
import lib.compose.ComposeFiles;
import lib.cli.ComposeModel;
import lib.options.AccessoryOptions;
import lib.compose.ComposeProject;
import lib.docker.DockerHost;
import lib.host.DeployLock;
import lib.engine.Deployment;
import lib.engine.Fleet;
import lib.options.Converters;
import lib.options.FrontOptions;
import lib.options.HealthOptions;
import lib.options.HostOptions;
import lib.options.ProjectOptions;
import lib.options.ReleaseOptions;
import lib.options.RetireOptions;
import lib.host.ReleaseHistory;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

@Command(name = "rollback.java", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {
                "Return to the previous release, or to a named one, without downtime.",
                "",
                "Replaces 're-tag an older commit's image as latest and deploy again'",
                "(a full pull and start, ~25 s, while the broken release serves) with:",
                "  fast path: the previous colour still holds the release. Behind the",
                "    managed front it is a warm standby (still running, unrouted):",
                "    rollback checks it once and switches the front back, about a",
                "    second. Otherwise it is stopped: rollback starts it, runs the",
                "    health gate, then switches. No pull, no new containers.",
                "  slow path: otherwise it deploys that release like deploy.java,",
                "    in this process and under the same lock (needs -f; the Compose",
                "    file picks the image by $${DEPLOY_RELEASE}).",
                "The front and its settings are what the host recorded: no flag needs",
                "repeating. The current colour serves until the target passed its",
                "gate; any failure undoes the rollback (exit 1). With no RELEASE the",
                "target is the standby colour's release, or else the release the",
                "host's history shows live before the current one. A RELEASE is a",
                "full name or a unique prefix of 7+ characters (as git's).",
                "A deploy.yml environment with several hosts rolls them all back, or",
                "none.",
                "",
                "Examples:",
                "  rollback.java --app shop",
                "  rollback.java --app shop 0123456789 -f 'compose/docker-compose.{colour}.yml'",
                "",
                "Options:"},
        footer = ExitCode.HELP_FOOTER)
public class rollback implements Callable<Integer> {
    @Mixin HostOptions target;

    @Mixin HealthOptions health;

    @Mixin FrontOptions front;

    @Mixin ProjectOptions project;

    @Parameters(arity = "0..1", paramLabel = "RELEASE", converter = Converters.Release.class, description = "Release (commit hash, or a prefix of 7+ characters) to return to.")
    String release;

    @Mixin ReleaseOptions up;

    @Spec CommandSpec spec;

    @Mixin RetireOptions retire;

    @Mixin AccessoryOptions accessories;
    @picocli.CommandLine.Option(names = "--yes", description = "Go on without asking when the rollback crosses a release that ran migrations (the schema is not rolled back); needed without a terminal.")
    boolean yes;

    private boolean onSwarm;

    public static void main(String... args) {
        Cancellation.exit(Cli.commandLine(new rollback()).execute(args));
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        var parsed = spec.commandLine().getParseResult();
        project.applyDefaults(parsed, target, health, front, up, null);
        String app = target.app();
        RunSettings settings = project.settings("rollback", parsed, health, up, front, retire.keepOld, false, out, err);
        var swarm = project.swarm(target, parsed.hasMatchedOption("--host"));
        if (swarm.isPresent()) {
            onSwarm = true;
            return lib.cli.SwarmRun.run(swarm.get(), app, project.environmentName(), settings, up.waitLock(), false, d -> {
                d.withTasks(singletons());
                String wanted = wanted(d, d.store());
                if (alreadyLive(d, wanted)) {
                    out.println("release " + Text.printable(wanted) + " is already live on " + d.live().get() + "; nothing to do");
                    return null;
                }
                confirmSchema(d.store(), wanted, err);
                return steps(d, wanted, app, out);
            }, out, err);
        }
        List<HostAddress> hosts = project.hosts(target, parsed.hasMatchedOption("--host"));
        if (hosts.size() > 1) return rollbackFleet(hosts, app, settings, out, err);
        try (Cancellation cancel = Cancellation.onSignal(Duration.ofSeconds(60));
             DockerHost docker = hosts.get(0).connect(err);
             DeployLock lock = DeployLock.acquire(docker.client(), app, "rollback on " + docker.describe(), up.waitLock(), out, cancel)) {
            Deployment d = new Deployment(docker, app, settings, cancel, out, err).withTasks(singletons());
            d.refuseOpenPreview(null);
            String wanted = wanted(d, d.store());
            if (!alreadyLive(d, wanted)) confirmSchema(d.store(), wanted, err);
            if (alreadyLive(d, wanted)) {
                if (d.needsRecovery()) d.recover();
                out.println("release " + Text.printable(wanted) + " is already live on " + d.live().get() + "; nothing to do");
                return ExitCode.OK;
            }
            return d.run(steps(d, wanted, app, out));
        }
    }

    /** deploy.yml's singletons: a rollback runs no tasks, but hands the singletons over as a deploy does. */
    private lib.model.ReleaseTasks singletons() {
        return project.file().map(lib.project.ProjectFile::tasks).orElse(lib.model.ReleaseTasks.none()).singletonsOnly();
    }

    /** A rollback across a release that ran migrations: warn; ask on a terminal, else require --yes. */
    private void confirmSchema(lib.host.AppState store, String wanted, PrintWriter err) {
        var warning = lib.project.SchemaWarning.forRollback(store.readHistory(err), wanted);
        if (warning.isEmpty()) return;
        err.println(Style.warning() + warning.get());
        err.flush();
        if (yes) return;
        java.io.Console console = System.console();
        if (console == null) {
            throw new DeployError(ExitCode.USAGE, warning.get() + "; pass --yes to roll back anyway");
        }
        String answer = console.readLine("roll back to %s anyway? [y/N] ", Text.printable(wanted));
        if (answer == null || !answer.trim().toLowerCase().matches("y|yes")) throw new DeployError(ExitCode.USAGE, "rollback cancelled; nothing was changed");
    }

    /** The release to return to: the one named (resolved against what the host knows), or the one before the live one. */
    private String wanted(Deployment d, lib.host.AppState history) {
        HostState state = d.state();
        String current = d.live().map(c -> state.of(c).release()).orElse(null);
        return release != null ? resolve(release, state, history) : previousRelease(state, d.live(), current, history);
    }

    private static boolean alreadyLive(Deployment d, String wanted) {
        return d.live().map(c -> sameRelease(d.state().of(c).release(), wanted)).orElse(false);
    }

    /**
     * Fast path: a colour still holds the release (a warm standby, or stopped); start it if needed, gate, and from the
     * switch on as a deploy. Slow path: no colour holds it, so deploy it, in this process and under the lock already held.
     */
    private Plan steps(Deployment d, String wanted, String app, PrintWriter out) {
        HostState state = d.state();
        Optional<Colour> live = d.live();
        String current = live.map(c -> state.of(c).release()).orElse(null);
        Optional<Colour> standby = standbyWith(state, live, wanted);
        if (standby.isPresent()) {
            Colour back = standby.get();
            d.toStandby(back);
            Style.step(out, "rollback " + app + " to release " + Text.printable(d.release()) + ": " + back + " holds it (fast path, no pull)"
                    + live.map(c -> "; " + c + " serves " + Text.printable(current) + " meanwhile").orElse(""));
            return new Plan()
                    .beforeIf(d.needsRecovery(), deploy.RECOVER, d::recover)
                    .beforeIf(d.needsRecord(), d.recordStepTitle(), d::ensureRecord)
                    .beforeIf(d.singletonsUnsettled(), deploy.SETTLE, d::settleSingletons)
                    .beforeIf(d.managedFront(), "check the managed front", d::ensureFront)
                    .before("start " + back, d::startStandby)
                    .before("health gate", d::gate)
                    .beforeIf(d.hasChecks(), "smoke checks: " + d.checksDescribed(), d::smokeChecks)
                    .then(deploy.fromSwitch(d));
        }
        if (up.file == null) {
            throw DeployError.config("release " + Text.printable(wanted) + " is not on a standby colour of " + app
                    + ", so it must be deployed again: pass -f FILE (the Compose file, as for deploy.java)");
        }
        if (!Values.isRelease(wanted)) {
            // Read from a label or the history, which an older version or a hand could have written: it would become
            // the new colour's label and ${DEPLOY_RELEASE} as it is.
            throw DeployError.config("the release to return to, \"" + Text.printable(wanted) + "\", is not a valid release ID ("
                    + Values.RELEASE_RULE + "); name one: rollback.java --app " + app + " RELEASE -f FILE");
        }
        String pattern = ComposeFiles.pattern(up.file, Path.of(""));
        ComposeModel model = ComposeModel.of(app, pattern, wanted, project.accessories(accessories), front, up);
        Colour next = state.target();
        d.toCompose(next, model.colours().get(next), wanted).withAccessories(model.split(next).accessories());
        // A Swarm runs images pinned by digest and the history keeps them: the release comes back as it ran, even if its
        // tag was pushed over since. A host runs its images by tag (its history has none to read).
        if (onSwarm) d.withRecordedImages(ReleaseHistory.recordedImages(d.store().readHistory(err(out)), wanted));
        Style.step(out, "rollback " + app + " to release " + Text.printable(wanted) + ": no colour holds it, deploying it to " + next + " (slow path)");
        return deploy.steps(d, Strategy.BLUE_GREEN);
    }

    private PrintWriter err(PrintWriter fallback) {
        return spec == null ? fallback : spec.commandLine().getErr();
    }

    /** Every host of the environment back to one release, all or none, each by its own fast or slow path. */
    private int rollbackFleet(List<HostAddress> hosts, String app, RunSettings settings, PrintWriter out, PrintWriter err) {
        try (Cancellation cancel = Cancellation.onSignal(Duration.ofSeconds(60));
             Fleet fleet = new Fleet(hosts, app, "rollback", up.waitLock(), cancel, out, err)) {
            String[] wanted = {release};
            fleet.runAll(settings, app, cancel, d -> {
                d.withTasks(singletons());
                d.refuseOpenPreview(null);
                synchronized (wanted) {
                    if (wanted[0] == null || release != null) {
                        wanted[0] = wanted(d, d.store());
                        if (!alreadyLive(d, wanted[0])) confirmSchema(d.store(), wanted[0], err);
                    }
                }
                return alreadyLive(d, wanted[0]) ? new Plan().beforeIf(d.needsRecovery(), deploy.RECOVER, d::recover) : steps(d, wanted[0], app, out);
            });
            return ExitCode.OK;
        }
    }

    /**
     * A release named on the command line: in full, or by a prefix of 7+ characters that matches exactly one
     * release the host knows (a colour's, or one in the history), as git does with commits.
     */
    static String resolve(String given, HostState state, lib.host.AppState history) {
        java.util.Set<String> known = new java.util.TreeSet<>();
        for (Colour c : Colour.values()) if (!state.of(c).empty() && state.of(c).release() != null) known.add(state.of(c).release());
        history.readHistory(new PrintWriter(java.io.Writer.nullWriter())).forEach(e -> known.add(e.release()));
        return resolve(given, known);
    }

    /** The rule itself, on the releases the host knows (sorted). */
    static String resolve(String given, java.util.Set<String> known) {
        if (known.contains(given)) return given;
        if (given.length() < 7) {
            throw DeployError.config("release \"" + given + "\" is not a release of this host and too short to be a prefix (7+ characters); known: "
                    + String.join(", ", known.stream().limit(10).map(Text::printable).toList()));
        }
        List<String> matches = known.stream().filter(k -> k.startsWith(given)).toList();
        if (matches.size() == 1) return matches.get(0);
        if (matches.size() > 1) throw DeployError.config("release prefix \"" + given + "\" matches " + String.join(", ", matches.stream().map(Text::printable).toList()) + "; give more characters");
        return given; // a release the host never ran: the slow path deploys it from the Compose file
    }

    private String previousRelease(HostState state, Optional<Colour> live, String current, lib.host.AppState history) {
        Optional<Colour> idle = live.map(Colour::other).or(() -> Optional.of(state.target().other()));
        ColourState standby = state.of(idle.get());
        if (!standby.empty() && state.mayServe(standby) && !sameRelease(standby.release(), current)) return standby.release();
        return history.lastLiveBefore(current == null ? "" : current, spec.commandLine().getErr()).map(ReleaseHistory.Entry::release)
                .orElseThrow(() -> DeployError.config("nothing to roll back to: no stopped colour and no earlier release in the history of "
                        + target.app + " (see deploy.java history --app " + target.app + "); name a release: rollback.java --app "
                        + target.app + " RELEASE -f FILE"));
    }

    private static Optional<Colour> standbyWith(HostState state, Optional<Colour> live, String wanted) {
        for (Colour c : Colour.values()) {
            if (live.isPresent() && live.get() == c) continue;
            ColourState s = state.of(c);
            if (!s.empty() && state.mayServe(s) && sameRelease(s.release(), wanted)) return Optional.of(c);
        }
        return Optional.empty();
    }

    /** Releases are commit hashes of various lengths; a prefix of 7+ characters names one, as in git. */
    static boolean sameRelease(String a, String b) {
        if (a == null || b == null) return false;
        if (a.equals(b)) return true;
        return Math.min(a.length(), b.length()) >= 7 && (a.startsWith(b) || b.startsWith(a));
    }
}
