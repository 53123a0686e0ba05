package lib.model;

import java.time.Duration;

/**
 * How traffic reaches an app's colours, as the run resolved it: passive (a host nginx balancing both colour ports,
 * as in the shell setup) or the managed front this toolkit owns, with its settings. Recorded on the host at each
 * switch, so a later command without flags keeps what the host runs.
 */
public record FrontSettings(boolean managed, int port, String bind, String image, String service, Integer targetPort, Duration drain) {
    public enum Kind { PASSIVE, MANAGED }

    public static final int DEFAULT_PORT = 8000;
    public static final String DEFAULT_BIND = "127.0.0.1";
    public static final String DEFAULT_IMAGE = "nginx:stable";
    public static final Duration DEFAULT_DRAIN = Duration.ofSeconds(30);

    public static FrontSettings passive() {
        return new FrontSettings(false, 0, null, null, null, null, null);
    }

    /** A managed front with every default: what status and detection use to read a front without flags. */
    public static FrontSettings managedDefaults() {
        return new FrontSettings(true, DEFAULT_PORT, DEFAULT_BIND, DEFAULT_IMAGE, null, null, DEFAULT_DRAIN);
    }
}
