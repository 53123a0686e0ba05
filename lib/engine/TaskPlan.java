package lib.engine;

import lib.model.ReleaseTasks;
import lib.model.TaskSpec;
import lib.model.TaskSpec.When;

import java.util.function.Consumer;

/**
 * Where the release tasks go in a deploy's {@link Plan}: the backup and before: start tasks before the new colour
 * starts, before_switch tasks after it started and before its health gate, after_switch tasks past the switch (after
 * the singletons' hand-over). One step per task, titled with what it runs, so --dry-run shows them.
 */
public final class TaskPlan {
    private TaskPlan() {}

    /** The backup, then the tasks marked before: start. */
    public static Plan beforeStart(Deployment d) {
        return beforeStart(d.tasks(), d::runTask);
    }

    public static Plan beforeStart(ReleaseTasks tasks, Consumer<TaskSpec> run) {
        return before(tasks, run, When.BACKUP, When.BEFORE_START);
    }

    /** before_switch tasks: the new colour runs, the gate has not judged it yet. */
    public static Plan beforeSwitch(Deployment d) {
        return beforeSwitch(d.tasks(), d::runTask);
    }

    public static Plan beforeSwitch(ReleaseTasks tasks, Consumer<TaskSpec> run) {
        return before(tasks, run, When.BEFORE_SWITCH);
    }

    public static Plan afterSwitch(Deployment d) {
        return afterSwitch(d.tasks(), d::runTask);
    }

    public static Plan afterSwitch(ReleaseTasks tasks, Consumer<TaskSpec> run) {
        Plan p = new Plan();
        for (TaskSpec t : tasks.at(When.AFTER_SWITCH)) p.after(title(t), () -> run.accept(t));
        return p;
    }

    private static Plan before(ReleaseTasks tasks, Consumer<TaskSpec> run, When... when) {
        Plan p = new Plan();
        for (When w : when) {
            for (TaskSpec t : tasks.at(w)) p.before(title(t), () -> run.accept(t));
        }
        return p;
    }

    static String title(TaskSpec t) {
        String kind = switch (t.when()) {
            case BACKUP -> "backup";
            case BEFORE_START -> "task before start";
            case BEFORE_SWITCH -> "task";
            case AFTER_SWITCH -> "task after the switch";
        };
        return kind + " " + t.describe();
    }
}
