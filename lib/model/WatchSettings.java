package lib.model;

import lib.base.Durations;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;

/**
 * The watch window after the switch (--watch, deploy.yml watch:): how long the old colour is kept as a warm standby
 * while the new one is watched, and what makes the deploy switch back to it.
 *
 * @param length       how long the window lasts; zero: no window (the default)
 * @param maxErrorRate the new colour's share of 5xx and upstream errors (0-1) that, exceeded over the last
 *                     {@code SLIDE} of traffic, switches back
 * @param minRequests  how many requests that stretch must hold before its share is judged (a single 500 of 3 is no trend)
 * @param failures     how many per-second probes in a row must fail to switch back
 */
public record WatchSettings(Duration length, double maxErrorRate, int minRequests, int failures) {
    public static final double DEFAULT_MAX_ERROR_RATE = 0.05;
    public static final int DEFAULT_MIN_REQUESTS = 20;
    public static final int DEFAULT_FAILURES = 3;
    /** The stretch of traffic the error share is measured over, ending now. */
    public static final Duration SLIDE = Duration.ofSeconds(10);
    public static final WatchSettings OFF = new WatchSettings(Duration.ZERO, DEFAULT_MAX_ERROR_RATE, DEFAULT_MIN_REQUESTS, DEFAULT_FAILURES);

    public boolean on() {
        return !length.isZero();
    }

    public WatchSettings withLength(Duration d) {
        return new WatchSettings(d, maxErrorRate, minRequests, failures);
    }

    /**
     * "5%", "0.5 %", "100%": a share written as a percentage, 0-100. A bare number is refused, since 0.05 and 5 would
     * both look plausible.
     */
    public static double percentage(String raw) {
        String s = raw == null ? "" : raw.trim();
        if (!s.matches("\\d{1,3}(\\.\\d{1,4})?\\s*%")) {
            throw new IllegalArgumentException("\"" + s + "\" is not a percentage; write e.g. 5% or 0.5%");
        }
        BigDecimal p = new BigDecimal(s.replace("%", "").trim());
        if (p.compareTo(BigDecimal.valueOf(100)) > 0) throw new IllegalArgumentException("\"" + s + "\" is over 100%; write a share of the requests from 0% to 100%, e.g. 5%");
        return p.doubleValue() / 100;
    }

    /** A share as the user wrote it: 0.05 is "5%", 0.125 is "12.5%". */
    public static String percent(double share) {
        String s = String.format(Locale.ROOT, "%.2f", share * 100).replaceAll("\\.?0+$", "");
        return s + "%";
    }

    /** One line for the plan and the output: "2m (switch back over 5% errors among at least 20 requests in 10s, or 3 failed probes in a row)". */
    public String describe() {
        return Durations.describe(length) + " (switch back over " + percent(maxErrorRate) + " errors among at least " + minRequests
                + " requests in " + Durations.describe(SLIDE) + ", or " + failures + " failed probe" + (failures == 1 ? "" : "s") + " in a row)";
    }
}
