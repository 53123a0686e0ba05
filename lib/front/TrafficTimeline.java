package lib.front;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A per-second timeline of the front's answers, drawn as text: one row per second, a bar whose parts are the answers
 * of each colour and the failures, then the counts. On a terminal the bar is coloured blocks; in a log or a pipe it is
 * letters (b for blue, g for green, o for any other upstream, ! for a failure), so it reads the same in CI. Pure: the
 * caller says whether to colour.
 */
public final class TrafficTimeline {
    private TrafficTimeline() {}

    public static final int WIDTH = 40;
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final String RESET = "\u001B[0m";

    /** The rows, a header first; empty seconds are drawn as such (a gap in the answers is what a reader looks for). */
    public static List<String> render(List<AccessLog.Second> seconds, boolean colour) {
        List<String> out = new ArrayList<>();
        if (seconds.isEmpty()) return out;
        Set<String> names = new LinkedHashSet<>();
        for (String preferred : List.of("blue", "green")) {
            if (seconds.stream().anyMatch(s -> s.answered().containsKey(preferred))) names.add(preferred);
        }
        seconds.forEach(s -> names.addAll(s.answered().keySet()));
        long max = Math.max(1, seconds.stream().mapToLong(s -> s.answeredTotal() + s.failedTotal()).max().orElse(1));
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-8s  %-" + WIDTH + "s", "UTC", "answers per second (" + legend(names, colour) + ")"));
        for (String n : names) head.append(String.format(Locale.ROOT, " %7s", shorten(n)));
        head.append(String.format(Locale.ROOT, " %7s", "failed"));
        out.add(head.toString().stripTrailing());
        for (AccessLog.Second s : seconds) {
            StringBuilder bar = new StringBuilder();
            int drawn = 0;
            for (String n : names) {
                int w = width(s.answered().getOrDefault(n, 0L), max);
                bar.append(part(symbol(n), w, code(n), colour));
                drawn += w;
            }
            int f = width(s.failedTotal(), max);
            bar.append(part('!', f, "31", colour));
            drawn += f;
            StringBuilder row = new StringBuilder(CLOCK.format(Instant.ofEpochSecond(s.epochSecond()))).append("  ").append(bar);
            row.append(" ".repeat(Math.max(0, WIDTH - drawn)));
            for (String n : names) row.append(String.format(Locale.ROOT, " %7d", s.answered().getOrDefault(n, 0L)));
            row.append(String.format(Locale.ROOT, " %7d", s.failedTotal()));
            if (!s.failed().isEmpty()) row.append("  ").append(s.failed().toString().replace("{", "").replace("}", "").replace("=", ": "));
            out.add(row.toString());
        }
        return out;
    }

    /** A non-zero count gets at least one character: one failure in a busy second must still show. */
    public static int width(long count, long max) {
        if (count <= 0) return 0;
        return (int) Math.max(1, Math.round((double) count * WIDTH / max));
    }

    static char symbol(String name) {
        return switch (name) {
            case "blue" -> 'b';
            case "green" -> 'g';
            default -> 'o';
        };
    }

    private static String code(String name) {
        return switch (name) {
            case "blue" -> "34";
            case "green" -> "32";
            default -> "35";
        };
    }

    private static String part(char symbol, int width, String code, boolean colour) {
        if (width == 0) return "";
        if (!colour) return String.valueOf(symbol).repeat(width);
        return "\u001B[" + code + "m" + "\u2588".repeat(width) + RESET;
    }

    private static String legend(Set<String> names, boolean colour) {
        List<String> parts = new ArrayList<>();
        for (String n : names) parts.add((colour ? part(symbol(n), 1, code(n), true) : String.valueOf(symbol(n))) + " " + shorten(n));
        parts.add((colour ? part('!', 1, "31", true) : "!") + " failed");
        return String.join(", ", parts);
    }

    private static String shorten(String name) {
        return name.length() <= 7 ? name : name.substring(name.length() - 7);
    }
}
