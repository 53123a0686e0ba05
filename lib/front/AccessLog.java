package lib.front;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The managed front's access log as data: the format nginx is told to write, each line parsed back, and what a
 * window of lines says about a deploy (answers per colour, failures, the longest silence). Pure: the lines come in as
 * text (read from the front by {@link ManagedFront#accessLog}), so every count here is tested without nginx.
 *
 * <p>The log is a file inside the front (never a bind mount: the front may be on a remote host), bounded by the tool:
 * at the start of every deploy a log over {@link #ROTATE_BYTES} becomes {@link #OLD} (the one before is dropped) and
 * nginx reopens its file. So the two files hold at most about twice that, and reading both covers every request since
 * the previous rotation.
 */
public final class AccessLog {
    public static final String DIR = "/var/log/bgdeploy";
    public static final String FILE = DIR + "/access.log";
    public static final String OLD = FILE + ".1";
    /** 16 MB: about 100 000 requests of ~160 bytes; a deploy's window is seconds of them. */
    public static final long ROTATE_BYTES = 16L << 20;
    /** How much of the log's end a deploy reads back: its window is seconds, so a few MB hold it under heavy load. */
    public static final long DEPLOY_TAIL_BYTES = 8L << 20;

    /**
     * One JSON object per line (nginx escapes the strings), so a field never breaks a line. $msec: when the answer was
     * written, epoch seconds with milliseconds; $upstream_addr and $upstream_status list each upstream tried ("a, b").
     */
    public static final String FORMAT = "log_format bgdeploy escape=json '{\"msec\":$msec,\"status\":$status,"
            + "\"request_time\":$request_time,\"upstream\":\"$upstream_addr\",\"upstream_status\":\"$upstream_status\","
            + "\"upstream_time\":\"$upstream_response_time\"}';";

    private AccessLog() {}

    /**
     * One answer of the front. upstream: the last address nginx tried ("" when it tried none, e.g. a 5xx of its own).
     * upstreamFailed: an upstream it tried did not answer or answered a gateway error, even if a retry then did.
     */
    public record Line(long atMillis, int status, double requestSeconds, String upstream, boolean upstreamFailed) {
        /** Not answered from the client's view: the front's own 5xx, an upstream error, or a connection closed (499). */
        public boolean failed() {
            return status >= 500 || status == 499 || status == 444 || status == 408 || status == 0;
        }
    }

    /** The lines of a log's text that parse; a torn first line (a tail cut mid-line) or a foreign line is skipped. */
    public static List<Line> parse(String text) {
        List<Line> out = new ArrayList<>();
        int start = 0;
        while (start < text.length()) {
            int end = text.indexOf('\n', start);
            if (end < 0) end = text.length();
            Line l = parseLine(text.substring(start, end));
            if (l != null) out.add(l);
            start = end + 1;
        }
        return out;
    }

    /**
     * One line, read by hand rather than with a JSON parser: a log holds 100 000 lines and the format is ours. Fields
     * are found by name, so their order does not matter; a line without a numeric msec and status is not ours.
     */
    private static final java.util.regex.Pattern NUMBER = java.util.regex.Pattern.compile("\\d+(\\.\\d+)?");
    private static final java.util.regex.Pattern STATUS = java.util.regex.Pattern.compile("\\d{1,3}");
    /** 502, 503 or 504 among the statuses of the upstreams tried ("502, 200"): one did not answer. */
    private static final java.util.regex.Pattern GATEWAY_ERROR = java.util.regex.Pattern.compile("(^|[^\\d])50[234]($|[^\\d])");

    static Line parseLine(String raw) {
        String s = raw.strip();
        if (!s.startsWith("{") || !s.endsWith("}")) return null;
        try {
            String msec = field(s, "msec");
            String status = field(s, "status");
            if (msec == null || status == null || !NUMBER.matcher(msec).matches() || !STATUS.matcher(status).matches()) return null;
            int dot = msec.indexOf('.');
            long at = dot < 0 ? Long.parseLong(msec) * 1000
                    : Long.parseLong(msec.substring(0, dot)) * 1000 + Long.parseLong((msec.substring(dot + 1) + "000").substring(0, 3));
            int code = Integer.parseInt(status);
            String requestTime = field(s, "request_time");
            double seconds = requestTime != null && NUMBER.matcher(requestTime).matches() ? Double.parseDouble(requestTime) : 0;
            String upstreams = field(s, "upstream");
            String last = lastAddress(upstreams);
            String statuses = field(s, "upstream_status");
            boolean upstreamFailed = statuses != null && GATEWAY_ERROR.matcher(statuses).find();
            if (last.isEmpty() && code >= 500) upstreamFailed = false; // the front's own answer
            return new Line(at, code, seconds, last, upstreamFailed);
        } catch (RuntimeException unreadable) {
            return null;
        }
    }

    /** The raw value of "name": a number as written, a string without its quotes (nginx escapes any quote in it). */
    static String field(String json, String name) {
        String key = "\"" + name + "\":";
        int i = json.indexOf(key);
        if (i < 0) return null;
        int v = i + key.length();
        if (v < json.length() && json.charAt(v) == '"') {
            StringBuilder out = new StringBuilder();
            for (int j = v + 1; j < json.length(); j++) {
                char c = json.charAt(j);
                if (c == '\\' && j + 1 < json.length()) {
                    out.append(json.charAt(++j));
                } else if (c == '"') {
                    return out.toString();
                } else {
                    out.append(c);
                }
            }
            return null;
        }
        int end = v;
        while (end < json.length() && json.charAt(end) != ',' && json.charAt(end) != '}') end++;
        return json.substring(v, end).strip();
    }

    /** "10.0.0.2:80, 10.0.0.3:80 : 10.0.0.4:80" lists upstreams tried (", " within a group, " : " across groups). */
    static String lastAddress(String upstreams) {
        if (upstreams == null || upstreams.isBlank() || upstreams.strip().equals("-")) return "";
        int cut = Math.max(upstreams.lastIndexOf(','), upstreams.lastIndexOf(" : "));
        return (cut < 0 ? upstreams : upstreams.substring(cut + (upstreams.startsWith(" : ", cut) ? 3 : 1))).strip();
    }

    /**
     * What a deploy did to traffic, from its switch's start (fromMillis, epoch ms on the front's clock) to the end of its
     * drain (windowMillis later); stored in the history as is.
     */
    public record Report(long fromMillis, String oldColour, long oldAnswered, String newColour, long newAnswered, long otherAnswered,
                         long failed, long upstreamErrors, long longestGapMillis, long windowMillis) {
        public long total() {
            return oldAnswered + newAnswered + otherAnswered + failed;
        }

        /** The deploy's last lines and the notification's text say this. */
        public String describe() {
            return "traffic from the switch to the end of the drain (" + seconds(windowMillis) + "): " + total() + " requests, "
                    + (oldColour == null ? "" : oldAnswered + " answered by " + oldColour + " (old), ")
                    + newAnswered + " by " + newColour + " (new), "
                    + (otherAnswered == 0 ? "" : otherAnswered + " by other upstreams, ")
                    + failed + " failed" + (upstreamErrors == 0 ? "" : " (" + upstreamErrors + " upstream errors)")
                    + "; longest time without an answer " + longestGapMillis + " ms";
        }

        /** One front's share, for a report of several: 120 requests, 0 failed. */
        public String counts() {
            return total() + " requests, " + failed + " failed";
        }

        /**
         * Several fronts' reports as one (each read from its own access log, in its own clock): the counts added, the
         * window the widest, the longest silence the longest any front saw (a client of that front saw it).
         */
        public static Report sum(List<Report> reports) {
            if (reports.size() == 1) return reports.get(0);
            Report first = reports.get(0);
            long old = 0, neu = 0, other = 0, failed = 0, upstreamErrors = 0, gap = 0, window = 0, from = Long.MAX_VALUE;
            for (Report r : reports) {
                old += r.oldAnswered;
                neu += r.newAnswered;
                other += r.otherAnswered;
                failed += r.failed;
                upstreamErrors += r.upstreamErrors;
                gap = Math.max(gap, r.longestGapMillis);
                window = Math.max(window, r.windowMillis);
                from = Math.min(from, r.fromMillis);
            }
            return new Report(from, first.oldColour, old, first.newColour, neu, other, failed, upstreamErrors, gap, window);
        }

        private static String seconds(long ms) {
            return String.format(java.util.Locale.ROOT, "%.2f s", ms / 1000.0);
        }
    }

    /**
     * Counts the lines answered within [from, to] (epoch ms, the front's clock). colourOf maps an upstream address
     * ("10.0.0.3:80") to a colour name; an address it does not know is counted as "other". The longest gap is the
     * longest stretch of the window in which no request was answered, counting from the window's start and to its end.
     */
    public static Report report(List<Line> lines, long from, long to, Map<String, String> colourOf, String oldColour, String newColour) {
        long old = 0, neu = 0, other = 0, failed = 0, upstreamErrors = 0;
        long previous = from;
        long gap = 0;
        for (Line l : sorted(lines)) {
            if (l.atMillis() < from || l.atMillis() > to) continue;
            if (l.upstreamFailed()) upstreamErrors++;
            if (l.failed()) {
                failed++;
                continue;
            }
            String c = colour(colourOf, l.upstream());
            if (c != null && c.equals(oldColour)) old++;
            else if (c != null && c.equals(newColour)) neu++;
            else other++;
            gap = Math.max(gap, l.atMillis() - previous);
            previous = l.atMillis();
        }
        gap = Math.max(gap, to - previous);
        return new Report(from, oldColour, old, newColour, neu, other, failed, upstreamErrors, gap, Math.max(0, to - from));
    }

    /** The colour of an upstream address, known by its address or by its host (the front's upstreams are containers' IPs). */
    public static String colour(Map<String, String> colourOf, String address) {
        String c = colourOf.get(address);
        if (c != null || address == null) return c;
        int colon = address.lastIndexOf(':');
        return colon <= 0 ? null : colourOf.get(address.substring(0, colon).replace("[", "").replace("]", ""));
    }

    /** What a timeline calls an answer's source: its colour, else its address, else "front" (nginx answered itself). */
    static String name(Map<String, String> colourOf, String address) {
        String c = colour(colourOf, address);
        return c != null ? c : address.isEmpty() ? "front" : address;
    }

    private static List<Line> sorted(List<Line> lines) {
        List<Line> s = new ArrayList<>(lines);
        s.sort(java.util.Comparator.comparingLong(Line::atMillis));
        return s;
    }

    /** One second of a timeline: answers per colour (or upstream address), and failures per status. */
    public record Second(long epochSecond, Map<String, Long> answered, Map<Integer, Long> failed) {
        public long failedTotal() {
            return failed.values().stream().mapToLong(Long::longValue).sum();
        }

        public long answeredTotal() {
            return answered.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /** Every second from the first to the last line in [from, to], silent seconds included (they are the point). */
    public static List<Second> timeline(List<Line> lines, long from, long to, Map<String, String> colourOf) {
        TreeMap<Long, Second> bySecond = new TreeMap<>();
        for (Line l : lines) {
            if (l.atMillis() < from || l.atMillis() > to) continue;
            Second s = bySecond.computeIfAbsent(Math.floorDiv(l.atMillis(), 1000L), k -> new Second(k, new TreeMap<>(), new TreeMap<>()));
            if (l.failed()) s.failed().merge(l.status(), 1L, Long::sum);
            else s.answered().merge(name(colourOf, l.upstream()), 1L, Long::sum);
        }
        if (bySecond.isEmpty()) return List.of();
        List<Second> out = new ArrayList<>();
        for (long t = bySecond.firstKey(); t <= bySecond.lastKey(); t++) {
            out.add(bySecond.getOrDefault(t, new Second(t, Map.of(), Map.of())));
        }
        return out;
    }

    /** Per colour (or address): answers, and answers per status; failures under "failed". For `traffic`'s summary. */
    public static Map<String, Map<Integer, Long>> statusCounts(List<Line> lines, long from, long to, Map<String, String> colourOf) {
        Map<String, Map<Integer, Long>> out = new LinkedHashMap<>();
        for (Line l : sorted(lines)) {
            if (l.atMillis() < from || l.atMillis() > to) continue;
            String who = l.failed() ? "failed" : name(colourOf, l.upstream());
            out.computeIfAbsent(who, k -> new TreeMap<>()).merge(l.status(), 1L, Long::sum);
        }
        return out;
    }
}
