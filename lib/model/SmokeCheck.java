package lib.model;

import lib.base.Durations;
import lib.base.Text;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One of deploy.yml's health.checks: a GET the new colour must answer as expected before it gets traffic. The
 * health gate asks only "does the probe answer 2xx"; a check also looks at what was answered, so a release that
 * serves a blank page or a broken login with 200 is stopped before the switch.
 *
 * @param path     the URL path, as the probe's ('/' first, no spaces)
 * @param statuses the statuses that pass; empty: any 2xx. A redirect is not followed: 302 is an answer like any other
 * @param contains a text the body must contain (null: any body)
 * @param headers  headers the answer must carry: the name matched ignoring case (as HTTP says), the value must contain
 *                 the given text ignoring case (so application/json matches "application/json; charset=utf-8")
 * @param host     the Host header to send (null: the address the check connects to), for apps that route by host name
 * @param timeout  how long the answer may take
 */
public record SmokeCheck(String path, List<Integer> statuses, String contains, Map<String, String> headers, String host, Duration timeout) {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    /** How much of a body is read: a check looks for a text near the top of a page, not for a download. */
    public static final int BODY_LIMIT = 1 << 20;
    /** How much of a body a failure quotes. */
    static final int EXCERPT = 80;

    public SmokeCheck {
        statuses = List.copyOf(statuses);
        headers = Map.copyOf(headers);
    }

    /** What is asked, in words: GET / expecting 200 and "<title>Shop". */
    public String describe() {
        StringBuilder b = new StringBuilder("GET " + path);
        if (host != null) b.append(" (Host: ").append(host).append(")");
        b.append(" expecting ").append(statuses.isEmpty() ? "2xx" : statuses.stream().map(String::valueOf).collect(Collectors.joining(" or ")));
        headers.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(h -> b.append(" and ").append(h.getKey()).append(": ").append(h.getValue()));
        if (contains != null) b.append(" and \"").append(Text.printable(contains)).append("\"");
        if (!timeout.equals(DEFAULT_TIMEOUT)) b.append(" within ").append(Durations.describe(timeout));
        return b.toString();
    }

    /** null when the answer is what the check expects; otherwise what was wrong with it, in words that follow "it answered". */
    public String verdict(int status, Map<String, String> answered, String body) {
        boolean statusOk = statuses.isEmpty() ? status / 100 == 2 : statuses.contains(status);
        if (!statusOk) return status + excerpt(body);
        for (var want : headers.entrySet().stream().sorted(Map.Entry.comparingByKey()).toList()) {
            String got = header(answered, want.getKey());
            if (got == null) return status + " without a " + want.getKey() + " header";
            if (!got.toLowerCase(java.util.Locale.ROOT).contains(want.getValue().toLowerCase(java.util.Locale.ROOT))) {
                return status + " with " + want.getKey() + ": " + Text.printable(got);
            }
        }
        if (contains != null && (body == null || !body.contains(contains))) {
            return status + " without \"" + Text.printable(contains) + "\" in its body" + excerpt(body);
        }
        return null;
    }

    /** A header's value by its name in any case; several of one name are one value, comma-separated, as HTTP folds them. */
    static String header(Map<String, String> answered, String name) {
        String found = null;
        for (var e : answered.entrySet()) {
            if (e.getKey().equalsIgnoreCase(name)) found = found == null ? e.getValue() : found + ", " + e.getValue();
        }
        return found;
    }

    /** The body's start, one printable line, short: what a failure quotes so the reader sees what the release served. */
    static String excerpt(String body) {
        if (body == null || body.isBlank()) return " (empty body)";
        String line = Text.oneLine(body);
        String cut = line.length() > EXCERPT ? line.substring(0, EXCERPT) + "..." : line;
        return " (body: \"" + Text.printable(Text.redact(cut)) + "\")";
    }
}
