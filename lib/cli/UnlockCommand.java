package lib.cli;

import lib.base.ExitCode;
import lib.base.Text;
import lib.docker.DockerHost;
import lib.docker.SwarmManagers;
import lib.host.AppState;
import lib.host.HostAppState;
import lib.host.SwarmState;
import lib.options.HostOptions;
import lib.options.ProjectOptions;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.time.Instant;
import java.util.concurrent.Callable;

    @Command(name = "unlock", mixinStandardHelpOptions = true,
            description = {"Break the deploy lock left behind by a deploy that died.",
                    "(kill -9, a lost connection.) A holder that is provably dead (its process is gone from this",
                    "machine) is broken at once; any other is refused with exit 4 unless --force: the lock is what",
                    "keeps two deploys from interleaving, and a deploy from another machine may still be running.",
                    "For a Swarm environment (--env with engine: swarm) the lock is the cluster's, through a manager."},
            footer = ExitCode.HELP_FOOTER)
    public class UnlockCommand implements Callable<Integer> {
        @Mixin HostOptions target;
        @Mixin ProjectOptions project;
        @Spec CommandSpec spec;
        @Option(names = "--force", description = "Break the lock even when its holder may still run: a live process on this machine, "
                + "or a deploy taken on another machine, which this one cannot check.")
        boolean force;

        @Override
        public Integer call() {
            var swarm = StatusCommand.swarm(spec, target, project);
            if (swarm.isPresent()) {
                try (var managers = SwarmManagers.connect(swarm.get().managers(), spec.commandLine().getErr())) {
                    return unlock(new SwarmState(managers, target.app(), project.environmentName(), spec.commandLine().getErr()));
                }
            }
            try (DockerHost docker = target.connect(spec.commandLine().getErr())) {
                return unlock(new HostAppState(docker, target.app()));
            }
        }

        private int unlock(AppState store) {
            var held = store.breakLock(force);
            spec.commandLine().getOut().println(held.map(h -> "released the lock of " + target.app() + ", held by " + Text.printable(h.who())
                    + ": " + h.describe(Instant.now()) + h.deadBecause().map(d -> " (no longer running: " + d + ")").orElse(""))
                    .orElse("no lock was held for " + target.app()));
            held.filter(h -> !h.stale()).ifPresent(h -> spec.commandLine().getErr().println("warning: " + h.mayStillRun()
                    + "; if that deploy still runs, it and the next deploy may interleave"));
            return ExitCode.OK;
        }
    }
