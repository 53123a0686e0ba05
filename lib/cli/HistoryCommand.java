package lib.cli;

import lib.base.Style;
import lib.base.ExitCode;
import lib.docker.DockerHost;
import lib.docker.HostAddress;
import lib.host.ReleaseHistory;
import lib.options.HostOptions;
import lib.options.ProjectOptions;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "history", mixinStandardHelpOptions = true,
        description = {"Show every deploy and rollback of the app on this host.",
                "When, what release, which colour, the result, how long it took and who ran it.",
                "Kept on the Docker host, so every machine sees the same history."},
        footer = ExitCode.HELP_FOOTER)
public class HistoryCommand implements Callable<Integer> {
    @Mixin HostOptions target;
    @Mixin ProjectOptions project;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        List<HostAddress> hosts = StatusCommand.hosts(spec, target, project);
        for (HostAddress h : hosts) {
            try (DockerHost docker = h.connect(spec.commandLine().getErr())) {
                if (hosts.size() > 1) Style.step(spec.commandLine().getOut(), "host " + docker.describe());
                StatusView.history(spec.commandLine().getOut(), new ReleaseHistory(docker.client(), target.app()).read(spec.commandLine().getErr()));
            }
        }
        return ExitCode.OK;
    }
}
