package lib.release;

import lib.docker.RegistryAuth;
import lib.base.Text;
import lib.base.DeployError;
import lib.base.ExitCode;
import lib.docker.Digest;
import lib.docker.DockerHost;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Docker distribution (v2) API, for what the docker CLI cannot do: list a repository's tags, point a tag at
 * another tag's manifest without pulling, delete old manifests. Plain http only for loopback registries, as the
 * engine allows; https everywhere else. Basic auth or the bearer-token dance, with credentials from RegistryAuth.
 */
public final class RegistryClient {
    static final String ACCEPT = String.join(", ",
            "application/vnd.oci.image.index.v1+json",
            "application/vnd.docker.distribution.manifest.list.v2+json",
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.v2+json");
    static final ObjectMapper JSON = new ObjectMapper();

    /** The distribution spec's grammar: a registry host[:port], then lowercase path components. */
    static final Pattern REGISTRY = Pattern.compile("(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\\[[0-9A-Fa-f:]+])(?::\\d{1,5})?");
    static final Pattern REPOSITORY = Pattern.compile("[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*)*");
    static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);
    /** One request, answer included: a registry that accepts connections and never answers must not hold a deploy lock for long. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    public record ImageRef(String registry, String repository) {
        /** "127.0.0.1:5000/shop-app" or "registry.example.com/team/shop-app"; the registry part is required. */
        public static ImageRef parse(String image) {
            try {
                return check(image);
            } catch (IllegalArgumentException e) {
                throw DeployError.config("--image " + e.getMessage());
            }
        }

        /** The rule alone, for option converters: the message follows the option's name. */
        public static ImageRef check(String image) {
            int slash = image.indexOf('/');
            if (slash < 0 || !(image.substring(0, slash).contains(".") || image.substring(0, slash).contains(":") || image.startsWith("localhost/"))) {
                throw new IllegalArgumentException("\"" + image + "\" must name its registry, e.g. 127.0.0.1:5000/shop-app or registry.example.com/shop-app");
            }
            if (image.substring(slash + 1).contains(":") || image.contains("@")) {
                throw new IllegalArgumentException("\"" + image + "\" must not carry a tag; give the repository, e.g. 127.0.0.1:5000/shop-app");
            }
            String registry = image.substring(0, slash);
            String repository = image.substring(slash + 1);
            if (!REGISTRY.matcher(registry).matches() || !REPOSITORY.matcher(repository).matches()) {
                throw new IllegalArgumentException("\"" + image + "\" is not an image name: REGISTRY/REPO with lowercase letters, digits and . _ - / (no spaces), e.g. 127.0.0.1:5000/shop-app");
            }
            return new ImageRef(registry, repository);
        }

