///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS info.picocli:picocli:4.7.6
//SOURCES deploy.java

import lib.Cancellation;
import lib.Cli;
import lib.Colour;
import lib.ColourDetector;
import lib.ColourStack;
import lib.ColourState;
import lib.DeployError;
import lib.DeployLock;
import lib.DockerHost;
import lib.ExitCode;
import lib.FrontOptions;
import lib.HealthGate;
import lib.HealthOptions;
import lib.HostOptions;
import lib.HostState;
import lib.ManagedFront;
import lib.Notifier;
import lib.ProjectOptions;
import lib.ReleaseOptions;
import lib.Probes;
import lib.ReleaseHistory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

@Command(name = "rollback.java", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {
                "Return to the previous release, or to a named one, without downtime.",
                "",
                "Replaces 're-tag an older commit's image as latest and deploy again'",
                "(a full pull and start, ~25 s, while the broken release serves) with:",
                "  fast path: deploy.java keeps the previous colour stopped until the",
                "    next deploy. If it holds the wanted release, rollback starts it,",
                "    runs the same health gate and stops the current colour: no pull,",
                "    no new containers.",
                "  slow path: otherwise it deploys that release like deploy.java",
                "    (needs -f; the Compose file picks the image by $${DEPLOY_RELEASE}).",
                "Both take the deploy lock; the current colour serves until the target",
                "passed its health gate. With no RELEASE the target is the stopped",
                "colour's release, or else the release the host's history shows live",
                "before the current one (deploy.java history).",
                "",
                "Examples:",
                "  rollback.java --app shop",
                "  rollback.java --app shop 0123456789 -f 'compose/docker-compose.{colour}.yml'",
                "",
                "Options:"},
        footer = ExitCode.HELP_FOOTER)
public class rollback implements Callable<Integer> {
    @Mixin HostOptions target;

    @Mixin HealthOptions health;

    @Mixin FrontOptions front;

    @Mixin ProjectOptions project;

    @Parameters(arity = "0..1", paramLabel = "RELEASE", description = "Release (commit hash, or a prefix of 7+ characters) to return to.")
    String release;

    @Mixin ReleaseOptions up;

    @Spec CommandSpec spec;

    public static void main(String... args) {
        System.exit(Cli.commandLine(new rollback()).execute(args));
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        var parsed = spec.commandLine().getParseResult();
        project.applyTo(target, parsed.hasMatchedOption("--host"));
        project.file().ifPresent(f -> {
            if (up.file == null && f.compose() != null) up.file = f.file().getParent().resolve(f.compose()).toString();
            health.defaultsFrom(f.health(), f.file(), parsed);
            front.defaultsFrom(f.front(), f.file(), parsed);
        });
        String app = target.app();
        Duration gateTimeout = health.gateTimeout();
        Duration lockWait = up.waitLock();
        Cancellation cancel = Cancellation.onSignal(Duration.ofSeconds(120));
        try (DockerHost docker = target.connect(err)) {
            String wanted;
            try (DeployLock lock = DeployLock.acquire(docker.client(), app, "rollback on " + docker.describe(), lockWait, out, cancel)) {
                long started = System.currentTimeMillis();
                HostState state = ColourDetector.detect(docker.client(), app);
                Optional<Colour> live = state.live();
                String current = live.map(c -> state.of(c).release()).orElse(null);
                ReleaseHistory history = new ReleaseHistory(docker.client(), app);
                wanted = release != null ? release : previousRelease(state, live, current, history);
                if (current != null && sameRelease(current, wanted)) {
                    out.println("release " + current + " is already live on " + live.get() + "; nothing to do");
                    cancel.done();
                    return ExitCode.OK;
                }
                Optional<Colour> standby = standbyWith(state, live, wanted);
                if (standby.isPresent()) {
                    Colour back = standby.get();
                    ColourState standbyState = state.of(back);
                    Cli.step(out, "rollback " + app + " to release " + standbyState.release() + ": start the stopped " + back
                            + " again (fast path, no pull)" + live.map(c -> "; " + c + " serves " + current + " meanwhile").orElse(""));
                    ManagedFront mf = front.managed() ? new ManagedFront(docker.client(), app, front, out) : null;
                    java.util.Set<String> oldWorkers = java.util.Set.of();
                    HealthGate gate = new HealthGate(docker.client(), gateTimeout, cancel, out);
                    try {
                        if (mf != null) mf.ensure(live.map(c -> mf.targetOf(state.of(c))).orElse(null));
                        ColourStack.startAll(docker.client(), standbyState, out);
                        Cli.step(out, "health gate (up to " + gateTimeout.toSeconds() + "s)");
                        gate.await(standbyState.containers().stream().map(c -> c.id()).toList(),
                                Probes.fromContainers(health.probe(), standbyState, docker.client(), docker, out));
                        if (mf != null) {
                            Cli.step(out, "switch the front to " + back);
                            oldWorkers = mf.switchTo(standbyState);
                        }
                    } catch (DeployError failure) {
                        ColourStack.stopAll(docker.client(), standbyState, out);
                        deploy.record(docker, app, "rollback", standbyState.release(), back, current,
                                failure.exitCode() == ExitCode.INTERRUPTED ? "interrupted" : "failed", started, failure.getMessage(), err);
                        throw new DeployError(failure.exitCode(), "rollback failed: " + failure.getMessage() + "; " + back
                                + " was stopped again and " + live.map(c -> c + " still serves " + current).orElse("nothing serves"));
                    }
                    if (mf != null) mf.drain(oldWorkers, Cancellation.none());
                    if (live.isPresent()) {
                        Cli.step(out, "stop " + live.get() + " gracefully (kept stopped: deploy.java or rollback.java " + current + " returns to it)");
                        ColourStack.retire(docker.client(), state.of(live.get()), live.get().project(app), false, out);
                    }
                    deploy.record(docker, app, "rollback", standbyState.release(), back, current, "ok", started, null, err);
                    out.println(Cli.ansi().string("@|bold,green rolled back|@ ") + app + " to release " + standbyState.release() + ": " + back + " is live");
                    Notifier notifier = project.notifier(err);
                    notifier.send(new Notifier.Event("rollback", app, project.environmentName(), back.id(), standbyState.release(), current,
                            DeployLock.whoAmI(), System.currentTimeMillis() - started, null));
                    String hookFailure = project.hooks(out).run("post-rollback",
                            deploy.hookEnv(app, project.environmentName(), standbyState.release(), back, current, docker));
                    if (hookFailure != null) err.println(Cli.ansi().string("@|yellow warning:|@ ") + hookFailure + " (the rollback itself succeeded)");
                    notifier.flush();
                    cancel.done();
                    return ExitCode.OK;
                }
            }
            cancel.done(); // the slow path is a deploy, which watches for Ctrl-C itself
            return slowPath(app, wanted, out, err);
        }
    }

