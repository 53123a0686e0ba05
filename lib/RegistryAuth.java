//DEPS org.zeroturnaround:zt-exec:1.12
package lib;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.zeroturnaround.exec.ProcessExecutor;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Registry credentials the way the docker CLI finds them in ~/.docker/config.json (or $DOCKER_CONFIG): a
 * credential helper (credHelpers, credsStore) or an "auths" entry. The value is only ever sent to the registry,
 * never printed or logged.
 */
public final class RegistryAuth {
    private RegistryAuth() {}

    /** "user:password" for the registry host, if configured. */
    public static Optional<String> basic(String registry) {
        Path config = Path.of(System.getenv().getOrDefault("DOCKER_CONFIG", System.getProperty("user.home") + "/.docker"), "config.json");
        if (!Files.isRegularFile(config)) return Optional.empty();
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(config.toFile());
        } catch (Exception e) {
            throw DeployError.config(config + ": not valid JSON (" + e.getClass().getSimpleName() + "); fix it or run docker login again");
        }
        String helper = root.path("credHelpers").path(registry).asText(root.path("credsStore").asText(""));
        if (!helper.isEmpty()) return fromHelper(helper, registry);
        String auth = root.path("auths").path(registry).path("auth").asText("");
        if (auth.isEmpty()) return Optional.empty();
        return Optional.of(new String(Base64.getDecoder().decode(auth), StandardCharsets.UTF_8));
    }

    private static Optional<String> fromHelper(String helper, String registry) {
        try {
            var r = new ProcessExecutor().command("docker-credential-" + helper, "get")
                    .redirectInput(new ByteArrayInputStream(registry.getBytes(StandardCharsets.UTF_8)))
                    .readOutput(true).timeout(20, TimeUnit.SECONDS).execute();
            if (r.getExitValue() != 0) return Optional.empty();
            JsonNode j = new ObjectMapper().readTree(r.outputUTF8());
            return Optional.of(j.path("Username").asText() + ":" + j.path("Secret").asText());
        } catch (Exception e) {
            throw DeployError.config("credential helper docker-credential-" + helper + " (from ~/.docker/config.json) failed: " + e.getClass().getSimpleName());
        }
    }
}
