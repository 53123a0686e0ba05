//DEPS com.github.docker-java:docker-java-core:3.5.1
//DEPS com.github.docker-java:docker-java-transport-httpclient5:3.5.1
//DEPS org.slf4j:slf4j-nop:1.7.36
package lib;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import com.github.dockerjava.transport.DockerHttpClient;

import java.io.PrintWriter;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Connects to the Docker host the way the docker CLI picks it: --host, then DOCKER_HOST (with
 * DOCKER_TLS_VERIFY / DOCKER_CERT_PATH), then DOCKER_CONTEXT or the current context of ~/.docker/config.json,
 * then the local socket. A plaintext tcp:// endpoint that is not loopback is refused unless the user opts in:
 * it hands root on the host to anyone on the network path.
 */
public final class DockerHost implements AutoCloseable {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration PING_TIMEOUT = Duration.ofSeconds(8);
    // Pulls and graceful stops legitimately take minutes; the ping above is what catches a dead daemon.
    static final Duration RESPONSE_TIMEOUT = Duration.ofMinutes(15);

    private final DockerClient client;
    private final URI endpoint;
    private final boolean tls;
    private final SshTunnel tunnel; // null unless ssh://

    private DockerHost(DockerClient client, URI endpoint, boolean tls, SshTunnel tunnel) {
        this.client = client;
        this.endpoint = endpoint;
        this.tls = tls;
        this.tunnel = tunnel;
    }

    public DockerClient client() {
        return client;
    }

    public URI endpoint() {
        return endpoint;
    }

    /** Where published ports of this host are reached from here: loopback for a local engine. */
    public String publishedHost() {
        return ("tcp".equals(endpoint.getScheme()) || "ssh".equals(endpoint.getScheme())) && endpoint.getHost() != null ? endpoint.getHost() : "127.0.0.1";
    }

    public String describe() {
        return endpoint + (tls ? " (TLS)" : "");
    }

    public static DockerHost connect(String hostFlag, boolean insecure, PrintWriter err) {
        return connect(hostFlag, null, null, insecure, err);
    }

    /** tlsVerify and certPath come from a deploy.yml environment; null leaves DOCKER_TLS_VERIFY / DOCKER_CERT_PATH in charge. */
    public static DockerHost connect(String hostFlag, Boolean tlsVerify, String certPath, boolean insecure, PrintWriter err) {
        DefaultDockerClientConfig.Builder builder = DefaultDockerClientConfig.createDefaultConfigBuilder();
        if (hostFlag != null && !hostFlag.isBlank()) builder.withDockerHost(hostFlag);
        if (tlsVerify != null) builder.withDockerTlsVerify(tlsVerify);
        if (certPath != null) builder.withDockerCertPath(certPath);
        DefaultDockerClientConfig config;
        try {
            config = builder.build();
        } catch (RuntimeException e) {
            throw new DeployError(ExitCode.DOCKER, "cannot use the Docker host settings (--host, DOCKER_HOST, DOCKER_CONTEXT, DOCKER_CERT_PATH): "
                    + Cli.oneLine(e.getMessage()));
        }
        URI endpoint = config.getDockerHost();
        SshTunnel tunnel = "ssh".equals(endpoint.getScheme()) ? SshTunnel.open(endpoint) : null;
        if (tunnel != null) config = builder.withDockerHost(tunnel.socketUri().toString()).withDockerTlsVerify(false).build();
        boolean tls = config.getSSLConfig() != null;
        checkTransportSecurity(endpoint, tls, insecure, err);

        DockerClient client = DockerClientImpl.getInstance(config, httpClient(config, RESPONSE_TIMEOUT));
        DockerHost host = new DockerHost(client, endpoint, tls, tunnel);
        host.ping(config);
        return host;
    }

    /** Pure rule, unit-tested: plaintext TCP is fine on loopback, needs an explicit opt-in anywhere else. */
    static void checkTransportSecurity(URI endpoint, boolean tls, boolean insecure, PrintWriter err) {
        String scheme = endpoint.getScheme();
        if (!"tcp".equals(scheme) || tls || isLoopback(endpoint.getHost())) return;
        if (!insecure) {
            throw new DeployError(ExitCode.DOCKER, "refusing plaintext Docker API at " + endpoint
                    + ": anyone on the network can take over that host. Use TLS (DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=DIR), "
                    + "an ssh tunnel to a loopback port, or pass --insecure to accept the risk");
        }
        err.println(Cli.ansi().string("@|yellow warning:|@ ") + "plaintext Docker API at " + endpoint
                + " (--insecure): traffic and host control are unprotected");
        err.flush();
    }

    /** Textual on purpose: resolving a name here would already send traffic to a resolver. */
    static boolean isLoopback(String host) {
        if (host == null) return false;
        String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        return h.equals("localhost") || h.startsWith("127.") || h.equals("::1");
    }

    private void ping(DefaultDockerClientConfig config) {
        try (DockerHttpClient http = httpClient(config, PING_TIMEOUT);
             DockerClient quick = DockerClientImpl.getInstance(config, http)) {
            // docker-java bounds neither a TLS handshake nor a read on a unix socket: a hung daemon would hang us here
            CompletableFuture.runAsync(() -> quick.pingCmd().exec()).get(PING_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            close();
            throw new DeployError(ExitCode.DOCKER, "Docker host " + describe() + " does not answer ("
                    + (e instanceof TimeoutException ? "no reply within " + PING_TIMEOUT.toSeconds() + "s" : rootMessage(e)) + "). Is dockerd running? Check --host / DOCKER_HOST / DOCKER_CONTEXT", e);
        }
    }

    private static DockerHttpClient httpClient(DefaultDockerClientConfig config, Duration responseTimeout) {
        return new ApacheDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost())
                .sslConfig(config.getSSLConfig())
                .connectionTimeout(CONNECT_TIMEOUT)
                .responseTimeout(responseTimeout)
                .maxConnections(20)
                .build();
    }

    static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        String m = root.getMessage();
        return root.getClass().getSimpleName() + (m == null ? "" : ": " + Cli.oneLine(m));
    }

    @Override
    public void close() {
        try {
            client.close();
        } catch (Exception ignored) {
            // closing a connection pool cannot lose anything the user cares about
        }
        if (tunnel != null) tunnel.close();
    }
}
