package lib.engine;

import lib.colour.Colour;
import lib.colour.Labels;
import lib.docker.MarkerImage;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;

import java.time.Instant;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What the host says serves an app, written by the engine at the switch, so that no later command has to guess from
 * container timestamps: the live colour and release, how traffic reaches the app (passive or managed front, with
 * the managed front's settings), and which release of each colour passed its health gate. It lives in the labels
 * of a never-started marker container, {@code <app>-bgdeploy-live}: replaced by creating the new record under a
 * second name, removing the old one and renaming, so a crash leaves one readable record or the other.
 */
public record LiveRecord(Colour live, String release, Instant since, String by, Front front,
                         Map<Colour, String> gated) {

    /** How traffic reaches the colours: passive (a host nginx on both colour ports) or the managed front. */
    public record Front(boolean managed, int port, String bind, String image, String service, Integer targetPort, String drain) {
        public static Front passive() {
            return new Front(false, 0, null, null, null, null, null);
        }
    }

    static final String P = Labels.NS + "live.";

    public static String name(String app) {
        return app + "-bgdeploy-live";
    }

    public Optional<Colour> liveColour() {
        return Optional.ofNullable(live);
    }

    /** The release this colour held when it last passed its gate, if the record knows it. */
    public Optional<String> gatedRelease(Colour c) {
        return Optional.ofNullable(gated.get(c));
    }

    public LiveRecord withGated(Colour c, String rel) {
        Map<Colour, String> g = new EnumMap<>(Colour.class);
        g.putAll(gated);
        g.put(c, rel);
        return new LiveRecord(live, release, since, by, front, g);
    }

    public LiveRecord withLive(Colour c, String rel, String who, Front f) {
        return new LiveRecord(c, rel, Instant.now(), who, f, gated);
    }

    public static LiveRecord empty() {
        return new LiveRecord(null, null, null, null, Front.passive(), new EnumMap<>(Colour.class));
    }

    Map<String, String> toLabels(String app) {
        Map<String, String> l = new LinkedHashMap<>(MarkerImage.labels());
        l.put(Labels.ROLE, "live-record");
        l.put(Labels.APP, app);
        if (live != null) l.put(P + "colour", live.id());
        if (release != null) l.put(P + "release", release);
        if (since != null) l.put(P + "since", since.toString());
        if (by != null) l.put(P + "by", by);
        l.put(P + "front", front.managed() ? "managed" : "passive");
        if (front.managed()) {
            l.put(P + "front.port", String.valueOf(front.port()));
            l.put(P + "front.bind", front.bind());
            l.put(P + "front.image", front.image());
            if (front.service() != null) l.put(P + "front.service", front.service());
            if (front.targetPort() != null) l.put(P + "front.target-port", String.valueOf(front.targetPort()));
            if (front.drain() != null) l.put(P + "front.drain", front.drain());
        }
        gated.forEach((c, rel) -> l.put(P + "gated." + c.id(), rel));
        return l;
    }

    /** Unknown or damaged values read as absent: a record is a hint about the past, never a reason to fail. */
    static LiveRecord fromLabels(Map<String, String> l) {
        Map<Colour, String> gated = new EnumMap<>(Colour.class);
        for (Colour c : Colour.values()) {
            String g = l.get(P + "gated." + c.id());
            if (g != null) gated.put(c, g);
        }
        boolean managed = "managed".equals(l.get(P + "front"));
        Front front = managed ? new Front(true, intOr(l.get(P + "front.port"), 8000), l.getOrDefault(P + "front.bind", "127.0.0.1"),
                l.getOrDefault(P + "front.image", "nginx:stable"), l.get(P + "front.service"),
                l.containsKey(P + "front.target-port") ? intOr(l.get(P + "front.target-port"), 80) : null, l.get(P + "front.drain"))
                : Front.passive();
        return new LiveRecord(colour(l.get(P + "colour")), l.get(P + "release"), instant(l.get(P + "since")), l.get(P + "by"), front, gated);
    }

    public static Optional<LiveRecord> read(DockerClient docker, String app) {
        for (String n : new String[]{name(app), name(app) + "-next"}) {
            try {
                Map<String, String> labels = docker.inspectContainerCmd(n).exec().getConfig().getLabels();
                if (labels != null) return Optional.of(fromLabels(labels));
            } catch (NotFoundException absent) {
                // try the other name: a crash between remove and rename leaves only the new record
            }
        }
        return Optional.empty();
    }

    public void write(DockerClient docker, String app) {
        String image = MarkerImage.ensure(docker);
        String next = name(app) + "-next";
        remove(docker, next);
        docker.createContainerCmd(image).withName(next).withLabels(toLabels(app)).withCmd("/live").exec();
        remove(docker, name(app));
        try {
            docker.renameContainerCmd(next).withName(name(app)).exec();
        } catch (ConflictException raced) {
            // another writer got there first; both hold the lock-protected truth, so either record is right
        }
    }

    private static void remove(DockerClient docker, String name) {
        try {
            docker.removeContainerCmd(name).withForce(true).exec();
        } catch (NotFoundException gone) {
            // nothing to replace
        }
    }

    private static Colour colour(String s) {
        if (s == null) return null;
        for (Colour c : Colour.values()) if (c.id().equals(s)) return c;
        return null;
    }

    private static int intOr(String s, int fallback) {
        try {
            return Integer.parseInt(s);
        } catch (RuntimeException e) {
            return fallback;
        }
    }

    private static Instant instant(String s) {
        try {
            return s == null ? null : Instant.parse(s);
        } catch (RuntimeException e) {
            return null;
        }
    }
}
