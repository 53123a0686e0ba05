package lib;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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

    public record ImageRef(String registry, String repository) {
        /** "127.0.0.1:5000/shop-app" or "registry.example.com/team/shop-app"; the registry part is required. */
        public static ImageRef parse(String image) {
            int slash = image.indexOf('/');
            if (slash < 0 || !(image.substring(0, slash).contains(".") || image.substring(0, slash).contains(":") || image.startsWith("localhost/"))) {
                throw DeployError.config("--image \"" + image + "\" must name its registry, e.g. 127.0.0.1:5000/shop-app or registry.example.com/shop-app");
            }
            if (image.substring(slash + 1).contains(":") || image.contains("@")) {
                throw DeployError.config("--image \"" + image + "\" must not carry a tag; give the repository, e.g. 127.0.0.1:5000/shop-app");
            }
            return new ImageRef(image.substring(0, slash), image.substring(slash + 1));
        }

        public String tagged(String tag) {
            return registry + "/" + repository + ":" + tag;
        }
    }

    public record Manifest(String contentType, byte[] body, String digest) {}

    public record TagInfo(String tag, String digest, Instant created, String revision) {}

    private final ImageRef image;
    private final String base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private String authorization;

    public RegistryClient(ImageRef image) {
        this.image = image;
        String host = image.registry().replaceFirst(":\\d+$", "");
        boolean loopback = DockerHost.isLoopback(host);
        this.base = (loopback ? "http://" : "https://") + image.registry() + "/v2/" + image.repository();
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

    public Optional<Manifest> manifest(String reference) {
        HttpResponse<byte[]> r = send("GET", "/manifests/" + reference, Map.of("Accept", ACCEPT), null);
        if (r.statusCode() == 404) return Optional.empty();
        check(r, "read manifest " + reference);
        String digest = r.headers().firstValue("Docker-Content-Digest").orElse("sha256:" + Digest.sha256Hex(r.body()));
        return Optional.of(new Manifest(r.headers().firstValue("Content-Type").orElse("application/vnd.docker.distribution.manifest.v2+json"), r.body(), digest));
    }

    /** Points tag at the manifest other points at: a registry-side re-tag, nothing pulled or pushed. */
    public void retag(String existing, String tag) {
        Manifest m = manifest(existing).orElseThrow(() -> DeployError.config("tag \"" + existing + "\" is not in " + image.registry() + "/" + image.repository()
                + "; see: tag.java list --image " + image.registry() + "/" + image.repository()));
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
        if (manifest.has("manifests")) manifest = manifest(manifest.path("manifests").get(0).path("digest").asText()).map(x -> json(x.body())).orElse(manifest);
        String configDigest = manifest.path("config").path("digest").asText("");
        Instant created = null;
        String revision = null;
        if (!configDigest.isEmpty()) {
            HttpResponse<byte[]> r = send("GET", "/blobs/" + configDigest, Map.of(), null);
            if (r.statusCode() == 200) {
                JsonNode config = json(r.body());
                if (config.hasNonNull("created")) created = Instant.parse(config.path("created").asText());
                revision = config.path("config").path("Labels").path("org.opencontainers.image.revision").asText(null);
            }
        }
        return Optional.of(new TagInfo(tag, m.get().digest(), created, revision));
    }

    private HttpResponse<byte[]> send(String method, String path, Map<String, String> headers, byte[] body) {
        HttpResponse<byte[]> r = sendOnce(method, path, headers, body);
        if (r.statusCode() == 401) {
            Optional<String> challenge = r.headers().firstValue("WWW-Authenticate");
            if (challenge.isPresent() && challenge.get().startsWith("Bearer ")) {
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
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(b::header);
        if (authorization != null) b.header("Authorization", authorization);
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new DeployError(ExitCode.DOCKER, "registry " + image.registry() + " is unreachable (" + e.getClass().getSimpleName()
                    + "); check the address and that it is running");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DeployError(ExitCode.INTERRUPTED, "interrupted");
        }
    }

    private String token(String challenge) {
        Map<String, String> p = new java.util.HashMap<>();
        Matcher m = Pattern.compile("(\\w+)=\"([^\"]*)\"").matcher(challenge);
        while (m.find()) p.put(m.group(1), m.group(2));
        String scope = p.getOrDefault("scope", "repository:" + image.repository() + ":pull,push,delete");
        String url = p.get("realm") + "?service=" + enc(p.getOrDefault("service", "")) + "&scope=" + enc(scope);
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
        RegistryAuth.basic(image.registry()).ifPresent(c -> b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(c.getBytes(StandardCharsets.UTF_8))));
        try {
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200) throw new DeployError(ExitCode.DOCKER, "registry " + image.registry() + " token service refused us (HTTP " + r.statusCode() + "); run: docker login " + image.registry());
            JsonNode j = json(r.body());
            return j.hasNonNull("token") ? j.path("token").asText() : j.path("access_token").asText();
        } catch (IOException e) {
            throw new DeployError(ExitCode.DOCKER, "registry token service " + p.get("realm") + " is unreachable (" + e.getClass().getSimpleName() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DeployError(ExitCode.INTERRUPTED, "interrupted");
        }
    }

    private void check(HttpResponse<byte[]> r, String what) {
        if (r.statusCode() / 100 != 2) {
            throw new DeployError(ExitCode.DOCKER, "registry " + image.registry() + " could not " + what + ": HTTP " + r.statusCode()
                    + " " + Cli.oneLine(new String(r.body(), StandardCharsets.UTF_8)));
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
