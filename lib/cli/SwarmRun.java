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
import java.util.ArrayList;
import java.util.List;
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
        try (Cancellation cancel = dryRun ? Cancellation.none() : Cancellation.onSignal(Duration.ofSeconds(60));
             SwarmManagers managers = SwarmManagers.connect(swarm.managers(), err);
             FrontNodes nodes = FrontNodes.connect(swarm, err)) {
            DockerHost frontNode = nodes.first();
            DockerHost manager = managers.host();
            DockerHost front = frontNode == null ? manager : frontNode;
            SwarmState store = new SwarmState(managers, app, environment, err);
            // The colours and the store go through the same managers: the one lost mid-run is passed over once, for both.
            SwarmColours colours = new SwarmColours(managers, store, app, swarm.replicas(), out, err).withFronts(front.describe(), nodes.others());
            String where = "the Swarm of " + manager.describe() + " (front on " + front.describe() + (nodes.others().isEmpty() ? "" : " and " + nodes.others().size() + " more") + ")";
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
     * status's part the engine reads: each colour's services and tasks, and whether each front's upstream lists the
     * live colour's running tasks (lines, in the order status prints them).
     */
    public record Cluster(List<String> lines, boolean degraded) {
        static final String OUT_OF_DATE = "FRONT OUT OF DATE";

        /** Some front's upstream differs from the live colour's running tasks: what front sync repairs. */
        public boolean frontsOutOfDate() {
            return lines.stream().anyMatch(l -> l.startsWith(OUT_OF_DATE));
        }

        /** False when the live colour's services run no task on a ready node, or a front is out of date. */
        public boolean ok() {
            return !degraded && !frontsOutOfDate();
        }

        /** The lines about the fronts only, one per front. */
        public List<String> frontLines() {
            return lines.stream().filter(l -> l.startsWith("front") || l.startsWith(OUT_OF_DATE)).toList();
        }
    }

    public static Cluster colours(SwarmSettings swarm, SwarmManagers managers, AppState store, String app, PrintWriter out, PrintWriter err) {
        try (FrontNodes nodes = FrontNodes.connect(swarm, err)) {
            List<DockerHost> fronts = nodes.hosts().isEmpty() ? List.of(managers.host()) : nodes.hosts();
            SwarmColours colours = new SwarmColours(managers, store, app, swarm.replicas(), out, err);
            var state = colours.read();
            List<String> lines = new ArrayList<>(colours.describe(state, fronts.size() == 1 ? lib.front.ManagedFront.upstreamOf(fronts.get(0).client(), app) : java.util.Optional.empty()));
            if (fronts.size() > 1) {
                for (DockerHost f : fronts) colours.frontLine(state, "front on " + f.describe(), lib.front.ManagedFront.upstreamOf(f.client(), app)).ifPresent(lines::add);
            }
            // The record's verdict is the store's (StatusView.swarm); this adds what only the cluster shows.
            boolean degraded = state.live().map(c -> !state.of(c).empty() && !state.of(c).allRunning()).orElse(false);
            return new Cluster(List.copyOf(lines), degraded);
        }
    }

    /**
     * front sync: every front's upstream rewritten to the live colour's running tasks, under the lock, each reloaded and
     * confirmed (a front that fails keeps its previous file and the command fails naming it).
     */
    public static int sync(SwarmSettings swarm, String app, String environment, PrintWriter out, PrintWriter err) {
        try (Cancellation cancel = Cancellation.onSignal(Duration.ofSeconds(60));
             SwarmManagers managers = SwarmManagers.connect(swarm.managers(), err);
             FrontNodes nodes = FrontNodes.connect(swarm, err)) {
            DockerHost manager = managers.host();
            SwarmState store = new SwarmState(managers, app, environment, err);
            try (AppState.Lock lock = store.lock("front sync on the Swarm of " + manager.describe(), Duration.ZERO, out, cancel)) {
                var record = store.readRecord().record().orElseThrow(() -> DeployError.config(app + " was never deployed to " + environment + ": nothing to sync"));
                SwarmColours colours = new SwarmColours(managers, store, app, swarm.replicas(), out, err);
                var state = colours.read();
                var live = state.live().orElseThrow(() -> DeployError.config("no colour of " + app + " is live: nothing to sync"));
                List<DockerHost> fronts = nodes.hosts().isEmpty() ? List.of(manager) : nodes.hosts();
                String failed = null;
                for (DockerHost f : fronts) {
                    var front = new lib.front.ManagedFront(f.client(), app, record.front(), out).onOverlay();
                    String wanted = colours.frontTarget(front, state.of(live));
                    var now = lib.front.ManagedFront.upstreamOf(f.client(), app);
                    if (now.isPresent() && now.get().equals(wanted)) {
                        out.println("front on " + f.describe() + ": already sends to " + live + "'s running tasks (" + wanted + ")");
                        continue;
                    }
                    try {
                        out.println("front on " + f.describe() + ": " + now.orElse("(no upstream)") + " -> " + wanted);
                        new lib.front.FrontSwitch(front, out).switchTo(wanted);
                    } catch (DeployError e) {
                        err.println(Style.warning() + "front on " + f.describe() + ": " + e.getMessage());
                        if (failed == null) failed = f.describe();
                    }
                }
                out.flush();
                if (failed != null) throw DeployError.failed("front sync: the front on " + failed + " could not be rewritten (it keeps its previous upstream); see above");
                return ExitCode.OK;
            }
        }
    }

    /**
     * task run on a Swarm: one of deploy.yml's tasks from release R's image as a one-shot service made from the live
     * colour's service (blue's when nothing is live), on its overlays, under the cluster's lock.
     */
    public static lib.model.TaskResult task(SwarmSettings swarm, String app, String environment, lib.model.TaskSpec task, String release,
                                            java.util.Map<lib.model.Colour, lib.compose.ComposeProject> composed, Duration waitLock, PrintWriter out, PrintWriter err) {
        try (Cancellation cancel = Cancellation.onSignal(Duration.ofSeconds(30));
             SwarmManagers managers = SwarmManagers.connect(swarm.managers(), err)) {
            DockerHost manager = managers.host();
            SwarmState store = new SwarmState(managers, app, environment, err);
            try (AppState.Lock lock = store.lock("task " + task.name() + " on the Swarm of " + manager.describe(), waitLock, out, cancel)) {
                SwarmColours colours = new SwarmColours(managers, store, app, swarm.replicas(), out, err);
                lib.model.Colour colour = colours.read().live().orElse(lib.model.Colour.BLUE);
                Style.step(out, "task " + task.describe() + " from release " + Text.printable(release) + " in " + colour + "'s overlays on the Swarm of " + manager.describe());
                return colours.runTask(composed.get(colour), colour.project(app), task, lib.release.ReleaseInfo.labels(app, colour, release), java.util.Map.of(), cancel);
            }
        }
    }

    /** The fronts: nodes, connected in order; every one closed. */
    record FrontNodes(List<DockerHost> hosts) implements AutoCloseable {
        static FrontNodes connect(SwarmSettings swarm, PrintWriter err) {
            List<DockerHost> hosts = new ArrayList<>();
            try {
                for (var f : swarm.fronts()) hosts.add(f.connect(err));
            } catch (RuntimeException e) {
                hosts.forEach(DockerHost::close);
                throw e;
            }
            return new FrontNodes(hosts);
        }

        DockerHost first() {
            return hosts.isEmpty() ? null : hosts.get(0);
        }

        List<DockerHost> others() {
            return hosts.size() <= 1 ? List.of() : hosts.subList(1, hosts.size());
        }

        @Override
        public void close() {
            hosts.forEach(DockerHost::close);
        }
    }

    /** Swarm colours publish no port: only the managed front reaches them. */
    private static void requireManagedFront(Deployment d) {
        if (!d.managedFront()) {
            throw DeployError.config("a Swarm environment is served through the managed front (its colours publish no port): pass --front managed or set front.kind: managed");
        }
    }
}
