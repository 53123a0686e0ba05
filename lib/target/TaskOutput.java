package lib.target;

import lib.base.Text;

import java.io.PrintWriter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A task's output as it reaches the terminal: line by line, each prefixed with the task's name, with every secret the
 * tool knows masked (the values of the container's variables whose names say they are secrets, credentials in URLs,
 * and what {@link Text#redact} recognises), and its last lines kept for the failure message.
 */
final class TaskOutput {
    static final Pattern SECRET_NAME = Pattern.compile("(?i).*(pass|secret|token|key|credential|auth|private|dsn|salt|cookie|cert).*");
    private final String prefix;
    private final PrintWriter out;
    private final List<String> secrets;
    private final Deque<String> last = new ArrayDeque<>();
    private final StringBuilder partial = new StringBuilder();
    private final int keep;

    TaskOutput(String task, PrintWriter out, List<String> env, int keep) {
        this.prefix = "  [" + task + "] ";
        this.out = out;
        this.keep = keep;
        this.secrets = secretsOf(env);
    }

    /** The values to mask: of NAME=VALUE entries whose name looks secret, or whose value holds a URL's password. */
    static List<String> secretsOf(List<String> env) {
        List<String> out = new ArrayList<>();
        for (String e : env) {
            int eq = e.indexOf('=');
            if (eq <= 0) continue;
            String name = e.substring(0, eq);
            String value = e.substring(eq + 1);
            if (value.length() < 3) continue; // "1", "on": masking them would garble every line
            if (SECRET_NAME.matcher(name).matches() || value.matches("(?s).*://[^/\\s@]*:[^/\\s@]*@.*")) out.add(value);
        }
        out.sort((a, b) -> b.length() - a.length()); // a value inside a longer one must not leave the rest showing
        return out;
    }

    String mask(String line) {
        String r = line;
        for (String s : secrets) r = r.replace(s, "***");
        return Text.redact(r);
    }

    synchronized void accept(String chunk) {
        partial.append(chunk);
        int nl;
        while ((nl = partial.indexOf("\n")) >= 0) {
            line(partial.substring(0, nl));
            partial.delete(0, nl + 1);
        }
    }

    /** A line the stream delivered whole (the engine's timestamped log lines). */
    synchronized void line(String raw) {
        String l = mask(raw.replace("\r", ""));
        out.println(prefix + Text.printable(l));
        out.flush();
        if (l.isBlank()) return;
        last.addLast(l);
        while (last.size() > keep) last.removeFirst();
    }

    synchronized void finish() {
        if (partial.length() > 0) line(partial.toString());
        partial.setLength(0);
    }

    synchronized List<String> last() {
        return List.copyOf(last);
    }
}
