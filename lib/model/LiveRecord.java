package lib.model;

import lib.model.Colour;
import lib.base.Labels;
import lib.base.Text;


import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What the host says serves an app, written by the engine at the switch, so that no later command has to guess from
 * container timestamps: the live colour and release, how traffic reaches the app (passive or managed front, with
 * the managed front's settings), and which release of each colour passed its health gate. Stored by
 * {@code lib.host.RecordStore} in the labels of a marker container.
 */
public record LiveRecord(Colour live, String release, Instant since, String by, FrontSettings front,
                         Map<Colour, String> gated, Preview preview) {

    /**
     * A preview open on the host (deploy.java --preview): the colour that passed its gate and its checks beside the
     * live one, reached only through the managed front's preview port and cookie until promote or abort.
     */
    public record Preview(Colour colour, String release, Instant since, String by) {}

    /** A record with no preview open. */
    public LiveRecord(Colour live, String release, Instant since, String by, FrontSettings front, Map<Colour, String> gated) {
        this(live, release, since, by, front, gated, null);
    }

    public Optional<Preview> openPreview() {
        return Optional.ofNullable(preview);
    }

    public LiveRecord withPreview(Preview p) {
        return new LiveRecord(live, release, since, by, front, gated, p);
    }

    static final String P = Labels.NS + "live.";
    /** What marks the record's container as ours beside the record itself. */
    public static final String ROLE = "live-record";

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
        return new LiveRecord(live, release, since, by, front, g, preview);
    }

    /** The colour's release may no longer serve (it was switched away from for failing): rollback and status do not offer it. */
    public LiveRecord withoutGated(Colour c) {
        Map<Colour, String> g = new EnumMap<>(Colour.class);
        g.putAll(gated);
        g.remove(c);
        return new LiveRecord(live, release, since, by, front, g);
    }

    public LiveRecord withLive(Colour c, String rel, String who, FrontSettings f) {
        // A colour going live ends any preview: it was of this colour (promote), or routes to nothing any more.
        return new LiveRecord(c, rel, Instant.now(), who, f, gated, null);
    }

    public LiveRecord withFront(FrontSettings f) {
        return new LiveRecord(live, release, since, by, f, gated, preview);
    }

    public static LiveRecord empty() {
        return new LiveRecord(null, null, null, null, FrontSettings.passive(), new EnumMap<>(Colour.class));
    }

    /** The record as labels of its marker container; {@link #fromLabels} reads them back. */
    public Map<String, String> toLabels(String app) {
        Map<String, String> l = new LinkedHashMap<>();
        l.put(Labels.ROLE, ROLE);
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
            if (front.drain() != null) l.put(P + "front.drain", front.drain().toString());
            l.put(P + "front.publish-ports", String.valueOf(front.publishPorts()));
            l.put(P + "front.preview-port", String.valueOf(front.previewPort()));
            edgeLabels(front.edge(), l);
        }
        gated.forEach((c, rel) -> l.put(P + "gated." + c.id(), rel));
        if (preview != null) {
            l.put(P + "preview.colour", preview.colour().id());
            if (preview.release() != null) l.put(P + "preview.release", preview.release());
            if (preview.since() != null) l.put(P + "preview.since", preview.since().toString());
            if (preview.by() != null) l.put(P + "preview.by", preview.by());
        }
        return l;
    }

    /**
     * What is wrong with a record as its labels hold it, or null when it can be trusted: made by hand or by a bug,
     * a record that names no colour we know, hides control characters, or says a colour is live without saying it
     * passed its gate must not decide what serves. The caller then judges by the containers, as on a host without one.
     */
    public static String problem(Map<String, String> l, String app) {
        if (!ROLE.equals(l.get(Labels.ROLE))) return "it is not marked as a live record";
        if (!app.equals(l.get(Labels.APP))) return "it names app \"" + Text.printable(l.get(Labels.APP)) + "\"";
        for (Map.Entry<String, String> e : l.entrySet()) {
            if (e.getKey().startsWith(P) && e.getValue() != null && e.getValue().chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f)) {
                return e.getKey().substring(P.length()) + " holds control characters";
            }
        }
        String colour = l.get(P + "colour");
        if (colour != null && colour(colour) == null) return "it names colour \"" + colour + "\", which is neither blue nor green";
        if (colour != null && !l.containsKey(P + "gated." + colour)) return "it says " + colour + " is live but not that it passed its gate";
        String front = l.getOrDefault(P + "front", "passive");
        if (!front.equals("managed") && !front.equals("passive")) return "its front is \"" + front + "\", neither managed nor passive";
        if (front.equals("managed")) {
            int port = intOr(l.get(P + "front.port"), -1);
            if (port < 1 || port > 65535) return "its managed front has no port 1-65535";
        }
        return null;
    }

    /** Unknown or damaged values read as absent: a record is a hint about the past, never a reason to fail. */
    public static LiveRecord fromLabels(Map<String, String> l) {
        Map<Colour, String> gated = new EnumMap<>(Colour.class);
        for (Colour c : Colour.values()) {
            String g = l.get(P + "gated." + c.id());
            if (g != null) gated.put(c, g);
        }
        boolean managed = "managed".equals(l.get(P + "front"));
        FrontSettings front = managed ? new FrontSettings(true, intOr(l.get(P + "front.port"), FrontSettings.DEFAULT_PORT),
                l.getOrDefault(P + "front.bind", FrontSettings.DEFAULT_BIND), l.getOrDefault(P + "front.image", FrontSettings.DEFAULT_IMAGE),
                l.get(P + "front.service"), l.containsKey(P + "front.target-port") ? intOr(l.get(P + "front.target-port"), 80) : null,
                duration(l.get(P + "front.drain")),
                // A record written before the setting existed: its colours were published, and keep being so until asked.
                !"false".equals(l.get(P + "front.publish-ports")), edge(l), port(l.get(P + "front.preview-port")))
                : FrontSettings.passive();
        Colour live = colour(l.get(P + "colour"));
        return new LiveRecord(live, l.get(P + "release"), instant(l.get(P + "since")), l.get(P + "by"), front, gated, preview(l, live, gated));
    }

    /**
     * The open preview, if the labels hold one that can be true: of a colour we know, other than the live one, that
     * passed its gate with the release it names. Anything else reads as no preview (and the colour is judged as any).
     */
    private static Preview preview(Map<String, String> l, Colour live, Map<Colour, String> gated) {
        Colour c = colour(l.get(P + "preview.colour"));
        if (c == null || c == live || !gated.containsKey(c)) return null;
        String release = l.get(P + "preview.release");
        if (release != null && !release.equals(gated.get(c))) return null;
        return new Preview(c, release, instant(l.get(P + "preview.since")), l.get(P + "preview.by"));
    }

    private static int port(String s) {
        int p = intOr(s, 0);
        return p < 1 || p > 65535 ? 0 : p;
    }

    /** The edge settings as labels: paths, fingerprint and expiry of the certificate, never anything of the key. */
    private static void edgeLabels(EdgeSettings e, Map<String, String> l) {
        l.put(P + "front.max-body", e.maxBody());
        l.put(P + "front.read-timeout", e.readTimeout().toString());
        l.put(P + "front.send-timeout", e.sendTimeout().toString());
        if (!e.trustedProxies().isEmpty()) l.put(P + "front.trusted-proxies", String.join(",", e.trustedProxies()));
        EdgeSettings.Tls t = e.tls();
        if (t.on()) {
            l.put(P + "front.tls", "on");
            l.put(P + "front.tls.port", String.valueOf(t.port()));
            l.put(P + "front.tls.redirect", String.valueOf(t.redirect()));
            if (t.cert() != null) l.put(P + "front.tls.cert", t.cert());
            if (t.key() != null) l.put(P + "front.tls.key-file", t.key());
            if (t.fingerprint() != null) l.put(P + "front.tls.fingerprint", t.fingerprint());
            if (t.notAfter() != null) l.put(P + "front.tls.not-after", t.notAfter());
        }
        EdgeSettings.Maintenance m = e.maintenance();
        if (m.on()) {
            l.put(P + "front.maintenance", "on");
            if (!m.allow().isEmpty()) l.put(P + "front.maintenance.allow", String.join(",", m.allow()));
            l.put(P + "front.maintenance.retry-after", String.valueOf(m.retryAfterSeconds()));
            if (m.since() != null) l.put(P + "front.maintenance.since", m.since());
        }
    }

    /**
     * The edge settings back from labels. A value that fails its rule (written by hand) reads as the default, and a
     * list entry that is no address is dropped: each goes into nginx's configuration.
     */
    private static EdgeSettings edge(Map<String, String> l) {
        EdgeSettings d = EdgeSettings.defaults();
        String maxBody = checked(l.get(P + "front.max-body"), lib.base.Values::size, d.maxBody());
        Duration read = Optional.ofNullable(duration(l.get(P + "front.read-timeout"))).filter(x -> !x.isNegative() && !x.isZero()).orElse(d.readTimeout());
        Duration send = Optional.ofNullable(duration(l.get(P + "front.send-timeout"))).filter(x -> !x.isNegative() && !x.isZero()).orElse(d.sendTimeout());
        EdgeSettings.Tls tls = EdgeSettings.Tls.off();
        if ("on".equals(l.get(P + "front.tls"))) {
            int port = intOr(l.get(P + "front.tls.port"), EdgeSettings.DEFAULT_TLS_PORT);
            tls = new EdgeSettings.Tls(true, l.get(P + "front.tls.cert"), l.get(P + "front.tls.key-file"), port < 1 || port > 65535 ? EdgeSettings.DEFAULT_TLS_PORT : port,
                    !"false".equals(l.get(P + "front.tls.redirect")), l.get(P + "front.tls.fingerprint"), l.get(P + "front.tls.not-after"));
        }
        EdgeSettings.Maintenance m = EdgeSettings.Maintenance.off();
        if ("on".equals(l.get(P + "front.maintenance"))) {
            int retry = intOr(l.get(P + "front.maintenance.retry-after"), EdgeSettings.Maintenance.DEFAULT_RETRY_AFTER);
            m = new EdgeSettings.Maintenance(true, cidrs(l.get(P + "front.maintenance.allow")), retry < 0 ? EdgeSettings.Maintenance.DEFAULT_RETRY_AFTER : retry,
                    l.get(P + "front.maintenance.since"));
        }
        return new EdgeSettings(maxBody, read, send, cidrs(l.get(P + "front.trusted-proxies")), tls, m);
    }

    private static java.util.List<String> cidrs(String joined) {
        if (joined == null || joined.isBlank()) return java.util.List.of();
        java.util.List<String> out = new java.util.ArrayList<>();
        for (String c : joined.split(",")) {
            String ok = checked(c, lib.base.Values::cidr, null);
            if (ok != null) out.add(ok);
        }
        return out;
    }

    private static <T> T checked(String s, java.util.function.Function<String, T> rule, T fallback) {
        if (s == null) return fallback;
        try {
            return rule.apply(s);
        } catch (IllegalArgumentException e) {
            return fallback;
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

    private static Duration duration(String s) {
        try {
            return s == null ? null : Duration.parse(s);
        } catch (RuntimeException e) {
            return null;
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
