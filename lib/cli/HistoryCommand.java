package lib.cli;

import lib.base.Style;
import lib.base.ExitCode;
import lib.docker.DockerHost;
import lib.docker.HostAddress;
import lib.docker.SwarmManagers;
import lib.host.SwarmState;
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
                "Kept on the Docker host (on a Swarm, in its replicated store), so every machine sees the same history."},
        footer = ExitCode.HELP_FOOTER)
public class HistoryCommand implements Callable<Integer> {
    @Mixin HostOptions target;
    @Mixin ProjectOptions project;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        var swarm = StatusCommand.swarm(spec, target, project);
        if (swarm.isPresent()) {
            try (var managers = SwarmManagers.connect(swarm.get().managers(), spec.commandLine().getErr())) {
                var store = new SwarmState(managers, target.app(), project.environmentName(), spec.commandLine().getErr());
                StatusView.history(spec.commandLine().getOut(), store.readHistory(spec.commandLine().getErr()));
            }
            return ExitCode.OK;
        }
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
