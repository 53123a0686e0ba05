package lib.engine;

import lib.base.Cancellation;
import lib.base.DeployError;
import lib.base.ExitCode;
import lib.base.Style;
import lib.compose.ComposeProject;
import lib.model.ReleaseTasks;
import lib.model.TaskResult;
import lib.model.TaskSpec;
import lib.target.Colours;

import java.io.PrintWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The release tasks of one deploy: each run by the target's {@link Colours#runTask} from the new colour's service, its result kept for
 * the history and the notification. A task before the switch that does not exit 0 throws, so {@link Steps} undoes
 * the deploy; since a migration may have changed the database even when it failed, {@link #databaseNote} says so for
 * the failure message and the history. An after_switch task's failure is a warning: the new release serves.
 */
public final class TaskSteps {
    /** Where a backup writes when its first volume names no directory: BACKUP_DIR inside the container. */
    static final String BACKUP_DIR = "/backups";
    /**
     * Keeps the newest BACKUP_KEEP files named BACKUP_PREFIX + timestamp in BACKUP_DIR. A constant script: the values
     * reach it as the container's variables, never spliced into it.
     */
    static final String PRUNE = "ls -1 \"$BACKUP_DIR\" | grep -E \"^${BACKUP_PREFIX}[0-9]{8}T[0-9]{6}Z-\" | sort -r | tail -n +$((BACKUP_KEEP + 1))"
            + " | while read -r f; do rm -f -- \"$BACKUP_DIR/$f\" && echo \"removed old backup $f\"; done";

    private final Colours runner;
    private final ReleaseTasks tasks;
    private final String app;
    private final Cancellation cancel;
    private final PrintWriter out;
    private final PrintWriter err;
    private final List<TaskResult> results = new ArrayList<>();
    private final List<String> ranBeforeSwitch = new ArrayList<>();
    private String backupFile;

    /** @param colours where the tasks run: containers on one host, one-shot services on a Swarm */
    public TaskSteps(Colours colours, String app, ReleaseTasks tasks, Cancellation cancel, PrintWriter out, PrintWriter err) {
        this.runner = colours;
        this.tasks = tasks;
        this.app = app;
        this.cancel = cancel;
        this.out = out;
        this.err = err;
    }

    public ReleaseTasks tasks() {
        return tasks;
    }

    /** Runs one task from the new colour's Compose project. Throws for a failed task before the switch. */
    public void run(TaskSpec task, ComposeProject compose, String project, Map<String, String> labels, String release) {
        Map<String, String> env = new LinkedHashMap<>();
        if (task.when() == TaskSpec.When.BACKUP) {
            env.put("BACKUP_DIR", backupDir(task));
            backupFile = backupDir(task) + "/" + backupPrefix() + DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC).format(Instant.now())
                    + "-" + (release == null ? "release" : release.replaceAll("[^A-Za-z0-9._-]", "_")) + ".backup";
            env.put("BACKUP_FILE", backupFile);
        }
        if (task.gates() && task.when() != TaskSpec.When.BACKUP) ranBeforeSwitch.add(task.name());
        TaskResult r;
        try {
            r = runner.runTask(compose, project, task, labels, env, cancel);
        } catch (RuntimeException e) {
            // Not started, or the daemon failed under it: what it did is unknown, so it counts as having run.
            results.add(new TaskResult(task.name(), task.when(), TaskResult.Outcome.FAILED, null, 0, List.of()));
            throw e;
        }
        results.add(r);
        if (r.ok()) {
            out.println("  task " + r.summary());
            out.flush();
            if (task.when() == TaskSpec.When.BACKUP) prune(task, compose, project, labels);
            return;
        }
        if (!task.gates()) {
            err.println(Style.warning() + "task " + r.summary() + lastLines(r) + " (after the switch: the new release serves; nothing is undone)");
            err.flush();
            return;
        }
        if (r.outcome() == TaskResult.Outcome.INTERRUPTED) throw new DeployError(ExitCode.INTERRUPTED, "interrupted during task " + task.name());
        String why = "task " + r.summary() + lastLines(r);
        if (task.when() == TaskSpec.When.BACKUP) why += "; the migrations were not run, as there is no backup to restore";
        throw DeployError.failed(why);
    }

    private void prune(TaskSpec backup, ComposeProject compose, String project, Map<String, String> labels) {
        if (tasks.backupKeep() <= 0) return;
        TaskSpec prune = new TaskSpec(backup.name() + "-prune", backup.service(), List.of("sh", "-c", PRUNE), backup.image(), backup.volumes(),
                java.time.Duration.ofMinutes(2), TaskSpec.When.AFTER_SWITCH);
        try {
            TaskResult r = runner.runTask(compose, project, prune, labels, Map.of("BACKUP_DIR", backupDir(backup), "BACKUP_KEEP", String.valueOf(tasks.backupKeep()),
                    "BACKUP_PREFIX", backupPrefix()), cancel);
            if (!r.ok()) err.println(Style.warning() + "could not prune old backups: " + r.summary() + lastLines(r));
        } catch (RuntimeException e) {
            err.println(Style.warning() + "could not prune old backups: " + Failures.classify(e, Cancellation.none()).getMessage());
        }
    }

    private String backupPrefix() {
        return app + "-";
    }

    /** The container directory of the backup's first mount, else /backups. */
    static String backupDir(TaskSpec backup) {
        return backup.volumes().isEmpty() ? BACKUP_DIR : backup.volumes().get(0).split(":")[1];
    }

    private static String lastLines(TaskResult r) {
        return r.lastLines().isEmpty() ? "" : "; its last output: " + String.join(" | ", r.lastLines().subList(Math.max(0, r.lastLines().size() - 3), r.lastLines().size()));
    }

    public List<TaskResult> results() {
        return List.copyOf(results);
    }

    /** Whether a task that may change the database ran (or started) before the switch. */
    public boolean ranMigrations() {
        return !ranBeforeSwitch.isEmpty();
    }

    /** For a failed deploy: never "nothing was changed" once a migration ran. Null when no task before the switch ran. */
    public String databaseNote() {
        if (ranBeforeSwitch.isEmpty()) return null;
        String which = String.join(", ", ranBeforeSwitch);
        return "the database may have been changed by task " + which + " (tasks are not undone): check that the old release still works with it"
                + (backupFile != null ? ", or restore the backup " + backupFile + " taken just before" : "");
    }

    /** For the history's notes and the notification: "tasks: migrate ok in 2.1s; warm-cache exited 1 after 0.3s". */
    public String summary() {
        if (results.isEmpty()) return null;
        return "tasks: " + String.join("; ", results.stream().map(TaskResult::summary).toList())
                + (ranMigrations() ? "; ran before_switch tasks" : "");
    }
}
