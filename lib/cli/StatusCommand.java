package lib.cli;

import lib.base.Text;
import lib.base.ExitCode;
import lib.base.DeployError;
import lib.docker.DockerHost;
import lib.docker.HostAddress;
import lib.front.ManagedFront;
import lib.host.DeployLock;
import lib.host.HostReader;
import lib.model.HostState;
import lib.options.HostOptions;
import lib.options.ProjectOptions;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Show which colour is live, its release, since when, by whom, health.",
                "Also the lock and the managed front. Exits 0 when a colour serves and is healthy,",
                "1 otherwise (usable from monitoring)."},
        footer = ExitCode.HELP_FOOTER)
public class StatusCommand implements Callable<Integer> {
    @Mixin HostOptions target;
    @Mixin ProjectOptions project;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<HostAddress> hosts = hosts(spec, target, project);
        boolean ok = true;
        Map<String, String> liveRelease = new java.util.TreeMap<>();
        for (HostAddress h : hosts) {
            try (DockerHost docker = h.connect(spec.commandLine().getErr())) {
                HostState state = HostReader.read(docker.client(), target.app());
                boolean managed = state.record().map(r -> r.front().managed()).orElse(false);
                ok &= StatusView.print(out, docker, state, DeployLock.holder(docker.client(), target.app()),
                        ManagedFront.state(docker.client(), target.app(), managed));
                state.live().ifPresent(c -> liveRelease.put(docker.describe(), Text.printable(state.of(c).release())));
            } catch (DeployError unreachable) {
                if (hosts.size() == 1) throw unreachable;
                out.println("host " + h.url() + ": " + unreachable.getMessage());
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

    /** The hosts a subcommand looks at: every host of a deploy.yml environment, or the one host the options name. */
    static List<HostAddress> hosts(CommandSpec spec, HostOptions target, ProjectOptions project) {
        boolean hostGiven = spec.commandLine().getParseResult().hasMatchedOption("--host");
        project.applyTo(target, hostGiven);
        return project.hosts(target, hostGiven);
    }
}
