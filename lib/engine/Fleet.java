package lib.engine;

import lib.base.Text;
import lib.base.Operator;
import lib.host.DeployLock;
import lib.base.Style;
import lib.base.Cancellation;
import lib.base.DeployError;
import lib.base.ExitCode;
import lib.docker.DockerHost;
import lib.docker.HostAddress;
import lib.project.Notifier;

import java.io.PrintWriter;
import java.io.Writer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * One deploy across several hosts, all or nothing: the app's lock on every host in a fixed order (so two fleet deploys
 * neither deadlock nor interleave), every host brought up and gated in parallel, and only if every host passed, every
 * host switched; if any failed, every host undoes its new colour and none switches. Output lines carry the host.
 */
public final class Fleet implements AutoCloseable {
    /** One host: its connection, lock and run, and its output prefixed with its name. */
    private record Member(String name, DockerHost host, DeployLock lock, PrintWriter out, PrintWriter err) {}

    private final List<Member> members = new ArrayList<>();
    private final List<Deployment> runs = new ArrayList<>();
    private final List<Plan> plans = new ArrayList<>();
    private final ExecutorService pool;
    private final PrintWriter out;
    private final PrintWriter err;

    /** Connects to every host and takes the app's lock on each, in host order; releases what it took if one fails. */
    public Fleet(List<HostAddress> hosts, String app, String purpose, Duration lockWait, Cancellation cancel, PrintWriter out, PrintWriter err) {
        this.out = out;
        this.err = err;
        this.pool = Executors.newFixedThreadPool(hosts.size(), r -> {
            Thread t = new Thread(r, "bgdeploy-fleet");
            t.setDaemon(true);
            return t;
        });
        List<HostAddress> ordered = hosts.stream().sorted(Comparator.comparing(HostAddress::url)).toList();
        List<DockerHost> connected = List.of();
        try {
            connected = parallel(ordered.stream().<Callable<DockerHost>>map(h -> () -> h.connect(err)).toList());
            for (int i = 0; i < ordered.size(); i++) {
                DockerHost host = connected.get(i);
                String name = label(host);
                PrintWriter hostOut = prefixed(out, name);
                DeployLock lock = DeployLock.acquire(host.client(), app, purpose + " (fleet of " + hosts.size() + ")", lockWait, hostOut, cancel);
                members.add(new Member(name, host, lock, hostOut, prefixed(err, name)));
            }
        } catch (RuntimeException e) {
            close();
            for (DockerHost h : connected) if (members.stream().noneMatch(m -> m.host() == h)) h.close();
            throw e;
        }
    }

    public int size() {
        return members.size();
    }

    /** The fleet's hosts, connected and locked. */
    public List<DockerHost> hosts() {
        return members.stream().map(Member::host).toList();
    }

    /**
     * A whole fleet run as a script calls it: the plan on every host (see {@link #run}), with one notification and
     * one pre and post hook for all hosts, whose DEPLOY_* variables list each host's value where they differ.
     * Returns what each host ended with.
     */
    public Map<String, String> runAll(RunSettings settings, String app, Cancellation cancel, Function<Deployment, Plan> planFor) {
        long started = System.currentTimeMillis();
        boolean rollback = settings.action().equals("rollback");
        // promote and abort act on what a --preview already announced and hooked: no start, no pre-deploy hook of their own.
        boolean announces = !rollback && !settings.action().equals("promote") && !settings.action().equals("abort");
        Notifier notifier = settings.notifier();
        String[] release = {null};
        boolean[] begun = {false};
        try {
            Map<String, String> results = run(settings, app, cancel, planFor, () -> {
                release[0] = commonRelease();
                if (nothingToDo()) return;
                begun[0] = true;
                if (announces) {
                    notifier.send(event("start", app, settings.environment(), release[0], 0, Map.of()));
                    String hookFailure = settings.hooks().run("pre-deploy", hookEnv());
                    if (hookFailure != null) throw DeployError.failed(hookFailure + "; no host was touched");
                }
            });
            results.forEach((h, r) -> out.println("  " + h + ": " + r));
            if (!begun[0]) {
                out.println("release " + release[0] + " is already live on all " + size() + " hosts; nothing to do");
                return results;
            }
            out.println(Style.success(done(settings.action())) + " " + app + (rollback ? " to" : "") + " release " + release[0]
                    + (rollback || !settings.action().equals("deploy") ? " on all " : " to all ") + size() + " hosts");
            out.flush();
            // A preview (or its abort) switched nothing: the success and the post-deploy hook are the promote's.
            if (settings.action().equals("preview") || settings.action().equals("abort")) return results;
            notifier.send(event(rollback ? "rollback" : "success", app, settings.environment(), release[0], System.currentTimeMillis() - started, results));
            String post = settings.hooks().run(rollback ? "post-rollback" : "post-deploy", hookEnv());
            if (post != null) err.println(Style.warning() + post + " (the " + settings.action() + " itself succeeded)");
            return results;
        } catch (DeployError e) {
            Map<String, String> results = e instanceof FleetError f ? f.results() : Map.of();
            results.forEach((h, r) -> err.println("  " + h + ": " + r));
            // A run that failed while it was still planning (before any host could change) is an error of the command, as on one host.
            if (begun[0]) notifier.send(event("failure", app, settings.environment(), release[0], System.currentTimeMillis() - started, results));
            throw e;
        } finally {
            notifier.flush();
        }
    }

