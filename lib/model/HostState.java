package lib.model;

import lib.model.LiveRecord;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Both colours of one app on one host, what the host recorded (see {@link #live()}: the record and the managed front
 * win), and, for hosts without a record (the shell version's), the defined outcome for every state:
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
public record HostState(String app, ColourState blue, ColourState green, Optional<LiveRecord> record, Optional<Colour> frontPoints,
                        List<ContainerInfo> aside, Optional<String> recordProblem) {

    /** A host whose record, if it has one, can be trusted. */
    public HostState(String app, ColourState blue, ColourState green, Optional<LiveRecord> record, Optional<Colour> frontPoints,
                     List<ContainerInfo> aside) {
        this(app, blue, green, record, frontPoints, aside, Optional.empty());
    }

    /** Suffix of a colour's previous containers while a deploy replaces them; restored if the deploy fails. */
    public static final String ASIDE = "-bgdeploy-aside";

    /** A set-aside container's own name, without {@link #ASIDE}. */
    public static String ownName(String asideName) {
        return asideName.endsWith(ASIDE) ? asideName.substring(0, asideName.length() - ASIDE.length()) : asideName;
    }

    public enum Situation { NOTHING_DEPLOYED, ONE_LIVE, BOTH_RUNNING, NONE_RUNNING }

    /** A host as containers alone describe it: no record, no managed front (the shell version's hosts). */
    public HostState(String app, ColourState blue, ColourState green) {
        this(app, blue, green, Optional.empty(), Optional.empty(), List.of(), Optional.empty());
    }

    public ColourState of(Colour c) {
        return c == Colour.BLUE ? blue : green;
    }

    public Situation situation() {
        if (blue.empty() && green.empty()) return Situation.NOTHING_DEPLOYED;
        if (blue.anyRunning() && green.anyRunning()) return Situation.BOTH_RUNNING;
        if (blue.anyRunning() || green.anyRunning()) return Situation.ONE_LIVE;
        return Situation.NONE_RUNNING;
    }

    /**
     * The colour that serves. What the host recorded wins over what containers suggest: the managed front's upstream
     * (it is what receives traffic), then the colour recorded live at the last switch. Without either, a colour this
     * toolkit made counts only if the record shows it passed its health gate (every deploy writes the record before
     * it starts anything), so a deploy killed mid-gate never makes its half-started colour "live"; colours made by
     * docker-compose or by hand are judged by their containers.
     */
    public Optional<Colour> live() {
        if (frontPoints.isPresent() && of(frontPoints.get()).anyRunning()) return frontPoints;
        Optional<Colour> recorded = record.flatMap(LiveRecord::liveColour);
        if (recorded.isPresent() && of(recorded.get()).anyRunning()) return recorded;
        boolean blueMay = blue.anyRunning() && mayServe(blue);
        boolean greenMay = green.anyRunning() && mayServe(green);
        if (blueMay && greenMay) return Optional.of(firstLive());
        if (blueMay) return Optional.of(Colour.BLUE);
        if (greenMay) return Optional.of(Colour.GREEN);
        return Optional.empty();
    }

    /** Whether this colour's containers may be trusted to serve: not a bgdeploy colour that never passed its gate. */
    public boolean mayServe(ColourState c) {
        if (!c.origins().equals("bgdeploy")) return true;
        if (record.isEmpty()) return true; // a host deployed before records existed: judged by its containers, as then
        return record.get().gatedRelease(c.colour()).map(r -> r.equals(c.release())).orElse(false);
    }

    /** The colour the next deploy writes into. */
    public Colour target() {
        Optional<Colour> live = live();
        if (live.isPresent()) return live.get().other();
        if (blue.empty()) return Colour.BLUE;
        if (green.empty()) return Colour.GREEN;
        return stoppedFirst(blue, green) == blue ? Colour.BLUE : Colour.GREEN;
    }

    public String describe() {
        Optional<Colour> live = live();
        if (live.isPresent()) {
            ColourState other = of(live.get().other());
            Optional<LiveRecord.Preview> preview = record.flatMap(LiveRecord::openPreview).filter(p -> p.colour() == other.colour());
            String rest = preview.isPresent() ? "; " + other.colour() + " is previewed (release " + lib.base.Text.printable(preview.get().release())
                    + "): promote or abort it" : other.anyRunning() ? (mayServe(other) ? "; " + other.colour() + " runs as a standby and will be replaced"
                    : "; " + other.colour() + " runs but never passed its health gate (an interrupted deploy) and will be replaced") : "";
            return live.get() + " is live (" + of(live.get()).condition() + ")" + rest;
        }
        return switch (situation()) {
            case NOTHING_DEPLOYED -> "nothing deployed yet";
            case NONE_RUNNING -> "no colour is running (blue " + blue.condition() + ", green " + green.condition() + ")";
            default -> "nothing serves: the running containers never passed a health gate (an interrupted deploy); they will be replaced";
        };
    }

    private Colour firstLive() {
        // Half-stopped means a deploy was retiring it, which happens only after the other passed its health gate.
        if (blue.allRunning() && !green.allRunning()) return Colour.BLUE;
        if (green.allRunning() && !blue.allRunning()) return Colour.GREEN;
        return older(blue, green) == blue ? Colour.BLUE : Colour.GREEN;
    }

    /** The colour that stopped longest ago (one the engine never saw stop counts as oldest); a tie goes by deploy time. */
    private static ColourState stoppedFirst(ColourState a, ColourState b) {
        Instant sa = a.stoppedAt();
        Instant sb = b.stoppedAt();
        if (sa == null && sb == null || sa != null && sa.equals(sb)) return older(a, b);
        if (sa == null) return a;
        if (sb == null) return b;
        return sb.isBefore(sa) ? b : a;
    }

    private static ColourState older(ColourState a, ColourState b) {
        Instant sa = a.since();
        Instant sb = b.since();
        if (sa == null) return b;
        if (sb == null) return a;
        return sb.isBefore(sa) ? b : a;
    }
}
