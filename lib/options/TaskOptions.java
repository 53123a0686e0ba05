package lib.options;

import lib.base.DeployError;
import lib.base.ExitCode;
import lib.model.ReleaseTasks;

import picocli.CommandLine.Option;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** deploy.java's --skip-tasks and --singleton: deploy.yml's tasks: and singletons:, narrowed or widened for one run. */
public final class TaskOptions {
    @Option(names = "--skip-tasks", description = "Run none of deploy.yml's tasks (a redeploy of a release whose migrations already ran); singletons stay singletons.")
    public boolean skipTasks;

    @Option(names = "--singleton", paramLabel = "SERVICE",
            description = "A service that must never run in two colours at once (cron, a queue worker), besides deploy.yml's singletons: (repeatable).")
    public List<String> singletons = List.of();

    /** What this run does: deploy.yml's (or none) with the options applied; a malformed --singleton is exit 2. */
    public ReleaseTasks resolve(ReleaseTasks fromFile) {
        Set<String> more = new LinkedHashSet<>();
        for (String s : singletons) {
            if (!s.matches("[A-Za-z0-9][A-Za-z0-9_.-]*")) {
                throw new DeployError(ExitCode.USAGE, "--singleton \"" + lib.base.Text.printable(s) + "\" is not a service name; use letters, digits, '_', '.', '-'");
            }
            more.add(s);
        }
        ReleaseTasks t = fromFile == null ? ReleaseTasks.none() : fromFile;
        if (skipTasks) t = t.withoutTasks();
        return t.withSingletons(more);
    }
}
