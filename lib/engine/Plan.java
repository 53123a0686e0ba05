package lib.engine;

import lib.engine.Steps.Action;
import lib.engine.Steps.Phase;
import lib.engine.Steps.Step;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * The steps of one run, in order, as data: what {@link Steps} runs and what --dry-run prints, so the plan a user
 * reads is the one the engine runs. Steps that do not apply are left out when the plan is made.
 */
public final class Plan {
    private final List<Step> steps = new ArrayList<>();

    public Plan before(String title, Action action) {
        return add(new Step(title, action, Phase.BEFORE));
    }

    public Plan beforeIf(boolean applies, String title, Action action) {
        return applies ? before(title, action) : this;
    }

    /** The commit point: a fleet of hosts reaches it together or not at all. */
    public Plan theSwitch(String title, Action action) {
        return add(new Step(title, action, Phase.SWITCH));
    }

    public Plan after(String title, Action action) {
        return add(new Step(title, action, Phase.AFTER));
    }

    public Plan afterIf(boolean applies, String title, Action action) {
        return applies ? after(title, action) : this;
    }

    /** Another plan's steps after these (rollback's fast path ends as a deploy does). */
    public Plan then(Plan rest) {
        rest.steps.forEach(this::add);
        return this;
    }

    public List<Step> steps() {
        return List.copyOf(steps);
    }

    public List<String> titles() {
        return steps.stream().map(Step::title).toList();
    }

    /** --dry-run: the titles, numbered, marking the commit point. */
    public void print(PrintWriter out) {
        int n = 1;
        for (Step s : steps) {
            out.println(String.format("  %2d. ", n++) + s.title() + (s.phase() == Phase.SWITCH ? "   <- the commit point: before it, a failure undoes everything" : ""));
        }
        out.flush();
    }

    private Plan add(Step s) {
        if (s.phase() == Phase.BEFORE && steps.stream().anyMatch(x -> x.phase() != Phase.BEFORE)) {
            throw new IllegalStateException("a step before the switch after the switch: " + s.title());
        }
        if (s.phase() == Phase.SWITCH && steps.stream().anyMatch(x -> x.phase() != Phase.BEFORE)) {
            throw new IllegalStateException("a second switch: " + s.title());
        }
        steps.add(s);
        return this;
    }
}
