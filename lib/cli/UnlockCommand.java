package lib.cli;

import lib.base.ExitCode;
import lib.docker.DockerHost;
import lib.host.DeployLock;
import lib.options.HostOptions;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

    @Command(name = "unlock", mixinStandardHelpOptions = true,
            description = {"Break the deploy lock left behind by a deploy that died.",
                    "(kill -9, a lost connection.) Only do this when no deploy of the app is running:",
                    "the lock is what keeps two deploys from interleaving."},
            footer = ExitCode.HELP_FOOTER)
    public class UnlockCommand implements Callable<Integer> {
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
