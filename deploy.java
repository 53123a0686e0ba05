///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS info.picocli:picocli:4.7.6
//SOURCES lib/**.java

import lib.base.Text;
import lib.cli.HistoryCommand;
import lib.cli.StatusCommand;
import lib.cli.UnlockCommand;
import lib.cli.MaintenanceCommand;
import lib.cli.FrontCommand;
import lib.cli.TrafficCommand;
import lib.cli.TaskCommand;
import lib.cli.DryRun;
import lib.cli.SwarmRun;
import lib.release.IfChanged;
import lib.docker.HostAddress;
import lib.engine.Plan;
import lib.engine.TaskPlan;
import lib.engine.RunSettings;
import lib.model.Strategy;
import lib.base.Style;
import lib.base.Cancellation;
import lib.cli.Cli;
import lib.base.ExitCode;
import lib.model.Colour;
import lib.host.HostReader;
import lib.compose.ComposeFiles;
import lib.compose.ComposeProject;
import lib.docker.DockerHost;
import lib.host.DeployLock;
import lib.engine.Deployment;
import lib.engine.Fleet;
import lib.options.AccessoryOptions;
import lib.options.DeployOptions;
import lib.cli.ComposeModel;
import lib.cli.ConfigCommand;
import lib.cli.AccessoryCommand;
import lib.base.DeployError;
import lib.options.FrontOptions;
import lib.options.HealthOptions;
import lib.options.HostOptions;
import lib.options.ProjectOptions;
import lib.options.ReleaseOptions;
import lib.options.RetireOptions;
import lib.options.TaskOptions;
import lib.model.ReleaseTasks;
import lib.model.WatchSettings;
import lib.project.ProjectFile;
import lib.project.TasksReader;
import lib.release.ReleaseInfo;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;

