package lib.host;

import lib.base.Labels;
import lib.model.ContainerInfo;
import lib.model.ColourState;
import com.github.dockerjava.api.DockerClient;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Whether each container's PID 1 handles the signal `docker stop` sends it. In a container, PID 1 gets no default
 * signal action: a signal it does not catch is ignored, and `docker stop` then waits the whole grace period and kills
 * it (the blog's shell-form `CMD`, whose PID 1 is /bin/sh, is the classic case). Read from the host's process table
 * through `docker top` (ps runs on the host), so it needs nothing in the image and stops nothing.
 */
public final class StopSignals {
    private static final Map<String, Integer> NUMBERS = Map.of("HUP", 1, "INT", 2, "QUIT", 3, "KILL", 9, "USR1", 10,
            "USR2", 12, "TERM", 15, "WINCH", 28, "STOP", 19);

    private StopSignals() {}

    /** One note per container whose PID 1 does not catch its stop signal, with the fix. */
    public static List<String> unhandled(DockerClient docker, ColourState colour) {
        List<String> notes = new ArrayList<>();
        for (ContainerInfo c : colour.containers()) {
            if (!c.running()) continue;
            String signal = c.labels().getOrDefault(Labels.STOP_SIGNAL, "SIGTERM");
            int number = number(signal);
            if (number <= 0 || number == 9) continue;
            Long pid = docker.inspectContainerCmd(c.id()).exec().getState().getPidLong();
            if (pid == null || pid <= 0) continue;
            var top = docker.topContainerCmd(c.id()).withPsArgs("-o pid,caught,comm").exec();
            if (top.getProcesses() == null) continue;
            for (String[] row : top.getProcesses()) {
                if (row.length < 3 || !row[0].trim().equals(String.valueOf(pid))) continue;
                if (!catches(row[1].trim(), number)) {
                    notes.add(c.service() + "'s PID 1 (" + row[2].trim() + ") does not handle " + signal + ": stopping it waits its whole "
                            + c.graceSeconds() + "s grace period and then kills it, cutting what it serves. Fix: init: true in its"
                            + " Compose service, an exec-form CMD (CMD [\"nginx\", \"-g\", \"daemon off;\"]) so the app is PID 1, or the stop_signal it honours");
                }
            }
        }
        return notes;
    }

    /** ps's "caught" column: a hex mask, bit n-1 for signal n. Unreadable means unknown: no warning. */
    public static boolean catches(String hexMask, int signal) {
        try {
            return (Long.parseUnsignedLong(hexMask, 16) >>> (signal - 1) & 1) == 1;
        } catch (NumberFormatException unknown) {
            return true;
        }
    }

    public static int number(String signal) {
        String s = signal.trim().toUpperCase(Locale.ROOT);
        if (s.matches("\\d{1,2}")) return Integer.parseInt(s);
        return NUMBERS.getOrDefault(s.startsWith("SIG") ? s.substring(3) : s, -1);
    }
}
