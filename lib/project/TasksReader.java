package lib.project;

import lib.base.DeployError;
import lib.base.Values;
import lib.compose.ComposeLoader;
import lib.model.ReleaseTasks;
import lib.model.TaskSpec;
import lib.model.TaskSpec.When;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * deploy.yml's {@code tasks:} and {@code singletons:}, checked on load: every mistake is one line naming the file and
 * the key path (exit 3), never a failure half way through a deploy. A command is an argument array only: a shell
 * string would be split or interpolated on the deploying machine, and a task's command reaches the container as written.
 */
public final class TasksReader {
    static final Set<String> TASKS = Set.of("before_switch", "after_switch", "backup", "host");
    static final Set<String> TASK = Set.of("name", "service", "command", "timeout", "before", "image", "volumes");
    static final Set<String> BACKUP = Set.of("name", "service", "command", "timeout", "image", "volumes", "keep");
    private static final String NAME = "[A-Za-z0-9][A-Za-z0-9_.-]*";
    /** SOURCE:TARGET[:ro|rw], SOURCE a volume name or an absolute host path, TARGET an absolute container path. */
    private static final String VOLUME = "(/[^:]*|[A-Za-z0-9][A-Za-z0-9_.-]*):(/[^:]*)(:(ro|rw))?";

    private final Path file;

    private TasksReader(Path file) {
        this.file = file;
    }

    /** tasks: and singletons: of the parsed file (either may be absent). */
    public static ReleaseTasks read(Path file, Object tasks, Object singletons) {
        return new TasksReader(file).read(tasks, singletons);
    }

    ReleaseTasks read(Object rawTasks, Object rawSingletons) {
        Map<String, Object> top = map(rawTasks, "tasks");
        for (String k : top.keySet()) {
            if (!TASKS.contains(k)) throw DeployError.config(file + ": unsupported key \"tasks." + k + "\"; supported: " + String.join(", ", new TreeSet<>(TASKS)));
        }
        List<TaskSpec> all = new ArrayList<>();
        int keep = 0;
        if (top.containsKey("backup")) {
            Map<String, Object> b = map(top.get("backup"), "tasks.backup");
            if (b.isEmpty()) throw bad("tasks.backup", "is empty; give service: and command:, or remove it");
            keys(b, BACKUP, "tasks.backup.");
            if (b.containsKey("keep")) keep = checked(b.get("keep"), "tasks.backup.keep", Values::count);
            all.add(task(b, "tasks.backup", When.BACKUP, "backup"));
        }
        all.addAll(list(top.get("before_switch"), "tasks.before_switch", When.BEFORE_SWITCH));
        all.addAll(list(top.get("after_switch"), "tasks.after_switch", When.AFTER_SWITCH));
        Set<String> names = new HashSet<>();
        for (TaskSpec t : all) {
            if (!names.add(t.name())) throw bad("tasks", "two tasks are named \"" + t.name() + "\"; give each its own name (it prefixes its output and names it in the history)");
        }
        String host = null;
        if (top.containsKey("host")) {
            host = scalar(top.get("host"), "tasks.host");
            if (host.isBlank()) throw bad("tasks.host", "is empty; name one of the environment's hosts, or remove it");
        }
        return new ReleaseTasks(all, keep, host, singletons(rawSingletons));
    }

    private List<TaskSpec> list(Object raw, String at, When when) {
        if (raw == null) return List.of();
        if (!(raw instanceof List<?> l)) throw bad(at, "must be a list of tasks, e.g. - name: migrate");
        List<TaskSpec> out = new ArrayList<>();
        for (int i = 0; i < l.size(); i++) {
            String here = at + "[" + i + "]";
            Map<String, Object> m = map(l.get(i), here);
            keys(m, TASK, here + ".");
            When w = when;
            if (m.containsKey("before")) {
                String before = scalar(m.get("before"), here + ".before");
                if (when != When.BEFORE_SWITCH || !before.equals("start")) {
                    throw bad(here + ".before", when == When.BEFORE_SWITCH ? "\"" + before + "\" is not supported; write before: start (run before the new colour starts), or remove it"
                            : "is only for before_switch tasks; move the task there, or remove it");
                }
                w = When.BEFORE_START;
            }
            out.add(task(m, here, w, null));
        }
        return out;
    }