    /** The fleet's result line's first words, per action. */
    static String done(String action) {
        return switch (action) {
            case "rollback" -> "rolled back";
            case "preview" -> "preview open:";
            case "promote" -> "promoted";
            case "abort" -> "aborted the preview of";
            default -> "deployed";
        };
    }

    /** The release the fleet moves to: every host's plan names the same one (a host already on it, its live one). */
    private String commonRelease() {
        return runs.stream().map(Fleet::releaseOf).filter(java.util.Objects::nonNull).findFirst().orElse(null);
    }

    private static String releaseOf(Deployment d) {
        return d.next() != null ? d.release() : d.live().map(c -> d.state().of(c).release()).orElse(null);
    }

    /** Every host already holds what was asked (its plan chose no colour to move to). */
    private boolean nothingToDo() {
        return runs.stream().allMatch(d -> d.next() == null);
    }

    /** Each DEPLOY_* variable of the hosts' runs: the one value they share, or every distinct value, comma-separated. */
    Map<String, String> hookEnv() {
        Map<String, java.util.LinkedHashSet<String>> values = new LinkedHashMap<>();
        for (Deployment d : runs) d.hookEnv().forEach((k, v) -> values.computeIfAbsent(k, x -> new java.util.LinkedHashSet<>()).add(v));
        Map<String, String> env = new LinkedHashMap<>();
        values.forEach((k, v) -> env.put(k, String.join(",", v)));
        return env;
    }

    /**
     * Runs the plan on every host: phase one (everything before the switch) in parallel; phase two (the switch and the
     * rest) only if every host passed phase one. Returns per-host results for the notification.
     */
    private Map<String, String> run(RunSettings settings, String app, Cancellation cancel,
                                   Function<Deployment, Plan> planFor, Runnable beforeAnyChange) {
        // A fleet may run twice under its locks (--replace-preview: the abort, then the deploy), each on a fresh read.
        runs.clear();
        plans.clear();
        runs.addAll(parallel(members.stream().<Callable<Deployment>>map(m ->
                () -> new Deployment(m.host(), app, settings.forFleetMember(m.out(), m.err()), cancel, m.out(), m.err())).toList()));
        for (Deployment d : runs) plans.add(planFor.apply(d));
        beforeAnyChange.run();
        Map<String, String> results = new LinkedHashMap<>();
        List<DeployError> first = parallel(indices().stream().<Callable<DeployError>>map(i -> () -> runs.get(i).prepare(plans.get(i))).toList());
        List<String> failed = new ArrayList<>();
        for (int i = 0; i < members.size(); i++) {
            if (first.get(i) != null) failed.add(members.get(i).name() + ": " + first.get(i).getMessage());
        }
        if (!failed.isEmpty()) {
            String why = "another host failed (" + String.join("; ", failed) + ")";
            List<DeployError> aborted = parallel(indices().stream().<Callable<DeployError>>map(i -> () ->
                    first.get(i) != null ? first.get(i) : runs.get(i).abort(why)).toList());
            for (int i = 0; i < members.size(); i++) results.put(members.get(i).name(), "not switched: " + aborted.get(i).getMessage());
            boolean interrupted = first.stream().anyMatch(e -> e != null && e.exitCode() == ExitCode.INTERRUPTED);
            throw new FleetError(interrupted ? ExitCode.INTERRUPTED : ExitCode.DEPLOY_FAILED,
                    settings.action() + " failed on " + failed.size() + " of " + members.size() + " hosts (" + String.join("; ", failed)
                            + "); no host was switched, every host still serves its previous release", results);
        }
        List<DeployError> second = parallel(indices().stream().<Callable<DeployError>>map(i -> () -> runs.get(i).finish(plans.get(i))).toList());
        List<String> mixed = new ArrayList<>();
        for (int i = 0; i < members.size(); i++) {
            DeployError e = second.get(i);
            Deployment d = runs.get(i);
            results.put(members.get(i).name(), e != null ? "failed at the switch: " + e.getMessage()
                    : d.next() == null ? "already live: release " + Text.printable(releaseOf(d))
                    : (settings.action().equals("preview") ? "previewed: release " : settings.action().equals("abort") ? "preview removed: release " : "live: release ")
                    + Text.printable(d.release()) + " on " + d.next());
            if (e != null) mixed.add(members.get(i).name() + ": " + e.getMessage());
        }
        if (!mixed.isEmpty()) {
            throw new FleetError(ExitCode.DEPLOY_FAILED, "the switch failed on " + mixed.size() + " of " + members.size() + " hosts ("
                    + String.join("; ", mixed) + "); the fleet is mixed: see deploy.java status, and deploy again to repair it", results);
        }
        return results;
    }

