package lib.cli;

import lib.base.Cancellation;
import lib.base.DeployError;
import lib.base.ExitCode;
import lib.base.Style;
import lib.base.Text;
import lib.compose.ComposeFiles;
import lib.compose.ComposeProject;
import lib.docker.DockerHost;
import lib.docker.HostAddress;
import lib.host.DeployLock;
import lib.host.HostReader;
import lib.model.Colour;
import lib.model.HostState;
import lib.model.ReleaseTasks;
import lib.model.TaskResult;
import lib.model.TaskSpec;
import lib.options.Converters;
import lib.options.HostOptions;
import lib.options.ProjectOptions;
import lib.options.ReleaseOptions;
import lib.project.ProjectFile;
import lib.release.ReleaseInfo;
import lib.target.TaskRunner;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** deploy.java task run NAME --release R: one of deploy.yml's tasks from a release's image, without deploying. */
@Command(name = "task", mixinStandardHelpOptions = true, subcommands = TaskCommand.Run.class,
        description = {"Release tasks of deploy.yml, run by hand (a manual migration, a console)."},
        footer = ExitCode.HELP_FOOTER)
public class TaskCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return ExitCode.USAGE;
    }

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = {"Run one task of deploy.yml from a release's image, without deploying.",
                    "The task's container is made from its service as the live colour would run release R",
                    "(that colour's networks and volumes; blue when nothing is live), under the app's deploy",
                    "lock, its output streamed, removed afterwards. Exit 0 when it exits 0, else 1.",
                    "On a fleet it runs on tasks.host, else the environment's first host; on a Swarm",
                    "(engine: swarm) as a one-shot service on the live colour's overlays."},
            footer = ExitCode.HELP_FOOTER)
    public static class Run implements Callable<Integer> {
        @Mixin HostOptions target;
        @Mixin ProjectOptions project;
        @Mixin ReleaseOptions up;
        @Spec CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME", description = "The task's name in deploy.yml (tasks.before_switch, tasks.after_switch, or backup).")
        String name;

        @Option(names = "--release", required = true, paramLabel = "ID", converter = Converters.Release.class,
                description = "The release whose image the task runs (as $${DEPLOY_RELEASE} in the Compose file).")
        String release;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            var parsed = spec.commandLine().getParseResult();
            project.applyTo(target, parsed.hasMatchedOption("--host"));
            ProjectFile file = project.file().orElseThrow(() -> DeployError.config("task run needs deploy.yml (or --project FILE) declaring its tasks"));
            ReleaseTasks tasks = file.tasks();
            TaskSpec task = tasks.named(name).orElseThrow(() -> DeployError.config(file.file() + ": no task \"" + Text.printable(name) + "\"; tasks: "
                    + (tasks.tasks().isEmpty() ? "none" : String.join(", ", tasks.tasks().stream().map(TaskSpec::name).toList()))));
            if (!parsed.hasMatchedOption("--file") && file.compose() != null) up.file = file.file().getParent().resolve(file.compose()).toString();
            String pattern = ComposeFiles.pattern(up.file, Path.of(""));
            Map<Colour, ComposeProject> composed = ComposeFiles.loadBoth(pattern, target.app(), up.ports(), release, System.getenv());
            lib.project.TasksReader.checkAgainst(new ReleaseTasks(List.of(task), 0, null, java.util.Set.of()), composed.get(Colour.BLUE).services().keySet(),
                    composed.get(Colour.BLUE).file(), file.file().toString());
            var swarm = project.swarm(target, parsed.hasMatchedOption("--host"));
            if (swarm.isPresent()) {
                // read as a Swarm runs the files: the one-shot is made from the colour's Swarm service spec
                Map<Colour, ComposeProject> forSwarm = ComposeFiles.loadEach(pattern, target.app(), up.ports(), release, System.getenv(), java.util.Set.of(), true);
                return outcome(SwarmRun.task(swarm.get(), target.app(), project.environmentName(), task, release, forSwarm, up.waitLock(), out, err), out);
            }
            HostAddress where = where(tasks, project.hosts(target, parsed.hasMatchedOption("--host")), file);
            try (Cancellation cancel = Cancellation.onSignal(Duration.ofSeconds(30));
                 DockerHost docker = where.connect(err);
                 DeployLock lock = DeployLock.acquire(docker.client(), target.app(), "task " + name + " on " + docker.describe(), up.waitLock(), out, cancel)) {
                HostState state = HostReader.read(docker.client(), target.app());
                Colour colour = state.live().orElse(Colour.BLUE);
                Style.step(out, "task " + task.describe() + " from release " + Text.printable(release) + " in " + colour + "'s networks on " + docker.describe());
                TaskResult r = new TaskRunner(docker, target.app(), out).run(composed.get(colour), colour.project(target.app()), task,
                        ReleaseInfo.labels(target.app(), colour, release), Map.of(), cancel);
                return outcome(r, out);
            }
        }

        private static int outcome(TaskResult r, PrintWriter out) {
            if (r.ok()) {
                out.println(Style.success("task " + r.summary()));
                return ExitCode.OK;
            }
            if (r.outcome() == TaskResult.Outcome.INTERRUPTED) throw new DeployError(ExitCode.INTERRUPTED, "task " + r.summary());
            throw DeployError.failed("task " + r.summary() + (r.lastLines().isEmpty() ? "" : "; its last output: " + String.join(" | ", r.lastLines())));
        }

        private static HostAddress where(ReleaseTasks tasks, List<HostAddress> hosts, ProjectFile file) {
            if (tasks.host() == null || hosts.size() == 1) return hosts.get(0);
            return hosts.stream().filter(h -> tasks.host().equals(h.url())).findFirst().orElseThrow(() -> DeployError.config(file.file()
                    + ": tasks.host: \"" + Text.printable(tasks.host()) + "\" is not one of the environment's hosts"));
        }
    }
}
