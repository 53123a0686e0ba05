package lib;

import java.time.Instant;
import java.util.Optional;

/**
 * Both colours of one app on one host, and the defined outcome for every state a host can be in:
 * <ul>
 * <li>nothing deployed: no live colour, deploy to blue;</li>
 * <li>one colour running (fully or degraded): it is live, deploy to the other;</li>
 * <li>both running (a deploy was interrupted before it retired the old colour): the one that went live first is
 * live, because the interrupted deploy never passed its health gate as far as we can prove; the other is a leftover
 * that the next deploy replaces. Exception: when one of them is half-stopped, the deploy was already retiring it, so
 * the fully running one is live;</li>
 * <li>no colour running but stopped containers exist: nothing is live; deploy to the colour that is empty, or else
 * to the one stopped longest ago, leaving the most recent one to fall back on.</li>
 * </ul>
 */
public record HostState(String app, ColourState blue, ColourState green) {

    public enum Situation { NOTHING_DEPLOYED, ONE_LIVE, BOTH_RUNNING, NONE_RUNNING }

    public ColourState of(Colour c) {
        return c == Colour.BLUE ? blue : green;
    }

    public Situation situation() {
        if (blue.empty() && green.empty()) return Situation.NOTHING_DEPLOYED;
        if (blue.anyRunning() && green.anyRunning()) return Situation.BOTH_RUNNING;
        if (blue.anyRunning() || green.anyRunning()) return Situation.ONE_LIVE;
        return Situation.NONE_RUNNING;
    }

    public Optional<Colour> live() {
        return switch (situation()) {
            case NOTHING_DEPLOYED, NONE_RUNNING -> Optional.empty();
            case ONE_LIVE -> Optional.of(blue.anyRunning() ? Colour.BLUE : Colour.GREEN);
            case BOTH_RUNNING -> Optional.of(firstLive());
        };
    }

    /** The colour the next deploy writes into. */
    public Colour target() {
        Optional<Colour> live = live();
        if (live.isPresent()) return live.get().other();
        if (blue.empty()) return Colour.BLUE;
        if (green.empty()) return Colour.GREEN;
        return older(blue, green) == blue ? Colour.BLUE : Colour.GREEN;
    }

    public String describe() {
        return switch (situation()) {
            case NOTHING_DEPLOYED -> "nothing deployed yet";
            case ONE_LIVE -> live().get() + " is live (" + of(live().get()).condition() + ")";
            case BOTH_RUNNING -> "both colours are running (an earlier deploy was interrupted): " + live().get()
                    + " went live first and is kept; " + live().get().other() + " is a leftover and will be replaced";
            case NONE_RUNNING -> "no colour is running (blue " + blue.condition() + ", green " + green.condition() + ")";
        };
    }

    private Colour firstLive() {
        // Half-stopped means a deploy was retiring it, which happens only after the other passed its health gate.
        if (blue.allRunning() && !green.allRunning()) return Colour.BLUE;
        if (green.allRunning() && !blue.allRunning()) return Colour.GREEN;
        return older(blue, green) == blue ? Colour.BLUE : Colour.GREEN;
    }

    private static ColourState older(ColourState a, ColourState b) {
        Instant sa = a.since();
        Instant sb = b.since();
        if (sa == null) return b;
        if (sb == null) return a;
        return sb.isBefore(sa) ? b : a;
    }
}