@Command(name = "deploy.java", mixinStandardHelpOptions = true, usageHelpAutoWidth = true, version = "bgdeploy 0.1.0",
        subcommands = {StatusCommand.class, HistoryCommand.class, UnlockCommand.class, ConfigCommand.class, AccessoryCommand.class, MaintenanceCommand.class, FrontCommand.class, TrafficCommand.class, TaskCommand.class,
                deploy.Promote.class, deploy.Abort.class},
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
                "  3. pull the idle colour's images; start missing accessories (services",
                "     that run once per app: accessories: in deploy.yml, --accessory);",
                "     set the idle colour's previous release aside",
                "  4. create and start the idle colour in depends_on order",
                "  5. health gate, one deadline: containers running, HEALTHCHECKs",
                "     healthy, the HTTP probe (run on the Docker host) answering 2xx",
                "     --probe-successes times in a row; then deploy.yml's health.checks",
                "     (smoke checks: status, headers, a text in the body)",
                "  6. the switch: --front managed reloads the front to the new colour;",
                "     the host records the new colour as live",
                "  7. drain and retire the old colour (--keep-old: a warm standby",
                "     behind the managed front, stopped behind the passive one);",
                "     with --watch 2m, first watch the new one for 2m and switch",
                "     back to the old at once if it fails (exit 1);",
                "     record the result in the release history on the host",
                "If anything fails before the switch (or Ctrl-C, SIGTERM), everything",
                "the deploy changed is undone: the previous colour keeps serving, the",
                "reason and the failing container's last log lines are printed, and",
                "the exit code is 1 (130 when interrupted). A deploy.yml environment",
                "with several hosts moves them all, or none; one with engine: swarm",
                "runs the colours as Swarm services behind the managed front.",
                "",
                "Compose files: one per colour (-f docker-compose.{colour}.yml), or one",
                "file publishing \"127.0.0.1:$${DEPLOY_PORT}:80\" (blue 8080, green 8081).",
                "",
                "Examples:",
                "  deploy.java --app shop -f compose/docker-compose.{colour}.yml",
                "  deploy.java --app shop -f compose.yml --probe /health --health-timeout 2m",
                "  deploy.java --app shop --dry-run",
                "  deploy.java --app shop --front managed --preview   # then promote or abort",
                "  deploy.java promote --app shop",
                "  deploy.java --app shop --watch 2m   # switch back if the new release fails",
                "  deploy.java status --app shop",
                "  deploy.java history --app shop",
                "  deploy.java config --app shop --accessory mysql   # the resolved model, no Docker",
                "  deploy.java accessory status --app shop",
                "  deploy.java maintenance on --app shop --allow 203.0.113.7",
                "  deploy.java front reload --app shop   # after certbot renew",
                "  deploy.java traffic --app shop --since 10m",
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

    @Mixin AccessoryOptions accessories;
    @Mixin TaskOptions tasks;

    @Option(names = "--preview", description = "Stop at the switch: the new colour passed its gate and is reached only through the managed front's "
            + "preview port (front.preview_port, default --front-port + 1) and, on the main port, with the cookie bgdeploy-preview=1; the live "
            + "colour keeps all other traffic and the lock is released. Then deploy.java promote --app APP switches to it, or deploy.java abort --app APP removes it.")
    boolean preview;

    @Option(names = "--replace-preview", description = "A preview is open: remove it (as deploy.java abort does), then deploy. Without it a deploy while a preview is open fails with exit 6.")
    boolean replacePreview;

    @Spec CommandSpec spec;

    public static void main(String... args) {
        Cancellation.exit(Cli.commandLine(new deploy()).execute(args));
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        var parsed = spec.commandLine().getParseResult();
        if (preview && options.strategy == Strategy.RECREATE) {
            throw new DeployError(ExitCode.USAGE, "--preview needs both colours running side by side; --strategy recreate stops the live one first: drop one of them");
        }
        boolean onSwarm = project.environment().map(ProjectFile.Environment::isSwarm).orElse(false);
        ComposeModel model = ComposeModel.load(parsed, target, health, front, project, up, options, accessories, onSwarm);
        String app = model.app();
        String releaseVar = model.releaseVar();
        Map<Colour, ComposeProject> composed = model.colours();
        // once per deploy, before the plan: where a Compose key means something else under blue-green
        ComposeFiles.notices(composed).forEach(n -> out.println(Style.note() + n));
        var swarm = project.swarm(target, parsed.hasMatchedOption("--host"));
        if (swarm.isPresent()) {
            if (!model.split(Colour.BLUE).accessories().isEmpty()) {
                // Until a Swarm runs them itself: what works today, in one line (SwarmTasksTest does exactly this with its db).
                throw DeployError.config("accessories (" + String.join(", ", model.split(Colour.BLUE).accessoryNames()) + ") are not run on a Swarm yet:"
                        + " take them out of the Compose file, run each once as its own service pinned to its volume's node on an attachable overlay"
                        + " (docker network create -d overlay --attachable " + app + "-accessories; docker service create --name " + app + "-db"
                        + " --network " + app + "-accessories --endpoint-mode dnsrr --constraint node.hostname==NODE ...), and give the colour's"
                        + " services that network as external (networks: {accessories: {external: true, name: " + app + "-accessories}}):"
                        + " the colours and their release tasks then reach it by its service name");
            }
            // Tasks run once per deploy as one-shot Swarm services; singletons are scaled between the colours.
            ReleaseTasks swarmTasks = tasks.resolve(project.file().map(ProjectFile::tasks).orElse(null));
            TasksReader.checkAgainst(swarmTasks, composed.get(Colour.BLUE).services().keySet(), composed.get(Colour.BLUE).file(),
                    project.file().map(f -> f.file().toString()).orElse("--singleton"));
            if (swarmTasks.host() != null) {
                throw DeployError.config("tasks.host: names a host of a fleet; on a Swarm each task runs as a one-shot service wherever Swarm places it"
                        + " (its service's deploy.placement.constraints): remove tasks.host from " + project.file().map(f -> f.file().toString()).orElse("deploy.yml"));
            }
            RunSettings settings = project.settings("deploy", parsed, health, up, front, retire.keepOld, options.removeOld, out, err);
            // Each of these reads or runs containers on one host; on a Swarm they would silently do something else.
            if (preview || replacePreview) throw DeployError.config("--preview is not run on a Swarm yet: deploy environment " + project.environmentName() + " without it");
            if (watch().on()) throw DeployError.config("--watch (deploy.yml watch:) is not run on a Swarm yet: deploy environment "
                    + project.environmentName() + " with --watch off");
            return SwarmRun.run(swarm.get(), app, project.environmentName(), settings, up.waitLock(), options.dryRun, d -> {
                d.withTasks(swarmTasks);
                Colour next = d.state().target();
                d.toCompose(next, composed.get(next), ReleaseInfo.releaseLabel(options.release, composed.get(next), releaseVar));
                return steps(d, options.strategy);
            }, out, err);
        }
        List<HostAddress> hosts = project.hosts(target, parsed.hasMatchedOption("--host"));
        if (hosts.size() > 1 && !model.split(Colour.BLUE).accessories().isEmpty()) {
            throw DeployError.config("accessories (" + String.join(", ", model.split(Colour.BLUE).accessoryNames()) + ") run once per app on one host,"
                    + " but environment " + project.environmentName() + " has " + hosts.size() + " hosts, where each would get its own;"
                    + " run them outside the fleet (external) and reach them by address, or deploy to one host");
        }
        RunSettings settings = project.settings(preview ? "preview" : "deploy", parsed, health, up, front, retire.keepOld, options.removeOld, out, err)
                .withWatch(preview ? WatchSettings.OFF : watch()); // a preview has no switch to watch after: promote switches
        if (hosts.size() > 1 && settings.watch().on()) {
            throw DeployError.config("--watch (deploy.yml watch:) watches one front, and environment " + project.environmentName() + " has "
                    + hosts.size() + " hosts, each with its own front; deploy the fleet without it (--watch off) or watch one host (--host)");
        }
        ReleaseTasks releaseTasks = tasks.resolve(project.file().map(ProjectFile::tasks).orElse(null));
        TasksReader.checkAgainst(releaseTasks, composed.get(Colour.BLUE).services().keySet(), composed.get(Colour.BLUE).file(),
                project.file().map(f -> f.file().toString()).orElse("--singleton"));
        int taskHost = taskHost(releaseTasks, hosts);
        if (preview && !releaseTasks.at(lib.model.TaskSpec.When.AFTER_SWITCH).isEmpty()) {
            throw DeployError.config("--preview stops before the switch, and promote runs no release tasks: the after_switch tasks ("
                    + releaseTasks.at(lib.model.TaskSpec.When.AFTER_SWITCH).size() + ") would never run; deploy without --preview");
        }
        Function<Deployment, Plan> plan = d -> {
            if (!replacePreview) d.refuseOpenPreview("remove it and deploy");
            if (preview && !d.managedFront()) {
                throw DeployError.config("--preview needs the managed front (--front managed): the passive front balances both colours' ports,"
                        + " so there is no single place to route the preview through while the live colour keeps the traffic");
            }
            // A fleet runs the tasks once, on one host; every host keeps its singletons to one colour.
            if (hosts.size() == 1 || runsTasks(d.host(), hosts.get(taskHost))) d.withTasks(releaseTasks);
            else d.withTasks(releaseTasks.singletonsOnly());
            Colour next = d.state().target();
            d.toCompose(next, composed.get(next), ReleaseInfo.releaseLabel(options.release, composed.get(next), releaseVar))
                    .withAccessories(model.split(next).accessories());
            Plan run = preview ? previewSteps(d, options.strategy) : steps(d, options.strategy);
            // the real run aborts the preview before it plans (below); a dry run shows that it would
            var open = options.dryRun && replacePreview ? d.openPreview() : java.util.Optional.<lib.model.LiveRecord.Preview>empty();
            return open.map(p -> new Plan().before("--replace-preview: remove the open preview (release " + Text.printable(p.release()) + " on "
                    + p.colour() + ")", () -> {}).then(run)).orElse(run);
        };
        if (options.dryRun) return DryRun.print(hosts, app, settings, plan, out, err);
        IfChanged ifChanged = options.ifChanged ? IfChanged.ask(options.image, options.release) : null;
        if (hosts.size() > 1) return deployFleet(hosts, taskHost, app, settings, plan, ifChanged,
                ReleaseInfo.releaseLabel(options.release, composed.get(Colour.BLUE), releaseVar), out, err);
        try (Cancellation cancel = Cancellation.onSignal(Duration.ofSeconds(60));
             DockerHost docker = hosts.get(0).connect(err);
             DeployLock lock = DeployLock.acquire(docker.client(), app, "deploy to " + docker.describe(), up.waitLock(), out, cancel)) {
            Deployment d = new Deployment(docker, app, settings, cancel, out, err);
            if (replacePreview && d.openPreview().isPresent()) {
                Style.step(out, "--replace-preview: remove the open preview of " + app);
                new Deployment(docker, app, settings.withAction("abort"), cancel, out, err).toPreview("replace").abortPreviewStep();
                d = new Deployment(docker, app, settings, cancel, out, err);
            }
            Plan steps = plan.apply(d);
            if (ifChanged != null && ifChanged.runs(docker.client(), d.state())) {
                if (d.needsRecovery()) d.recover();
                out.println(ifChanged.upToDate(app, ""));
                return ExitCode.OK;
            }
            Style.step(out, "deploy " + app + " release " + Text.printable(d.release()) + " to " + d.next() + " on " + docker.describe() + "; " + d.state().describe());
            return d.run(steps);
        }
    }

    /** Several hosts, all or nothing: each host runs the same steps; the fleet switches only if every host passed its gate. */
    private int deployFleet(List<HostAddress> hosts, int taskHost, String app, RunSettings settings, Function<Deployment, Plan> plan, IfChanged ifChanged, String release,
                            PrintWriter out, PrintWriter err) {
        try (Cancellation cancel = Cancellation.onSignal(Duration.ofSeconds(60));
             Fleet fleet = new Fleet(hosts, app, "deploy", up.waitLock(), cancel, out, err)) {
            taskHostName[0] = fleet.hosts().get(taskHost).describe();
            if (ifChanged != null && fleet.hosts().stream().allMatch(h -> ifChanged.runs(h.client(), HostReader.read(h.client(), app)))) {
                out.println(ifChanged.upToDate(app, " on all " + fleet.size() + " hosts"));
                return ExitCode.OK;
            }
            if (replacePreview && fleet.hosts().stream().anyMatch(h -> HostReader.read(h.client(), app).record().flatMap(r -> r.openPreview()).isPresent())) {
                Style.step(out, "--replace-preview: remove the open preview of " + app + " on every host");
                fleet.runAll(settings.withAction("abort"), app, cancel, d -> abortSteps(d.toPreview("replace")));
            }
            Style.step(out, "deploy " + app + " release " + release + " to " + fleet.size() + " hosts of " + project.environmentName() + ", all or none");
            fleet.runAll(settings, app, cancel, plan);
            return ExitCode.OK;
        }
    }

    /** deploy.yml's watch: with --watch's duration over it. */
    private WatchSettings watch() {
        WatchSettings fromFile = project.file().map(ProjectFile::watch).orElse(WatchSettings.OFF);
        return options.watch == null ? fromFile : fromFile.withLength(options.watch);
    }

    /** The fleet host the tasks run on: the one named by tasks.host, else the first. Set once the fleet connected. */
    private final String[] taskHostName = {null};

    /** Whether this fleet member is the tasks' host: as the fleet connected it, else (--dry-run) by its address. */
    private boolean runsTasks(DockerHost member, HostAddress taskHost) {
        if (taskHostName[0] != null) return member.describe().equals(taskHostName[0]);
        return member.describe().startsWith(DockerHost.redacted(DockerHost.parseUrl(taskHost.url())));
    }

    private int taskHost(ReleaseTasks t, List<HostAddress> hosts) {
        if (t.host() == null || hosts.size() == 1) return 0;
        for (int i = 0; i < hosts.size(); i++) if (t.host().equals(hosts.get(i).url())) return i;
        throw new lib.base.DeployError(ExitCode.CONFIG, project.file().map(f -> f.file().toString()).orElse("deploy.yml") + ": tasks.host: \""
                + Text.printable(t.host()) + "\" is not one of the environment's hosts: " + String.join(", ", hosts.stream().map(HostAddress::url).toList()));
    }

    static final String RECOVER = "put back what an interrupted deploy set aside";
    static final String SETTLE = "singletons: stop any outside the live colour, start the live colour's";

    /** The shell step "find the live colour, pull and up the other, sleep 10, down the old", made safe. */
    static Plan steps(Deployment d, Strategy strategy) {
        return upToSwitch(d, strategy).then(fromSwitch(d));
    }

    /** --preview: everything a deploy does before its switch, then the preview instead of the switch; nothing waits after it. */
    static Plan previewSteps(Deployment d, Strategy strategy) {
        Colour next = d.next();
        return upToSwitch(d, strategy)
                .theSwitch("open the preview: " + next + " on the front's preview port and for the " + lib.front.NginxConfig.PREVIEW_COOKIE
                        + " cookie" + d.live().map(c -> "; " + c + " keeps all other traffic").orElse(""), d::openPreviewStep)
                .after("record the preview", d::recordPreview);
    }

    /** promote: the previewed colour checked once (warm, about a second), then from the switch on as a deploy. */
    static Plan promoteSteps(Deployment d) {
        Colour c = d.openPreview().get().colour();
        if (d.state().of(c).empty()) {
            throw DeployError.failed("the preview's containers (" + c + ") are gone from " + d.host().describe()
                    + "; nothing to promote: run deploy.java abort --app " + d.state().app() + ", then deploy again");
        }
        d.toStandby(c);
        return new Plan()
                .beforeIf(d.needsRecovery(), RECOVER, d::recover)
                .beforeIf(d.singletonsUnsettled(), SETTLE, d::settleSingletons)
                .beforeIf(d.managedFront(), "check the managed front", d::ensureFront)
                .before("check " + c + " (the preview) once", d::startStandby)
                .before("health gate", d::gate)
                .beforeIf(d.hasChecks(), "smoke checks: " + d.checksDescribed(), d::smokeChecks)
                .then(fromSwitch(d));
    }

    /** abort: the preview's routing, then its containers, then the record; the live colour is not touched. */
    static Plan abortSteps(Deployment d) {
        return new Plan()
                .beforeIf(d.needsRecovery(), RECOVER, d::recover)
                .theSwitch("remove the preview of " + d.next() + " (release " + Text.printable(d.release()) + ")", d::abortPreviewStep);
    }

    /** Everything a deploy does before its switch: what --preview runs too. */
    static Plan upToSwitch(Deployment d, Strategy strategy) {
        Colour next = d.next();
        Optional<Colour> live = d.live();
        return new Plan()
                .beforeIf(d.needsRecovery(), RECOVER, d::recover)
                .beforeIf(d.needsRecord(), d.recordStepTitle(), d::ensureRecord)
                .beforeIf(d.singletonsUnsettled(), SETTLE, d::settleSingletons)
                .beforeIf(d.hasHook("pre-deploy"), "pre-deploy hook", () -> d.preHook("pre-deploy"))
                .beforeIf(d.managedFront(), "check the managed front", d::ensureFront)
                .before("pull images", d::pull)
                .beforeIf(d.hasAccessories(), "accessories " + d.accessoryNames() + ": start what is missing, once for both colours"
                        + " (never stopped or recreated by a deploy)", d::startAccessories)
                .before("make room in " + next, d::clearTarget)
                .beforeIf(strategy == Strategy.RECREATE && live.isPresent(), "stop " + live.map(Colour::toString).orElse("")
                        + " first (--strategy recreate: the site is down until " + next + " is healthy)", d::stopLive)
                .then(TaskPlan.beforeStart(d))
                .before("start " + next, d::start)
                .then(TaskPlan.beforeSwitch(d))
                .before("health gate", d::gate)
                .beforeIf(d.hasChecks(), "smoke checks: " + d.checksDescribed(), d::smokeChecks);
    }

    /** promote and abort: the open preview of an app, on one host or on every host of an environment (all or none). */
    abstract static class PreviewCommand implements Callable<Integer> {
        @Mixin HostOptions target;
        @Mixin HealthOptions health;
        @Mixin FrontOptions front;
        @Mixin ProjectOptions project;
        @Mixin ReleaseOptions up;
        @Mixin RetireOptions retire;
        @Spec CommandSpec spec;

        abstract String action();

        abstract Plan plan(Deployment d);

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            var parsed = spec.commandLine().getParseResult();
            project.applyDefaults(parsed, target, health, front, up, null);
            String app = target.app();
            RunSettings settings = project.settings(action(), parsed, health, up, front, retire.keepOld, false, out, err);
            List<HostAddress> hosts = project.hosts(target, parsed.hasMatchedOption("--host"));
            // Like a rollback: no release tasks, but the singletons move with the live colour.
            ReleaseTasks singletons = project.file().map(ProjectFile::tasks).orElse(ReleaseTasks.none()).singletonsOnly();
            try (Cancellation cancel = Cancellation.onSignal(Duration.ofSeconds(60))) {
                if (hosts.size() > 1) {
                    try (Fleet fleet = new Fleet(hosts, app, action(), up.waitLock(), cancel, out, err)) {
                        Style.step(out, action() + " the preview of " + app + " on " + fleet.size() + " hosts of " + project.environmentName() + ", all or none");
                        // An abort also ends a preview that opened on only some hosts (a fleet whose preview failed half way).
                        boolean anyOpen = fleet.hosts().stream().anyMatch(h -> lib.host.RecordStore.read(h.client(), app).record().flatMap(r -> r.openPreview()).isPresent());
                        fleet.runAll(settings, app, cancel, d -> action().equals("abort") && anyOpen && d.openPreview().isEmpty() ? new Plan()
                                : plan(d.withTasks(singletons).toPreview(action())));
                        return ExitCode.OK;
                    }
                }
                try (DockerHost docker = hosts.get(0).connect(err);
                     DeployLock lock = DeployLock.acquire(docker.client(), app, action() + " on " + docker.describe(), up.waitLock(), out, cancel)) {
                    Deployment d = new Deployment(docker, app, settings, cancel, out, err).withTasks(singletons).toPreview(action());
                    Style.step(out, action() + " the preview of " + app + ": release " + Text.printable(d.release()) + " on " + d.next()
                            + d.live().map(c -> "; " + c + " serves release " + Text.printable(d.previous())).orElse(""));
                    return d.run(plan(d));
                }
            }
        }
    }

    @Command(name = "promote", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
            description = {"Switch to the open preview (deploy.java --preview), then drain and retire as a deploy does.",
                    "Takes the lock, checks the previewed colour once (it is warm: about a second, as a",
                    "rollback to a warm standby), switches the managed front to it, closes the preview's",
                    "cookie and port, drains and retires the old colour and records the result. A failed",
                    "check switches nothing: the live colour keeps serving, the preview stays open.",
                    "A deploy.yml environment with several hosts promotes them all, or none.",
                    "",
                    "Examples:",
                    "  deploy.java promote --app shop",
                    "  deploy.java promote --env production",
                    "",
                    "Options:"},
            footer = ExitCode.HELP_FOOTER)
    static class Promote extends PreviewCommand {
        @Override
        String action() {
            return "promote";
        }

        @Override
        Plan plan(Deployment d) {
            return promoteSteps(d);
        }
    }

    @Command(name = "abort", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
            description = {"Remove the open preview (deploy.java --preview); the live colour is not touched.",
                    "Takes the lock, stops routing the preview's cookie and port (the port then answers",
                    "404 \"no preview\"), removes the previewed colour's containers and records it.",
                    "A deploy.yml environment with several hosts aborts on all of them.",
                    "",
                    "Examples:",
                    "  deploy.java abort --app shop",
                    "",
                    "Options:"},
            footer = ExitCode.HELP_FOOTER)
    static class Abort extends PreviewCommand {
        @Override
        String action() {
            return "abort";
        }

        @Override
        Plan plan(Deployment d) {
            return abortSteps(d);
        }
    }

    /** From the switch on, a deploy and a rollback are the same: switch, drain, retire, record. */
    static Plan fromSwitch(Deployment d) {
        Colour next = d.next();
        Optional<Colour> live = d.live();
        return new Plan()
                .theSwitch(d.managedFront() ? "switch the front to " + next : "record " + next + " as live", d::switchTraffic)
                .afterIf(d.promotesPreview(), "close the preview: the cookie and the preview port stop routing to " + next, d::closePreviewRouting)
                .afterIf(d.hasSingletons(), "singletons: " + live.map(c -> "stop " + c + "'s, then ").orElse("") + "start " + next + "'s", d::handOverSingletons)
                .then(TaskPlan.afterSwitch(d))
                .afterIf(d.managedFront() && live.isPresent(), "drain " + live.map(Colour::toString).orElse(""), d::drain)
                .afterIf(d.watches(), d.watchTitle(), d::watch)
                .after(live.map(c -> "retire " + c + " (release " + d.previous() + "): " + d.retiring()).orElse("finish"), d::retireOld)
                .after("record the result", d::recordSuccess);
    }
}
