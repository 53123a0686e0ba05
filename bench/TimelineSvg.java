import lib.front.AccessLog;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The managed front's answers around a deploy's switch as an SVG: stacked bars per 100 ms (blue, green, failures in
 * red), the switch's window (its start to the end of the drain) shaded, and the deploy's own count in the caption.
 * The same data as `deploy.java traffic`, finer: a switch takes less than a second.
 */
final class TimelineSvg {
    private TimelineSvg() {}

    static final long BUCKET_MS = 100;
    static final int W = 900, H = 300, LEFT = 50, RIGHT = 20, TOP = 40, BOTTOM = 60;

    static String render(List<AccessLog.Line> lines, Map<String, String> colourOf, AccessLog.Report report, long from, long to, String title) {
        int buckets = (int) Math.max(1, (to - from + BUCKET_MS - 1) / BUCKET_MS);
        long[][] counts = new long[buckets][3]; // blue, green, failed
        for (AccessLog.Line l : lines) {
            if (l.atMillis() < from || l.atMillis() >= to) continue;
            int b = (int) ((l.atMillis() - from) / BUCKET_MS);
            String c = AccessLog.colour(colourOf, l.upstream());
            counts[b][l.failed() ? 2 : "blue".equals(c) ? 0 : "green".equals(c) ? 1 : 2]++;
        }
        long max = 1;
        for (long[] c : counts) max = Math.max(max, c[0] + c[1] + c[2]);
        double plotW = W - LEFT - RIGHT, plotH = H - TOP - BOTTOM;
        double bw = plotW / buckets;
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", W, H, W, H));
        s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"20\" font-size=\"14\" font-weight=\"bold\">%s</text>%n", LEFT, esc(title)));
        if (report != null) {
            double x0 = LEFT + (report.fromMillis() - from) / (double) BUCKET_MS * bw;
            double x1 = LEFT + (report.fromMillis() + report.windowMillis() - from) / (double) BUCKET_MS * bw;
            s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%.0f\" fill=\"#eeeeee\"/>%n", x0, TOP, Math.max(1, x1 - x0), plotH));
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" fill=\"#555\">switch .. drained</text>%n", x0 + 2, TOP + 12));
        }
        for (int b = 0; b < buckets; b++) {
            double y = TOP + plotH;
            String[] fill = {"#1f6feb", "#2da44e", "#cf222e"};
            for (int k = 0; k < 3; k++) {
                if (counts[b][k] == 0) continue;
                double h = counts[b][k] * plotH / max;
                y -= h;
                s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>%n", LEFT + b * bw, y, Math.max(0.5, bw - 0.5), h, fill[k]));
            }
        }
        // axes: seconds from the window's start, answers per 100 ms
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.0f\" x2=\"%d\" y2=\"%.0f\" stroke=\"black\"/>%n", LEFT, TOP + plotH, W - RIGHT, TOP + plotH));
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%.0f\" stroke=\"black\"/>%n", LEFT, TOP, LEFT, TOP + plotH));
        for (long t = 0; t <= to - from; t += 1000) {
            double x = LEFT + t / (double) BUCKET_MS * bw;
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%d s</text>%n", x, TOP + plotH + 16, t / 1000));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%d</text>%n", LEFT - 4, TOP + 10, max));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.0f\" text-anchor=\"end\">0</text>%n", LEFT - 4, TOP + plotH));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">answers per 100 ms: <tspan fill=\"#1f6feb\">&#9632; blue</tspan> "
                + "<tspan fill=\"#2da44e\">&#9632; green</tspan> <tspan fill=\"#cf222e\">&#9632; failed</tspan></text>%n", LEFT, H - 26));
        if (report != null) s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#333\">%s</text>%n", LEFT, H - 8, esc(report.describe())));
        s.append("</svg>\n");
        return s.toString();
    }

    private static String esc(String t) {
        return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
