package lib.model;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * deploy.yml's tasks: and singletons:, with the command line's --skip-tasks and --singleton applied: what a deploy
 * runs besides starting the new colour, and which services must never run in two colours at once.
 *
 * @param tasks      every task in the order it runs: the backup first, then before: start, before_switch, after_switch
 * @param backupKeep how many backup files tasks.backup keeps (0: the tool prunes none)
 * @param host       the fleet host the tasks run on (tasks.host); null: the first host in host order
 * @param singletons services of which only the live colour's run (cron, queue workers)
 */
public record ReleaseTasks(List<TaskSpec> tasks, int backupKeep, String host, Set<String> singletons) {
    public ReleaseTasks {
        List<TaskSpec> ordered = new ArrayList<>();
        for (TaskSpec.When w : TaskSpec.When.values()) tasks.stream().filter(t -> t.when() == w).forEach(ordered::add);
        tasks = List.copyOf(ordered);
        singletons = Set.copyOf(new LinkedHashSet<>(singletons));
    }

    public static ReleaseTasks none() {
        return new ReleaseTasks(List.of(), 0, null, Set.of());
    }

    public List<TaskSpec> at(TaskSpec.When when) {
        return tasks.stream().filter(t -> t.when() == when).toList();
    }

    public Optional<TaskSpec> named(String name) {
        return tasks.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    /** Whether a deploy runs tasks that may change the database before the switch (the history marks such a release). */
    public boolean migrates() {
        return tasks.stream().anyMatch(t -> t.when() == TaskSpec.When.BEFORE_START || t.when() == TaskSpec.When.BEFORE_SWITCH);
    }

    /** --skip-tasks: a redeploy of the same release; singletons stay singletons. */
    public ReleaseTasks withoutTasks() {
        return new ReleaseTasks(List.of(), backupKeep, host, singletons);
    }

    /** --singleton SERVICE, added to deploy.yml's. */
    public ReleaseTasks withSingletons(Set<String> more) {
        Set<String> all = new LinkedHashSet<>(singletons);
        all.addAll(more);
        return new ReleaseTasks(tasks, backupKeep, host, all);
    }

    /** On a fleet, every host but the one that runs the tasks: the same singletons, no tasks. */
    public ReleaseTasks singletonsOnly() {
        return withoutTasks();
    }

    public boolean isSingleton(String service) {
        return singletons.contains(service);
    }
}
