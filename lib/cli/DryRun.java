package lib.cli;

import lib.base.Text;
import lib.base.Cancellation;
import lib.base.ExitCode;
import lib.docker.DockerHost;
import lib.docker.HostAddress;
import lib.engine.Deployment;
import lib.engine.Plan;
import lib.engine.RunSettings;

import java.io.PrintWriter;
import java.util.List;
import java.util.function.Function;

/** --dry-run: for every host the run would touch, what it holds now and the titles of the very steps the engine would run. */
public final class DryRun {
    private DryRun() {}

    public static int print(List<HostAddress> hosts, String app, RunSettings settings, Function<Deployment, Plan> planFor,
                            PrintWriter out, PrintWriter err) {
        // A fleet runs its hooks once for all hosts, not as a step of each: plan each host as the fleet will run it.
        RunSettings perHost = hosts.size() > 1 ? settings.forFleetMember(out, err) : settings;
        for (HostAddress h : hosts) {
            try (DockerHost docker = h.connect(err)) {
                // Reading the host changes nothing, and no lock is taken: a dry run never waits for a deploy in progress.
                Deployment d = new Deployment(docker, app, perHost, Cancellation.none(), out, err);
                Plan plan = planFor.apply(d);
                out.println("plan for " + app + " on " + docker.describe() + " (dry run, nothing changes):");
                out.println("  now: " + d.state().describe());
                out.println("  " + settings.action() + " release " + Text.printable(d.release()) + " to " + d.next() + ":");
                plan.print(out);
                d.creates().forEach(c -> out.println("  create and start " + c));
            }
        }
        if (hosts.size() > 1) {
            out.println("all " + hosts.size() + " hosts or none: the fleet switches only if every host passed its gate"
                    + (settings.hooks().has("pre-deploy") ? "; the pre-deploy hook runs once, before any host changes" : ""));
        }
        out.flush();
        return ExitCode.OK;
    }
}
