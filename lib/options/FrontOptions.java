package lib.options;

import lib.model.EdgeSettings;
import lib.model.FrontSettings;
import lib.front.TlsFiles;
import lib.base.Values;
import lib.options.Converters;
import lib.base.DeployError;
import lib.base.ExitCode;
import lib.compose.ComposeProject;
import lib.model.Colour;

import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/** How traffic reaches the colours: the shell setup's passive host nginx, or a front this toolkit manages. */
public final class FrontOptions {
        @Option(names = "--front", paramLabel = "KIND", defaultValue = "passive", converter = Converters.Front.class,
            description = "passive (default): a host nginx balances both colour ports, as in the shell setup. "
                    + "managed: an nginx container this tool owns switches atomically to the new colour after the health gate, "
                    + "then drains the old one before it stops.")
    public FrontSettings.Kind kind = FrontSettings.Kind.PASSIVE;

    @Option(names = "--front-port", paramLabel = "PORT", defaultValue = "8000", converter = Converters.Port.class,
            description = "Managed front: public port, 1-65535 (default: ${DEFAULT-VALUE}).")
    public int port = 8000;

    @Option(names = "--front-preview-port", paramLabel = "PORT", converter = Converters.Port.class,
            description = "Managed front: the second public port, bound like --front-bind, where an open preview (--preview) answers "
                    + "and, without one, a one-line 404 (default: --front-port + 1).")
    public Integer previewPort;

    @Option(names = "--front-bind", paramLabel = "IP", defaultValue = "127.0.0.1",
            description = "Managed front: address the public port binds to (default: ${DEFAULT-VALUE}; 0.0.0.0 for all).")
    public String bind = "127.0.0.1";

    @Option(names = "--front-image", paramLabel = "IMAGE", defaultValue = "nginx:stable",
            description = "Managed front: nginx image (default: ${DEFAULT-VALUE}).")
    public String image = "nginx:stable";

    @Option(names = "--front-service", paramLabel = "SERVICE",
            description = "Managed front: the colour's service that receives traffic (default: the first service with ports: in the Compose file).")
    public String service;

    @Option(names = "--front-target-port", paramLabel = "PORT", converter = Converters.Port.class,
            description = "Managed front: that service's container port (default: its first published container port, else 80).")
    public Integer targetPort;

    @Option(names = "--front-publish-ports", negatable = true, fallbackValue = "true",
            description = "Managed front: keep the Compose file's host ports on the colours (default: off; the front reaches them over "
                    + "its network, nothing bypasses it, and a new colour starts while the standby it replaces is still being removed).")
    public boolean publishPorts = false;

    @Option(names = "--drain-timeout", paramLabel = "DURATION", defaultValue = "30s", converter = Converters.Timeout.class,
            description = "Managed front: how long in-flight requests on the old colour may take to finish after the switch, at most 24h (default: ${DEFAULT-VALUE}).")
    public Duration drainTimeout = Duration.ofSeconds(30);

    @Option(names = "--front-max-body", paramLabel = "SIZE", defaultValue = "64m", converter = Converters.Size.class,
            description = "Managed front: the largest request body, e.g. 64m, 512k, 1g; 0 for no limit (default: ${DEFAULT-VALUE}). "
                    + "Over it the front answers 413. Bodies are streamed to the colour, not spooled.")
    public String maxBody = EdgeSettings.DEFAULT_MAX_BODY;

    @Option(names = "--front-read-timeout", paramLabel = "DURATION", defaultValue = "300s", converter = Converters.PositiveTimeout.class,
            description = "Managed front: how long the colour may go silent while answering (nginx's proxy_read_timeout; default: ${DEFAULT-VALUE}).")
    public Duration readTimeout = EdgeSettings.DEFAULT_READ_TIMEOUT;

    @Option(names = "--front-send-timeout", paramLabel = "DURATION", defaultValue = "300s", converter = Converters.PositiveTimeout.class,
            description = "Managed front: how long the colour may take to accept the request (nginx's proxy_send_timeout; default: ${DEFAULT-VALUE}).")
    public Duration sendTimeout = EdgeSettings.DEFAULT_SEND_TIMEOUT;

