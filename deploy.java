///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS info.picocli:picocli:4.7.6
//SOURCES lib/**.java

import lib.Cancellation;
import lib.Cli;
import lib.Colour;
import lib.ColourDetector;
import lib.ColourStack;
import lib.ColourState;
import lib.ComposeFiles;
import lib.ComposeProject;
import lib.ContainerLogs;
import lib.DeployError;
import lib.DeployLock;
import lib.DockerHost;
import lib.ExitCode;
import lib.FrontOptions;
import lib.HealthGate;
import lib.HealthOptions;
import lib.Hooks;
import lib.HostOptions;
import lib.HostState;
import lib.ImagePuller;
import lib.ManagedFront;
import lib.Notifier;
import lib.ProjectFile;
import lib.ProjectOptions;
import lib.ReleaseOptions;
import lib.DeployOptions;
import lib.RegistryClient;
import lib.Probes;
import lib.ReleaseHistory;
import lib.ReleaseInfo;
import lib.StatusView;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;

@Command(name = "deploy.java", mixinStandardHelpOptions = true, usageHelpAutoWidth = true, version = "bgdeploy 0.1.0",
        subcommands = {deploy.Status.class, deploy.History.class, deploy.Unlock.class},
        description = {
                "Blue-green deploy of a Docker Compose app with no downtime.",
                "",
                "Replaces the shell step 'find the live colour, pull and up the other,",
                "sleep 10, down the old' with:",
                "  1. take the app's deploy lock on the Docker host (another deploy",
                "     of the same app waits with --wait-lock, or fails with exit 4)",
                "  2. find the live colour: project NAME-blue or NAME-green, including",
                "     ones made by docker-compose or by hand",
                "  3. pull the idle colour's images",
                "  4. create and start the idle colour in depends_on order",
                "  5. health gate: containers running, HEALTHCHECKs healthy, and the",
                "     HTTP probe answering 2xx --probe-successes times in a row",
                "     (--front managed: then switch the front to the new colour",
                "     atomically, and drain the old one's in-flight requests)",
                "  6. stop the old colour gracefully (its stop_signal, then its",
                "     stop_grace_period); keep it stopped for a fast rollback.java",
                "     until the next deploy (or remove it now with --remove-old)",
                "  7. record the result in the release history on the host",
                "If the new colour fails at any step the old colour is not touched and",
                "keeps serving: the new containers are removed, the reason and their",
                "last log lines are printed, and the exit code is 1. Ctrl-C does the",
                "same and releases the lock.",
                "",
                "Compose files: one per colour (-f docker-compose.{colour}.yml), or one",
                "file publishing \"127.0.0.1:$${DEPLOY_PORT}:80\" (blue 8080, green 8081).",
                "",
                "Examples:",
                "  deploy.java --app shop -f compose/docker-compose.{colour}.yml",
                "  deploy.java --app shop -f compose.yml --probe /health --health-timeout 2m",
                "  deploy.java --app shop --dry-run",
                "  deploy.java status --app shop",
                "  deploy.java history --app shop",
                "  DOCKER_HOST=tcp://web1:2376 DOCKER_TLS_VERIFY=1 deploy.java --app shop",
                "  deploy.java --branch \"$CI_COMMIT_BRANCH\"   # settings from deploy.yml",
                "  deploy.java --env production --if-changed --pull always   # from cron",
                "",
                "Options:"},
        footer = ExitCode.HELP_FOOTER)
public class deploy implements Callable<Integer> {
    @Mixin HostOptions target;

    @Mixin HealthOptions health;

    @Mixin FrontOptions front;

    @Mixin ProjectOptions project;

    /** rollback.java's slow path is a deploy of an older release; the history should say rollback. */
    @Option(names = "--record-as", hidden = true, defaultValue = "deploy")
    String recordAs;

    @Mixin ReleaseOptions up;

    @Mixin DeployOptions options;

