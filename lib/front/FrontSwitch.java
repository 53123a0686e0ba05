package lib.front;

import lib.base.Cancellation;
import lib.base.DeployError;
import lib.base.Style;
import lib.base.Text;
import lib.docker.Parallel;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The atomic switch of a managed front and the drain after it: the switch writes the new colour's upstream and
 * signals nginx to reload; the drain waits until the nginx workers that existed before the reload have exited,
 * which nginx does only when their in-flight requests are done.
 */
public final class FrontSwitch {
    private final ManagedFront front;
    private final PrintWriter out;

    /** The other fronts of a Swarm environment, switched with this one, all or nothing (empty on one host). */
    private final java.util.List<FrontSwitch> others;
    /** Each other front's workers from before its last switch: what its drain waits for. */
    private final Map<FrontSwitch, Set<String>> othersWorkers = new java.util.concurrent.ConcurrentHashMap<>();

    public FrontSwitch(ManagedFront front, PrintWriter out) {
        this(front, java.util.List.of(), out);
    }

    /** One switch over several fronts (a Swarm's fronts: lists): every front switches, or every front goes back. */
    public FrontSwitch(ManagedFront front, java.util.List<ManagedFront> others, PrintWriter out) {
        this.front = front;
        this.out = out;
        this.others = others.stream().map(o -> new FrontSwitch(o, out)).toList();
    }

    static final Duration RELOAD_BOUND = Duration.ofSeconds(10);
    /** The colour the last switch moved traffic away from (null: unknown), whose upgraded connections the drain counts. */
    private String previousTarget;
    /** How much of the upgrade log existed once the drain saw old workers outlast their first moments; -1: not read. */
    private int upgradeLogAtDrain = -1;
    /** A reload takes milliseconds; past this, `nginx -t` is asked whether the file is the reason. */
    static final Duration RELOAD_SUSPECT = Duration.ofMillis(300);

    /** The atomic switch. On any failure the previous upstream is put back and nginx keeps serving it. */
    public Set<String> switchTo(String target) {
        if (!others.isEmpty()) return switchAll(target, null);
        String id = front.id();
        return switchTo(id, target, front.read(id, NginxConfig.UPSTREAM).orElse(NginxConfig.upstreamConfig(NginxConfig.NOWHERE)));
    }

    /** The switch when the caller knows what the front serves now (it just checked): one read less on the switch's path. */
    public Set<String> switchTo(String target, String previousTarget) {
        if (!others.isEmpty()) return switchAll(target, previousTarget);
        return switchTo(front.id(), target, NginxConfig.upstreamConfig(previousTarget == null ? NginxConfig.NOWHERE : previousTarget));
    }

    /**
     * Write, then SIGHUP: the reload starts one API call after the file is in place (an exec of `nginx -s reload`
     * costs three more, about 70 ms). nginx validates on HUP and, on an error, keeps its old workers and
     * configuration; so the switch is confirmed by new workers appearing, and without them the previous file goes
     * back and nginx is signalled again.
     */
    private Set<String> switchTo(String id, String target, String previous) {
        // nginx's workers now, read while the file is copied in (a top is quicker than the copy): what the drain
        // waits for, and what new workers are told apart from.
        CompletableFuture<Set<String>> before = CompletableFuture.supplyAsync(() -> front.workers(id), Parallel.POOL);
        front.write(id, Map.of(NginxConfig.UPSTREAM, NginxConfig.upstreamConfig(target)));
        Set<String> oldWorkers = Parallel.join(before);
        front.hangUp(id);
        String failed;
        try {
            failed = awaitReload(id, oldWorkers);
        } catch (DeployError slow) {
            putBack(id, previous);
            throw new DeployError(slow.exitCode(), slow.getMessage() + "; it keeps serving the previous colour", slow);
        }
        if (failed != null) {
            putBack(id, previous);
            throw DeployError.failed(failed + "; it keeps serving the previous colour");
        }
        out.println("  front now sends every new request to " + target);
        previousTarget = NginxConfig.currentTarget(previous);
        return oldWorkers;
    }