        public String tagged(String tag) {
            return registry + "/" + repository + ":" + tag;
        }
    }

    public record Manifest(String contentType, byte[] body, String digest) {}

    public record TagInfo(String tag, String digest, Instant created, String revision) {}

    private final ImageRef image;
    private final String base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
    private String authorization;

    public RegistryClient(ImageRef image) {
        this(image, false);
    }

    /**
     * @param plainHttp the registry speaks plain HTTP: one the Docker engines are told to trust as an insecure registry
     *                  (a Swarm's nodes pull from it so); loopback registries always do
     */
    public RegistryClient(ImageRef image, boolean plainHttp) {
        this.image = image;
        String host = image.registry().replaceFirst(":\\d+$", "");
        boolean loopback = DockerHost.isLoopback(host);
        this.base = (loopback || plainHttp ? "http://" : "https://") + image.registry() + "/v2/" + image.repository();
        this.authorization = RegistryAuth.basic(image.registry())
                .map(c -> "Basic " + Base64.getEncoder().encodeToString(c.getBytes(StandardCharsets.UTF_8))).orElse(null);
    }

    public List<String> tags() {
        HttpResponse<byte[]> r = send("GET", "/tags/list", Map.of(), null);
        if (r.statusCode() == 404) return List.of();
        check(r, "list tags");
        List<String> tags = new ArrayList<>();
        json(r.body()).path("tags").forEach(t -> tags.add(t.asText()));
        return tags;
    }

    /** A tag (latest, 0123456789) as the registry allows it; the message follows the option or argument's name. */
    public static String checkTag(String tag) {
        if (tag == null || !TAG.matcher(tag).matches()) {
            throw new IllegalArgumentException("\"" + tag + "\" is not a tag: letters, digits, _ . - (at most 128, no spaces)");
        }
        return tag;
    }

    public Optional<Manifest> manifest(String reference) {
        if (!DIGEST.matcher(reference).matches()) {
            try {
                checkTag(reference);
            } catch (IllegalArgumentException e) {
                throw DeployError.config("tag " + e.getMessage());
            }
        }
        HttpResponse<byte[]> r = send("GET", "/manifests/" + reference, Map.of("Accept", ACCEPT), null);
        if (r.statusCode() == 404) return Optional.empty();
        check(r, "read manifest " + reference);
        String digest = r.headers().firstValue("Docker-Content-Digest").orElse("sha256:" + Digest.sha256Hex(r.body()));
        if (!DIGEST.matcher(digest).matches()) throw malformed("a manifest digest that is not sha256:<64 hex digits>");
        return Optional.of(new Manifest(r.headers().firstValue("Content-Type").orElse("application/vnd.docker.distribution.manifest.v2+json"), r.body(), digest));
    }

    /** Points tag at the manifest other points at: a registry-side re-tag, nothing pulled or pushed. */
    public void retag(String existing, String tag) {
        Manifest m = manifest(existing).orElseThrow(() -> DeployError.config("tag \"" + existing + "\" is not in " + image.registry() + "/" + image.repository()
                + "; see: tag.java list --image " + image.registry() + "/" + image.repository()));
        try {
            checkTag(tag);
        } catch (IllegalArgumentException e) {
            throw DeployError.config("tag " + e.getMessage());
        }
        HttpResponse<byte[]> r = send("PUT", "/manifests/" + tag, Map.of("Content-Type", m.contentType()), m.body());
        check(r, "point " + tag + " at " + existing);
    }

    public void delete(String digest) {
        HttpResponse<byte[]> r = send("DELETE", "/manifests/" + digest, Map.of(), null);
        if (r.statusCode() == 405) {
            throw new DeployError(ExitCode.DOCKER, "registry " + image.registry() + " does not allow deletes; enable storage.delete in its configuration");
        }
        if (r.statusCode() != 404) check(r, "delete " + digest);
    }

    /** Every tag with its digest, creation time and revision. */
    public List<TagInfo> infos() {
        List<TagInfo> infos = new ArrayList<>();
        for (String t : tags()) info(t).ifPresent(infos::add);
        return infos;
    }

    /** Digest, creation time and git revision label of a tag (reads the image config blob). */
    public Optional<TagInfo> info(String tag) {
        Optional<Manifest> m = manifest(tag);
        if (m.isEmpty()) return Optional.empty();
        JsonNode manifest = json(m.get().body());
        if (manifest.has("manifests")) {
            JsonNode first = manifest.path("manifests").path(0);
            String digest = first.path("digest").asText("");
            if (!DIGEST.matcher(digest).matches()) throw malformed("tag " + tag + " as a manifest list without a usable entry");
            manifest = manifest(digest).map(x -> json(x.body())).orElse(manifest);
        }
        String configDigest = manifest.path("config").path("digest").asText("");
        Instant created = null;
        String revision = null;
        if (DIGEST.matcher(configDigest).matches()) {
            HttpResponse<byte[]> r = send("GET", "/blobs/" + configDigest, Map.of(), null);
            if (r.statusCode() == 200) {
                JsonNode config = json(r.body());
                created = instant(config.path("created").asText(null));
                revision = config.path("config").path("Labels").path("org.opencontainers.image.revision").asText(null);
            }
        }
        return Optional.of(new TagInfo(tag, m.get().digest(), created, revision));
    }

    private HttpResponse<byte[]> send(String method, String path, Map<String, String> headers, byte[] body) {
        HttpResponse<byte[]> r = sendOnce(method, path, headers, body);
        if (r.statusCode() == 401) {
            Optional<String> challenge = r.headers().firstValue("WWW-Authenticate");
            if (challenge.isPresent() && challenge.get().regionMatches(true, 0, "Bearer ", 0, 7)) {
                authorization = "Bearer " + token(challenge.get());
                r = sendOnce(method, path, headers, body);
            }
            if (r.statusCode() == 401) {
                throw new DeployError(ExitCode.DOCKER, "registry " + image.registry() + " refused our credentials; run: docker login " + image.registry());
            }
        }
        return r;
    }

    private HttpResponse<byte[]> sendOnce(String method, String path, Map<String, String> headers, byte[] body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(b::header);
        if (authorization != null) b.header("Authorization", authorization);
        return exchange(b, "registry " + image.registry());
    }

    /**
     * One request within REQUEST_TIMEOUT, body included: HttpRequest.timeout alone stops at the response headers,
     * so a registry that sends headers and then stalls would still hang.
     */
    private HttpResponse<byte[]> exchange(HttpRequest.Builder request, String who) {
        CompletableFuture<HttpResponse<byte[]>> answer = http.sendAsync(request.timeout(REQUEST_TIMEOUT).build(), HttpResponse.BodyHandlers.ofByteArray());
        try {
            return answer.get(REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            answer.cancel(true);
            throw new DeployError(ExitCode.DOCKER, who + " did not answer within " + REQUEST_TIMEOUT.toSeconds() + "s; check that it is running and reachable");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof HttpTimeoutException) {
                throw new DeployError(ExitCode.DOCKER, who + " did not answer within " + REQUEST_TIMEOUT.toSeconds() + "s; check that it is running and reachable");
            }
            throw new DeployError(ExitCode.DOCKER, who + " is unreachable (" + (cause == null ? e : cause).getClass().getSimpleName()
                    + "); check the address and that it is running");
        } catch (InterruptedException e) {
            answer.cancel(true);
            Thread.currentThread().interrupt();
            throw new DeployError(ExitCode.INTERRUPTED, "interrupted");
        }
    }

    private String token(String challenge) {
        Map<String, String> p = new java.util.HashMap<>();
        Matcher m = Pattern.compile("(\\w+)=\"([^\"]*)\"").matcher(challenge);
        while (m.find()) p.put(m.group(1), m.group(2));
        String scope = p.getOrDefault("scope", "repository:" + image.repository() + ":pull,push,delete");
        URI realm = realm(p.get("realm"));
        URI url = URI.create(realm + (realm.getRawQuery() == null ? "?" : "&") + "service=" + enc(p.getOrDefault("service", "")) + "&scope=" + enc(scope));
        HttpRequest.Builder b = HttpRequest.newBuilder(url).GET();
        RegistryAuth.basic(image.registry()).ifPresent(c -> b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(c.getBytes(StandardCharsets.UTF_8))));
        HttpResponse<byte[]> r = exchange(b, "registry token service " + DockerHost.redacted(realm));
        if (r.statusCode() != 200) throw new DeployError(ExitCode.DOCKER, "registry " + image.registry() + " token service refused us (HTTP " + r.statusCode() + "); run: docker login " + image.registry());
        JsonNode j = json(r.body());
        String token = j.hasNonNull("token") ? j.path("token").asText() : j.path("access_token").asText("");
        if (token.isEmpty() || !token.matches("[\\x21-\\x7e]+")) throw malformed("a token answer without a usable token");
        return token;
    }

    /** The token service named in a 401; without one (or an unusable one) there is no way to authenticate. */
    private URI realm(String realm) {
        if (realm == null || realm.isEmpty()) throw malformed("401 asking for a bearer token without naming its token service (no realm)");
        try {
            URI u = new URI(realm);
            if (!("https".equals(u.getScheme()) || "http".equals(u.getScheme()) && DockerHost.isLoopback(u.getHost())) || u.getHost() == null) {
                throw malformed("token service \"" + DockerHost.redacted(u) + "\" that is not an https:// URL");
            }
            return u;
        } catch (URISyntaxException e) {
            throw malformed("token service that is not a URL");
        }
    }

    private DeployError malformed(String what) {
        return new DeployError(ExitCode.DOCKER, "registry " + image.registry() + " answered with " + what + "; is " + image.registry() + " a Docker registry?");
    }

    private static Instant instant(String text) {
        if (text == null) return null;
        try {
            return Instant.parse(text);
        } catch (java.time.format.DateTimeParseException e) {
            return null; // only shown and used for ordering; an odd date must not hide the tag
        }
    }

    private void check(HttpResponse<byte[]> r, String what) {
        if (r.statusCode() / 100 != 2) {
            throw new DeployError(ExitCode.DOCKER, "registry " + image.registry() + " could not " + what + ": HTTP " + r.statusCode()
                    + " " + Text.summarise(new String(r.body(), StandardCharsets.UTF_8)));
        }
    }

    private static JsonNode json(byte[] body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new DeployError(ExitCode.DOCKER, "registry answered with something that is not JSON");
        }
    }

    private static String enc(String s) {
        return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
