package lib.model;

import java.time.Duration;

/**
 * How traffic reaches an app's colours, as the run resolved it: passive (a host nginx balancing both colour ports,
 * as in the shell setup) or the managed front this toolkit owns, with its settings. Recorded on the host at each
 * switch, so a later command without flags keeps what the host runs. publishPorts: whether the colours behind the
 * managed front keep their Compose ports on the host (default false: the front reaches them over its network); the
 * passive front always publishes them, as it balances those ports.
 */
public record FrontSettings(boolean managed, int port, String bind, String image, String service, Integer targetPort, Duration drain,
                            boolean publishPorts) {
    public enum Kind { PASSIVE, MANAGED }

    public static final int DEFAULT_PORT = 8000;
    public static final String DEFAULT_BIND = "127.0.0.1";
    public static final String DEFAULT_IMAGE = "nginx:stable";
    public static final Duration DEFAULT_DRAIN = Duration.ofSeconds(30);

    /** Without publishPorts: the default of each front (the managed one publishes nothing, the passive one everything). */
    public FrontSettings(boolean managed, int port, String bind, String image, String service, Integer targetPort, Duration drain) {
        this(managed, port, bind, image, service, targetPort, drain, !managed);
    }

    public static FrontSettings passive() {
        return new FrontSettings(false, 0, null, null, null, null, null, true);
    }

    /** A managed front with every default: what status and detection use to read a front without flags. */
    public static FrontSettings managedDefaults() {
        return new FrontSettings(true, DEFAULT_PORT, DEFAULT_BIND, DEFAULT_IMAGE, null, null, DEFAULT_DRAIN, false);
    }
}