    /**
     * Every front at once, each confirmed by its own new workers. When one fails, those that switched are switched back
     * (each front's own switch already put back its file on failure): the old colour serves everywhere. Prints how far
     * apart the fronts' confirmations were.
     */
    private Set<String> switchAll(String target, String previousTarget) {
        java.util.List<FrontSwitch> all = new java.util.ArrayList<>();
        all.add(this);
        all.addAll(others);
        java.util.List<CompletableFuture<Set<String>>> done = new java.util.ArrayList<>();
        long[] confirmed = new long[all.size()];
        for (int i = 0; i < all.size(); i++) {
            FrontSwitch f = all.get(i);
            int n = i;
            done.add(CompletableFuture.supplyAsync(() -> {
                String id = f.front.id();
                String previous = previousTarget != null ? NginxConfig.upstreamConfig(previousTarget)
                        : f.front.read(id, NginxConfig.UPSTREAM).orElse(NginxConfig.upstreamConfig(NginxConfig.NOWHERE));
                Set<String> w = f.switchTo(id, target, previous);
                confirmed[n] = System.nanoTime();
                return w;
            }, Parallel.POOL));
        }
        DeployError first = null;
        for (int i = 0; i < all.size(); i++) {
            try {
                done.get(i).join();
            } catch (java.util.concurrent.CompletionException e) {
                DeployError d = e.getCause() instanceof DeployError de ? de : DeployError.failed(Text.oneLine(String.valueOf(e.getCause().getMessage())));
                if (first == null) first = new DeployError(d.exitCode(), "front " + (i + 1) + " of " + all.size() + ": " + d.getMessage(), d);
            }
        }
        if (first != null) {
            // A failed front too: its file may hold the new upstream when the failure came after the write (a stopped
            // container takes the copy and refuses the signal), and it would serve that colour once started again.
            for (int i = 0; i < all.size(); i++) {
                FrontSwitch f = all.get(i);
                String back = previousTarget != null ? previousTarget : f.previousTarget;
                try {
                    f.putBack(f.front.id(), NginxConfig.upstreamConfig(back == null ? NginxConfig.NOWHERE : back));
                    out.println("  front " + (i + 1) + " of " + all.size() + " switched back to " + (back == null ? NginxConfig.NOWHERE : back));
                } catch (RuntimeException e) {
                    out.println(Style.warning() + "front " + (i + 1) + " of " + all.size() + " could not be switched back: " + Text.oneLine(String.valueOf(e.getMessage())));
                }
            }
            out.flush();
            throw new DeployError(first.exitCode(), first.getMessage() + "; every front keeps serving the previous colour", first);
        }
        long min = java.util.Arrays.stream(confirmed).min().orElse(0);
        long max = java.util.Arrays.stream(confirmed).max().orElse(0);
        out.println("  all " + all.size() + " fronts switched; their confirmations " + (max - min) / 1_000_000 + " ms apart");
        for (int i = 0; i < others.size(); i++) othersWorkers.put(others.get(i), done.get(i + 1).join());
        return done.get(0).join();
    }

    private void putBack(String id, String previous) {
        front.write(id, Map.of(NginxConfig.UPSTREAM, previous));
        front.hangUp(id);
    }

