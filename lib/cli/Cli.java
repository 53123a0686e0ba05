//DEPS info.picocli:picocli:4.7.6
package lib.cli;

import lib.base.DeployError;
import lib.base.ExitCode;
import lib.base.Style;
import lib.base.Text;

import com.github.dockerjava.api.exception.DockerException;
import picocli.CommandLine;
import picocli.CommandLine.Help.Ansi;

import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.net.http.HttpTimeoutException;

/**
 * Builds every script's CommandLine with the one exception handler: a single line on stderr, a documented exit
 * code, no secret, and a stack trace only for bugs or when --verbose is set. A bad option value is the same kind
 * of line (exit 2) instead of picocli's usage dump.
 */
public final class Cli {
    private Cli() {}

    public static CommandLine commandLine(Object command) {
        CommandLine cl = new CommandLine(command);
        cl.setColorScheme(CommandLine.Help.defaultColorScheme(ansi()));
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            boolean verbose = false;
            for (CommandLine.ParseResult r = parseResult; r != null; r = r.subcommand()) verbose |= r.hasMatchedOption("--verbose");
            return report(ex, cmd.getErr(), cmd.getColorScheme().ansi(), verbose);
        });
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine cmd = ex.getCommandLine();
            return usage(ex.getMessage(), cmd.getCommandSpec().qualifiedName(), cmd.getErr(), cmd.getColorScheme().ansi());
        });
        return cl;
    }

    /** Colour only on a terminal and when NO_COLOR is unset (cron and CI logs stay plain). */
    public static Ansi ansi() {
        return Style.enabled() ? Ansi.AUTO : Ansi.OFF;
    }

    /** A bad command line: what picocli found, and where to read more; never the whole usage text. */
    public static int usage(String problem, String command, PrintWriter err, Ansi ansi) {
        err.println(ansi.string("@|bold,red error:|@ ") + Text.oneLine(Text.redact(problem)) + " (see " + command + " --help)");
        err.flush();
        return ExitCode.USAGE;
    }

    /** The one place an exception becomes an exit code and a line on stderr. */
    public static int report(Throwable ex, PrintWriter err, Ansi ansi, boolean verbose) {
        int code;
        String message;
        DeployError known = find(ex, DeployError.class);
        DockerException docker = find(ex, DockerException.class);
        Throwable connection = connectionFailure(ex);
        if (known != null) {
            code = known.exitCode();
            message = known.getMessage();
        } else if (docker != null) {
            code = ExitCode.DOCKER;
            message = "Docker API error: " + Text.summarise(docker.getMessage());
        } else if (connection != null) {
            code = ExitCode.DOCKER;
            message = "lost the connection to the Docker host (" + connection.getClass().getSimpleName()
                    + (connection.getMessage() == null ? "" : ": " + Text.summarise(connection.getMessage())) + "); is dockerd still running?";
        } else {
            code = ExitCode.INTERNAL;
            message = "internal error: " + ex + " (rerun with --verbose and report it)";
        }
        // A DeployError may carry several problems, one per line (every refusal of a file in one run): each its own line.
        for (String line : known != null ? message.split("\n") : new String[]{message}) {
            err.println(ansi.string("@|bold,red error:|@ ") + Text.oneLine(Text.redact(line)));
        }
        if (verbose) ex.printStackTrace(err);
        err.flush();
        return code;
    }

    private static Throwable connectionFailure(Throwable ex) {
        for (Throwable c = ex; c != null; c = c.getCause()) {
            if (c instanceof ConnectException || c instanceof SocketException || c instanceof SocketTimeoutException
                    || c instanceof UnknownHostException || c instanceof HttpTimeoutException
                    || c.getClass().getName().equals("org.apache.hc.core5.http.NoHttpResponseException")) return c;
            if (c.getCause() == c) break;
        }
        return null;
    }

    private static <T extends Throwable> T find(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) return type.cast(c);
            if (c.getCause() == c) break;
        }
        return null;
    }

}
