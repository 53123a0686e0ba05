package lib.host;

import lib.base.Labels;
import lib.model.ContainerInfo;
import lib.model.ColourState;
import com.github.dockerjava.api.DockerClient;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Whether each container's PID 1 handles the signal `docker stop` sends it. In a container, PID 1 gets no default
 * signal action: a signal it does not catch is ignored, and `docker stop` then waits the whole grace period and kills
 * it (the blog's shell-form `CMD`, whose PID 1 is /bin/sh, is the classic case). Read from the host's process table
 * through `docker top` (ps runs on the host), so it needs nothing in the image and stops nothing.
 */
public final class StopSignals {
    /** The ps columns {@link #ignorer(List, long, int)} reads, in this order. */
    public static final String PS = "-o pid,ppid,caught,ignored,comm";

    private static final Map<String, Integer> NUMBERS = Map.of("HUP", 1, "INT", 2, "QUIT", 3, "KILL", 9, "USR1", 10,
            "USR2", 12, "TERM", 15, "WINCH", 28, "STOP", 19);

    /**
     * Inits that install no handler (tini waits for signals with sigwait) and pass what they get on to the process they
     * run; docker-init is tini under Compose's init: true. Whether the container stops is up to that process.
     */
    private static final Set<String> FORWARDING_INITS = Set.of("docker-init", "tini", "tini-static", "dumb-init", "catatonit", "s6-svscan");

    /** SIGCHLD, SIGCONT, SIGURG, SIGWINCH: a process that does not catch these goes on, PID 1 or not. */
    private static final Set<Integer> IGNORED_BY_DEFAULT = Set.of(17, 18, 23, 28);

    private StopSignals() {}

    /** The process that outlives the stop signal: PID 1 itself (init null), or what the forwarding init runs. */
    public record Ignorer(String comm, String init) {}

    /** One note per running container whose stop signal does not stop it, with the fix. */
    public static List<String> unhandled(DockerClient docker, ColourState colour) {
        List<String> notes = new ArrayList<>();
        for (ContainerInfo c : colour.containers()) {
            if (c.running()) ignorer(docker, c).ifPresent(i -> notes.add(note(c, i, "stopping it waits its whole " + c.graceSeconds()
                    + "s grace period and then kills it, cutting what it serves")));
        }
        return notes;
    }

    /** Reads the container's process table from the host; empty when it handles its stop signal or ps cannot say. */
    public static Optional<Ignorer> ignorer(DockerClient docker, ContainerInfo c) {
        int number = number(signal(c));
        if (number <= 0 || number == 9) return Optional.empty();
        Long pid = docker.inspectContainerCmd(c.id()).exec().getState().getPidLong();
        if (pid == null || pid <= 0) return Optional.empty();
        var top = docker.topContainerCmd(c.id()).withPsArgs(PS).exec();
        if (top.getProcesses() == null) return Optional.empty();
        return ignorer(List.of(top.getProcesses()), pid, number);
    }

    /**
     * From rows of pid, ppid, caught, ignored, comm: PID 1 must catch the signal; a process under a forwarding init (its
     * first child) stops unless it ignores the signal or the signal's default is to be ignored. Unknown is empty.
     */
    public static Optional<Ignorer> ignorer(List<String[]> rows, long pid1, int signal) {
        List<String[]> valid = rows.stream().filter(r -> r.length >= 5).toList();
        String[] init = valid.stream().filter(r -> r[0].trim().equals(String.valueOf(pid1))).findFirst().orElse(null);
        if (init == null || catches(init[2].trim(), signal)) return Optional.empty();
        String initName = init[4].trim();
        if (!FORWARDING_INITS.contains(initName)) return Optional.of(new Ignorer(initName, null));
        // tini runs one child; anything else under it is an orphan it adopted later, with a higher pid
        Optional<String[]> child = valid.stream().filter(r -> r[1].trim().equals(String.valueOf(pid1)))
                .min(Comparator.comparingLong(r -> pid(r[0])));
        if (child.isEmpty()) return Optional.empty();
        String[] r = child.get();
        boolean stops = catches(r[2].trim(), signal) || !IGNORED_BY_DEFAULT.contains(signal) && !ignores(r[3].trim(), signal);
        return stops ? Optional.empty() : Optional.of(new Ignorer(r[4].trim(), initName));
    }

    /** The diagnosis with its fix, after what it costs (the caller knows: a wait, or a kill at once). */
    public static String note(ContainerInfo c, Ignorer i, String cost) {
        String signal = signal(c);
        if (i.init() == null) {
            return c.service() + "'s PID 1 (" + i.comm() + ") does not handle " + signal + ": " + cost + ". Fix: init: true in its"
                    + " Compose service, an exec-form CMD (CMD [\"nginx\", \"-g\", \"daemon off;\"]) so the app is PID 1, or the stop_signal it honours";
        }
        return c.service() + "'s " + i.comm() + " (run by " + i.init() + ", which passes " + signal + " on to it) ignores " + signal + ": " + cost
                + ". Fix: stop ignoring it (a trap '' TERM, or SIG_IGN, in the app or its start script), or the stop_signal it honours";
    }

    private static String signal(ContainerInfo c) {
        return c.labels().getOrDefault(Labels.STOP_SIGNAL, "SIGTERM");
    }

    /** ps's "caught" column: a hex mask, bit n-1 for signal n. Unreadable means unknown: no warning. */
    public static boolean catches(String hexMask, int signal) {
        try {
            return (Long.parseUnsignedLong(hexMask, 16) >>> (signal - 1) & 1) == 1;
        } catch (NumberFormatException unknown) {
            return true;
        }
    }

    /** ps's "ignored" column, the same kind of mask. Unreadable means unknown: no warning. */
    private static boolean ignores(String hexMask, int signal) {
        try {
            return (Long.parseUnsignedLong(hexMask, 16) >>> (signal - 1) & 1) == 1;
        } catch (NumberFormatException unknown) {
            return false;
        }
    }

    private static long pid(String s) {
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    public static int number(String signal) {
        String s = signal.trim().toUpperCase(Locale.ROOT);
        if (s.matches("\\d{1,2}")) return Integer.parseInt(s);
        return NUMBERS.getOrDefault(s.startsWith("SIG") ? s.substring(3) : s, -1);
    }
}
