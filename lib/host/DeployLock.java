package lib.host;

import lib.base.Operator;
import lib.base.Cancellation;
import lib.base.DeployError;
import lib.base.ExitCode;
import lib.base.Labels;
import lib.base.Text;
import lib.docker.MarkerImage;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.command.InspectContainerResponse;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A per-app lock on the target host: a never-started container with a fixed name. The engine creates a name at
 * most once, so two deploys from two laptops cannot both hold it. Its labels say who holds it, since when, why,
 * and which process on which machine, so that a lock left by a killed deploy on this machine can be proven dead
 * and broken without anyone running unlock (a cron deploy must not stay stuck behind its own killed run).
 */
public final class DeployLock implements AppState.Lock {
    /**
     * Past this age a refusal adds "if that deploy is dead". Age alone never breaks a lock: a slow deploy is alive,
     * and only the holder's own machine can tell whether its process still runs.
     */
    static final Duration LONG_HELD = Duration.ofMinutes(30);
    /**
     * Process start times are derived from the boot time, which the kernel reports to the second and which drifts
     * with clock adjustments; a smaller difference is the same process, and breaking a live lock is the worse error.
     */
    static final Duration START_TIME_SLACK = Duration.ofSeconds(2);
    /** Bounds the immediate retries (holder vanished, dead lock broken) so a confused engine cannot spin forever. */
    private static final int QUICK_RETRIES = 20;

    private final Slot slot;
    private final String id;
    private boolean released;

    private DeployLock(Slot slot, String id) {
        this.slot = slot;
        this.id = id;
    }

    /**
     * Where a lock lives: a never-started container on one Docker host, or a config of a Swarm (lib.host.SwarmState).
     * Each store creates a name at most once, which is all the lock needs; the rules about holders (who, dead or
     * alive, when to wait, what to tell the user) are the same for both and live here.
     */
    public interface Slot {
        /** Takes the name with these labels: its id, or empty when the name is taken. */
        Optional<String> create(Map<String, String> labels);

        /** Who holds the name now, from its labels; empty when it is free. */
        Optional<Holder> holder();

        /** Removes by id, so a lock someone else took after a break is never removed. False when it was gone already. */
        boolean remove(String id);

        /** What to check when the lock keeps reappearing after being released: "the Docker host", "the Swarm". */
        String where();

        /** The command that breaks a lock whose holder this machine cannot prove dead. */
        default String unlockCommand(String app) {
            return "deploy.java unlock --app " + app + " --force";
        }
    }

    /** The per-host lock: a never-started marker container named {@link #name}. */
    static final class ContainerSlot implements Slot {
        private final DockerClient docker;
        private final String app;

        ContainerSlot(DockerClient docker, String app) {
            this.docker = docker;
            this.app = app;
        }

        @Override
        public Optional<String> create(Map<String, String> labels) {
            try {
                return Optional.of(createContainer(labels));
            } catch (NotFoundException noMarkerImageYet) {
                MarkerImage.ensure(docker); // a host's first deploy: load it once, then take the lock; not a call on every run
            } catch (ConflictException held) {
                return Optional.empty();
            }
            try {
                return Optional.of(createContainer(labels));
            } catch (ConflictException held) {
                return Optional.empty();
            }
        }

        private String createContainer(Map<String, String> labels) {
            return docker.createContainerCmd(MarkerImage.REF).withName(name(app)).withLabels(labels).withCmd("/lock").exec().getId();
        }

        @Override
        public Optional<Holder> holder() {
            InspectContainerResponse c;
            try {
                c = docker.inspectContainerCmd(name(app)).exec();
            } catch (NotFoundException e) {
                return Optional.empty();
            }
            Map<String, String> l = c.getConfig() == null || c.getConfig().getLabels() == null ? Map.of() : c.getConfig().getLabels();
            return Optional.of(holderOf(l, c.getId()));
        }

        @Override
        public boolean remove(String id) {
            try {
                docker.removeContainerCmd(id).withForce(true).exec();
                return true;
            } catch (NotFoundException gone) {
                return false;
            }
        }