    /** A fleet-wide failure, with each host's outcome for the notification. */
    public static final class FleetError extends DeployError {
        private final Map<String, String> results;

        FleetError(int code, String message, Map<String, String> results) {
            super(code, message);
            this.results = results;
        }

        public Map<String, String> results() {
            return results;
        }
    }

    /** The one notification of a fleet run: the result per host in its reason. */
    private static Notifier.Event event(String kind, String app, String env, String release, long millis, Map<String, String> results) {
        List<String> lines = new ArrayList<>();
        results.forEach((h, r) -> lines.add(h + ": " + r));
        return new Notifier.Event(kind, app, env, null, release, null, Operator.name(), millis, lines.isEmpty() ? null : String.join("; ", lines));
    }

    private List<Integer> indices() {
        List<Integer> is = new ArrayList<>();
        for (int i = 0; i < members.size(); i++) is.add(i);
        return is;
    }

    private <T> List<T> parallel(List<Callable<T>> tasks) {
        List<Future<T>> futures = new ArrayList<>();
        for (Callable<T> t : tasks) futures.add(pool.submit(t));
        List<T> results = new ArrayList<>();
        RuntimeException firstFailure = null;
        for (Future<T> f : futures) {
            try {
                results.add(f.get());
            } catch (ExecutionException e) {
                results.add(null);
                if (firstFailure == null) firstFailure = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DeployError(ExitCode.INTERRUPTED, "interrupted");
            }
        }
        if (firstFailure != null) throw firstFailure;
        return results;
    }

    /** A host's short name for prefixes: its address without scheme and default ports. */
    static String label(DockerHost host) {
        String h = host.endpoint().getHost();
        if (h != null) return h;
        return host.endpoint().getPath() != null ? host.endpoint().getPath() : host.endpoint().toString();
    }

    /** Lines written by one host's run, prefixed with its name, whole lines at a time so hosts never interleave mid-line. */
    static PrintWriter prefixed(PrintWriter target, String name) {
        String prefix = "[" + name + "] ";
        return new PrintWriter(new Writer() {
            private final StringBuilder line = new StringBuilder();

            @Override
            public void write(char[] buf, int off, int len) {
                for (int i = off; i < off + len; i++) {
                    if (buf[i] == '\n') {
                        synchronized (target) {
                            target.println(prefix + line);
                        }
                        line.setLength(0);
                    } else if (buf[i] != '\r') {
                        line.append(buf[i]);
                    }
                }
            }

            @Override
            public void flush() {
                target.flush();
            }

            @Override
            public void close() {
                flush();
            }
        }, true);
    }

    @Override
    public void close() {
        for (Member m : members) {
            try {
                m.lock().close();
            } catch (RuntimeException e) {
                err.println(Style.warning() + m.name() + ": could not release the lock: " + e.getMessage());
            }
            m.host().close();
        }
        pool.shutdownNow();
    }
}
