package lib.model;

import java.time.Duration;
import java.util.List;

/**
 * One release task of deploy.yml (tasks.before_switch, tasks.after_switch, tasks.backup): a one-shot container made
 * from a service of the colour being deployed, run to completion under the deploy lock. Data only: deploy.yml's
 * reader checks it, lib/compose turns it into a container, lib/target runs it.
 *
 * @param service  the Compose service it is made from (image, environment, volumes, networks, user, working_dir)
 * @param command  the argument array passed to the container as written, never through a shell on the deploying
 *                 machine; null runs the image's own command (the service's command: is not used, it starts the app)
 * @param image    another image to run instead of the service's (a backup with mysqldump next to a PHP app); null: the service's
 * @param volumes  mounts added to the service's (SOURCE:TARGET[:ro], SOURCE a named volume or an absolute host path)
 * @param when     where in the deploy it runs
 */
public record TaskSpec(String name, String service, List<String> command, String image, List<String> volumes,
                       Duration timeout, When when) {
    /** A task that states no timeout gets this: long enough for a big migration, short enough to notice a hang. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(10);

    public enum When {
        /** tasks.backup: first, before any other task; its failure refuses the migrations. */
        BACKUP,
        /** before_switch with before: start: before the new colour starts (apps that refuse to boot on an old schema). */
        BEFORE_START,
        /** before_switch: the new colour runs, before its health gate and the switch. */
        BEFORE_SWITCH,
        /** after_switch: the new colour is live; a failure is a warning. */
        AFTER_SWITCH
    }

    public TaskSpec {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("a task has a name");
        if (service == null || service.isBlank()) throw new IllegalArgumentException("a task names a service");
        command = command == null ? null : List.copyOf(command);
        volumes = volumes == null ? List.of() : List.copyOf(volumes);
        if (timeout == null) timeout = DEFAULT_TIMEOUT;
        if (when == null) throw new IllegalArgumentException("a task has a place in the deploy");
    }

    /** Whether its failure fails the deploy (and undoes it): everything before the switch. */
    public boolean gates() {
        return when != When.AFTER_SWITCH;
    }

    /** For titles and --dry-run: "migrate (app: bin/magento setup:upgrade, timeout 10m)". */
    public String describe() {
        String what = command == null ? "its image's command" : String.join(" ", command.stream().map(lib.base.Text::printable).toList());
        return name + " (" + service + (image == null ? "" : " as " + image) + ": " + what + ", timeout " + lib.base.Durations.describe(timeout) + ")";
    }
}
