package lib.cli;

import lib.base.Text;
import lib.base.ExitCode;
import lib.base.DeployError;
import lib.docker.DockerHost;
import lib.docker.HostAddress;
import lib.docker.SwarmManagers;
import lib.docker.SwarmSettings;
import lib.host.SwarmState;
import lib.front.ManagedFront;
import lib.host.DeployLock;
import lib.host.HostReader;
import lib.model.Colour;
import lib.model.HostState;
import lib.target.DockerColours;
import lib.options.HostOptions;
import lib.options.ProjectOptions;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
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
    @Option(names = "--repair", description = {"engine: swarm: rewrite every front whose upstream differs from the live colour's",
            "running tasks (what deploy.java front sync does), then show the fronts again."})
    boolean repair;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        var swarm = swarm(spec, target, project);
        if (repair && swarm.isEmpty()) {
            throw DeployError.config("status --repair is for an engine: swarm environment (on a host every deploy rewrites its front); run status without it");
        }
        if (swarm.isPresent()) {
            try (var managers = SwarmManagers.connect(swarm.get().managers(), spec.commandLine().getErr())) {
                var store = new SwarmState(managers, target.app(), project.environmentName(), spec.commandLine().getErr());
                PrintWriter err = spec.commandLine().getErr();
                boolean recorded = StatusView.swarm(out, target.app(), store, store.readRecord());
                var cluster = SwarmRun.colours(swarm.get(), managers, store, target.app(), out, err);
                cluster.lines().forEach(out::println);
                if (repair && cluster.frontsOutOfDate()) {
                    // A front node that came back (or missed a sync) serves an old upstream: the same rewrite as front sync.
                    out.println("repairing: rewriting the fronts that are out of date (as deploy.java front sync does)");
                    out.flush();
                    SwarmRun.sync(swarm.get(), target.app(), project.environmentName(), out, err);
                    cluster = SwarmRun.colours(swarm.get(), managers, store, target.app(), out, err);
                    out.println("after the repair:");
                    cluster.frontLines().forEach(out::println);
                }
                out.flush();
                return recorded && cluster.ok() ? ExitCode.OK : ExitCode.DEPLOY_FAILED;
            }
        }
        List<HostAddress> hosts = hosts(spec, target, project);
        boolean ok = true;
        Map<String, String> liveRelease = new java.util.TreeMap<>();
        for (HostAddress h : hosts) {
            try (DockerHost docker = h.connect(spec.commandLine().getErr())) {
                HostState state = stopUngated(docker, HostReader.read(docker.client(), target.app()), out);
                boolean managed = state.record().map(r -> r.front().managed()).orElse(false);
                ok &= StatusView.print(out, docker, state, DeployLock.holder(docker.client(), target.app()),
                        ManagedFront.state(docker.client(), target.app(), managed));
                state.live().ifPresent(c -> liveRelease.put(docker.describe(), Text.printable(state.of(c).release())));
                var accessories = new lib.target.Accessories(docker.client(), target.app(), out).list();
                if (!accessories.isEmpty()) {
                    out.println("accessories (once for both colours): " + String.join("; ", accessories.stream()
                            .map(a -> a.service() + " " + a.condition()).toList()) + " (deploy.java accessory status --app " + target.app() + ")");
                }
                project.file().map(f -> f.tasks().singletons()).filter(x -> !x.isEmpty())
                        .ifPresent(x -> SingletonStatus.lines(state, x).forEach(out::println));
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

    /**
     * A colour running that never passed its gate (containers of an older release that a daemon restart brought
     * back, say) must not serve beside the live one: stopped here, under the app's lock so no deploy is mid-gate.
     * When a deploy holds the lock, the colour is its own and is left alone.
     */
    static HostState stopUngated(DockerHost docker, HostState state, PrintWriter out) {
        List<Colour> ungated = java.util.Arrays.stream(Colour.values())
                .filter(c -> state.of(c).anyRunning() && !state.mayServe(state.of(c)) && state.live().map(l -> l != c).orElse(true)).toList();
        if (ungated.isEmpty() || DeployLock.holder(docker.client(), state.app()).isPresent()) return state;
        try (DeployLock lock = DeployLock.acquire(docker.client(), state.app(), "status: stop a colour that never passed its gate",
                java.time.Duration.ZERO, new PrintWriter(java.io.Writer.nullWriter()), lib.base.Cancellation.none())) {
            DockerColours colours = new DockerColours(docker, state.app(), out);
            for (Colour c : ungated) {
                out.println("stopping " + c + ": it runs but never passed its health gate (a daemon restart brought it back?)");
                colours.holdRestarts(state.of(c));
                colours.stop(state.of(c));
            }
        } catch (DeployError e) {
            if (e.exitCode() != ExitCode.LOCKED) throw e;
            return state; // a deploy took the lock meanwhile: the colour is its own
        }
        return HostReader.read(docker.client(), state.app());
    }

    /** The Swarm a subcommand looks at when its deploy.yml environment has engine: swarm; else empty (then use hosts()). */
    static java.util.Optional<SwarmSettings> swarm(CommandSpec spec, HostOptions target, ProjectOptions project) {
        boolean hostGiven = spec.commandLine().getParseResult().hasMatchedOption("--host");
        project.applyTo(target, hostGiven);
        return project.swarm(target, hostGiven);
    }

    /** The hosts a subcommand looks at: every host of a deploy.yml environment, or the one host the options name. */
    static List<HostAddress> hosts(CommandSpec spec, HostOptions target, ProjectOptions project) {
        boolean hostGiven = spec.commandLine().getParseResult().hasMatchedOption("--host");
        project.applyTo(target, hostGiven);
        return project.hosts(target, hostGiven);
    }
}