        @Override
        public String where() {
            return "the Docker host (docker ps -a --filter name=" + name(app) + ")";
        }
    }

    /**
     * Who holds the lock, from its labels. A label that is missing or malformed (an older version, a hand-made
     * container) is null or "?": unknown, never a reason to fail. {@code host} is where the holder ran,
     * {@code pidStarted} when its process started (against pid reuse), {@code processSpace} the boot and pid
     * namespace it ran in (two containers can share a host name but not their pids).
     */
    public record Holder(String who, Instant since, String purpose, String pid, String host, Instant pidStarted,
                         String processSpace, String containerId) {

        public String describe(Instant now) {
            String when = since == null ? " since an unknown time"
                    : " since " + since + " (" + human(Duration.between(since, now)) + " ago)";
            // The labels are whatever made the container said: no control character of theirs reaches a terminal.
            return Text.printable(who) + " (pid " + Text.printable(pid) + ")" + when + " for: " + Text.printable(purpose);
        }

        /** True when the holder ran here: same host name and, when both sides know it, the same process space. */
        public boolean onThisMachine() {
            if (host == null || !host.equals(Operator.hostName())) return false;
            String ours = ourProcessSpace();
            return processSpace == null || ours == null || processSpace.equals(ours);
        }

        /** Why the holder is provably dead ("pid 42 is gone"), or empty while it may still run. */
        public Optional<String> deadBecause() {
            if (!onThisMachine() || pid == null || !pid.matches("\\d{1,18}")) return Optional.empty();
            Optional<ProcessHandle> process = ProcessHandle.of(Long.parseLong(pid));
            if (process.isEmpty()) return Optional.of("pid " + pid + " is gone");
            // A deploy killed after its parent went away stays a zombie until PID 1 reaps it, which a container's or a
            // sandbox's init may never do: it has exited all the same.
            if (zombie(pid)) return Optional.of("pid " + pid + " has exited (a zombie its parent has not reaped)");
            Optional<Instant> started = process.get().info().startInstant();
            if (pidStarted != null && started.isPresent()
                    && Duration.between(pidStarted, started.get()).abs().compareTo(START_TIME_SLACK) > 0) {
                return Optional.of("pid " + pid + " is gone; the number now belongs to a process started at " + started.get());
            }
            return Optional.empty();
        }

        /** Linux: the state letter in /proc/PID/stat, after the command name in parentheses. */
        static boolean zombie(String pid) {
            try {
                String stat = Files.readString(Path.of("/proc", pid, "stat"));
                int end = stat.lastIndexOf(')');
                return end > 0 && stat.startsWith(" Z", end + 1);
            } catch (java.io.IOException | RuntimeException unknown) {
                return false; // no /proc, or it just went: the next look decides
            }
        }

        /** Where the holder ran when that is not here: "another machine (ci-7)", or the same host name elsewhere. */
        String elsewhere() {
            if (host == null) return "an unknown machine";
            if (host.equals(Operator.hostName())) return "another container or boot of " + host + " (its pids are not ours)";
            return "another machine (" + Text.printable(host) + ")";
        }

        /** Why the holder may still run: its process runs here, or it ran where this machine cannot look. */
        public String mayStillRun() {
            return onThisMachine() ? "its process still runs on this machine"
                    : "it was taken on " + elsewhere() + ", which this machine cannot check";
        }

        /** Held by a process of this machine that no longer runs: the next deploy breaks it. */
        public boolean stale() {
            return deadBecause().isPresent();
        }
    }

    public static String name(String app) {
        return app + "-bgdeploy-lock";
    }

    /**
     * Takes the lock, waiting up to {@code wait} for a live holder. A provably dead holder is not waited for: its lock
     * is broken at once, with a notice on {@code out}. Fails with exit 4 when the wait is over.
     */
    public static DeployLock acquire(DockerClient docker, String app, String purpose, Duration wait, PrintWriter out, Cancellation cancel) {
        return acquire(new ContainerSlot(docker, app), app, purpose, wait, out, cancel);
    }