    @Spec CommandSpec spec;

    public static void main(String... args) {
        System.exit(Cli.commandLine(new deploy()).execute(args));
    }

    // One deploy's state, filled in as call() goes; a deploy object runs once.
    private PrintWriter out;
    private PrintWriter err;
    private DockerHost docker;
    private String app;
    private HostState state;
    private Colour next;
    private Optional<Colour> live;
    private String rel;
    private String previous;
    private long started;
    private Notifier notifier;
    private Hooks hooks;
    private String environment;
    private Map<String, String> hookEnv;
    private Map<String, String> ourLabels;
    private ColourStack stack;
    private ManagedFront managedFront;

    @Override
    public Integer call() {
        out = spec.commandLine().getOut();
        err = spec.commandLine().getErr();
        applyProjectFile();
        app = target.app();
        boolean recreate = options.recreate();
        Duration gateTimeout = health.gateTimeout();
        Duration lockWait = up.waitLock();
        ImagePuller.Policy pullPolicy = up.pull();
        String pattern = ComposeFiles.pattern(up.file, Path.of(""));
        String releaseVar = ReleaseInfo.releaseVariable(options.release, ComposeFiles.fileFor(pattern, Colour.BLUE));
        Map<Colour, ComposeProject> composed = ComposeFiles.loadBoth(pattern, app, up.ports(), releaseVar, System.getenv());
        boolean managed = front.managed();

        Cancellation cancel = options.dryRun ? Cancellation.none() : Cancellation.onSignal(Duration.ofSeconds(120));
        try (DockerHost host = target.connect(err)) {
            docker = host;
            if (options.dryRun) {
                HostState now = ColourDetector.detect(docker.client(), app);
                StatusView.plan(out, now, composed.get(now.target()), recreate);
                cancel.done();
                return ExitCode.OK;
            }
            try (DeployLock lock = DeployLock.acquire(docker.client(), app, "deploy to " + docker.describe(), lockWait, out, cancel)) {
                started = System.currentTimeMillis();
                state = ColourDetector.detect(docker.client(), app);
                next = state.target();
                live = state.live();
                ComposeProject compose = composed.get(next);
                rel = ReleaseInfo.releaseLabel(options.release, compose, releaseVar);
                previous = live.map(c -> state.of(c).release()).orElse(null);
                if (options.ifChanged && upToDate()) {
                    cancel.done();
                    return ExitCode.OK;
                }
                announce();
                stack = new ColourStack(docker.client(), compose, next.project(app), ourLabels, out);
                HealthGate gate = new HealthGate(docker.client(), gateTimeout, cancel, out);
                Set<String> oldWorkers = Set.of();
                try {
                    String hookFailure = hooks.run("pre-deploy", hookEnv);
                    if (hookFailure != null) throw DeployError.failed(hookFailure);
                    if (managed) {
                        Cli.step(out, "check the managed front");
                        managedFront = new ManagedFront(docker.client(), app, front, out);
                        managedFront.ensure(live.map(c -> managedFront.targetOf(state.of(c))).orElse(null));
                    }
                    Cli.step(out, "pull images");
                    new ImagePuller(docker.client(), out, System.console() != null).pull(images(compose), pullPolicy, cancel);
                    recordBuiltCommit(compose);
                    removeLeftovers();
                    if (recreate && live.isPresent()) {
                        Cli.step(out, "stop " + live.get() + " first (--strategy recreate: the site is down until " + next + " is healthy)");
                        ColourStack.stopAll(docker.client(), state.of(live.get()), out);
                    }
                    Cli.step(out, "start " + next);
                    stack.up(gate, cancel);
                    Cli.step(out, "health gate (up to " + gateTimeout.toSeconds() + "s)");
                    gate.await(stack.containerIds(), Probes.fromCompose(health.probe(), compose, docker, out));
                    if (managed) oldWorkers = switchFront();
                } catch (DeployError failure) {
                    if (recreate && live.isPresent()) ColourStack.startAll(docker.client(), state.of(live.get()), out);
                    throw rejected(failure);
                }
                if (managed) {
                    Cli.step(out, "drain " + live.map(Colour::id).orElse("the old front workers"));
                    managedFront.drain(oldWorkers, Cancellation.none()); // past the switch: finish the job even on Ctrl-C
                }
                if (live.isPresent()) {
                    Cli.step(out, (options.removeOld ? "retire " : "stop ") + live.get() + " gracefully" + (options.removeOld ? "" : " (kept stopped for rollback.java)"));
                    ColourStack.retire(docker.client(), state.of(live.get()), live.get().project(app), options.removeOld, out);
                }
                finish();
                cancel.done();
                return ExitCode.OK;
            }
        }
    }

