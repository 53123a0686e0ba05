//DEPS com.github.docker-java:docker-java-core:3.5.1
//DEPS com.github.docker-java:docker-java-transport-httpclient5:3.5.1
//DEPS org.slf4j:slf4j-nop:1.7.36
package lib.docker;

import lib.base.Home;
import lib.base.Text;
import lib.base.Style;
import lib.base.DeployError;
import lib.base.ExitCode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import com.github.dockerjava.transport.DockerHttpClient;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Connects to the Docker host the way the docker CLI picks it: --host, then DOCKER_HOST (with
 * DOCKER_TLS_VERIFY / DOCKER_CERT_PATH), then DOCKER_CONTEXT or the current context of ~/.docker/config.json,
 * then the local socket. Whatever names a host must be usable: a context that does not exist, TLS without its
 * certificates or an unknown scheme is an error (exit 5), never a quiet fall-back to the local socket or to
 * plaintext. A plaintext tcp:// endpoint that is not loopback is refused unless the user opts in: it hands root
 * on the host to anyone on the network path. The user info of a URL is never printed.
 */
public final class DockerHost implements AutoCloseable {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration PING_TIMEOUT = Duration.ofSeconds(8);
    // Every call answers within seconds on a healthy daemon (a pull streams progress, so it is never silent that
    // long); a frozen daemon is an error within this bound rather than a hang.
    static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(25);
    // A graceful stop answers only when the container exited: up to its grace period. Callers bound it per call.
    static final Duration SLOW_RESPONSE_TIMEOUT = Duration.ofMinutes(15);
    static final String DEFAULT_SOCKET = "unix:///var/run/docker.sock";
    static final List<String> CERT_FILES = List.of("ca.pem", "cert.pem", "key.pem");
    private static final String SCHEMES = "use unix:///var/run/docker.sock, tcp://HOST:2376 or ssh://USER@HOST";

    /** Where the settings point: the endpoint, which setting chose it (for messages), and the TLS folder or null. */
    public record Target(URI endpoint, String source, Path tlsDir) {
        public boolean tls() {
            return tlsDir != null;
        }
    }

    private final DockerClient client;
    private DockerClient slowClient;
    private final DefaultDockerClientConfig config;
    private final URI endpoint;
    private final boolean tls;
    private final SshTunnel tunnel; // null unless ssh://
    private DockerHttpClient raw;

    private DockerHost(DockerClient client, DefaultDockerClientConfig config, URI endpoint, boolean tls, SshTunnel tunnel) {
        this.client = client;
        this.config = config;
        this.endpoint = endpoint;
        this.tls = tls;
        this.tunnel = tunnel;
    }

    public DockerClient client() {
        return client;
    }

    /** For calls that legitimately wait long (a graceful stop); bound each one by what it waits for. */
    public synchronized DockerClient slowClient() {
        if (slowClient == null) slowClient = DockerClientImpl.getInstance(config, httpClient(config, SLOW_RESPONSE_TIMEOUT));
        return slowClient;
    }

    /**
     * One GET of the Engine API, its body as bytes: for what docker-java's model leaves out (a Swarm task's addresses
     * on its networks, a task's log). A status other than 2xx is an error naming the path.
     */
    public byte[] get(String pathAndQuery) {
        Raw r = rawGet(pathAndQuery);
        if (r.status() / 100 != 2) throw r.error();
        return r.body();
    }

    /**
     * The same as JSON, and null when the object is not there (404): for a Swarm config's Data and Labels, which
     * docker-java's model drops. {@code pathAndQuery} is built by the caller from names it checked, its query values
     * URL-encoded.
     */
    public JsonNode getJson(String pathAndQuery) {
        Raw r = rawGet(pathAndQuery);
        if (r.status() == 404) return null;
        if (r.status() / 100 != 2) throw r.error();
        try {
            return new ObjectMapper().readTree(r.body());
        } catch (IOException e) {
            throw new DeployError(ExitCode.DOCKER, "Docker host " + describe() + " answered GET " + r.path() + " with what is not JSON (" + rootMessage(e) + ")", e);
        }
    }

    private record Raw(String path, int status, byte[] body, String host) {
        DeployError error() {
            return new DeployError(ExitCode.DOCKER, "Docker host " + host + " answered " + status + " to GET " + path + ": "
                    + Text.summarise(new String(body, StandardCharsets.UTF_8)));
        }
    }

