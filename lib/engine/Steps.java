package lib.engine;

import lib.base.Cancellation;
import lib.base.DeployError;
import lib.base.Style;

import java.io.PrintWriter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;

/**
 * Runs a {@link Plan} the way a careful operator would. Steps before the switch may register how to undo what they
 * changed; any failure there (a DeployError, a Docker API error, any runtime exception, Ctrl-C or SIGTERM) runs
 * those undo actions in reverse and ends the run as failed. The switch is the commit point, and this class alone
 * decides it: once the switch step returns, nothing is undone, an interrupt only makes the remaining steps stop
 * waiting, and a failing step is a warning, because the new release already serves and the next run finishes it.
 */
public final class Steps {
    /** One thing the engine does to the host. */
    public interface Action {
        void run();
    }

    public enum Phase { BEFORE, SWITCH, AFTER }

    /** A step: its title (printed as it starts, and by --dry-run) and where it stands relative to the switch. */
    public record Step(String title, Action action, Phase phase) {
        public Step {
            if (title == null || title.isBlank()) throw new IllegalArgumentException("every step has a title");
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

    /**
     * Thrown by a step after the switch that ends the run on purpose (the watch window switched back): the steps
     * after it do not run, and the run ends with its exit code and message.
     */
    public static final class EndRun extends DeployError {
        public EndRun(int exitCode, String message) {
            super(exitCode, message);
        }
    }

    private record Undo(String what, Action action) {}

    private final Cancellation cancel;
    private final PrintWriter out;
    private final PrintWriter err;
    private final Deque<Undo> undo = new ArrayDeque<>();
    private boolean committed;
    private Consumer<DeployError> beforeUndo = e -> {};

    public Steps(Cancellation cancel, PrintWriter out, PrintWriter err) {
        this.cancel = cancel;
        this.out = out;
        this.err = err;
    }

    /** Registers how to take back what the current step just changed; runs only if a later step before the switch fails. */
    public void onUndo(String what, Action action) {
        if (!committed) undo.push(new Undo(what, action));
    }

    /** Runs first on a failure, while the failed containers still exist (their logs explain the failure). */
    public void beforeUndo(Consumer<DeployError> report) {
        this.beforeUndo = report;
    }

    public void run(Plan plan) {
        runUpToSwitch(plan);
        runFromSwitch(plan);
    }

    /** The steps before the switch; on failure they are undone and {@link Failed} is thrown. */
    public void runUpToSwitch(Plan plan) {
        for (Step s : plan.steps()) {
            if (s.phase() != Phase.BEFORE) return;
            Style.step(out, s.title());
            runBeforeSwitch(s);
        }
    }

    /** Another host of the fleet failed: take back what this one did, as if it had failed itself. */
    public List<String> abort() {
        return undoAll();
    }

    /** The switch and everything after it; a plan without a switch commits before its first step after it. */
    public void runFromSwitch(Plan plan) {
        boolean reached = false;
        for (Step s : plan.steps()) {
            reached |= s.phase() != Phase.BEFORE;
            if (!reached) continue;
            if (s.phase() == Phase.AFTER && !committed) commit();
            Style.step(out, s.title());
            if (s.phase() == Phase.SWITCH) {
                runSwitch(s);
            } else {
                runAfterSwitch(s);
            }
        }
        if (!committed) commit();
    }

    /** The commit point: the new release serves; nothing is undone from here on. */
    private void commit() {
        committed = true;
        undo.clear();
        cancel.defer();
    }

    /**
     * The switch undoes itself if it fails or is interrupted before it has done its work; once its action returned,
     * traffic has moved and the run is committed at once, so a signal arriving now only stops the waits that follow.
     */
    private void runSwitch(Step s) {
        try {
            cancel.check();
            s.action().run();
        } catch (RuntimeException | Error e) {
            fail(e);
        }
        commit();
    }

    private void runBeforeSwitch(Step s) {
        try {
            cancel.check();
            s.action().run();
            cancel.check();
        } catch (RuntimeException | Error e) {
            fail(e);
        }
    }

    private void fail(Throwable e) {
        DeployError reason = Failures.classify(e, cancel);
        try {
            beforeUndo.accept(reason);
        } catch (RuntimeException ignored) {
            // the report is a courtesy; the undo below is what matters
        }
        boolean changed = !undo.isEmpty();
        throw new Failed(reason, changed, undoAll());
    }

    private void runAfterSwitch(Step s) {
        try {
            s.action().run();
        } catch (EndRun end) {
            throw end;
        } catch (RuntimeException e) {
            String w = s.title() + ": " + Failures.classify(e, Cancellation.none()).getMessage();
            err.println(Style.warning() + w + " (the new release serves; the next deploy finishes this)");
            err.flush();
        }
    }

    private List<String> undoAll() {
        List<String> problems = new ArrayList<>();
        Thread.interrupted(); // the signal's wake-up call is spent; the undo's own Docker calls must not be cut short by it
        if (!undo.isEmpty()) Style.step(out, "undo");
        while (!undo.isEmpty()) {
            Undo u = undo.pop();
            try {
                out.println("  " + u.what());
                out.flush();
                u.action().run();
            } catch (RuntimeException e) {
                problems.add(u.what() + ": " + Failures.classify(e, Cancellation.none()).getMessage());
            }
        }
        return problems;
    }
}
