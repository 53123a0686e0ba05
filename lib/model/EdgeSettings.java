package lib.model;

import java.time.Duration;
import java.util.List;

/**
 * What the managed front does at the edge besides switching colours: request bodies, timeouts, which proxies in
 * front of it are trusted for the client's address, TLS, and maintenance mode. Recorded on the host with the
 * front's other settings ({@link LiveRecord}) so later commands need no flags; rendered by lib.front.NginxConfig.
 *
 * @param maxBody        nginx's client_max_body_size spelling ("64m"; "0" means no limit)
 * @param trustedProxies CIDR blocks whose X-Forwarded-For is honoured (nginx's realip); empty: nobody's
 */
public record EdgeSettings(String maxBody, Duration readTimeout, Duration sendTimeout, List<String> trustedProxies, Tls tls,
                           Maintenance maintenance) {
    public static final String DEFAULT_MAX_BODY = "64m";
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(300);
    public static final Duration DEFAULT_SEND_TIMEOUT = Duration.ofSeconds(300);
    public static final int DEFAULT_TLS_PORT = 443;

    public EdgeSettings {
        trustedProxies = List.copyOf(trustedProxies);
    }

    public static EdgeSettings defaults() {
        return new EdgeSettings(DEFAULT_MAX_BODY, DEFAULT_READ_TIMEOUT, DEFAULT_SEND_TIMEOUT, List.of(), Tls.off(), Maintenance.off());
    }

    /**
     * TLS at the front. The files are paths on the deploying machine (the key's content never enters this value, so
     * no toString or label can show it); fingerprint and expiry describe the certificate the front was given.
     */
    public record Tls(boolean on, String cert, String key, int port, boolean redirect, String fingerprint, String notAfter) {
        public static Tls off() {
            return new Tls(false, null, null, DEFAULT_TLS_PORT, true, null, null);
        }

        public Tls withCertificate(String fingerprint, String notAfter) {
            return new Tls(on, cert, key, port, redirect, fingerprint, notAfter);
        }
    }

    /** Maintenance mode: the front answers 503 with a page to everyone but {@code allow}; the colours keep running. */
    public record Maintenance(boolean on, List<String> allow, int retryAfterSeconds, String since) {
        public static final int DEFAULT_RETRY_AFTER = 120;

        public Maintenance {
            allow = List.copyOf(allow);
        }

        public static Maintenance off() {
            return new Maintenance(false, List.of(), DEFAULT_RETRY_AFTER, null);
        }
    }

    public EdgeSettings withTls(Tls t) {
        return new EdgeSettings(maxBody, readTimeout, sendTimeout, trustedProxies, t, maintenance);
    }

    public EdgeSettings withMaintenance(Maintenance m) {
        return new EdgeSettings(maxBody, readTimeout, sendTimeout, trustedProxies, tls, m);
    }
}
