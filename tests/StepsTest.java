import lib.base.Cancellation;
import lib.base.DeployError;
import lib.base.ExitCode;
import lib.engine.Plan;
import lib.engine.Steps;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The step runner with fake actions: undo order, the commit point, failures and interrupts on either side of the switch. */
class StepsTest {
    final List<String> log = new ArrayList<>();
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();

    Steps steps(Cancellation cancel) {
        return new Steps(cancel, new PrintWriter(out, true), new PrintWriter(err, true));
    }

    Steps.Action does(Steps steps, String what) {
        return () -> {
            log.add(what);
            steps.onUndo("undo " + what, () -> log.add("undo " + what));
        };
    }

    @Test
    void aFailureBeforeTheSwitchUndoesEveryStepInReverseAndSaysWhy() {
        Steps s = steps(Cancellation.none());
        Plan plan = new Plan().before("a", does(s, "a")).before("b", does(s, "b"))
                .before("c", () -> { throw DeployError.failed("c broke"); })
                .theSwitch("switch", does(s, "switch")).after("retire", does(s, "retire"));
        var failed = assertThrows(Steps.Failed.class, () -> s.run(plan));
        assertEquals(List.of("a", "b", "undo b", "undo a"), log);
        assertEquals("c broke", failed.reason().getMessage());
        assertEquals(ExitCode.DEPLOY_FAILED, failed.exitCode());
        assertTrue(failed.changedAnything());
        assertTrue(out.toString().contains("==> undo"), out.toString());
    }

    @Test
    void aFailureBeforeAnyChangeSaysNothingChanged() {
        Steps s = steps(Cancellation.none());
        var failed = assertThrows(Steps.Failed.class, () -> s.run(new Plan().before("a", () -> { throw DeployError.failed("no"); })));
        assertFalse(failed.changedAnything());
        assertTrue(failed.undoProblems().isEmpty());
    }

    @Test
    void aFailingSwitchIsUndoneToo() {
        Steps s = steps(Cancellation.none());
        Plan plan = new Plan().before("a", does(s, "a")).theSwitch("switch", () -> {
            s.onUndo("switch back", () -> log.add("switch back"));
            throw DeployError.failed("reload refused");
        }).after("retire", does(s, "retire"));
        assertThrows(Steps.Failed.class, () -> s.run(plan));
        assertEquals(List.of("a", "switch back", "undo a"), log);
    }

    @Test
    void afterTheSwitchNothingIsUndoneAndAFailureIsAWarning() {
        Steps s = steps(Cancellation.none());
        Plan plan = new Plan().before("a", does(s, "a")).theSwitch("switch", does(s, "switch"))
                .after("retire", () -> { throw DeployError.failed("daemon slow"); }).after("record", does(s, "record"));
        s.run(plan);
        assertEquals(List.of("a", "switch", "record"), log);
        assertTrue(err.toString().contains("warning: retire: daemon slow (the new release serves"), err.toString());
    }

    @Test
    void anUndoThatFailsIsReportedNotHidden() {
        Steps s = steps(Cancellation.none());
        Plan plan = new Plan().before("a", () -> s.onUndo("remove a", () -> { throw new IllegalStateException("daemon gone"); }))
                .before("b", () -> { throw DeployError.failed("b broke"); });
        var failed = assertThrows(Steps.Failed.class, () -> s.run(plan));
        assertEquals(1, failed.undoProblems().size());
        assertTrue(failed.undoProblems().get(0).startsWith("remove a: "), failed.undoProblems().toString());
    }

    @Test
    void anInterruptBeforeTheSwitchUndoesAndExits130() throws Exception {
        try (Cancellation cancel = Cancellation.onSignal(java.time.Duration.ofSeconds(1))) {
            Steps s = steps(cancel);
            Plan plan = new Plan().before("a", does(s, "a")).before("b", () -> {
                log.add("b");
                Thread.currentThread().interrupt(); // what the signal hook does to the main thread
            }).theSwitch("switch", does(s, "switch"));
            var failed = assertThrows(Steps.Failed.class, () -> s.run(plan));
            assertEquals(ExitCode.INTERRUPTED, failed.exitCode());
            assertEquals(List.of("a", "b", "undo a"), log);
        }
    }

    @Test
    void aSignalThatArrivesWhileTheSwitchRunsCommitsItInsteadOfUndoingIt() throws Exception {
        try (Cancellation cancel = Cancellation.onSignal(java.time.Duration.ofSeconds(1))) {
            Steps s = steps(cancel);
            Plan plan = new Plan().before("a", does(s, "a")).theSwitch("switch", () -> {
                s.onUndo("switch back", () -> log.add("switch back"));
                log.add("switch");
                Thread.currentThread().interrupt(); // the signal lands as the front confirms its reload
            }).after("record", does(s, "record"));
            s.run(plan);
            assertEquals(List.of("a", "switch", "record"), log);
            assertTrue(cancel.cancelled());
        }
    }

    @Test
    void anInterruptAfterTheSwitchStopsNothingAndUndoesNothing() throws Exception {
        try (Cancellation cancel = Cancellation.onSignal(java.time.Duration.ofSeconds(1))) {
            Steps s = steps(cancel);
            Plan plan = new Plan().before("a", does(s, "a")).theSwitch("switch", does(s, "switch"))
                    .after("drain", () -> {
                        Thread.currentThread().interrupt(); // the signal arrives while the drain waits
                        cancel.check();
                        log.add("drain");
                    }).after("record", does(s, "record"));
            s.run(plan);
            assertEquals(List.of("a", "switch", "drain", "record"), log);
            assertTrue(cancel.cancelled());
        }
    }

    @Test
    void aFleetHostThatMustAbortUndoesWhatItPrepared() {
        Steps s = steps(Cancellation.none());
        Plan plan = new Plan().before("a", does(s, "a")).before("b", does(s, "b")).theSwitch("switch", does(s, "switch"));
        s.runUpToSwitch(plan);
        assertEquals(List.of(), s.abort());
        assertEquals(List.of("a", "b", "undo b", "undo a"), log);
    }

    @Test
    void aPlanIsDataInOrderWithOneSwitchAndTitlesForEveryStep() {
        Plan plan = new Plan().before("pull", () -> {}).beforeIf(false, "skipped", () -> {}).theSwitch("switch", () -> {})
                .afterIf(true, "retire", () -> {});
        assertEquals(List.of("pull", "switch", "retire"), plan.titles());
        assertThrows(IllegalStateException.class, () -> new Plan().theSwitch("s", () -> {}).before("late", () -> {}));
        assertThrows(IllegalStateException.class, () -> new Plan().theSwitch("s", () -> {}).theSwitch("again", () -> {}));
        assertThrows(IllegalArgumentException.class, () -> new Plan().before(null, () -> {}));
        var printed = new StringWriter();
        plan.print(new PrintWriter(printed, true));
        assertTrue(printed.toString().contains(" 2. switch   <- the commit point"), printed.toString());
    }
}