    /** The same on any store of locks (a Swarm's, say): the same waiting, breaking of dead holders and refusals. */
    public static DeployLock acquire(Slot slot, String app, String purpose, Duration wait, PrintWriter out, Cancellation cancel) {
        Instant deadline = Instant.now().plus(wait);
        boolean announced = false;
        int quickRetries = 0;
        while (true) {
            cancel.check();
            Optional<String> taken = slot.create(ownLabels(app, purpose));
            if (taken.isPresent()) return new DeployLock(slot, taken.get());
            Optional<Holder> holder = slot.holder();
            Optional<String> dead = holder.flatMap(Holder::deadBecause);
            if (holder.isEmpty() || dead.isPresent()) {
                if (++quickRetries > QUICK_RETRIES) {
                    throw new DeployError(ExitCode.DOCKER, "cannot take the deploy lock of app " + app
                            + ": it keeps reappearing after being released; check " + slot.where());
                }
                // A vanished holder released between our create and inspect; a dead one we break ourselves.
                if (dead.isPresent() && slot.remove(holder.get().containerId())) {
                    Holder h = holder.get();
                    out.println("broke the lock of " + Text.printable(h.who()) + " (pid " + h.pid() + ", no longer running: " + dead.get()
                            + "), taken" + (h.since() == null ? "" : " at " + h.since()) + " for: " + Text.printable(h.purpose()));
                    out.flush();
                }
                continue;
            }
            Holder h = holder.get();
            Instant now = Instant.now();
            if (now.isAfter(deadline)) throw new DeployError(ExitCode.LOCKED, refusal(app, h, now, slot.unlockCommand(app)));
            if (!announced) {
                out.println("waiting for the deploy lock, held by " + h.describe(now));
                out.flush();
                announced = true;
            }
            cancel.sleep(Duration.ofMillis(500));
        }
    }

    /** The one-line refusal: who holds it, and whether this deploy could ever tell that the holder is dead. */
    static String refusal(String app, Holder h, Instant now) {
        return refusal(app, h, now, unlockCommand(app));
    }

    static String refusal(String app, Holder h, Instant now, String unlock) {
        String where = h.onThisMachine() ? "; its process still runs on this machine"
                : "; it was taken on " + h.elsewhere() + ", which this deploy cannot check, so breaking it stays explicit";
        boolean longHeld = h.since() != null && Duration.between(h.since(), now).compareTo(LONG_HELD) > 0;
        String advice = longHeld
                ? ": held for " + human(Duration.between(h.since(), now)) + "; if that deploy is dead, run: " + unlock
                : ": wait with --wait-lock DURATION, or if that deploy is dead run: " + unlock;
        return "app " + app + " is locked by " + h.describe(now) + where + advice;
    }

    /** The lock line of {@code deploy.java status}: free, held, or held by a dead process that the next deploy breaks. */
    public static String describeForStatus(String app, Optional<Holder> holder, Instant now) {
        return describeForStatus(holder, now, unlockCommand(app));
    }

    /** The same, with the unlock command of the lock's store. */
    public static String describeForStatus(Optional<Holder> holder, Instant now, String unlock) {
        if (holder.isEmpty()) return "free";
        Holder h = holder.get();
        Optional<String> dead = h.deadBecause();
        if (dead.isPresent()) return "held by " + h.describe(now) + " (stale: " + dead.get() + "; the next deploy breaks it)";
        if (h.onThisMachine()) return "held by " + h.describe(now);
        return "held by " + h.describe(now) + " (taken on " + h.elsewhere() + "; if that deploy is dead: " + unlock + ")";
    }

    /** A lock that is not provably dead is only broken with --force: unlock cannot tell a slow deploy from a dead one. */
    private static String unlockCommand(String app) {
        return "deploy.java unlock --app " + app + " --force";
    }

    public static Optional<Holder> holder(DockerClient docker, String app) {
        return new ContainerSlot(docker, app).holder();
    }