    /** The step header, the start notification, and what hooks and labels will carry. */
    private void announce() {
        Cli.step(out, "deploy " + app + " release " + rel + " to " + next + " on " + docker.describe() + "; " + state.describe());
        notifier = project.notifier(err);
        hooks = project.hooks(out);
        environment = project.environmentName();
        hookEnv = hookEnv(app, environment, rel, next, previous, docker);
        ourLabels = ReleaseInfo.labels(app, next, rel);
        notifier.send(new Notifier.Event("start", app, environment, next.id(), rel, previous, DeployLock.whoAmI(), 0, null));
    }

    /** After the pull, a channel tag such as latest is recorded as the commit its image was built from. */
    private void recordBuiltCommit(ComposeProject compose) {
        String built = ReleaseInfo.fromImages(docker.client(), compose, rel);
        if (built.equals(rel)) return;
        out.println("  " + rel + " is commit " + built + " (org.opencontainers.image.revision); recording it as release " + built);
        rel = built;
        ourLabels.put(lib.Labels.RELEASE, rel); // read by the stack when it creates the containers
        hookEnv.put("DEPLOY_RELEASE", rel);
    }

    private void removeLeftovers() {
        ColourState leftover = state.of(next);
        if (leftover.empty()) return;
        Cli.step(out, "remove " + next + "'s leftover containers (" + leftover.condition() + ")");
        ColourStack.retire(docker.client(), leftover, next.project(app), true, out);
    }

    /** The managed front's atomic switch; returns the nginx workers to drain. */
    private Set<String> switchFront() {
        Cli.step(out, "switch the front to " + next);
        return managedFront.switchTo(ColourDetector.detect(docker.client(), app).of(next));
    }

    /** The new colour failed: say why, remove it, record and notify; the old colour was never touched. */
    private DeployError rejected(DeployError failure) {
        reportFailure(err, docker, failure, stack);
        boolean createdAny = !stack.containerIds().isEmpty();
        stack.removeCreated();
        record(docker, app, recordAs, rel, next, previous, failure.exitCode() == ExitCode.INTERRUPTED ? "interrupted" : "failed",
                started, failure.getMessage(), err);
        notifier.send(new Notifier.Event("failure", app, environment, next.id(), rel, previous, DeployLock.whoAmI(),
                System.currentTimeMillis() - started, failure.getMessage()));
        notifier.flush();
        return new DeployError(failure.exitCode(), failedMessage(failure, next, live, state, createdAny));
    }

    /** Success: history, the line CI logs show, the notification and the post hook. */
    private void finish() {
        record(docker, app, recordAs, rel, next, previous, "ok", started, null, err);
        out.println(Cli.ansi().string("@|bold,green deployed|@ ") + app + " release " + rel + ": " + next + " is live");
        boolean isRollback = recordAs.equals("rollback");
        notifier.send(new Notifier.Event(isRollback ? "rollback" : "success", app, environment, next.id(), rel, previous,
                DeployLock.whoAmI(), System.currentTimeMillis() - started, null));
        String postFailure = hooks.run(isRollback ? "post-rollback" : "post-deploy", hookEnv);
        if (postFailure != null) err.println(Cli.ansi().string("@|yellow warning:|@ ") + postFailure + " (the deploy itself succeeded)");
        notifier.flush();
    }

