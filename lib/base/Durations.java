package lib.base;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Compose/Go durations: "1m30s", "500ms", "10s", "1h"; a bare number is seconds. */
public final class Durations {
    private static final Pattern PART = Pattern.compile("(\\d{1,12}(?:\\.\\d{1,9})?)(ns|us|ms|s|m|h)");
    /** What a timeout may be: a day is already far more than any deploy step should wait. */
    public static final Duration MAX_TIMEOUT = Duration.ofHours(24);
    private static final BigDecimal LONG_MAX = BigDecimal.valueOf(Long.MAX_VALUE);

    private Durations() {}

    /** A duration of at most max; otherwise IllegalArgumentException saying what is wrong, worded to follow an option or a file key. */
    public static Duration parse(String raw, Duration max) {
        String s = raw == null ? "" : raw.trim();
        BigDecimal nanos = nanos(s);
        if (nanos == null) throw new IllegalArgumentException("\"" + s + "\" is not a duration; write e.g. 30s, 1m30s, 500ms");
        if (nanos.compareTo(BigDecimal.valueOf(max.toNanos())) > 0) {
            throw new IllegalArgumentException("\"" + s + "\" is longer than " + describe(max) + "; write e.g. 30s, 2m, 1h");
        }
        return Duration.ofNanos(nanos.longValue());
    }

    /** For Compose files: no bound beyond what fits, errors prefixed with where the value came from. */
    public static long parseNanos(Object raw, String where) {
        try {
            return parse(String.valueOf(raw), Duration.ofNanos(Long.MAX_VALUE)).toNanos();
        } catch (IllegalArgumentException e) {
            throw DeployError.config(where + ": " + e.getMessage());
        }
    }

    public static String describe(Duration d) {
        if (d.toHours() > 0 && d.equals(Duration.ofHours(d.toHours()))) return d.toHours() + "h";
        if (d.toMinutes() > 0 && d.equals(Duration.ofMinutes(d.toMinutes()))) return d.toMinutes() + "m";
        if (d.toSeconds() > 0 && d.equals(Duration.ofSeconds(d.toSeconds()))) return d.toSeconds() + "s";
        if (d.toMillis() > 0 && d.equals(Duration.ofMillis(d.toMillis()))) return d.toMillis() + "ms";
        return d.toNanos() + "ns";
    }

    /** Exact arithmetic: a sum of parts can exceed a long (2562048h2562048h), which must be an error, not a wrap. */
    private static BigDecimal nanos(String s) {
        if (s.isEmpty()) return null;
        if (s.matches("\\d{1,12}(\\.\\d{1,9})?")) return fit(new BigDecimal(s).multiply(BigDecimal.valueOf(1_000_000_000L)));
        Matcher m = PART.matcher(s);
        BigDecimal total = BigDecimal.ZERO;
        int pos = 0;
        while (pos < s.length() && m.find(pos) && m.start() == pos) {
            long unit = switch (m.group(2)) {
                case "ns" -> 1L;
                case "us" -> 1_000L;
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                default -> 3_600_000_000_000L;
            };
            total = total.add(new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unit)));
            pos = m.end();
        }
        return pos == s.length() ? fit(total) : null;
    }

    private static BigDecimal fit(BigDecimal nanos) {
        return nanos.compareTo(LONG_MAX) > 0 ? LONG_MAX.add(BigDecimal.ONE) : nanos;
    }
}
