//DEPS info.picocli:picocli:4.7.6
package lib;

import com.github.dockerjava.api.exception.DockerException;
import picocli.CommandLine;
import picocli.CommandLine.Help.Ansi;

import java.io.PrintWriter;

/**
 * Builds every script's CommandLine with the one exception handler: a single coloured line on stderr,
 * a documented exit code, and a stack trace only for bugs or when --verbose is set.
 */
public final class Cli {
    private Cli() {}

    public static CommandLine commandLine(Object command) {
        CommandLine cl = new CommandLine(command);
        Ansi ansi = ansi();
        cl.setColorScheme(CommandLine.Help.defaultColorScheme(ansi));
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            boolean verbose = false;
            for (CommandLine.ParseResult r = parseResult; r != null; r = r.subcommand()) verbose |= r.hasMatchedOption("--verbose");
            return report(ex, cmd.getErr(), cmd.getColorScheme().ansi(), verbose);
        });
        return cl;
    }

    /** Colour only on a terminal and when NO_COLOR is unset (cron and CI logs stay plain). */
    public static Ansi ansi() {
        String noColor = System.getenv("NO_COLOR");
        if (noColor != null && !noColor.isEmpty()) return Ansi.OFF;
        return System.console() != null ? Ansi.AUTO : Ansi.OFF;
    }

    static int report(Exception ex, PrintWriter err, Ansi ansi, boolean verbose) {
        int code;
        String message;
        DeployError known = find(ex, DeployError.class);
        if (known != null) {
            code = known.exitCode();
            message = known.getMessage();
        } else if (find(ex, DockerException.class) != null) {
            code = ExitCode.DOCKER;
            message = "Docker API error: " + oneLine(find(ex, DockerException.class).getMessage());
        } else {
            code = ExitCode.INTERNAL;
            message = "internal error: " + ex + " (rerun with --verbose and report it)";
        }
        err.println(ansi.string("@|bold,red error:|@ ") + oneLine(message));
        if (verbose) ex.printStackTrace(err);
        err.flush();
        return code;
    }

    private static <T extends Throwable> T find(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) return type.cast(c);
        }
        return null;
    }

    /** A step header: bold on a terminal, a plain "==>" line in logs. */
    public static void step(PrintWriter out, String text) {
        out.println(ansi().string("@|bold ==> " + text.replace("|@", "|") + "|@"));
        out.flush();
    }

    /** Docker's API messages come as JSON bodies with newlines; the handler promises one line. */
    public static String oneLine(String s) {
        if (s == null) return "";
        return s.replaceAll("\\s*\\R\\s*", " ").trim();
    }
}
