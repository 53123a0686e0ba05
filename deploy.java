///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS info.picocli:picocli:4.7.6
//SOURCES lib/**.java

import lib.cli.Cancellation;
import lib.cli.Cli;
import lib.cli.DeployError;
import lib.cli.ExitCode;
import lib.cli.StatusView;
import lib.colour.Colour;
import lib.colour.ColourDetector;
import lib.colour.HostState;
import lib.compose.ComposeFiles;
import lib.compose.ComposeProject;
import lib.docker.DockerHost;
import lib.engine.DeployLock;
import lib.engine.Deployment;
import lib.engine.Fleet;
import lib.engine.Steps;
import lib.front.ManagedFront;
import lib.options.DeployOptions;
import lib.options.FrontOptions;
import lib.options.HealthOptions;
import lib.options.HostOptions;
import lib.options.ProjectOptions;
import lib.options.ReleaseOptions;
import lib.options.RetireOptions;
import lib.project.ProjectFile;
import lib.release.RegistryClient;
import lib.release.ReleaseHistory;
import lib.release.ReleaseInfo;

import static lib.engine.Deployment.after;
import static lib.engine.Deployment.before;
import static lib.engine.Deployment.theSwitch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.List;
import java.util.Arrays;
import java.util.concurrent.Callable;

