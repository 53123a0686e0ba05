package lib;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Compose/Go durations: "1m30s", "500ms", "10s", "1h"; a bare number is seconds. */
public final class Durations {
    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|ms|s|m|h)");

    private Durations() {}

    public static long parseNanos(Object raw, String where) {
        String s = String.valueOf(raw).trim();
        if (s.matches("\\d+(\\.\\d+)?")) return (long) (Double.parseDouble(s) * 1e9);
        Matcher m = PART.matcher(s);
        long total = 0;
        int pos = 0;
        while (m.find() && m.start() == pos) {
            double n = Double.parseDouble(m.group(1));
            total += (long) (n * switch (m.group(2)) {
                case "ns" -> 1L;
                case "us" -> 1_000L;
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                default -> 3_600_000_000_000L;
            });
            pos = m.end();
        }
        if (pos != s.length() || s.isEmpty()) {
            throw DeployError.config(where + ": \"" + s + "\" is not a duration; write e.g. 30s, 1m30s, 500ms");
        }
        return total;
    }
}
