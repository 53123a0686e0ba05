package lib.base;

import java.util.regex.Pattern;

/**
 * What a message from elsewhere (a Docker or registry error body, an exception, a hook's output) may become in a
 * line we print: credentials removed, JSON bodies unwrapped, one line, bounded. The one summariser every floor uses.
 */
public final class Text {
    /** What an error body may add to our message; the full body is for --verbose. */
    public static final int LIMIT = 200;

    private static final Pattern[] SECRETS = {
            Pattern.compile("(?i)\\b(Basic|Bearer)\\s+[A-Za-z0-9._~+/=-]+"),
            Pattern.compile("(?i)\\b(password|passwd|pwd|secret|token|access_token|refresh_token|api[_-]?key|auth)(\"?\\s*[=:]\\s*\"?)[^\\s\"&,;}]+"),
            Pattern.compile("(?i)\\b([a-z][a-z0-9+.-]*://)[^/\\s@:]*:[^/\\s@]*@"),
    };
    private static final Pattern JSON_MESSAGE = Pattern.compile("\"message\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");

    private Text() {}

    /**
     * An error body fit for one line: the Docker API's {"message": ...} unwrapped, its "Status N:" prefix dropped,
     * the first non-empty line, credentials removed, at most {@link #LIMIT} characters.
     */
    public static String summarise(String body) {
        if (body == null) return "";
        String s = body;
        var m = JSON_MESSAGE.matcher(s);
        if (m.find()) s = m.group(1).replace("\\\"", "\"").replace("\\n", "\n");
        String first = redact(s).strip().lines().map(String::strip).filter(l -> !l.isEmpty()).findFirst().orElse("");
        first = first.replaceFirst("^Status \\d+: ", "");
        return first.length() <= LIMIT ? first : first.substring(0, LIMIT) + "...";
    }

    /** Anything that looks like a credential: Basic/Bearer tokens, password=..., "token": "...", user:pass@ in URLs. */
    public static String redact(String s) {
        if (s == null) return "";
        String r = SECRETS[0].matcher(s).replaceAll("$1 ***");
        r = SECRETS[1].matcher(r).replaceAll("$1$2***");
        return SECRETS[2].matcher(r).replaceAll("$1***@");
    }

    /**
     * A value read from the host (a label, a history line), fit to print: every control, format or line-separator
     * character becomes '?', so that no label can forge a line or send a terminal escape, and at most {@link #LIMIT}
     * characters. Whatever wrote it (an older version, a hand-made container) is not trusted.
     */
    public static String printable(String s) {
        if (s == null) return null;
        StringBuilder b = new StringBuilder(Math.min(s.length(), LIMIT + 3));
        for (int i = 0; i < s.length() && b.length() < LIMIT; ) {
            int cp = s.codePointAt(i);
            int type = Character.getType(cp);
            boolean unprintable = Character.isISOControl(cp) || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                    || type == Character.PARAGRAPH_SEPARATOR || type == Character.SURROGATE;
            if (unprintable) b.append('?');
            else b.appendCodePoint(cp);
            i += Character.charCount(cp);
        }
        return b.length() < s.length() && b.length() >= LIMIT ? b + "..." : b.toString();
    }

    /** Docker's API messages come as JSON bodies with newlines; every line we print is one line. */
    public static String oneLine(String s) {
        if (s == null) return "";
        return s.replaceAll("\\s*\\R\\s*", " ").trim();
    }
}