    /** Bounded like every call of the client: docker-java's transport bounds no read on a unix socket or over ssh. */
    private Raw rawGet(String pathAndQuery) {
        DockerHttpClient http;
        synchronized (this) {
            if (raw == null) raw = httpClient(config, RESPONSE_TIMEOUT);
            http = raw;
        }
        String path = pathAndQuery.replaceFirst("\\?.*", "");
        return Bounded.call(RESPONSE_TIMEOUT, "waiting for GET " + path + " on " + describe(), () -> {
            var request = DockerHttpClient.Request.builder().method(DockerHttpClient.Request.Method.GET).path(pathAndQuery).build();
            try (DockerHttpClient.Response r = http.execute(request)) {
                return new Raw(path, r.getStatusCode(), r.getBody().readAllBytes(), describe());
            } catch (IOException e) {
                throw new DeployError(ExitCode.DOCKER, "Docker host " + describe() + " does not answer (" + rootMessage(e) + ")", e);
            }
        });
    }

    public URI endpoint() {
        return endpoint;
    }

    /** Where published ports of this host are reached from here: loopback for a local engine. */
    public String publishedHost() {
        return ("tcp".equals(endpoint.getScheme()) || "ssh".equals(endpoint.getScheme())) && endpoint.getHost() != null ? endpoint.getHost() : "127.0.0.1";
    }

    public String describe() {
        return redacted(endpoint) + (tls ? " (TLS)" : "");
    }

    public static DockerHost connect(String hostFlag, boolean insecure, PrintWriter err) {
        return connect(hostFlag, "--host", null, null, insecure, err);
    }

    /**
     * hostSource names where hostFlag came from, for messages. tlsVerify and certPath come from a deploy.yml
     * environment; null leaves DOCKER_TLS_VERIFY / DOCKER_CERT_PATH in charge.
     */
    public static DockerHost connect(String hostFlag, String hostSource, Boolean tlsVerify, String certPath, boolean insecure, PrintWriter err) {
        Target target = resolve(hostFlag, hostSource, tlsVerify, certPath, System.getenv());
        URI endpoint = target.endpoint();
        checkTransportSecurity(endpoint, target.tls(), insecure, err);
        // ssh://: a private socket here, piped to `docker system dial-stdio` on the host; TLS is ssh's job then.
        SshTunnel tunnel = "ssh".equals(endpoint.getScheme()) ? SshTunnel.open(endpoint) : null;
        boolean tls = tunnel == null && target.tls();
        DefaultDockerClientConfig config = new DefaultDockerClientConfig.Builder()
                .withDockerHost(tunnel != null ? tunnel.socketUri().toString() : endpoint.toString())
                // "default" keeps docker-java from applying a context of its own on top of what was resolved here
                .withDockerContext("default")
                .withDockerConfig(Home.dockerConfigDir().toString())
                .withDockerTlsVerify(tls)
                .withDockerCertPath(tls ? target.tlsDir().toString() : null)
                .build();
        DockerClient raw = DockerClientImpl.getInstance(config, httpClient(config, RESPONSE_TIMEOUT));
        DockerHost host = new DockerHost(BoundedDocker.wrap(raw, RESPONSE_TIMEOUT, redacted(endpoint)), config, endpoint, tls, tunnel);
        host.ping(raw);
        return host;
    }

    /** The docker CLI's order of settings, as data: pure apart from reading the Docker config folder. */
    public static Target resolve(String hostFlag, String hostSource, Boolean tlsVerify, String certPath, Map<String, String> env) {
        Path configDir = Home.dockerConfigDir(env);
        if (hostFlag != null) return withTls(parse(hostFlag, hostSource), hostSource, tlsVerify, certPath, env, configDir);
        String fromEnv = env.getOrDefault("DOCKER_HOST", "");
        if (!fromEnv.isEmpty()) return withTls(parse(fromEnv, "DOCKER_HOST"), "DOCKER_HOST", tlsVerify, certPath, env, configDir);
        String context = env.getOrDefault("DOCKER_CONTEXT", "");
        String contextSource = "DOCKER_CONTEXT";
        if (context.isEmpty()) {
            context = currentContext(configDir);
            contextSource = "currentContext in " + configDir.resolve("config.json");
        }
        if (context.isEmpty() || context.equals("default")) return new Target(URI.create(DEFAULT_SOCKET), "the local socket", null);
        return fromContext(context, contextSource, configDir);
    }

