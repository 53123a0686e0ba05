//DEPS info.picocli:picocli:4.7.6
package lib.cli;

import com.github.dockerjava.api.exception.DockerException;
import picocli.CommandLine;
import picocli.CommandLine.Help.Ansi;

import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.net.http.HttpTimeoutException;
import java.util.regex.Pattern;

/**
 * Builds every script's CommandLine with the one exception handler: a single line on stderr, a documented exit
 * code, no secret, and a stack trace only for bugs or when --verbose is set. A bad option value is the same kind
 * of line (exit 2) instead of picocli's usage dump.
 */
public final class Cli {
    /** What a Docker or registry error body may add to our message; the full body is for --verbose. */
    static final int BODY_LIMIT = 200;

    private static final Pattern[] SECRETS = {
            Pattern.compile("(?i)\\b(Basic|Bearer)\\s+[A-Za-z0-9._~+/=-]+"),
            Pattern.compile("(?i)\\b(password|passwd|pwd|secret|token|access_token|refresh_token|api[_-]?key|auth)(\"?\\s*[=:]\\s*\"?)[^\\s\"&,;}]+"),
            Pattern.compile("(?i)\\b([a-z][a-z0-9+.-]*://)[^/\\s@:]*:[^/\\s@]*@"),
    };

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
        String noColor = System.getenv("NO_COLOR");
        if (noColor != null && !noColor.isEmpty()) return Ansi.OFF;
        return System.console() != null ? Ansi.AUTO : Ansi.OFF;
    }

    /** A bad command line: what picocli found, and where to read more; never the whole usage text. */
    public static int usage(String problem, String command, PrintWriter err, Ansi ansi) {
        err.println(ansi.string("@|bold,red error:|@ ") + oneLine(redact(problem)) + " (see " + command + " --help)");
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
            message = "Docker API error: " + summarise(docker.getMessage());
        } else if (connection != null) {
            code = ExitCode.DOCKER;
            message = "lost the connection to the Docker host (" + connection.getClass().getSimpleName()
                    + (connection.getMessage() == null ? "" : ": " + summarise(connection.getMessage())) + "); is dockerd still running?";
        } else {
            code = ExitCode.INTERNAL;
            message = "internal error: " + ex + " (rerun with --verbose and report it)";
        }
        err.println(ansi.string("@|bold,red error:|@ ") + oneLine(redact(message)));
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

    /**
     * An error body from the Docker API or a registry, fit for one line: its first line, at most BODY_LIMIT
     * characters, credentials removed (a registry may echo the request's Authorization header back).
     */
    public static String summarise(String body) {
        if (body == null) return "";
        String first = redact(body).strip().lines().map(String::strip).filter(l -> !l.isEmpty()).findFirst().orElse("");
        return first.length() <= BODY_LIMIT ? first : first.substring(0, BODY_LIMIT) + "...";
    }

    /** Anything that looks like a credential: Basic/Bearer tokens, password=..., "token": "...", user:pass@ in URLs. */
    public static String redact(String s) {
        if (s == null) return "";
        String r = SECRETS[0].matcher(s).replaceAll("$1 ***");
        r = SECRETS[1].matcher(r).replaceAll("$1$2***");
        return SECRETS[2].matcher(r).replaceAll("$1***@");
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
