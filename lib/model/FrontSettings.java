package lib.model;

import java.time.Duration;

/**
 * How traffic reaches an app's colours, as the run resolved it: passive (a host nginx balancing both colour ports,
 * as in the shell setup) or the managed front this toolkit owns, with its settings. Recorded on the host at each
 * switch, so a later command without flags keeps what the host runs.
 *
 * @param publishPorts whether the colours behind the managed front keep their Compose ports on the host (default
 *                     false: the front reaches them over its network); the passive front always publishes them, as it
 *                     balances those ports
 * @param edge         the managed front's edge settings: bodies, timeouts, trusted proxies, TLS, maintenance
 * @param previewPort  the managed front's second public port, bound like the first, where an open preview
 *                     (deploy.java --preview) answers; 0 when given as nothing: the front's port + 1
 */
public record FrontSettings(boolean managed, int port, String bind, String image, String service, Integer targetPort, Duration drain,
                            boolean publishPorts, EdgeSettings edge, int previewPort) {
    public enum Kind { PASSIVE, MANAGED }

    public static final int DEFAULT_PORT = 8000;
    public static final String DEFAULT_BIND = "127.0.0.1";
    public static final String DEFAULT_IMAGE = "nginx:stable";
    public static final Duration DEFAULT_DRAIN = Duration.ofSeconds(30);

    public FrontSettings {
        if (edge == null) edge = EdgeSettings.defaults();
        if (previewPort <= 0 && port > 0) previewPort = port < 65535 ? port + 1 : port - 1;
    }

    /** With the default preview port (the front's port + 1). */
    public FrontSettings(boolean managed, int port, String bind, String image, String service, Integer targetPort, Duration drain,
                         boolean publishPorts, EdgeSettings edge) {
        this(managed, port, bind, image, service, targetPort, drain, publishPorts, edge, 0);
    }

    /** Each front's default for publishPorts (the managed one publishes nothing, the passive one everything), default edge. */
    public FrontSettings(boolean managed, int port, String bind, String image, String service, Integer targetPort, Duration drain) {
        this(managed, port, bind, image, service, targetPort, drain, !managed, EdgeSettings.defaults());
    }

    /** With the default edge settings. */
    public FrontSettings(boolean managed, int port, String bind, String image, String service, Integer targetPort, Duration drain,
                         boolean publishPorts) {
        this(managed, port, bind, image, service, targetPort, drain, publishPorts, EdgeSettings.defaults());
    }

    public static FrontSettings passive() {
        return new FrontSettings(false, 0, null, null, null, null, null, true);
    }

    /** A managed front with every default: what status and detection use to read a front without flags. */
    public static FrontSettings managedDefaults() {
        return new FrontSettings(true, DEFAULT_PORT, DEFAULT_BIND, DEFAULT_IMAGE, null, null, DEFAULT_DRAIN, false);
    }

    public FrontSettings withEdge(EdgeSettings e) {
        return new FrontSettings(managed, port, bind, image, service, targetPort, drain, publishPorts, e, previewPort);
    }

    public FrontSettings withPreviewPort(int p) {
        return new FrontSettings(managed, port, bind, image, service, targetPort, drain, publishPorts, edge, p);
    }
}
