package lib.cli;

import lib.base.Text;
import lib.model.Colour;
import lib.model.ColourState;
import lib.model.ContainerInfo;
import lib.model.HostState;
import lib.docker.DockerHost;
import lib.host.DeployLock;
import lib.front.ManagedFront;
import lib.host.ReleaseHistory;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/** The human views: `deploy.java status` and `deploy.java --dry-run`. */
public final class StatusView {
    private StatusView() {}

    /** Returns true when a colour serves and is healthy, and the managed front (if the app has one) runs and points at it. */
    public static boolean print(PrintWriter out, DockerHost docker, HostState state, Optional<DeployLock.Holder> lock, ManagedFront.State front) {
        out.println("app " + state.app() + " on " + docker.describe() + ": " + state.describe());
        state.recordProblem().ifPresent(p -> out.println("  record: " + p + "; judged by the containers until the next deploy rewrites it"));
        Optional<Colour> live = state.live();
        for (Colour c : Colour.values()) {
            ColourState s = state.of(c);
            boolean isLive = live.map(c::equals).orElse(false);
            boolean previewed = state.record().flatMap(r -> r.openPreview()).map(p -> p.colour() == c).orElse(false);
            String role = isLive ? "LIVE" : previewed ? "PREVIEW" : s.anyRunning() && !state.mayServe(s) ? "UNGATED" : "";
            out.printf("  %-5s %-7s %-9s", c, role, s.condition());
            if (!s.empty()) {
                Instant since = isLive ? state.record().filter(r -> r.live() == c).map(r -> r.since()).orElse(s.since()) : s.since();
                out.print("  release " + Text.printable(s.release()));
                if (since != null) out.print("  since " + since + " (" + DeployLock.human(Duration.between(since, Instant.now())) + " ago)");
                if (s.deployedBy() != null) out.print("  by " + Text.printable(s.deployedBy()));
                out.print("  [" + s.origins() + "]");
            }
            out.println();
            for (ContainerInfo ci : s.containers()) {
                out.println("        " + ci.name() + "  " + ci.state() + (ci.health() != null ? " (" + ci.health() + ")" : "") + "  " + ci.image());
            }
        }
        boolean frontOk = true;
        if (front.expected() || front.exists()) {
            String expectedName = ManagedFront.containerName(state.app());
            String name = front.name().equals(expectedName) ? expectedName : front.name() + " (renamed by hand from " + expectedName + ")";
            if (!front.exists()) {
                out.println("  managed front " + name + ": MISSING; the next deploy creates it (nothing answers on its port meanwhile)");
                frontOk = false;
            } else if (!front.running()) {
                out.println("  managed front " + name + ": " + front.status().toUpperCase() + front.lastLog().map(l -> " (last log: " + l + ")").orElse("")
                        + "; nothing answers on its port");
                frontOk = false;
            } else {
                // a target whose containers are gone (removed by hand) answers every request 502, whatever colour is live
                String host = front.target().map(t -> t.contains(":") ? t.substring(0, t.lastIndexOf(':')) : t).orElse(null);
                boolean toLive = live.map(c -> state.of(c).containers().stream().anyMatch(ci -> ci.name().equals(host))).orElse(false);
                out.println("  managed front " + name + ": running, sends traffic to " + front.target().orElse("nothing (no colour live)")
                        + (host == null || toLive ? "" : ", which is not " + live.map(c -> c + ", the live colour").orElse("a live colour")
                        + ": NOTHING SERVES (the next deploy points the front at the live colour)"));
                frontOk = toLive;
            }
            state.record().filter(r -> r.front().managed()).ifPresent(r -> edge(out, r.front().edge()));
        }
        state.record().flatMap(r -> r.openPreview()).ifPresent(p -> {
            out.println("  preview: " + p.colour() + " release " + Text.printable(p.release())
                    + (p.since() == null ? "" : " since " + p.since() + " (" + DeployLock.human(Duration.between(p.since(), Instant.now())) + " ago)")
                    + (p.by() == null ? "" : " by " + Text.printable(p.by())) + "; the live colour keeps all other traffic");
            lib.engine.Deployment.previewLines(ManagedFront.previewAddress(docker.client(), state.app()), state.app()).forEach(l -> out.println("    " + l));
        });
        out.println("  lock: " + DeployLock.describeForStatus(state.app(), lock, Instant.now()));
        out.flush();
        return frontOk && live.map(c -> state.of(c).allRunning() && !state.of(c).unhealthy()).orElse(false);
    }

