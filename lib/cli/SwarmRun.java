package lib.cli;

import lib.base.Cancellation;
import lib.base.DeployError;
import lib.base.ExitCode;
import lib.base.Style;
import lib.base.Text;
import lib.docker.DockerHost;
import lib.docker.SwarmManagers;
import lib.docker.SwarmSettings;
import lib.engine.Deployment;
import lib.engine.Plan;
import lib.engine.RunSettings;
import lib.host.AppState;
import lib.host.SwarmState;
import lib.target.SwarmColours;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.function.Function;

/**
 * A deploy or rollback of an {@code engine: swarm} environment: the same steps as on one host, with the colours as
 * Swarm services ({@link SwarmColours}), the record, history and lock in the Swarm's store ({@link SwarmState}),
 * reached through the first manager that answers, and the managed front on the environment's front node (the manager
 * when fronts: lists none).
 */
public final class SwarmRun {
    private SwarmRun() {}

    /** @param planFor the steps for the Deployment read from the Swarm; null when there is nothing to do (it said why) */
    public static int run(SwarmSettings swarm, String app, String environment, RunSettings settings, Duration waitLock, boolean dryRun,
                          Function<Deployment, Plan> planFor, PrintWriter out, PrintWriter err) {
        if (swarm.fronts().size() > 1) {
            throw DeployError.config("environment " + environment + " lists " + swarm.fronts().size() + " fronts; this version drives one front"
                    + " per Swarm environment: list one under fronts: (the others' nginx would keep an old upstream)");
        }
        try (Cancellation cancel = dryRun ? Cancellation.none() : Cancellation.onSignal(Duration.ofSeconds(60));
             SwarmManagers managers = SwarmManagers.connect(swarm.managers(), err);
             DockerHost frontNode = swarm.fronts().isEmpty() ? null : swarm.fronts().get(0).connect(err)) {
            DockerHost manager = managers.host();
            DockerHost front = frontNode == null ? manager : frontNode;
            SwarmState store = new SwarmState(managers, app, environment, err);
            SwarmColours colours = new SwarmColours(manager, store, app, swarm.replicas(), out);
            String where = "the Swarm of " + manager.describe() + " (front on " + front.describe() + ")";
            if (dryRun) {
                Deployment d = new Deployment(front, colours, store, app, settings, Cancellation.none(), out, err);
                Plan plan = planFor.apply(d);
                if (plan == null) return ExitCode.OK;
                requireManagedFront(d);
                out.println("plan for " + app + " on " + where + " (dry run, nothing changes):");
                out.println("  now: " + d.state().describe());
                out.println("  " + settings.action() + " release " + Text.printable(d.release()) + " to " + d.next() + ":");
                plan.print(out);
                out.flush();
                return ExitCode.OK;
            }
            try (AppState.Lock lock = store.lock(settings.action() + " on " + where, waitLock, out, cancel)) {
                Deployment d = new Deployment(front, colours, store, app, settings, cancel, out, err);
                Plan plan = planFor.apply(d);
                if (plan == null) return ExitCode.OK;
                requireManagedFront(d);
                Style.step(out, settings.action() + " " + app + " release " + Text.printable(d.release()) + " to " + d.next() + " on " + where + "; " + d.state().describe());
                return d.run(plan);
            }
        }
    }

    /**
     * status's part the engine reads: each colour's services and tasks, and whether the front's upstream lists the live
     * colour's running tasks. False when the live colour's services run no task or the front's upstream is out of date.
     */
    public static boolean colours(SwarmSettings swarm, DockerHost manager, AppState store, String app, PrintWriter out, PrintWriter err) {
        try (DockerHost frontNode = swarm.fronts().isEmpty() ? null : swarm.fronts().get(0).connect(err)) {
            DockerHost front = frontNode == null ? manager : frontNode;
            SwarmColours colours = new SwarmColours(manager, store, app, swarm.replicas(), out);
            var state = colours.read();
            java.util.List<String> lines = colours.describe(state, lib.front.ManagedFront.upstreamOf(front.client(), app));
            lines.forEach(out::println);
            out.flush();
            // The record's verdict is the store's (StatusView.swarm); this adds what only the cluster shows.
            boolean degraded = state.live().map(c -> !state.of(c).empty() && !state.of(c).allRunning()).orElse(false);
            return !degraded && lines.stream().noneMatch(l -> l.startsWith("FRONT OUT OF DATE"));
        }
    }

    /** Swarm colours publish no port: only the managed front reaches them. */
    private static void requireManagedFront(Deployment d) {
        if (!d.managedFront()) {
            throw DeployError.config("a Swarm environment is served through the managed front (its colours publish no port): pass --front managed or set front.kind: managed");
        }
    }
}
