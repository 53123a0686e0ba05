package lib.engine;

import lib.model.Colour;
import lib.model.ColourState;
import lib.model.ContainerInfo;
import lib.model.HostState;
import lib.target.Colours;

import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Services that must never run in two colours at once (cron, queue workers; deploy.yml's singletons:). The new
 * colour's are created with it but not started; at the switch the old colour's get their stop signal and are waited
 * for (their own grace period, so a long job finishes) and only then the new colour's start. A warm standby keeps its
 * web services, not its singletons. Any failure before the switch leaves the old colour's running and never starts
 * the new ones; a run that died in between is settled by the next one: the live colour's run, nobody else's.
 */
public final class Singletons {
    private final Set<String> services;
    private final Colours colours;
    private final PrintWriter out;

    public Singletons(Set<String> services, Colours colours, PrintWriter out) {
        this.services = Set.copyOf(services);
        this.colours = colours;
        this.out = out;
    }

    public Set<String> services() {
        return services;
    }

    public boolean any() {
        return !services.isEmpty();
    }

    /** The colour's singleton members. */
    public ColourState of(ColourState colour) {
        return new ColourState(colour.colour(), colour.containers().stream().filter(c -> services.contains(c.service())).toList());
    }

    /** The colour without its singletons: what the health gate and a warm standby's check look at. */
    public ColourState without(ColourState colour) {
        return new ColourState(colour.colour(), colour.containers().stream().filter(c -> !services.contains(c.service())).toList());
    }

    /** Whether the host is not as it must be: a singleton running outside the live colour, or the live colour's down. */
    public boolean unsettled(HostState state, Optional<Colour> live) {
        if (!any()) return false;
        for (Colour c : Colour.values()) {
            boolean isLive = live.isPresent() && live.get() == c;
            ColourState s = of(state.of(c));
            if (!isLive && s.containers().stream().anyMatch(Singletons::mayRun)) return true;
            if (isLive && !s.empty() && !s.allRunning()) return true;
        }
        return state.aside().stream().anyMatch(c -> services.contains(c.service()) && c.running());
    }

    /** What a crashed or older run left: every other colour's singletons stopped first, then the live colour's started. */
    public void settle(HostState state, Optional<Colour> live) {
        for (Colour c : Colour.values()) {
            if (live.isPresent() && live.get() == c) continue;
            stopRunning(of(state.of(c)), "not live");
        }
        List<ContainerInfo> aside = state.aside().stream().filter(c -> services.contains(c.service()) && c.running()).toList();
        if (!aside.isEmpty()) stopRunning(new ColourState(live.map(Colour::other).orElse(Colour.BLUE), aside), "set aside");
        live.ifPresent(c -> {
            ColourState mine = of(state.of(c));
            if (!mine.empty() && !mine.allRunning()) {
                out.println("  starting " + c + "'s singletons (" + names(mine) + "): " + c + " is live");
                colours.startAgain(mine);
            }
        });
    }

    /**
     * At the switch: the old colour's singletons stop (each within its own grace period) before the new colour's
     * start, so at no moment do two colours' run.
     */
    public void handOver(Optional<ColourState> old, ColourState next) {
        old.ifPresent(o -> stopRunning(colours.reread(o.colour(), ids(of(o))), "the old colour"));
        ColourState mine = colours.reread(next.colour(), ids(of(next)));
        if (mine.empty()) return;
        out.println("  starting " + next.colour() + "'s singletons: " + names(mine));
        colours.startAgain(mine);
        colours.allowRestarts(mine);
    }

    /** Stops what runs of them, gracefully, and keeps them down if the daemon restarts. */
    private void stopRunning(ColourState s, String why) {
        ColourState running = new ColourState(s.colour(), s.containers().stream().filter(Singletons::mayRun).toList());
        if (running.empty()) return;
        out.println("  stopping " + s.colour() + "'s singletons (" + names(running) + "; " + why + ") and waiting for them to finish");
        out.flush();
        colours.holdRestarts(running);
        colours.stop(running);
    }

    /**
     * Running, or about to run again: a container the daemon restarts, a Swarm task being placed, pulled or started
     * (a rollback right after a deploy may find the old colour's singleton still pulling its image).
     */
    static boolean mayRun(ContainerInfo c) {
        return c.running() || "restarting".equals(c.state());
    }

    private static List<String> ids(ColourState s) {
        return s.containers().stream().map(ContainerInfo::id).toList();
    }

    private static String names(ColourState s) {
        return String.join(", ", s.containers().stream().map(ContainerInfo::service).distinct().sorted().toList());
    }
}