@Command(name = "deploy.java", mixinStandardHelpOptions = true, usageHelpAutoWidth = true, version = "bgdeploy 0.1.0",
        subcommands = {deploy.Status.class, deploy.History.class, deploy.Unlock.class},
        description = {
                "Blue-green deploy of a Docker Compose app with no downtime.",
                "",
                "Replaces the shell step 'find the live colour, pull and up the other,",
                "sleep 10, down the old' with:",
                "  1. take the app's deploy lock on the Docker host (another deploy",
                "     of the same app waits with --wait-lock, or fails with exit 4;",
                "     a lock whose holder died on this machine is broken with a notice)",
                "  2. read what the host recorded serves (or, on a host of the shell",
                "     version, which colour runs) and finish what a crashed run left",
                "  3. pull the idle colour's images; set its previous release aside",
                "  4. create and start the idle colour in depends_on order",
                "  5. health gate, one deadline: containers running, HEALTHCHECKs",
                "     healthy, the HTTP probe (run on the Docker host) answering 2xx",
                "     --probe-successes times in a row",
                "  6. the switch: --front managed reloads the front to the new colour;",
                "     the host records the new colour as live",
                "  7. drain and retire the old colour (--keep-old: a warm standby",
                "     behind the managed front, stopped behind the passive one);",
                "     record the result in the release history on the host",
                "If anything fails before the switch (or Ctrl-C, SIGTERM), everything",
                "the deploy changed is undone: the previous colour keeps serving, the",
                "reason and the failing container's last log lines are printed, and",
                "the exit code is 1 (130 when interrupted). A deploy.yml environment",
                "with several hosts moves them all, or none.",
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

    @Mixin ReleaseOptions up;

    @Mixin DeployOptions options;

    @Mixin RetireOptions retire;

    @Spec CommandSpec spec;

    public static void main(String... args) {
        Cancellation.exit(Cli.commandLine(new deploy()).execute(args));
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        applyProjectFile();
        String app = target.app();
        boolean recreate = options.recreate();
        Duration lockWait = up.waitLock();
        String pattern = ComposeFiles.pattern(up.file, Path.of(""));
        String releaseVar = ReleaseInfo.releaseVariable(options.release, ComposeFiles.fileFor(pattern, Colour.BLUE));
        Map<Colour, ComposeProject> composed = ComposeFiles.loadBoth(pattern, app, up.ports(), releaseVar, System.getenv());

        List<HostOptions> fleet = project.fleet(target, spec.commandLine().getParseResult().hasMatchedOption("--host"));
        if (!fleet.isEmpty() && !options.dryRun) {
            return deployFleet(fleet, app, recreate, lockWait, composed, releaseVar, out, err);
        }
        try (Cancellation cancel = options.dryRun ? Cancellation.none() : Cancellation.onSignal(Duration.ofSeconds(60));
             DockerHost docker = target.connect(err)) {
            if (options.dryRun) {
                HostState now = ColourDetector.detect(docker.client(), app);
                StatusView.plan(out, now, composed.get(now.target()), recreate);
                return ExitCode.OK;
            }
            try (DeployLock lock = DeployLock.acquire(docker.client(), app, "deploy to " + docker.describe(), lockWait, out, cancel)) {
                Deployment d = new Deployment(docker, app, settings("deploy", err, out), cancel, out, err);
                Colour next = d.state().target();
                ComposeProject compose = composed.get(next);
                d.toCompose(next, compose, ReleaseInfo.releaseLabel(options.release, compose, releaseVar));
                if (options.ifChanged && upToDate(docker, d, out)) return ExitCode.OK;
                Cli.step(out, "deploy " + app + " release " + d.release() + " to " + next + " on " + docker.describe() + "; " + d.state().describe());
                return d.run(steps(d, recreate));
            }
        }
    }

    /** Several hosts, all or nothing: each host runs the same steps; the fleet switches only if every host passed its gate. */
    private int deployFleet(List<HostOptions> hosts, String app, boolean recreate, Duration lockWait, Map<Colour, ComposeProject> composed,
                            String releaseVar, PrintWriter out, PrintWriter err) {
        Deployment.Settings settings = settings("deploy", err, out);
        long started = System.currentTimeMillis();
        try (Cancellation cancel = Cancellation.onSignal(Duration.ofSeconds(60));
             Fleet fleet = new Fleet(hosts, app, "deploy", lockWait, cancel, out, err)) {
            String release = ReleaseInfo.releaseLabel(options.release, composed.get(Colour.BLUE), releaseVar);
            Cli.step(out, "deploy " + app + " release " + release + " to " + fleet.size() + " hosts of " + project.environmentName() + ", all or none");
            settings.notifier().send(Fleet.event("start", app, settings.environment(), release, 0, Map.of()));
            String hookFailure = settings.hooks().run("pre-deploy", Map.of("DEPLOY_APP", app, "DEPLOY_RELEASE", release,
                    "DEPLOY_ENV", settings.environment() == null ? "" : settings.environment()));
            if (hookFailure != null) throw DeployError.failed(hookFailure + "; no host was touched");
            try {
                Map<String, String> results = fleet.run(settings, app, cancel, d -> {
                    Colour next = d.state().target();
                    d.toCompose(next, composed.get(next), ReleaseInfo.releaseLabel(options.release, composed.get(next), releaseVar));
                    return steps(d, recreate);
                });
                results.forEach((h, r) -> out.println("  " + h + ": " + r));
                out.println(Cli.ansi().string("@|bold,green deployed|@ ") + app + " release " + release + " to all " + fleet.size() + " hosts");
                settings.notifier().send(Fleet.event("success", app, settings.environment(), release, System.currentTimeMillis() - started, results));
                String post = settings.hooks().run("post-deploy", Map.of("DEPLOY_APP", app, "DEPLOY_RELEASE", release,
                        "DEPLOY_ENV", settings.environment() == null ? "" : settings.environment()));
                if (post != null) err.println(Cli.ansi().string("@|yellow warning:|@ ") + post + " (the deploy itself succeeded)");
                return ExitCode.OK;
            } catch (Fleet.FleetError e) {
                e.results().forEach((h, r) -> err.println("  " + h + ": " + r));
                settings.notifier().send(Fleet.event("failure", app, settings.environment(), release, System.currentTimeMillis() - started, e.results()));
                throw e;
            } finally {
                settings.notifier().flush();
            }
        }
    }

    /** The shell step "find the live colour, pull and up the other, sleep 10, down the old", made safe. */
    static List<Steps.Step> steps(Deployment d, boolean recreate) {
        Colour next = d.next();
        Optional<Colour> live = d.live();
        return Arrays.asList(
                before(null, d::ensureRecord),
                before("pre-deploy hook", () -> d.preHook("pre-deploy")),
                d.managedFront() ? before("check the managed front", d::ensureFront) : null,
                before("pull images", d::pull),
                before("make room in " + next, d::clearTarget),
                recreate && live.isPresent() ? before("stop " + live.get() + " first (--strategy recreate: the site is down until "
                        + next + " is healthy)", d::stopLive) : null,
                before("start " + next, d::start),
                before("health gate", d::gate),
                theSwitch(d.managedFront() ? "switch the front to " + next : null, d::switchTraffic),
                d.managedFront() && live.isPresent() ? after("drain " + live.get(), d::drain) : null,
                after(live.map(c -> "retire " + c).orElse(null), d::retireOld),
                after(null, d::recordSuccess));
    }

    /** The run's settings: options, then deploy.yml, then what the host recorded. */
    Deployment.Settings settings(String action, PrintWriter err, PrintWriter out) {
        var parsed = spec.commandLine().getParseResult();
        boolean frontGiven = parsed.hasMatchedOption("--front") || project.file().map(f -> f.front().containsKey("kind")).orElse(false);
        Deployment.KeepOld keep = options.removeOld ? Deployment.KeepOld.REMOVED : retire.keepOld != null ? retire.keepOld : Deployment.KeepOld.STOPPED;
        return new Deployment.Settings(action, health.gateTimeout(), health.probe(), up.pull(), front, frontGiven,
                keep, options.removeOld || retire.keepOld != null, project.notifier(err), project.hooks(out), project.environmentName());
    }

    /** --if-changed: the registry's digest of the tag against the image the live colour runs. */
    private boolean upToDate(DockerHost docker, Deployment d, PrintWriter out) {
        if (options.image == null) throw DeployError.config("--if-changed needs --image REGISTRY/REPO (or image: in deploy.yml) to ask the registry");
        String tag = options.release != null ? options.release : "latest";
        RegistryClient.ImageRef ref = RegistryClient.ImageRef.parse(options.image);
        String remote = new RegistryClient(ref).manifest(tag)
                .orElseThrow(() -> DeployError.config("tag \"" + tag + "\" is not in " + options.image + "; build and push it first (build.jsh)")).digest();
        String wanted = ref.registry() + "/" + ref.repository() + "@" + remote;
        boolean same = d.live().map(c -> d.state().of(c).containers().stream().anyMatch(ci -> {
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

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = {"Show which colour is live, its release, since when, by whom, health.",
                    "Also the lock and the managed front. Exits 0 when a colour serves and is healthy,",
                    "1 otherwise (usable from monitoring)."},
            footer = ExitCode.HELP_FOOTER)
    static class Status implements Callable<Integer> {
        @Mixin HostOptions target;
        @Mixin ProjectOptions project;
        @Spec CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            List<HostOptions> hosts = hostsOf(spec, target, project);
            boolean ok = true;
            Map<String, String> liveRelease = new java.util.TreeMap<>();
            for (HostOptions h : hosts) {
                try (DockerHost docker = h.connect(spec.commandLine().getErr())) {
                    HostState state = ColourDetector.detect(docker.client(), target.app());
                    boolean managed = state.record().map(r -> r.front().managed()).orElse(false);
                    ok &= StatusView.print(out, docker, state, DeployLock.holder(docker.client(), target.app()),
                            ManagedFront.state(docker.client(), target.app(), managed));
                    state.live().ifPresent(c -> liveRelease.put(docker.describe(), state.of(c).release()));
                } catch (DeployError unreachable) {
                    if (hosts.size() == 1) throw unreachable;
                    out.println("host " + h.host + ": " + unreachable.getMessage());
                    ok = false;
                }
            }
            if (new java.util.HashSet<>(liveRelease.values()).size() > 1) {
                out.println("MIXED FLEET: hosts are live on different releases (" + liveRelease + "); repair with: deploy.java --env "
                        + project.environmentName() + " --release RELEASE");
                ok = false;
            }
            out.flush();
            return ok ? ExitCode.OK : ExitCode.DEPLOY_FAILED;
        }
    }

    /** The hosts a subcommand looks at: every host of a deploy.yml environment, or the one host the options name. */
    static List<HostOptions> hostsOf(CommandSpec spec, HostOptions target, ProjectOptions project) {
        boolean hostGiven = spec.commandLine().getParseResult().hasMatchedOption("--host");
        project.applyTo(target, hostGiven);
        List<HostOptions> fleet = project.fleet(target, hostGiven);
        return fleet.isEmpty() ? List.of(target) : fleet;
    }

    @Command(name = "history", mixinStandardHelpOptions = true,
            description = {"Show every deploy and rollback of the app on this host.",
                    "When, what release, which colour, the result, how long it took and who ran it.",
                    "Kept on the Docker host, so every machine sees the same history."},
            footer = ExitCode.HELP_FOOTER)
    static class History implements Callable<Integer> {
        @Mixin HostOptions target;
        @Mixin ProjectOptions project;
        @Spec CommandSpec spec;

        @Override
        public Integer call() {
            List<HostOptions> hosts = hostsOf(spec, target, project);
            for (HostOptions h : hosts) {
                try (DockerHost docker = h.connect(spec.commandLine().getErr())) {
                    if (hosts.size() > 1) Cli.step(spec.commandLine().getOut(), "host " + docker.describe());
                    StatusView.history(spec.commandLine().getOut(), new ReleaseHistory(docker.client(), target.app()).read(spec.commandLine().getErr()));
                }
            }
            return ExitCode.OK;
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
                        + ": " + h.describe(java.time.Instant.now())).orElse("no lock was held for " + target.app()));
                return ExitCode.OK;
            }
        }
    }
}