    /** History is for people; failing to write it must not turn a good deploy into a failed one. */
    static void record(DockerHost docker, String app, String action, String release, Colour colour, String previous, String result,
                       long startedMillis, String reason, PrintWriter err) {
        try {
            new ReleaseHistory(docker.client(), app).append(new ReleaseHistory.Entry(java.time.Instant.now().toString(), action,
                    release, colour.id(), previous, result, System.currentTimeMillis() - startedMillis, DeployLock.whoAmI(), reason));
        } catch (RuntimeException e) {
            err.println(Cli.ansi().string("@|yellow warning:|@ ") + "could not record the release history: " + e.getMessage());
        }
    }

    private static void reportFailure(PrintWriter err, DockerHost docker, DeployError failure, ColourStack stack) {
        if (failure.exitCode() == ExitCode.INTERRUPTED) return;
        err.println(Cli.ansi().string("@|red new colour rejected:|@ ") + failure.getMessage());
        String culprit = failure instanceof HealthGate.Failure f ? f.containerId() : null;
        if (culprit == null && !stack.containerIds().isEmpty()) culprit = stack.containerIds().get(stack.containerIds().size() - 1);
        if (culprit != null) {
            var lines = ContainerLogs.tail(docker.client(), culprit, 20);
            if (!lines.isEmpty()) {
                err.println("last log lines of " + culprit.substring(0, 12) + ":");
                lines.forEach(l -> err.println("  | " + l));
            }
        }
        err.flush();
    }

    private static String failedMessage(DeployError failure, Colour next, Optional<Colour> live, HostState state, boolean started) {
        String serving = live.map(c -> c + " still serves release " + state.of(c).release())
                .orElse("no colour was live before, so nothing serves");
        String what = failure.exitCode() == ExitCode.INTERRUPTED ? "deploy interrupted" : "deploy failed";
        return what + ": " + failure.getMessage() + "; " + (started ? next + " was removed and " : "nothing was changed: ") + serving;
    }

    /** What hooks get: the release details, never a secret. */
    static Map<String, String> hookEnv(String app, String environment, String release, Colour colour, String previous, DockerHost docker) {
        Map<String, String> env = new java.util.LinkedHashMap<>();
        env.put("DEPLOY_APP", app);
        env.put("DEPLOY_ENV", environment == null ? "" : environment);
        env.put("DEPLOY_RELEASE", release);
        env.put("DEPLOY_COLOUR", colour.id());
        env.put("DEPLOY_PREVIOUS_RELEASE", previous == null ? "" : previous);
        env.put("DEPLOY_HOST", docker.endpoint().toString());
        env.put("DEPLOY_BY", DeployLock.whoAmI());
        return env;
    }

    /** --if-changed: the registry's digest of the tag against the image the live colour runs. */
    private boolean upToDate() {
        if (options.image == null) throw DeployError.config("--if-changed needs --image REGISTRY/REPO (or image: in deploy.yml) to ask the registry");
        String tag = options.release != null ? options.release : "latest";
        RegistryClient.ImageRef ref = RegistryClient.ImageRef.parse(options.image);
        String remote = new RegistryClient(ref).manifest(tag)
                .orElseThrow(() -> DeployError.config("tag \"" + tag + "\" is not in " + options.image + "; build and push it first (build.jsh)")).digest();
        String wanted = ref.registry() + "/" + ref.repository() + "@" + remote;
        boolean same = live.map(c -> state.of(c).containers().stream().anyMatch(ci -> {
            var repoDigests = docker.client().inspectImageCmd(ci.imageId()).exec().getRepoDigests();
            return repoDigests != null && repoDigests.contains(wanted);
        })).orElse(false);
        if (same) out.println("up to date: " + target.app() + " already runs " + options.image + ":" + tag + " (" + remote.substring(0, 19) + "); nothing to do");
        out.flush();
        return same;
    }