    /** Who made a container that carries our lock labels (the lock itself, or a helper made the same way). */
    public static Holder holderOf(Map<String, String> l, String containerId) {
        String who = l.getOrDefault(Labels.DEPLOYED_BY, "?");
        // Locks taken before the host label existed still name their machine in "user@host".
        String host = l.getOrDefault(Labels.LOCK_HOST, who.contains("@") ? who.substring(who.lastIndexOf('@') + 1) : null);
        return new Holder(who, instant(l.get(Labels.DEPLOYED_AT)), l.getOrDefault(Labels.LOCK_PURPOSE, "?"),
                l.getOrDefault(Labels.LOCK_PID, "?"), host, instant(l.get(Labels.LOCK_PID_STARTED)),
                l.get(Labels.LOCK_PROCESS_SPACE), containerId);
    }

    /**
     * Breaks the lock on purpose (the user ran unlock). Returns who held it, if anyone. A holder that is not provably
     * dead is refused with exit 4 unless {@code force}: breaking a running deploy's lock lets two deploys interleave,
     * and a holder on another machine may be running for all this machine can tell.
     */
    public static Optional<Holder> breakLock(DockerClient docker, String app, boolean force) {
        return breakLock(new ContainerSlot(docker, app), app, force);
    }

    public static Optional<Holder> breakLock(Slot slot, String app, boolean force) {
        Optional<Holder> h = slot.holder();
        if (h.isPresent() && !force && !h.get().stale()) {
            Holder live = h.get();
            String advice = live.onThisMachine() ? "; wait for that deploy or stop it, or to break the lock anyway (the two deploys may then interleave) run: "
                    : "; if that deploy is dead, run: ";
            throw new DeployError(ExitCode.LOCKED, "app " + app + " is locked by " + live.describe(Instant.now()) + "; "
                    + live.mayStillRun() + advice + slot.unlockCommand(app));
        }
        return h.isPresent() && slot.remove(h.get().containerId()) ? h : Optional.empty();
    }

    @Override
    public synchronized void close() {
        if (released) return;
        slot.remove(id); // gone already when someone ran unlock while we held it
        released = true;
    }

    public static Map<String, String> ownLabels(String app, String purpose) {
        Map<String, String> labels = new LinkedHashMap<>(MarkerImage.labels());
        labels.put(Labels.ROLE, "lock");
        labels.put(Labels.APP, app);
        labels.put(Labels.DEPLOYED_BY, Operator.name());
        labels.put(Labels.DEPLOYED_AT, Instant.now().toString());
        labels.put(Labels.LOCK_PURPOSE, purpose);
        labels.put(Labels.LOCK_PID, String.valueOf(ProcessHandle.current().pid()));
        labels.put(Labels.LOCK_HOST, Operator.hostName());
        ProcessHandle.current().info().startInstant().ifPresent(t -> labels.put(Labels.LOCK_PID_STARTED, t.toString()));
        String space = ourProcessSpace();
        if (space != null) labels.put(Labels.LOCK_PROCESS_SPACE, space);
        return labels;
    }

    private static Instant instant(String label) {
        if (label == null) return null;
        try {
            return Instant.parse(label);
        } catch (DateTimeParseException malformed) {
            return null;
        }
    }


    private static String cachedProcessSpace;

    /** This boot and pid namespace (Linux); null where /proc does not say. Pids mean something only within it. */
    static synchronized String ourProcessSpace() {
        if (cachedProcessSpace == null) {
            try {
                cachedProcessSpace = Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).strip() + " "
                        + Files.readSymbolicLink(Path.of("/proc/self/ns/pid"));
            } catch (Exception notLinux) {
                cachedProcessSpace = "";
            }
        }
        return cachedProcessSpace.isEmpty() ? null : cachedProcessSpace;
    }

    public static String human(Duration d) {
        long s = d.toSeconds();
        if (s < 120) return s + "s";
        if (s < 7200) return (s / 60) + "m";
        return (s / 3600) + "h";
    }
}