    private TaskSpec task(Map<String, Object> m, String at, When when, String defaultName) {
        String name = m.containsKey("name") ? scalar(m.get("name"), at + ".name") : defaultName;
        if (name == null) throw bad(at, "has no name:; write e.g. name: migrate");
        if (!name.matches(NAME)) throw bad(at + ".name", "\"" + lib.base.Text.printable(name) + "\" is not a task name; use letters, digits, '_', '.', '-'");
        if (!m.containsKey("service")) throw bad(at, "has no service:; name the Compose service it runs from, e.g. service: app");
        String service = scalar(m.get("service"), at + ".service");
        if (!service.matches(NAME)) throw bad(at + ".service", "\"" + lib.base.Text.printable(service) + "\" is not a service name; use letters, digits, '_', '.', '-'");
        if (!m.containsKey("command")) throw bad(at, "has no command:; write the program and its arguments, e.g. command: [bin/magento, setup:upgrade]");
        List<String> command = null;
        if (m.containsKey("command")) {
            Object c = m.get("command");
            if (!(c instanceof List<?> l)) {
                throw bad(at + ".command", "must be an argument array, e.g. [bin/magento, setup:upgrade] (a string would need a shell; write [sh, -c, '...'] to use the container's)");
            }
            command = new ArrayList<>();
            for (Object o : l) command.add(scalar(o, at + ".command"));
            if (command.isEmpty() || command.get(0).isBlank()) throw bad(at + ".command", "is empty; write a program and its arguments, e.g. [bin/magento, setup:upgrade]");
        }
        var timeout = m.containsKey("timeout") ? checked(m.get("timeout"), at + ".timeout", Values::positiveTimeout) : null;
        String image = null;
        if (m.containsKey("image")) {
            image = scalar(m.get("image"), at + ".image");
            if (!image.matches(ComposeLoader.IMAGE)) throw bad(at + ".image", "\"" + lib.base.Text.printable(image) + "\" is not an image reference; write e.g. mysql:8.0");
        }
        List<String> volumes = new ArrayList<>();
        if (m.containsKey("volumes")) {
            if (!(m.get("volumes") instanceof List<?> l)) throw bad(at + ".volumes", "must be a list, e.g. [backups:/backups]");
            for (Object o : l) {
                String v = scalar(o, at + ".volumes");
                if (!v.matches(VOLUME)) {
                    throw bad(at + ".volumes", "\"" + lib.base.Text.printable(v) + "\" is not SOURCE:TARGET[:ro]; write e.g. backups:/backups or /srv/backups:/backups");
                }
                volumes.add(v);
            }
        }
        return new TaskSpec(name, service, command, image, volumes, timeout, when);
    }

    private Set<String> singletons(Object raw) {
        if (raw == null) return Set.of();
        if (!(raw instanceof List<?> l)) throw bad("singletons", "must be a list of service names, e.g. [cron, worker]");
        Set<String> out = new LinkedHashSet<>();
        for (Object o : l) {
            String s = scalar(o, "singletons");
            if (!s.matches(NAME)) throw bad("singletons", "\"" + lib.base.Text.printable(s) + "\" is not a service name; use letters, digits, '_', '.', '-'");
            if (!out.add(s)) throw bad("singletons", "names \"" + s + "\" twice");
        }
        return out;
    }

    private <T> T checked(Object raw, String at, java.util.function.Function<String, T> rule) {
        String s = scalar(raw, at);
        try {
            return rule.apply(s);
        } catch (IllegalArgumentException e) {
            throw bad(at, e.getMessage());
        }
    }

    private String scalar(Object o, String at) {
        if (o == null) throw bad(at, "has no value; give one or remove it");
        if (o instanceof Map || o instanceof List) throw bad(at, "must be a single value, got " + ComposeLoader.describe(o));
        String s = String.valueOf(o);
        if (s.isBlank()) throw bad(at, "is empty; give a value or remove the key");
        return s;
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> map(Object o, String at) {
        if (o == null) return Map.of();
        if (!(o instanceof Map<?, ?> m)) throw bad(at, "must be a mapping (key: value), got " + ComposeLoader.describe(o));
        for (Object k : m.keySet()) if (!(k instanceof String)) throw bad(at, "key " + k + " must be a name, not " + ComposeLoader.describe(k));
        return (Map<String, Object>) o;
    }

    private void keys(Map<String, Object> m, Set<String> allowed, String prefix) {
        for (String k : m.keySet()) {
            if (!allowed.contains(k)) throw DeployError.config(file + ": unsupported key \"" + prefix + k + "\"; supported: " + String.join(", ", new TreeSet<>(allowed)));
        }
    }

    private DeployError bad(String at, String message) {
        return DeployError.config(file + ": " + at + ": " + message);
    }

    /**
     * Against the Compose file the deploy loaded: every task's service and every singleton exists, and a singleton is
     * not what the health gate or the front needs (a service left stopped until the switch cannot answer a probe).
     */
    public static void checkAgainst(ReleaseTasks tasks, Set<String> services, Path composeFile, String where) {
        for (TaskSpec t : tasks.tasks()) {
            if (!services.contains(t.service())) {
                throw DeployError.config(where + ": task \"" + t.name() + "\": service \"" + t.service() + "\" is not in " + composeFile
                        + "; services: " + String.join(", ", new TreeSet<>(services)));
            }
        }
        for (String s : tasks.singletons()) {
            if (!services.contains(s)) {
                throw DeployError.config(where + ": singletons: service \"" + s + "\" is not in " + composeFile + "; services: " + String.join(", ", new TreeSet<>(services)));
            }
        }
    }
}