    /** TLS and maintenance as the host recorded them: what the front answers beside the live colour. */
    static void edge(PrintWriter out, lib.model.EdgeSettings e) {
        var t = e.tls();
        if (t.on()) {
            out.println("  tls: on, port " + t.port() + (t.redirect() ? ", HTTP redirected to HTTPS" : ", HTTP served too")
                    + (t.fingerprint() == null ? "" : ", certificate SHA-256 " + Text.printable(t.fingerprint()))
                    + (t.notAfter() == null ? "" : ", expires " + Text.printable(t.notAfter())));
        }
        var m = e.maintenance();
        if (m.on()) {
            out.println("  maintenance: ON" + (m.since() == null ? "" : " since " + Text.printable(m.since())) + ": the front answers 503 to everyone"
                    + (m.allow().isEmpty() ? "" : " but " + String.join(", ", m.allow())) + " (deploy.java maintenance off --app APP resumes)");
        }
    }

    /**
     * What a Swarm's store says of an app: the record and the lock, read through one manager. Returns true when the
     * record can be trusted and names a live colour. The colours' services and the fronts' upstreams are read by the
     * Swarm engine (lib/target) and printed after this.
     */
    public static boolean swarm(PrintWriter out, String app, lib.host.AppState store, lib.host.RecordStore.Read read) {
        out.print("app " + app + " on " + store.describe() + ": ");
        var record = read.record();
        if (read.problem().isPresent()) {
            out.println("record unusable");
            out.println("  record: " + read.problem().get() + "; the next deploy rewrites it");
        } else if (record.isEmpty() || record.get().liveColour().isEmpty()) {
            out.println("nothing live" + (record.isEmpty() ? " (no record: never deployed here)" : ""));
        } else {
            var r = record.get();
            out.println(r.live() + " live, release " + Text.printable(r.release())
                    + (r.since() == null ? "" : " since " + r.since() + " (" + DeployLock.human(Duration.between(r.since(), Instant.now())) + " ago)")
                    + (r.by() == null ? "" : " by " + Text.printable(r.by())));
        }
        record.ifPresent(r -> {
            for (Colour c : Colour.values()) r.gatedRelease(c).ifPresent(g -> out.println("  " + c + " last passed its gate with release " + Text.printable(g)));
            out.println("  front: " + (r.front().managed() ? "managed, port " + r.front().port() : "passive"));
            if (r.front().managed()) edge(out, r.front().edge());
        });
        out.println("  lock: " + store.describeLock(Instant.now()));
        out.flush();
        return read.problem().isEmpty() && record.flatMap(lib.model.LiveRecord::liveColour).isPresent();
    }

    public static void history(PrintWriter out, java.util.List<ReleaseHistory.Entry> entries) {
        if (entries.isEmpty()) {
            out.println("no deploys recorded yet");
            return;
        }
        out.printf("%-24s %-8s %-12s %-6s %-12s %-11s %7s  %s%n", "when", "action", "release", "colour", "previous", "result", "seconds", "by");
        for (ReleaseHistory.Entry e : entries) {
            // Every field is the history file's word, which anything with access to the volume could have written.
            out.printf("%-24.24s %-8s %-12s %-6s %-12s %-11s %7.1f  %s%s%n", Text.printable(e.at()), Text.printable(e.action()),
                    Text.printable(e.release()), Text.printable(e.colour()), e.previousRelease() == null ? "-" : Text.printable(e.previousRelease()),
                    Text.printable(e.result()), e.durationMillis() / 1000.0, Text.printable(e.by()),
                    (e.reason() == null ? "" : "  (" + Text.printable(Text.oneLine(e.reason())) + ")")
                            + (e.notes() == null ? "" : "  note: " + Text.printable(Text.oneLine(e.notes())))
                            + (e.tasks() == null ? "" : "  " + Text.printable(Text.oneLine(e.tasks()))));
            if (e.traffic() != null) out.println("    " + Text.printable(e.traffic().describe()));
            if (e.watch() != null) out.println("    " + Text.printable(e.watch().describe()));
        }
        out.flush();
    }
}
