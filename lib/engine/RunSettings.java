package lib.engine;

import lib.docker.ImagePuller;
import lib.health.Probes;
import lib.model.EdgeSettings;
import lib.model.FrontSettings;
import lib.model.KeepOld;
import lib.model.LiveRecord;
import lib.model.WatchSettings;
import lib.project.Hooks;
import lib.project.Notifier;

import java.io.PrintWriter;
import java.time.Duration;

/**
 * Everything a run needs that does not come from the host, resolved by the command line before the run (options
 * first, then deploy.yml) into one value the engine takes and never changes. What the host recorded comes last:
 * {@link #frontFor} and {@link #keepOldFor} settle it once the host is read.
 *
 * @param frontGiven   whether --front or deploy.yml's front.kind chose the front (else the host's record decides)
 * @param frontPlace   which of the front's settings the run named (they win over the record's): port, bind, image, publish_ports, and the
 *                     edge's max_body, read_timeout, send_timeout, trusted_proxies, tls (a certificate), tls.port, tls.redirect
 * @param keepOldGiven whether --keep-old or --remove-old chose what becomes of the old colour (else the front decides)
 * @param checks       deploy.yml's health.checks: what the new colour must answer, after its gate, before the switch
 * @param watch        the watch window after the switch (--watch, deploy.yml watch:); {@link WatchSettings#OFF} by default
 */
public record RunSettings(String action, Duration gateTimeout, Probes.Settings probe, ImagePuller.Policy pull,
                          FrontSettings front, boolean frontGiven, java.util.Set<String> frontPlace, KeepOld keepOld, boolean keepOldGiven,
                          Notifier notifier, Hooks hooks, String environment, java.util.List<lib.model.SmokeCheck> checks, WatchSettings watch) {

    public RunSettings(String action, Duration gateTimeout, Probes.Settings probe, ImagePuller.Policy pull,
                       FrontSettings front, boolean frontGiven, java.util.Set<String> frontPlace, KeepOld keepOld, boolean keepOldGiven,
                       Notifier notifier, Hooks hooks, String environment, java.util.List<lib.model.SmokeCheck> checks) {
        this(action, gateTimeout, probe, pull, front, frontGiven, frontPlace, keepOld, keepOldGiven, notifier, hooks, environment, checks, WatchSettings.OFF);
    }

    public RunSettings withWatch(WatchSettings w) {
        return new RunSettings(action, gateTimeout, probe, pull, front, frontGiven, frontPlace, keepOld, keepOldGiven, notifier, hooks, environment, checks, w);
    }

    /** One host of a fleet: the fleet notifies and runs hooks once for all hosts. */
    public RunSettings forFleetMember(PrintWriter out, PrintWriter err) {
        return new RunSettings(action, gateTimeout, probe, pull, front, frontGiven, frontPlace, keepOld, keepOldGiven,
                Notifier.none(err), Hooks.none(out), environment, checks, watch);
    }

    /**
     * The front is what the host recorded unless the command line (or deploy.yml) chose one: a rollback or a deploy
     * without --front must not leave a managed front pointing at a colour it is about to stop. A service or target
     * port the run names wins over the recorded one.
     */
    public FrontSettings frontFor(LiveRecord record) {
        FrontSettings chosen = placeFor(record);
        if (!chosen.managed()) return chosen;
        return chosen.withEdge(edgeFor(record.front().managed() ? record.front().edge() : EdgeSettings.defaults()));
    }

    /**
     * Each edge setting the run names (option or deploy.yml) wins over the recorded one, which otherwise stays: a
     * deploy without flags keeps the front's body limit, TLS and trusted proxies. Maintenance is the host's state,
     * set by `maintenance on|off` only, so a deploy keeps it as recorded.
     */
    EdgeSettings edgeFor(EdgeSettings recorded) {
        return edgeFor(front.edge(), frontPlace, recorded);
    }

    /** The same for a command that changes the front alone (`front reload`): the run's settings it names over the recorded ones. */
    public static EdgeSettings edgeFor(EdgeSettings run, java.util.Set<String> frontPlace, EdgeSettings recorded) {
        EdgeSettings.Tls tls;
        if (frontPlace.contains("tls")) {
            tls = new EdgeSettings.Tls(true, run.tls().cert(), run.tls().key(),
                    frontPlace.contains("tls.port") || !recorded.tls().on() ? run.tls().port() : recorded.tls().port(),
                    frontPlace.contains("tls.redirect") || !recorded.tls().on() ? run.tls().redirect() : recorded.tls().redirect(),
                    run.tls().fingerprint(), run.tls().notAfter());
        } else {
            EdgeSettings.Tls r = recorded.tls();
            tls = new EdgeSettings.Tls(r.on(), r.cert(), r.key(), frontPlace.contains("tls.port") ? run.tls().port() : r.port(),
                    frontPlace.contains("tls.redirect") ? run.tls().redirect() : r.redirect(), r.fingerprint(), r.notAfter());
        }
        return new EdgeSettings(frontPlace.contains("max_body") ? run.maxBody() : recorded.maxBody(),
                frontPlace.contains("read_timeout") ? run.readTimeout() : recorded.readTimeout(),
                frontPlace.contains("send_timeout") ? run.sendTimeout() : recorded.sendTimeout(),
                frontPlace.contains("trusted_proxies") ? run.trustedProxies() : recorded.trustedProxies(),
                tls, recorded.maintenance());
    }

    private FrontSettings placeFor(LiveRecord record) {
        FrontSettings recorded = record.front();
        if (frontGiven || !recorded.managed()) return front.managed() ? front : FrontSettings.passive();
        // A port, address or image the run names is not dropped for the recorded one: the front then refuses it, saying how.
        return new FrontSettings(true, frontPlace.contains("port") ? front.port() : recorded.port(),
                frontPlace.contains("bind") ? front.bind() : recorded.bind(), frontPlace.contains("image") ? front.image() : recorded.image(),
                front.service() != null ? front.service() : recorded.service(),
                front.targetPort() != null ? front.targetPort() : recorded.targetPort(),
                recorded.drain() != null ? recorded.drain() : front.drain(),
                frontPlace.contains("publish_ports") ? front.publishPorts() : recorded.publishPorts());
    }

    /** What becomes of the old colour: as asked, except that a warm standby needs the managed front to keep traffic off it. */
    public KeepOld keepOldFor(FrontSettings resolvedFront) {
        if (keepOldGiven) return keepOld == KeepOld.RUNNING && !resolvedFront.managed() ? KeepOld.STOPPED : keepOld;
        return resolvedFront.managed() ? KeepOld.RUNNING : keepOld;
    }
}