    /**
     * null once nginx started new workers (it read the new configuration) and none of the old ones still accepts
     * connections (nginx tells them to quit a moment after the new ones start: until then a new connection could
     * still reach the previous colour); otherwise why it did not.
     */
    private String awaitReload(String id, Set<String> oldWorkers) {
        Instant start = Instant.now();
        boolean tested = false;
        boolean interrupted = false;
        try {
            while (Duration.between(start, Instant.now()).compareTo(RELOAD_BOUND) < 0) {
                java.util.Map<String, Boolean> now = front.workerStates(id);
                boolean started = now.keySet().stream().anyMatch(pid -> !oldWorkers.contains(pid));
                if (started && oldWorkers.stream().noneMatch(pid -> Boolean.TRUE.equals(now.get(pid)))) return null;
                if (!tested && Duration.between(start, Instant.now()).compareTo(RELOAD_SUSPECT) > 0) {
                    tested = true;
                    Duration left = RELOAD_BOUND.minus(Duration.between(start, Instant.now()));
                    ManagedFront.Exec test = front.exec(id, left.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : left, "nginx", "-t", "-q");
                    if (test.code() != 0) return "the front rejected the new configuration (nginx: " + Text.oneLine(test.output()) + ")";
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    interrupted = true; // a signal inside the switch: finish confirming it (milliseconds); the caller sees it after
                }
            }
            return "the front did not reload within " + RELOAD_BOUND.toSeconds() + "s";
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    /**
     * Makes nginx serve what its files say, returning the workers to drain. After a run killed between writing the
     * upstream and reloading, the file already names the new (gated) colour while nginx still sends to the old one.
     */
    public Set<String> reloadAsWritten() {
        for (FrontSwitch o : others) othersWorkers.put(o, o.reloadAsWritten());
        String id = front.id();
        Set<String> oldWorkers = front.workers(id);
        front.validateAndReload(id);
        return oldWorkers;
    }

    /** How long past --drain-timeout nginx's own worker_shutdown_timeout (the same duration, from the reload) may take. */
    static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(3);

    /**
     * Past --drain-timeout: what keeps an old worker is a connection that never ends by itself (an upgraded one, a
     * WebSocket, or a stream), and nginx closes those at worker_shutdown_timeout, rendered from the same setting. The
     * run waits for that (a few seconds at most, never for the connection) and says how many upgraded ones it closed.
     */
    private void closeLongLived(String id, Set<String> oldWorkers, Set<String> still, Cancellation cancel) {
        Instant until = Instant.now().plus(SHUTDOWN_GRACE);
        while (!still.isEmpty() && Instant.now().isBefore(until)) {
            cancel.sleep(Duration.ofMillis(100));
            still = new HashSet<>(front.workers(id));
            still.retainAll(oldWorkers);
        }
        String log = front.read(id, NginxConfig.UPGRADE_LOG).orElse("");
        int closed = NginxConfig.closedUpgrades(log.substring(Math.min(log.length(), Math.max(0, upgradeLogAtDrain))), previousTarget);
        long seconds = front.settings().drain().toSeconds();
        if (closed > 0) {
            out.println("  drained: closed " + closed + " upgraded connection" + (closed == 1 ? "" : "s") + " (WebSocket) still open on the old colour after --drain-timeout " + seconds + "s");
        }
        if (!still.isEmpty()) {
            out.println(Style.warning() + "requests still in flight on the old colour after --drain-timeout " + seconds + "s; stopping it anyway");
        } else if (closed == 0) {
            out.println("  drained: the old colour's last connections were closed at --drain-timeout " + seconds + "s");
        }
    }

    /** What a drain's end says: on a first deploy there was no old colour, only nginx's answer that nothing is live. */
    private volatile String drained = "in-flight requests on the old colour finished";

    /**
     * A first deploy's drain: the workers from before the switch answer 502 (no colour was live) until they exit,
     * a moment after the reload, and a request can still reach one after the switch was confirmed by the new
     * workers. Waiting for them means every request after the deploy is answered by the new colour.
     */
    public void settle(Set<String> oldWorkers, Cancellation cancel) {
        String says = "the front's workers from before the switch (answering 502: nothing was live) exited";
        drained = says;
        others.forEach(o -> o.drained = says);
        drain(oldWorkers, cancel);
    }

    /** Waits until the workers that ran before the switch have exited: then no request is in flight on the old colour. */
    public void drain(Set<String> oldWorkers, Cancellation cancel) {
        if (!others.isEmpty()) {
            List<CompletableFuture<Void>> drains = new java.util.ArrayList<>();
            for (FrontSwitch o : others) {
                Set<String> w = othersWorkers.remove(o);
                if (w != null) drains.add(CompletableFuture.runAsync(() -> o.drain(w, cancel), Parallel.POOL));
            }
            drainOne(oldWorkers, cancel);
            drains.forEach(Parallel::join);
            return;
        }
        drainOne(oldWorkers, cancel);
    }

    private void drainOne(Set<String> oldWorkers, Cancellation cancel) {
        String id = front.idIfExists();
        if (id == null || oldWorkers.isEmpty()) return;
        Instant start = Instant.now();
        Instant deadline = start.plus(front.settings().drain());
        while (true) {
            Set<String> still = new HashSet<>(front.workers(id));
            still.retainAll(oldWorkers);
            if (still.isEmpty()) {
                Duration took = Duration.between(start, Instant.now());
                // nginx's worker_shutdown_timeout counts from the reload, a moment before this drain began: old
                // workers that lasted nearly the whole --drain-timeout were most likely ended by it.
                Duration drain = front.settings().drain();
                if (drain.toSeconds() >= 2 && took.compareTo(drain.minusSeconds(1)) >= 0) {
                    closeLongLived(id, oldWorkers, still, cancel);
                    return;
                }
                out.println("  drained: " + drained + " in " + took.toMillis() + " ms");
                return;
            }
            if (Instant.now().isAfter(deadline)) {
                closeLongLived(id, oldWorkers, still, cancel);
                return;
            }
            // Old workers past their first moments hold slow requests or upgraded connections: what the upgrade log
            // says from here on is this drain's (one copy, off the switch's path, only when a drain lasts).
            if (upgradeLogAtDrain < 0 && Duration.between(start, Instant.now()).toMillis() > 100) {
                upgradeLogAtDrain = front.read(id, NginxConfig.UPGRADE_LOG).orElse("").length();
            }
            cancel.sleep(Duration.ofMillis(100));
        }
    }
}
