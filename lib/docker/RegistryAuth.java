//DEPS org.zeroturnaround:zt-exec:1.12
package lib.docker;

import lib.base.DeployError;
import lib.base.Home;
import lib.base.ExitCode;

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
 * never printed or logged; a malformed entry is an error that names the file and the registry, not the value.
 */
public final class RegistryAuth {
    private RegistryAuth() {}

    /** "user:password" for the registry host, if configured. */
    public static Optional<String> basic(String registry) {
        Path config = Home.dockerConfigDir().resolve("config.json");
        if (!Files.isRegularFile(config)) return Optional.empty();
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(config.toFile());
        } catch (Exception e) {
            throw new DeployError(ExitCode.DOCKER, config + ": not valid JSON (" + e.getClass().getSimpleName() + "); fix it or run docker login again");
        }
        return fromConfig(root, registry, config.toString());
    }

    /** The pure part, unit-tested: which credential the config holds for a registry. */
    public static Optional<String> fromConfig(JsonNode root, String registry, String where) {
        String helper = root.path("credHelpers").path(registry).asText(root.path("credsStore").asText(""));
        if (!helper.isEmpty()) {
            // The helper's name becomes a program name: it must not be a path.
            if (!helper.matches("[A-Za-z0-9][A-Za-z0-9_.-]*")) {
                throw new DeployError(ExitCode.DOCKER, where + ": credential helper for " + registry + " is not a plain name; fix credsStore/credHelpers or run docker login again");
            }
            return fromHelper(helper, registry);
        }
        String auth = root.path("auths").path(registry).path("auth").asText("");
        if (auth.isEmpty()) return Optional.empty();
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(auth.trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new DeployError(ExitCode.DOCKER, where + ": auths." + registry + ".auth is not base64; run docker login " + registry + " again");
        }
        if (decoded.indexOf(':') < 1) {
            throw new DeployError(ExitCode.DOCKER, where + ": auths." + registry + ".auth is not user:password; run docker login " + registry + " again");
        }
        return Optional.of(decoded);
    }

    private static Optional<String> fromHelper(String helper, String registry) {
        String failure = "credential helper docker-credential-" + helper + " (from the Docker config) failed";
        try {
            var r = new ProcessExecutor().command("docker-credential-" + helper, "get")
                    .redirectInput(new ByteArrayInputStream(registry.getBytes(StandardCharsets.UTF_8)))
                    .readOutput(true).timeout(20, TimeUnit.SECONDS).execute();
            if (r.getExitValue() != 0) return Optional.empty();
            JsonNode j = new ObjectMapper().readTree(r.outputUTF8());
            if (j.path("Username").asText("").isEmpty() || j.path("Secret").asText("").isEmpty()) {
                throw new DeployError(ExitCode.DOCKER, failure + ": its answer has no Username and Secret");
            }
            return Optional.of(j.path("Username").asText() + ":" + j.path("Secret").asText());
        } catch (DeployError e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DeployError(ExitCode.INTERRUPTED, "interrupted");
        } catch (Exception e) {
            throw new DeployError(ExitCode.DOCKER, failure + ": " + e.getClass().getSimpleName());
        }
    }
}