    @Option(names = "--front-trusted-proxy", paramLabel = "CIDR", split = ",", converter = Converters.Cidr.class,
            description = "Managed front: a load balancer or CDN in front of it, whose X-Forwarded-For and X-Forwarded-Proto are honoured "
                    + "(repeatable; default: none, the headers are replaced for everyone).")
    public java.util.List<String> trustedProxies = new java.util.ArrayList<>();

    @Option(names = "--front-tls-cert", paramLabel = "FILE",
            description = "Managed front: terminate TLS with this PEM certificate (chain), e.g. certbot's fullchain.pem; needs --front-tls-key.")
    public Path tlsCert;

    @Option(names = "--front-tls-key", paramLabel = "FILE",
            description = "Managed front: the certificate's PEM private key, e.g. certbot's privkey.pem. Copied into the front only (mode 0600), never shown.")
    public Path tlsKey;

    @Option(names = "--front-tls-port", paramLabel = "PORT", defaultValue = "443", converter = Converters.Port.class,
            description = "Managed front: HTTPS port, bound like --front-bind (default: ${DEFAULT-VALUE}).")
    public int tlsPort = EdgeSettings.DEFAULT_TLS_PORT;

    @Option(names = "--front-tls-redirect", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Managed front with TLS: answer HTTP with a redirect to HTTPS (default: on; --no-front-tls-redirect serves both).")
    public boolean tlsRedirect = true;

    /** Which of the front's settings the command line or deploy.yml named (not left at their defaults). */
    public java.util.Set<String> placeGiven(ParseResult parsed) {
        java.util.Set<String> given = new java.util.TreeSet<>();
        if (parsed.hasMatchedOption("--front-port") || fromFile.contains("port")) given.add("port");
        if (parsed.hasMatchedOption("--front-bind") || fromFile.contains("bind")) given.add("bind");
        if (parsed.hasMatchedOption("--front-image") || fromFile.contains("image")) given.add("image");
        String[][] edge = {{"--front-max-body", "max_body"}, {"--front-read-timeout", "read_timeout"}, {"--front-send-timeout", "send_timeout"},
                {"--front-trusted-proxy", "trusted_proxies"}, {"--front-tls-cert", "tls"}, {"--front-tls-port", "tls.port"}, {"--front-tls-redirect", "tls.redirect"}};
        for (String[] e : edge) if (parsed.hasMatchedOption(e[0]) || fromFile.contains(e[1])) given.add(e[1]);
        if (parsed.hasMatchedOption("--front-publish-ports") || fromFile.contains("publish_ports")) given.add("publish_ports");
        if (parsed.hasMatchedOption("--front-preview-port") || fromFile.contains("preview_port")) given.add("preview_port");
        return given;
    }

    /** Where the TLS files came from, for an error about a missing half: the command line (exit 2) or deploy.yml (exit 3). */
    private int tlsExit = ExitCode.USAGE;

    private final java.util.Set<String> fromFile = new java.util.HashSet<>();

    /** Where --front-port's value came from, for an error about it: the command line (exit 2) or deploy.yml (exit 3). */
    private String portFrom = "--front-port";
    private int portExit = ExitCode.USAGE;

    /** The same for --front-preview-port. */
    private String previewFrom = "--front-preview-port";
    private int previewExit = ExitCode.USAGE;

    /**
     * A managed front on a colour's host port holds it, so every later start of that colour fails "port is already
     * allocated" without a word about the front; refused before anything is touched.
     */
    public void checkPorts(Map<Colour, ComposeProject> composed, Map<Colour, Integer> deployPorts) {
        if (kind != FrontSettings.Kind.MANAGED) return;
        int preview = settings(EdgeSettings.defaults()).previewPort();
        String previewName = previewPort == null ? "the preview port (--front-port + 1, when --front-preview-port is not given)"
                : previewFrom + " " + preview;
        int previewExit = previewPort == null ? portExit : this.previewExit;
        // Docker publishes one of two container ports given the same host port and drops the other without a word.
        if (preview == port) {
            throw new DeployError(previewExit, previewName + " is the front's own port (" + portFrom + " " + port + "): give the preview another"
                    + " port, e.g. --front-preview-port " + (port < 65535 ? port + 1 : port - 1) + " (front.preview_port)");
        }
        if (tlsCert != null && preview == tlsPort) {
            throw new DeployError(previewPort == null ? tlsExit : this.previewExit, previewName + " is the front's TLS port (--front-tls-port "
                    + tlsPort + "): give the preview another port with --front-preview-port (front.preview_port)");
        }
        for (Colour c : Colour.values()) {
            for (ComposeProject.Service s : composed.get(c).services().values()) {
                for (ComposeProject.Port p : s.ports()) {
                    if (p.hostPort() == null || "udp".equals(p.protocol()) || !sameAddress(bind, p.hostIp())) continue;
                    // the default preview port yields to a colour's (the front is then made without it, with a note)
                    if (p.hostPort() != port && (previewPort == null || p.hostPort() != preview)) continue;
                    String which = p.hostPort() == port ? portFrom + " " + port : previewName;
                    String option = deployPorts.get(c) == (int) p.hostPort() ? " (--" + c.id() + "-port " + p.hostPort() + ")" : "";
                    throw new DeployError(p.hostPort() == port ? portExit : previewExit, which + " is also " + c + "'s host port" + option
                            + ", published by service \"" + s.name() + "\" of " + composed.get(c).file() + ": the managed front would hold it and every"
                            + " deploy to " + c + " would fail with \"port is already allocated\"; give the front another port");
                }
            }
        }
    }

    /** Docker allocates a host port per address, and the unspecified address takes it on every address. */
    private static boolean sameAddress(String a, String b) {
        boolean anyA = a == null || a.isEmpty() || a.equals("0.0.0.0") || a.equals("::");
        boolean anyB = b == null || b.isEmpty() || b.equals("0.0.0.0") || b.equals("::");
        return anyA || anyB || a.equals(b);
    }

    /** What the engine takes: the front as these options (and deploy.yml) chose it. */
    public FrontSettings settings() {
        return settings(edge());
    }

    private FrontSettings settings(EdgeSettings edge) {
        return new FrontSettings(kind == FrontSettings.Kind.MANAGED, port, bind, image, service, targetPort, drainTimeout, publishPorts, edge,
                previewPort == null ? 0 : previewPort);
    }

    /**
     * The edge settings; a certificate given is checked here, before anything on the host changes: both files
     * readable, the certificate valid now, the key its key (a one-line error otherwise).
     */
    public EdgeSettings edge() {
        EdgeSettings.Tls tls = EdgeSettings.Tls.off();
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new DeployError(tlsExit, tlsCert == null ? "--front-tls-key (front.tls.key) needs --front-tls-cert (front.tls.cert): give both"
                    : "--front-tls-cert (front.tls.cert) needs --front-tls-key (front.tls.key): give both");
        }
        if (tlsCert != null) {
            TlsFiles files = TlsFiles.load(tlsCert, tlsKey, tlsExit == ExitCode.CONFIG ? TlsFiles.Source.FILE : TlsFiles.Source.OPTIONS);
            tls = new EdgeSettings.Tls(true, tlsCert.toAbsolutePath().toString(), tlsKey.toAbsolutePath().toString(), tlsPort, tlsRedirect,
                    files.fingerprint(), files.notAfter().toString());
        } else {
            tls = new EdgeSettings.Tls(false, null, null, tlsPort, tlsRedirect, null, null);
        }
        return new EdgeSettings(maxBody, readTimeout, sendTimeout, trustedProxies, tls, EdgeSettings.Maintenance.off());
    }

