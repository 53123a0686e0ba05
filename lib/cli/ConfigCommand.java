package lib.cli;

import lib.base.ExitCode;
import lib.compose.ConfigText;
import lib.options.AccessoryOptions;
import lib.options.DeployOptions;
import lib.options.FrontOptions;
import lib.options.HealthOptions;
import lib.options.HostOptions;
import lib.options.ProjectOptions;
import lib.options.ReleaseOptions;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

@Command(name = "config", mixinStandardHelpOptions = true,
        description = {"Print the model a deploy would work from, without connecting to Docker.",
                "As docker compose config, resolved the way a deploy creates the containers: which",
                "services are colours (blue/green) and which accessories (once per app), and per",
                "container the image, environment (secret-looking values masked), mounts, networks",
                "and aliases, ports, limits and healthcheck; then deploy.yml's smoke checks. Takes",
                "the options a deploy takes and makes the same checks: exit 0, or 3 with one line",
                "per problem."},
        footer = ExitCode.HELP_FOOTER)
public class ConfigCommand implements Callable<Integer> {
    @Mixin HostOptions target;
    @Mixin HealthOptions health;
    @Mixin FrontOptions front;
    @Mixin ProjectOptions project;
    @Mixin ReleaseOptions up;
    @Mixin DeployOptions options;
    @Mixin AccessoryOptions accessories;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        ComposeModel model = ComposeModel.load(spec.commandLine().getParseResult(), target, health, front, project, up, options, accessories);
        spec.commandLine().getOut().print(ConfigText.render(model.app(), model.splits()));
        var checks = project.file().map(lib.project.ProjectFile::checks).orElse(java.util.List.of());
        if (!checks.isEmpty()) {
            spec.commandLine().getOut().println();
            spec.commandLine().getOut().println("smoke checks (health.checks), after the health gate, before the switch:");
            checks.forEach(c -> spec.commandLine().getOut().println("  " + c.describe()));
        }
        spec.commandLine().getOut().flush();
        return ExitCode.OK;
    }
}