    /** No stopped colour holds the release: deploy it (deploy.java takes the lock itself). */
    private int slowPath(String app, String wanted, PrintWriter out, PrintWriter err) {
        if (up.file == null) {
            throw DeployError.config("release " + wanted + " is not on a stopped colour of " + app
                    + ", so it must be deployed again: pass -f FILE (the Compose file, as for deploy.java)");
        }
        Cli.step(out, "rollback " + app + " to release " + wanted + ": no stopped colour holds it, deploying it (slow path)");
        List<String> args = new ArrayList<>(List.of("--app", app, "-f", up.file, "--release", wanted, "--record-as", "rollback"));
        args.addAll(up.asArgs());
        args.addAll(health.asArgs());
        args.addAll(front.asArgs());
        if (spec.commandLine().getParseResult().hasMatchedOption("--host")) args.addAll(List.of("--host", target.host));
        if (target.insecure) args.add("--insecure");
        if (project.project != null) args.addAll(List.of("--project", project.project.toString()));
        if (project.env != null) args.addAll(List.of("--env", project.env));
        if (project.branch != null) args.addAll(List.of("--branch", project.branch));
        var cl = Cli.commandLine(new deploy());
        cl.setOut(out);
        cl.setErr(err);
        return cl.execute(args.toArray(new String[0]));
    }

    private String previousRelease(HostState state, Optional<Colour> live, String current, ReleaseHistory history) {
        Optional<Colour> idle = live.map(Colour::other).or(() -> Optional.of(state.target().other()));
        ColourState standby = state.of(idle.get());
        if (!standby.empty() && !standby.anyRunning() && !sameRelease(standby.release(), current)) return standby.release();
        return history.lastLiveBefore(current == null ? "" : current).map(ReleaseHistory.Entry::release)
                .orElseThrow(() -> DeployError.config("nothing to roll back to: no stopped colour and no earlier release in the history of "
                        + target.app + " (see deploy.java history --app " + target.app + "); name a release: rollback.java --app "
                        + target.app + " RELEASE -f FILE"));
    }

    private static Optional<Colour> standbyWith(HostState state, Optional<Colour> live, String wanted) {
        for (Colour c : Colour.values()) {
            if (live.isPresent() && live.get() == c) continue;
            ColourState s = state.of(c);
            if (!s.empty() && !s.anyRunning() && sameRelease(s.release(), wanted)) return Optional.of(c);
        }
        return Optional.empty();
    }

    /** Releases are commit hashes of various lengths; a prefix of 7+ characters names one, as in git. */
    static boolean sameRelease(String a, String b) {
        if (a == null || b == null) return false;
        if (a.equals(b)) return true;
        return Math.min(a.length(), b.length()) >= 7 && (a.startsWith(b) || b.startsWith(a));
    }
}
