package lib.front;

import lib.model.WatchSettings;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The watch window's decision as data: fed the front's access-log lines and the per-second probe's answers, it says
 * whether to switch back to the old colour, and with which measured rates. Pure, so every threshold is tested
 * without a front (the deploy feeds it from {@link LogTail} and the probe).
 *
 * <p>Counted as the new colour's: the lines its addresses answered, and the front's own 502/504 (it could not reach
 * the upstream, which since the switch is the new colour). An error is a 5xx, a connection the client gave up on,
 * or an upstream error (a 502/503/504 among the upstreams tried, even if a retry then answered): what
 * {@link AccessLog.Line#failed()} and {@link AccessLog.Line#upstreamFailed()} say. The old colour's answers (requests
 * in flight at the switch) and unknown upstreams are never counted against the new one.
 */
public final class WatchWindow {
    private final WatchSettings settings;
    private final Map<String, String> colourOf;
    private final String oldColour;
    private final String newColour;
    private final long fromMillis;

    /** The new colour's answers of the last {@link WatchSettings#SLIDE}: [when (ms), 1 if an error]. */
    private final Deque<long[]> recent = new ArrayDeque<>();
    private long requests, errors, oldAnswered, probes, probeFailures;
    private int failuresInARow;
    private String lastProbeFailure;
    private double peakRate;
    private long latestMillis;

    /** fromMillis: the switch, on the front's clock; lines before it were answered before the new colour served. */
    public WatchWindow(WatchSettings settings, Map<String, String> colourOf, String oldColour, String newColour, long fromMillis) {
        this.settings = settings;
        this.colourOf = colourOf;
        this.oldColour = oldColour;
        this.newColour = newColour;
        this.fromMillis = fromMillis;
        this.latestMillis = fromMillis;
    }

    /** The switch back's reason and the rates measured when it was decided (or at the window's end). */
    public record Verdict(boolean switchBack, String why, long requests, long errors, int probeFailuresInARow) {
        public double rate() {
            return requests == 0 ? 0 : (double) errors / requests;
        }
    }

    /** Lines read from the log since the last call; lines from before the switch are skipped. */
    public void add(List<AccessLog.Line> lines) {
        for (AccessLog.Line l : lines) {
            if (l.atMillis() < fromMillis) continue;
            latestMillis = Math.max(latestMillis, l.atMillis());
            String c = AccessLog.colour(colourOf, l.upstream());
            boolean frontCouldNotReach = l.upstream().isEmpty() && (l.status() == 502 || l.status() == 504);
            if (c != null && c.equals(oldColour)) {
                oldAnswered++;
                continue;
            }
            if (!frontCouldNotReach && (c == null || !c.equals(newColour))) continue;
            boolean error = l.failed() || l.upstreamFailed();
            requests++;
            if (error) errors++;
            recent.addLast(new long[]{l.atMillis(), error ? 1 : 0});
        }
    }

    /** One probe's answer: null when it passed, else what failed. */
    public void probe(String failure) {
        probes++;
        if (failure == null) {
            failuresInARow = 0;
            return;
        }
        probeFailures++;
        failuresInARow++;
        lastProbeFailure = failure;
    }

    /**
     * Judged at nowMillis (the front's clock): the error share of the new colour's answers in (now - SLIDE, now] once
     * they are at least min_requests, and the probe failures in a row.
     */
    public Verdict verdict(long nowMillis) {
        long since = nowMillis - WatchSettings.SLIDE.toMillis();
        while (!recent.isEmpty() && recent.peekFirst()[0] <= since) recent.removeFirst();
        long n = 0, bad = 0;
        for (long[] r : recent) {
            if (r[0] > since && r[0] <= nowMillis) {
                n++;
                bad += r[1];
            }
        }
        int inARow = failuresInARow;
        if (n >= settings.minRequests()) peakRate = Math.max(peakRate, (double) bad / n);
        if (n >= settings.minRequests() && (double) bad / n > settings.maxErrorRate()) {
            return new Verdict(true, newColour + " answered " + bad + " of " + n + " requests with an error in the last "
                    + lib.base.Durations.describe(WatchSettings.SLIDE) + " (" + WatchSettings.percent(round((double) bad / n)) + ", over "
                    + WatchSettings.percent(settings.maxErrorRate()) + ")", n, bad, inARow);
        }
        if (inARow >= settings.failures()) {
            return new Verdict(true, "the probe failed " + inARow + " times in a row (" + lastProbeFailure + ")", n, bad, inARow);
        }
        return new Verdict(false, null, n, bad, inARow);
    }

    /** The newest answer read so far, on the front's clock. */
    public long latestMillis() {
        return latestMillis;
    }

    /**
     * What the window measured, for the history and the notification. outcome: passed, switched back, or cut short
     * (Ctrl-C); rates are shares (0-1) rounded to 0.1 %.
     */
    public record Report(long fromMillis, long windowMillis, String colour, String outcome, long requests, long errors, double errorRate,
                         long lastRequests, long lastErrors, double lastErrorRate, double peakErrorRate, double maxErrorRate,
                         long oldAnswered, long probes, long probeFailures, String reason) {
        public String describe() {
            return "watch of " + colour + " for " + String.format(Locale.ROOT, "%.1f s", windowMillis / 1000.0) + ": " + outcome + "; "
                    + requests + " requests, " + errors + " errors (" + WatchSettings.percent(errorRate) + "), the last "
                    + lib.base.Durations.describe(WatchSettings.SLIDE) + " " + lastErrors + " of " + lastRequests + " ("
                    + WatchSettings.percent(lastErrorRate) + "), peak " + WatchSettings.percent(peakErrorRate) + " (limit "
                    + WatchSettings.percent(maxErrorRate) + "); " + probes + " probes, " + probeFailures + " failed"
                    + (oldAnswered == 0 ? "" : "; " + oldAnswered + " answered by the old colour");
        }
    }

    public Report report(long nowMillis, String outcome, Verdict last) {
        return new Report(fromMillis, Math.max(0, nowMillis - fromMillis), newColour, outcome, requests, errors,
                round(requests == 0 ? 0 : (double) errors / requests), last.requests(), last.errors(), round(last.rate()), round(peakRate),
                settings.maxErrorRate(), oldAnswered, probes, probeFailures, last.switchBack() ? last.why() : null);
    }

    private static double round(double share) {
        return Math.round(share * 1000) / 1000.0;
    }
}