    /** deploy.yml's front: section, for what the command line did not set; checked by the options' own rules. */
    public void defaultsFrom(Map<String, String> front, Path file, ParseResult parsed) {
        if (!parsed.hasMatchedOption("--front") && front.containsKey("kind")) {
            kind = Values.fromFile(file, "front.kind", front.get("kind"), v -> Values.choice(FrontSettings.Kind.class, v));
        }
        if (!parsed.hasMatchedOption("--front-port") && front.containsKey("port")) {
            port = Values.fromFile(file, "front.port", front.get("port"), Values::port);
            fromFile.add("port");
            portFrom = file + ": front.port";
            portExit = ExitCode.CONFIG;
        }
        if (!parsed.hasMatchedOption("--front-preview-port") && front.containsKey("preview_port")) {
            previewPort = Values.fromFile(file, "front.preview_port", front.get("preview_port"), Values::port);
            fromFile.add("preview_port");
            previewFrom = file + ": front.preview_port";
            previewExit = ExitCode.CONFIG;
        }
        if (!parsed.hasMatchedOption("--front-bind") && front.containsKey("bind")) {
            bind = front.get("bind");
            fromFile.add("bind");
        }
        if (!parsed.hasMatchedOption("--front-image") && front.containsKey("image")) {
            image = front.get("image");
            fromFile.add("image");
        }
        if (!parsed.hasMatchedOption("--front-service") && front.containsKey("service")) service = front.get("service");
        if (!parsed.hasMatchedOption("--front-target-port") && front.containsKey("target_port")) {
            targetPort = Values.fromFile(file, "front.target_port", front.get("target_port"), Values::port);
        }
        if (!parsed.hasMatchedOption("--front-max-body") && front.containsKey("max_body")) {
            maxBody = Values.fromFile(file, "front.max_body", front.get("max_body"), Values::size);
            fromFile.add("max_body");
        }
        if (!parsed.hasMatchedOption("--front-read-timeout") && front.containsKey("read_timeout")) {
            readTimeout = Values.fromFile(file, "front.read_timeout", front.get("read_timeout"), Values::positiveTimeout);
            fromFile.add("read_timeout");
        }
        if (!parsed.hasMatchedOption("--front-send-timeout") && front.containsKey("send_timeout")) {
            sendTimeout = Values.fromFile(file, "front.send_timeout", front.get("send_timeout"), Values::positiveTimeout);
            fromFile.add("send_timeout");
        }
        if (!parsed.hasMatchedOption("--front-trusted-proxy") && front.containsKey("trusted_proxies")) {
            trustedProxies = new java.util.ArrayList<>();
            for (String c : front.get("trusted_proxies").split(",")) {
                if (!c.isBlank()) trustedProxies.add(Values.fromFile(file, "front.trusted_proxies", c, Values::cidr));
            }
            fromFile.add("trusted_proxies");
        }
        if (!parsed.hasMatchedOption("--front-tls-cert") && !parsed.hasMatchedOption("--front-tls-key")
                && (front.containsKey("tls.cert") || front.containsKey("tls.key"))) {
            tlsCert = front.containsKey("tls.cert") ? Path.of(front.get("tls.cert")) : null;
            tlsKey = front.containsKey("tls.key") ? Path.of(front.get("tls.key")) : null;
            tlsExit = ExitCode.CONFIG;
            fromFile.add("tls");
        }
        if (!parsed.hasMatchedOption("--front-tls-port") && front.containsKey("tls.port")) {
            tlsPort = Values.fromFile(file, "front.tls.port", front.get("tls.port"), Values::port);
            fromFile.add("tls.port");
        }
        if (!parsed.hasMatchedOption("--front-tls-redirect") && front.containsKey("tls.redirect")) {
            tlsRedirect = Boolean.parseBoolean(front.get("tls.redirect"));
            fromFile.add("tls.redirect");
        }
        if (!parsed.hasMatchedOption("--front-publish-ports") && front.containsKey("publish_ports")) {
            publishPorts = Boolean.parseBoolean(front.get("publish_ports"));
            fromFile.add("publish_ports");
        }
        if (!parsed.hasMatchedOption("--drain-timeout") && front.containsKey("drain_timeout")) {
            drainTimeout = Values.fromFile(file, "front.drain_timeout", front.get("drain_timeout"), Values::timeout);
        }
    }

}
