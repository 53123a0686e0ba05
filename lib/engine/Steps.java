package lib.engine;

import lib.cli.Cancellation;
import lib.cli.Cli;
import lib.cli.DeployError;
import lib.cli.ExitCode;

import java.io.PrintWriter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;

/**
 * Runs a list of steps the way a careful operator would. Steps before the switch may register how to undo what they
 * changed; any failure there (a DeployError, a Docker API error, any runtime exception, Ctrl-C or SIGTERM) runs
 * those undo actions in reverse and ends the run as failed. The switch is the commit point: after it nothing is
 * undone, an interrupt only makes the remaining steps stop waiting, and a failing step is a warning, because the new
 * release already serves and the next run finishes what is left.
 */
public final class Steps {
    /** One thing the engine does to the host. */
    public interface Action {
        void run();
    }

    /** A step: its title (printed as it starts), and whether it is the switch or runs after it. */
    public record Step(String title, Action action, boolean afterSwitch, boolean isSwitch) {
        Step(String title, Action action, boolean afterSwitch) {
            this(title, action, afterSwitch, false);
        }
    }

    /** Thrown for a failure before the switch, once everything registered was undone. */
    public static final class Failed extends DeployError {
        private final DeployError cause;
        private final List<String> undoProblems;
        private final boolean changedAnything;

        Failed(DeployError cause, boolean changedAnything, List<String> undoProblems) {
            super(cause.exitCode(), cause.getMessage(), cause);
            this.cause = cause;
            this.changedAnything = changedAnything;
            this.undoProblems = undoProblems;
        }

        /** Whether any step had changed the host (and registered its undo) before the failure. */
        public boolean changedAnything() {
            return changedAnything;
        }

        public DeployError reason() {
            return cause;
        }

        /** Undo actions that could not finish (the daemon vanished, say): the message must not promise a clean host. */
        public List<String> undoProblems() {
            return undoProblems;
        }
    }

    private final Cancellation cancel;
    private final PrintWriter out;
    private final PrintWriter err;
    private final Deque<Step> undo = new ArrayDeque<>();
    private final List<String> warnings = new ArrayList<>();
    private boolean committed;
    private java.util.function.Consumer<DeployError> beforeUndo = e -> {};

    public Steps(Cancellation cancel, PrintWriter out, PrintWriter err) {
        this.cancel = cancel;
        this.out = out;
        this.err = err;
    }

    public static Step before(String title, Action action) {
        return new Step(title, action, false);
    }

    public static Step after(String title, Action action) {
        return new Step(title, action, true);
    }

    /** The commit point: a fleet of hosts reaches it together or not at all (it runs before-switch rules: undoable). */
    public static Step theSwitch(String title, Action action) {
        return new Step(title, action, false, true);
    }

    /** Registers how to take back what the current step just changed; runs only if a later step before the switch fails. */
    public void onUndo(String what, Action action) {
        if (!committed) undo.push(new Step(what, action, false));
    }

    /** Runs first on a failure, while the failed containers still exist (their logs explain the failure). */
    public void beforeUndo(java.util.function.Consumer<DeployError> report) {
        this.beforeUndo = report;
    }

    public boolean committed() {
        return committed;
    }

    /** Warnings from steps after the switch; the run still succeeded. */
    public List<String> warnings() {
        return warnings;
    }

    /** Runs the steps; null entries (steps that do not apply) are skipped. */
    public void run(List<Step> steps) {
        runUpToSwitch(steps);
        runFromSwitch(steps);
    }

    /** The steps before the switch; on failure they are undone and {@link Failed} is thrown. */
    public void runUpToSwitch(List<Step> steps) {
        for (Step s : steps.stream().filter(Objects::nonNull).toList()) {
            if (s.isSwitch() || s.afterSwitch()) return;
            if (s.title() != null) Cli.step(out, s.title());
            runBeforeSwitch(s);
        }
    }

    /** Another host of the fleet failed: take back what this one did, as if it had failed itself. */
    public List<String> abort() {
        return undoAll();
    }

    /** The switch and everything after it. */
    public void runFromSwitch(List<Step> steps) {
        boolean reached = false;
        for (Step s : steps.stream().filter(Objects::nonNull).toList()) {
            reached |= s.isSwitch() || s.afterSwitch();
            if (!reached) continue;
            if (s.afterSwitch() && !committed) commit();
            if (s.title() != null) Cli.step(out, s.title());
            if (committed) {
                runAfterSwitch(s);
            } else {
                runBeforeSwitch(s);
            }
        }
        if (!committed) commit();
    }

    /** The commit point: the new release serves; nothing is undone from here on. */
    public void commit() {
        committed = true;
        undo.clear();
        cancel.defer();
    }

    private void runBeforeSwitch(Step s) {
        try {
            cancel.check();
            s.action().run();
            cancel.check();
        } catch (RuntimeException | Error e) {
            DeployError reason = Failures.classify(e, cancel);
            try {
                beforeUndo.accept(reason);
            } catch (RuntimeException ignored) {
                // the report is a courtesy; the undo below is what matters
            }
            boolean changed = !undo.isEmpty();
            throw new Failed(reason, changed, undoAll());
        }
    }

    private void runAfterSwitch(Step s) {
        try {
            s.action().run();
        } catch (RuntimeException e) {
            String w = s.title() + ": " + Failures.classify(e, Cancellation.none()).getMessage();
            warnings.add(w);
            err.println(Cli.ansi().string("@|yellow warning:|@ ") + w + " (the new release serves; the next deploy finishes this)");
            err.flush();
        }
    }

    private List<String> undoAll() {
        List<String> problems = new ArrayList<>();
        Thread.interrupted(); // the signal's wake-up call is spent; the undo's own Docker calls must not be cut short by it
        if (!undo.isEmpty()) Cli.step(out, "undo");
        while (!undo.isEmpty()) {
            Step u = undo.pop();
            try {
                out.println("  " + u.title());
                out.flush();
                u.action().run();
            } catch (RuntimeException e) {
                problems.add(u.title() + ": " + Failures.classify(e, Cancellation.none()).getMessage());
            }
        }
        return problems;
    }

    /** For code paths that must report an interrupt the same way as the engine does. */
    public static DeployError interrupted() {
        return new DeployError(ExitCode.INTERRUPTED, "interrupted");
    }
}
