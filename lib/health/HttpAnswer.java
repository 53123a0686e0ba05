package lib.health;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One HTTP answer as a smoke check judges it, read from what the tool that fetched it printed: raw HTTP (curl -i, or
 * the request written with nc) or wget -S (the answer's lines on stderr, the body on stdout).
 *
 * @param headers by name as sent; several of one name are one value, comma-separated, as HTTP folds them
 */
public record HttpAnswer(int status, Map<String, String> headers, String body) {
    private static final Pattern STATUS_LINE = Pattern.compile("HTTP/\\d(?:\\.\\d)? (\\d{3})\\b.*");

    public HttpAnswer {
        headers = Map.copyOf(headers);
    }

    /** "HTTP/1.1 200 OK", header lines, an empty line, the body; interim 1xx answers before it are skipped. null if it is not HTTP. */
    public static HttpAnswer parseRaw(String raw) {
        String rest = raw;
        while (true) {
            int end = headEnd(rest);
            String head = end < 0 ? rest : rest.substring(0, end);
            String body = end < 0 ? "" : rest.substring(end).replaceFirst("^\\r?\\n\\r?\\n", "");
            String[] lines = head.split("\\r?\\n");
            Matcher m = STATUS_LINE.matcher(lines[0].strip());
            if (!m.matches()) return null;
            int status = Integer.parseInt(m.group(1));
            if (status / 100 == 1 && body.startsWith("HTTP/")) {
                rest = body;
                continue;
            }
            return new HttpAnswer(status, headers(lines, 1, lines.length), body);
        }
    }

    /**
     * wget -S: each answer's status line and headers, indented, on stderr. Having followed a redirect it shows every
     * answer: the first is the one asked for. busybox wget shows no headers of a 4xx or 5xx, only its status line.
     */
    public static HttpAnswer parseWget(String stderr, String stdout) {
        String[] lines = stderr.split("\\r?\\n");
        for (int i = 0; i < lines.length; i++) {
            Matcher m = STATUS_LINE.matcher(lines[i].strip());
            if (!m.matches()) continue;
            int end = i + 1;
            while (end < lines.length && lines[end].startsWith("  ") && !lines[end].isBlank() && !STATUS_LINE.matcher(lines[end].strip()).matches()) end++;
            return new HttpAnswer(Integer.parseInt(m.group(1)), headers(lines, i + 1, end), stdout);
        }
        return null;
    }

    private static int headEnd(String s) {
        int crlf = s.indexOf("\r\n\r\n");
        int lf = s.indexOf("\n\n");
        if (crlf < 0) return lf;
        return lf < 0 ? crlf : Math.min(crlf, lf);
    }

    private static Map<String, String> headers(String[] lines, int from, int to) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = from; i < to; i++) {
            int colon = lines[i].indexOf(':');
            if (colon <= 0) continue;
            String name = lines[i].substring(0, colon).strip();
            String value = lines[i].substring(colon + 1).strip();
            out.merge(name, value, (a, b) -> a + ", " + b);
        }
        return out;
    }
}