    /** Options not given on the command line come from deploy.yml, if there is one. */
    private void applyProjectFile() {
        var parsed = spec.commandLine().getParseResult();
        project.applyTo(target, parsed.hasMatchedOption("--host"));
        Optional<ProjectFile> pf = project.file();
        if (pf.isEmpty()) return;
        ProjectFile f = pf.get();
        java.nio.file.Path dir = f.file().getParent();
        if (!parsed.hasMatchedOption("--file") && f.compose() != null) up.file = dir.resolve(f.compose()).toString();
        if (!parsed.hasMatchedOption("--image") && f.image() != null) options.image = f.image();
        if (!parsed.hasMatchedOption("--release") && f.release() != null) options.release = f.release();
        health.defaultsFrom(f.health(), f.file(), parsed);
        front.defaultsFrom(f.front(), f.file(), parsed);
    }

    private static LinkedHashSet<String> images(ComposeProject compose) {
        LinkedHashSet<String> images = new LinkedHashSet<>();
        compose.startOrder().forEach(s -> images.add(s.image()));
        return images;
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = {"Show which colour is live, its release, since when, by whom, health.",
                    "Also the lock and the managed front. Exits 0 when a colour serves and is healthy,",
                    "1 otherwise (usable from monitoring)."},
            footer = ExitCode.HELP_FOOTER)
    static class Status implements Callable<Integer> {
        @Mixin HostOptions target;
        @Spec CommandSpec spec;

        @Override
        public Integer call() {
            try (DockerHost docker = target.connect(spec.commandLine().getErr())) {
                HostState state = ColourDetector.detect(docker.client(), target.app());
                boolean ok = StatusView.print(spec.commandLine().getOut(), docker, state,
                        DeployLock.holder(docker.client(), target.app()),
                        new ManagedFront(docker.client(), target.app(), new FrontOptions(), spec.commandLine().getOut()).liveTarget());
                return ok ? ExitCode.OK : ExitCode.DEPLOY_FAILED;
            }
        }
    }

    @Command(name = "history", mixinStandardHelpOptions = true,
            description = {"Show every deploy and rollback of the app on this host.",
                    "When, what release, which colour, the result, how long it took and who ran it.",
                    "Kept on the Docker host, so every machine sees the same history."},
            footer = ExitCode.HELP_FOOTER)
    static class History implements Callable<Integer> {
        @Mixin HostOptions target;
        @Spec CommandSpec spec;

        @Override
        public Integer call() {
            try (DockerHost docker = target.connect(spec.commandLine().getErr())) {
                StatusView.history(spec.commandLine().getOut(), new ReleaseHistory(docker.client(), target.app()).read());
                return ExitCode.OK;
            }
        }
    }

    @Command(name = "unlock", mixinStandardHelpOptions = true,
            description = {"Break the deploy lock left behind by a deploy that died.",
                    "(kill -9, a lost connection.) Only do this when no deploy of the app is running:",
                    "the lock is what keeps two deploys from interleaving."},
            footer = ExitCode.HELP_FOOTER)
    static class Unlock implements Callable<Integer> {
        @Mixin HostOptions target;
        @Spec CommandSpec spec;

        @Override
        public Integer call() {
            try (DockerHost docker = target.connect(spec.commandLine().getErr())) {
                var held = DeployLock.breakLock(docker.client(), target.app());
                spec.commandLine().getOut().println(held.map(h -> "released the lock of " + target.app() + ", held by " + h.who()
                        + " since " + h.since() + " for: " + h.purpose()).orElse("no lock was held for " + target.app()));
                return ExitCode.OK;
            }
        }
    }
}
