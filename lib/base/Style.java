package lib.base;

import java.io.PrintWriter;

/**
 * Bold and colour for a person at a terminal, plain text for logs: on only when stdout is a console and NO_COLOR
 * is unset (cron and CI logs stay plain). Plain ANSI escapes, so the floors below the command line need no picocli.
 */
public final class Style {
    private static final String RESET = "\u001B[0m";

    private Style() {}

    public static boolean enabled() {
        String noColor = System.getenv("NO_COLOR");
        if (noColor != null && !noColor.isEmpty()) return false;
        return System.console() != null;
    }

    private static String styled(String codes, String text) {
        return enabled() ? "\u001B[" + codes + "m" + text + RESET : text;
    }

    public static String bold(String text) {
        return styled("1", text);
    }

    public static String success(String text) {
        return styled("1;32", text);
    }

    public static String error(String text) {
        return styled("31", text);
    }

    /** "warning: " in yellow: the prefix of a line that reports something wrong that did not fail the run. */
    public static String warning() {
        return styled("33", "warning:") + " ";
    }

    /** "  note: " in yellow: a diagnosis under a step. */
    public static String note() {
        return "  " + styled("33", "note:") + " ";
    }

    /** A step header: bold on a terminal, a plain "==>" line in logs. */
    public static void step(PrintWriter out, String text) {
        out.println(bold("==> " + text));
        out.flush();
    }
}