    /** A Docker host URL the way the docker CLI reads one; the message follows "--host" or "DOCKER_HOST". */
    public static URI parseUrl(String raw) {
        String s = raw == null ? "" : raw.trim();
        String shown = "\"" + Text.redact(maskUserInfo(s)) + "\"";
        if (s.isEmpty()) throw new IllegalArgumentException("the Docker host is empty; " + SCHEMES);
        URI u;
        try {
            u = new URI(s);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(shown + " is not a URL; " + SCHEMES);
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        switch (scheme) {
            case "unix" -> {
                if (u.getPath() == null || u.getPath().isEmpty() || u.getPath().equals("/")) {
                    throw new IllegalArgumentException(shown + " names no socket; write e.g. " + DEFAULT_SOCKET);
                }
                return URI.create("unix://" + u.getPath());
            }
            case "tcp", "ssh" -> {
                if (u.getHost() == null) throw new IllegalArgumentException(shown + " names no host (or an invalid one); write e.g. " + scheme + "://HOST:PORT");
                if (u.getRawPath() != null && !u.getRawPath().isEmpty() && !u.getRawPath().equals("/") || u.getRawQuery() != null) {
                    throw new IllegalArgumentException(shown + " has a path or query; write " + scheme + "://HOST:PORT");
                }
                // URI takes any number of digits as a port; the socket layer would fail on it later with a bare exception.
                if (u.getPort() == 0 || u.getPort() > 65535) throw new IllegalArgumentException(shown + " has port " + u.getPort() + "; use 1-65535");
                // The user info stays only where it means something: the ssh login.
                String user = scheme.equals("ssh") && u.getRawUserInfo() != null ? u.getRawUserInfo() + "@" : "";
                return URI.create(scheme + "://" + user + u.getHost() + (u.getPort() >= 0 ? ":" + u.getPort() : ""));
            }
            case "" -> throw new IllegalArgumentException(shown + " is not a URL; " + SCHEMES);
            default -> throw new IllegalArgumentException(shown + " uses " + scheme + "://, which is not a Docker host scheme; " + SCHEMES);
        }
    }

    /**
     * A host URL as typed, fit to print even when it does not parse: all before the last '@' is masked, since a token
     * needs no ':' to be a secret and a URL that does not parse has no userinfo to ask for. An ssh login name stays,
     * as in {@link #redacted}.
     */
    static String maskUserInfo(String s) {
        int at = s.lastIndexOf('@');
        if (at < 0) return s;
        int scheme = s.indexOf("://");
        int start = scheme >= 0 && scheme < at ? scheme + 3 : 0;
        String info = s.substring(start, at);
        boolean login = start == 6 && s.regionMatches(true, 0, "ssh", 0, 3) && info.matches("[A-Za-z0-9._-]+");
        return s.substring(0, start) + (login ? info : "***") + s.substring(at);
    }

    /** A host URL fit to print: an ssh login name stays (it is not a secret, and says who logs in); nothing else of the userinfo. */
    public static String redacted(URI u) {
        if (u.getRawUserInfo() == null) return u.toString();
        String user = u.getRawUserInfo().split(":", 2)[0];
        String login = "ssh".equals(u.getScheme()) && !u.getRawUserInfo().contains(":") ? user + "@" : "";
        return u.getScheme() + "://" + login + u.getHost() + (u.getPort() >= 0 ? ":" + u.getPort() : "");
    }

    private static URI parse(String raw, String source) {
        try {
            return parseUrl(raw);
        } catch (IllegalArgumentException e) {
            throw new DeployError(ExitCode.DOCKER, source + ": " + e.getMessage());
        }
    }

    /** DOCKER_TLS_VERIFY as the docker CLI reads it: set to anything non-empty means verify. */
    public static boolean tlsVerifyValue(String value) {
        return value != null && !value.isEmpty();
    }

    private static Target withTls(URI endpoint, String source, Boolean tlsVerify, String certPath, Map<String, String> env, Path configDir) {
        boolean verify = tlsVerify != null ? tlsVerify : tlsVerifyValue(env.get("DOCKER_TLS_VERIFY"));
        String tlsSource = tlsVerify != null ? "tls_verify in the project file" : "DOCKER_TLS_VERIFY";
        if (!"tcp".equals(endpoint.getScheme())) return new Target(endpoint, source, null);
        if (!verify) return new Target(withDefaultPort(endpoint, 2375), source, null);
        String dir = certPath != null ? certPath : env.getOrDefault("DOCKER_CERT_PATH", "");
        Path certs = dir.isEmpty() ? configDir : Path.of(dir);
        return new Target(withDefaultPort(endpoint, 2376), source, usableCerts(certs, tlsSource + " is set"));
    }

    /** The docker CLI's defaults: 2376 for TLS, 2375 for plaintext. */
    private static URI withDefaultPort(URI u, int port) {
        return u.getPort() >= 0 ? u : URI.create(u.getScheme() + "://" + u.getHost() + ":" + port);
    }

    /** TLS never quietly turns into plaintext: every file a client certificate needs must be there. */
    static Path usableCerts(Path dir, String why) {
        for (String f : CERT_FILES) {
            if (!Files.isReadable(dir.resolve(f))) {
                throw new DeployError(ExitCode.DOCKER, why + " but " + dir.resolve(f) + " is missing or unreadable; put ca.pem, cert.pem and key.pem in "
                        + "DOCKER_CERT_PATH (default ~/.docker), or unset DOCKER_TLS_VERIFY for a local socket");
            }
        }
        return dir;
    }

    private static String currentContext(Path configDir) {
        Path config = configDir.resolve("config.json");
        if (!Files.isRegularFile(config)) return "";
        return readJson(config).path("currentContext").asText("");
    }

    /** A context as `docker context create` stores it: meta/<sha256 of name>/meta.json, TLS files under tls/. */
    private static Target fromContext(String name, String source, Path configDir) {
        String id = Digest.sha256Hex(name.getBytes(StandardCharsets.UTF_8));
        Path meta = configDir.resolve("contexts/meta").resolve(id).resolve("meta.json");
        if (!Files.isRegularFile(meta)) {
            throw new DeployError(ExitCode.DOCKER, "Docker context \"" + name + "\" (from " + source + ") does not exist; see docker context ls, or unset "
                    + (source.equals("DOCKER_CONTEXT") ? "DOCKER_CONTEXT" : "it with: docker context use default"));
        }
        JsonNode docker = readJson(meta).path("Endpoints").path("docker");
        String what = "Docker context \"" + name + "\"";
        String host = docker.path("Host").asText("");
        URI endpoint = host.isEmpty() ? URI.create(DEFAULT_SOCKET) : parse(host, what);
        if (!"tcp".equals(endpoint.getScheme())) return new Target(endpoint, what, null);
        endpoint = withDefaultPort(endpoint, 2376);
        if (docker.path("SkipTLSVerify").asBoolean(false)) {
            throw new DeployError(ExitCode.DOCKER, what + " skips TLS verification, which this tool does not do; give the context its CA (docker context update --docker ca=...)");
        }
        Path tls = configDir.resolve("contexts/tls").resolve(id).resolve("docker");
        return Files.isDirectory(tls) ? new Target(endpoint, what, usableCerts(tls, what + " has TLS files")) : new Target(endpoint, what, null);
    }

    private static JsonNode readJson(Path file) {
        try {
            return new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new DeployError(ExitCode.DOCKER, file + " is not valid JSON (" + e.getClass().getSimpleName() + "); fix it or remove it");
        }
    }

    /** Pure rule, unit-tested: plaintext TCP is fine on loopback, needs an explicit opt-in anywhere else. */
    static void checkTransportSecurity(URI endpoint, boolean tls, boolean insecure, PrintWriter err) {
        String scheme = endpoint.getScheme();
        if (!"tcp".equals(scheme) || tls || isLoopback(endpoint.getHost())) return;
        if (!insecure) {
            throw new DeployError(ExitCode.DOCKER, "refusing plaintext Docker API at " + redacted(endpoint)
                    + ": anyone on the network can take over that host. Use TLS (DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=DIR), "
                    + "an ssh tunnel to a loopback port, or pass --insecure to accept the risk");
        }
        err.println(Style.warning() + "plaintext Docker API at " + redacted(endpoint)
                + " (--insecure): traffic and host control are unprotected");
        err.flush();
    }

    /** Textual on purpose: resolving a name here would already send traffic to a resolver. */
    public static boolean isLoopback(String host) {
        if (host == null) return false;
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        return h.equals("localhost") || h.startsWith("127.") || h.equals("::1");
    }

    /** On the client the run goes on with, so its first call finds the connection open; bounded more tightly than other calls. */
    private void ping(DockerClient raw) {
        try {
            // docker-java bounds neither a TLS handshake nor a read on a unix socket: a hung daemon would hang us here
            Bounded.run(PING_TIMEOUT, "ping", () -> raw.pingCmd().exec());
        } catch (RuntimeException e) {
            close();
            if (e instanceof DeployError d && d.exitCode() == ExitCode.INTERRUPTED) throw d;
            boolean noReply = e instanceof DeployError d && d.exitCode() == ExitCode.DOCKER;
            throw new DeployError(ExitCode.DOCKER, "Docker host " + describe() + " does not answer ("
                    + (noReply ? "no reply within " + PING_TIMEOUT.toSeconds() + "s" : rootMessage(e)) + "). Is dockerd running? Check --host / DOCKER_HOST / DOCKER_CONTEXT", e);
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

    public static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        String m = root.getMessage();
        return root.getClass().getSimpleName() + (m == null ? "" : ": " + Text.summarise(m));
    }

    @Override
    public void close() {
        try {
            if (slowClient != null) slowClient.close();
            if (raw != null) raw.close();
            client.close();
        } catch (Exception ignored) {
            // closing a connection pool cannot lose anything the user cares about
        }
        if (tunnel != null) tunnel.close();
    }
}
