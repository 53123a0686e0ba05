package lib.model;

import java.util.List;

/**
 * How one release task ended: what the history records, the failure message names, and the notification carries.
 *
 * @param exitCode  the container's exit code; null when it never exited on its own (timed out, interrupted, not started)
 * @param lastLines its last output lines, secrets masked, for the failure message
 */
public record TaskResult(String name, TaskSpec.When when, Outcome outcome, Integer exitCode, long millis, List<String> lastLines) {
    public enum Outcome { OK, FAILED, TIMED_OUT, INTERRUPTED }

    public TaskResult {
        lastLines = lastLines == null ? List.of() : List.copyOf(lastLines);
    }

    public boolean ok() {
        return outcome == Outcome.OK;
    }

    /** One short phrase for the history and the notification: "migrate ok in 2.1s", "migrate exited 3 after 0.4s". */
    public String summary() {
        String took = String.format(java.util.Locale.ROOT, "%.1fs", millis / 1000.0);
        return name + switch (outcome) {
            case OK -> " ok in " + took;
            case FAILED -> " exited " + exitCode + " after " + took;
            case TIMED_OUT -> " timed out after " + took + " and was killed";
            case INTERRUPTED -> " was interrupted after " + took + " and was killed";
        };
    }
}
