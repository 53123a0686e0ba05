package lib.cli;

import lib.base.Cancellation;
import lib.base.DeployError;
import lib.base.ExitCode;
import lib.compose.AccessorySplit.Accessory;
import lib.docker.DockerHost;
import lib.docker.HostAddress;
import lib.host.DeployLock;
import lib.model.Colour;
import lib.options.AccessoryOptions;
import lib.options.DeployOptions;
import lib.options.FrontOptions;
import lib.options.HealthOptions;
import lib.options.HostOptions;
import lib.options.ProjectOptions;
import lib.options.ReleaseOptions;
import lib.target.Accessories;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "accessory", mixinStandardHelpOptions = true,
        subcommands = {AccessoryCommand.Status.class, AccessoryCommand.Logs.class, AccessoryCommand.Restart.class,
                AccessoryCommand.Stop.class, AccessoryCommand.Up.class},
        description = {"The app's accessories: services that run once per app, shared by both colours.",
                "(accessories: in deploy.yml or --accessory.) A deploy starts a missing one and never",
                "stops or recreates one; these commands do, when asked."},
        footer = ExitCode.HELP_FOOTER)
public class AccessoryCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        return Cli.usage("name what to do: status, logs, restart, stop or up", spec.qualifiedName(), spec.commandLine().getErr(), Cli.ansi());
    }

    /** Accessories run on one host: a fleet environment needs --host to say which. */
    static HostAddress oneHost(CommandSpec spec, HostOptions target, ProjectOptions project) {
        List<HostAddress> hosts = StatusCommand.hosts(spec, target, project);
        if (hosts.size() > 1) throw DeployError.config("environment " + project.environmentName() + " has " + hosts.size() + " hosts; pass --host to name the one");
        return hosts.get(0);
    }

    /** Yes on --yes or a y typed on the terminal; without a terminal and without --yes, a usage error (exit 2). */
    static boolean confirm(String question, boolean yes, PrintWriter out) {
        if (yes) return true;
        java.io.Console console = System.console();
        if (console == null) throw new DeployError(ExitCode.USAGE, question + ": there is no terminal to ask on; pass --yes");
        out.print(question + " [y/N] ");
        out.flush();
        String answer = console.readLine();
        return answer != null && answer.trim().toLowerCase().matches("y|yes");
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = {"Each accessory: container, state and health, image, start time, restarts.",
            "Exits 0 when every one runs (and is healthy, if it has a healthcheck), 1 otherwise."})
    public static class Status implements Callable<Integer> {
        @Mixin HostOptions target;
        @Mixin ProjectOptions project;
        @Spec CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (DockerHost docker = oneHost(spec, target, project).connect(spec.commandLine().getErr())) {
                var all = new Accessories(docker.client(), target.app(), out).list();
                if (all.isEmpty()) {
                    out.println(target.app() + " has no accessories on " + docker.describe());
                    out.flush();
                    return ExitCode.OK;
                }
                boolean ok = true;
                for (var r : all) {
                    ok &= r.running() && (r.health() == null || r.health().equals("healthy"));
                    out.println(r.service() + ": " + r.name() + " " + r.condition() + ", image " + r.image()
                            + (r.running() ? ", started " + r.startedAt() : "") + ", restarts " + r.restarts());
                }
                out.flush();
                return ok ? ExitCode.OK : ExitCode.DEPLOY_FAILED;
            }
        }
    }

    @Command(name = "logs", mixinStandardHelpOptions = true, description = "The last lines an accessory logged.")
    public static class Logs implements Callable<Integer> {
        @Mixin HostOptions target;
        @Mixin ProjectOptions project;
        @Spec CommandSpec spec;
        @Parameters(paramLabel = "SERVICE", description = "The accessory's Compose service name.") String service;
        @Option(names = "--tail", paramLabel = "N", defaultValue = "100", description = "How many lines (default: ${DEFAULT-VALUE}).") int tail;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (DockerHost docker = oneHost(spec, target, project).connect(spec.commandLine().getErr())) {
                Accessories acc = new Accessories(docker.client(), target.app(), out);
                acc.logs(acc.find(service), Math.max(1, Math.min(tail, 10_000))).forEach(out::println);
                out.flush();
                return ExitCode.OK;
            }
        }
    }

    @Command(name = "restart", mixinStandardHelpOptions = true, description = "Restart an accessory (all of them without SERVICE), with its stop grace period.")
    public static class Restart implements Callable<Integer> {
        @Mixin HostOptions target;
        @Mixin ProjectOptions project;
        @Spec CommandSpec spec;
        @Parameters(paramLabel = "SERVICE", arity = "0..1", description = "The accessory's Compose service name.") String service;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (DockerHost docker = oneHost(spec, target, project).connect(spec.commandLine().getErr())) {
                Accessories acc = new Accessories(docker.client(), target.app(), out);
                (service == null ? acc.list() : List.of(acc.find(service))).forEach(acc::restart);
                out.flush();
                return ExitCode.OK;
            }
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, description = {"Stop an accessory (all of them without SERVICE), after a confirmation.",
            "The container and its volumes stay; the next deploy (or accessory up) starts it again."})
    public static class Stop implements Callable<Integer> {
        @Mixin HostOptions target;
        @Mixin ProjectOptions project;
        @Spec CommandSpec spec;
        @Parameters(paramLabel = "SERVICE", arity = "0..1", description = "The accessory's Compose service name.") String service;
        @Option(names = "--yes", description = "Do not ask (needed without a terminal).") boolean yes;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (DockerHost docker = oneHost(spec, target, project).connect(spec.commandLine().getErr())) {
                Accessories acc = new Accessories(docker.client(), target.app(), out);
                var which = service == null ? acc.list() : List.of(acc.find(service));
                String names = String.join(", ", which.stream().map(Accessories.Running::name).toList());
                if (which.isEmpty()) {
                    out.println(target.app() + " has no accessories on " + docker.describe());
                } else if (confirm("stop " + names + "? both colours lose " + (which.size() == 1 ? "it" : "them") + " until it is started again", yes, out)) {
                    which.forEach(acc::stop);
                } else {
                    out.println("nothing stopped");
                }
                out.flush();
                return ExitCode.OK;
            }
        }
    }

    @Command(name = "up", mixinStandardHelpOptions = true, description = {"Bring accessories to their definition in the Compose file.",
            "Starts a missing or stopped one; recreates one whose definition changed since it was",
            "started, after a confirmation (its volumes stay). Takes the options a deploy takes."})
    public static class Up implements Callable<Integer> {
        @Mixin HostOptions target;
        @Mixin HealthOptions health;
        @Mixin FrontOptions front;
        @Mixin ProjectOptions project;
        @Mixin ReleaseOptions up;
        @Mixin DeployOptions options;
        @Mixin AccessoryOptions accessories;
        @Spec CommandSpec spec;
        @Parameters(paramLabel = "SERVICE", arity = "0..1", description = "The accessory's Compose service name (default: all).") String service;
        @Option(names = "--yes", description = "Recreate without asking (needed without a terminal).") boolean yes;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            var parsed = spec.commandLine().getParseResult();
            ComposeModel model = ComposeModel.load(parsed, target, health, front, project, up, options, accessories);
            var split = model.split(Colour.BLUE);
            List<Accessory> which = service == null ? split.accessories() : List.of(split.accessory(service).orElseThrow(() -> DeployError.config(
                    "service " + service + " is not an accessory of " + model.app() + " (accessories: "
                            + (split.accessories().isEmpty() ? "none" : String.join(", ", split.accessoryNames())) + "; list it under accessories: in deploy.yml or pass --accessory " + service + ")")));
            Duration timeout = health.gateTimeout();
            try (Cancellation cancel = Cancellation.onSignal(Duration.ofSeconds(60));
                 DockerHost docker = oneHost(spec, target, project).connect(spec.commandLine().getErr());
                 DeployLock lock = DeployLock.acquire(docker.client(), model.app(), "accessory up", up.waitLock(), out, cancel)) {
                Accessories acc = new Accessories(docker.client(), model.app(), out);
                for (Accessory a : which) {
                    var now = acc.current(a.service());
                    if (now.isEmpty() || a.hash().equals(now.get().hash())) {
                        acc.up(a, up.pull(), timeout, cancel);
                    } else if (confirm("recreate " + a.name() + " from the changed definition? it stops, and both colours lose it until it is healthy again (its volumes stay)", yes, out)) {
                        acc.recreate(a, timeout, cancel);
                    } else {
                        out.println(a.name() + " left as it is");
                    }
                }
                out.flush();
                return ExitCode.OK;
            }
        }
    }
}
