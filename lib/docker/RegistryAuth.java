//DEPS org.zeroturnaround:zt-exec:1.12
package lib.docker;

import lib.base.DeployError;
import lib.base.Home;
import lib.base.ExitCode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.model.AuthConfig;
import org.zeroturnaround.exec.ProcessExecutor;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Registry credentials the way the docker CLI finds them in ~/.docker/config.json (or $DOCKER_CONFIG): a
 * credential helper (credHelpers, credsStore) or an "auths" entry. The value is only ever sent to the registry,
 * never printed or logged; a malformed entry is an error that names the file and the registry, not the value.
 */
public final class RegistryAuth {
    private RegistryAuth() {}

    /** Docker Hub's key in config.json, as `docker login` writes it. */
    static final String DOCKER_HUB = "https://index.docker.io/v1/";

    /** "user:password" for the registry host, if configured. */
    public static Optional<String> basic(String registry) {
        return basic(registry, System.getenv());
    }

    /** The environment decides the config folder and the PATH a credential helper is found on, as for the docker CLI. */
    public static Optional<String> basic(String registry, Map<String, String> env) {
        Path config = Home.dockerConfigDir(env).resolve("config.json");
        if (!Files.isRegularFile(config)) return Optional.empty();
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(config.toFile());
        } catch (Exception e) {
            throw new DeployError(ExitCode.DOCKER, config + ": not valid JSON (" + e.getClass().getSimpleName() + "); fix it or run docker login again");
        }
        return fromConfig(root, registry, config.toString(), env);
    }

    /** The pure part, unit-tested: which credential the config holds for a registry. */
    public static Optional<String> fromConfig(JsonNode root, String registry, String where, Map<String, String> env) {
        String helper = root.path("credHelpers").path(registry).asText(root.path("credsStore").asText(""));
        if (!helper.isEmpty()) {
            // The helper's name becomes a program name: it must not be a path.
            if (!helper.matches("[A-Za-z0-9][A-Za-z0-9_.-]*")) {
                throw new DeployError(ExitCode.DOCKER, where + ": credential helper for " + registry + " is not a plain name; fix credsStore/credHelpers or run docker login again");
            }
            return fromHelper(helper, registry, env);
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

    /** For a docker-java call: the registry's address, with the user and password when the config has them. */
    public static AuthConfig authConfig(String registry, Map<String, String> env) {
        AuthConfig auth = new AuthConfig().withRegistryAddress(registry);
        basic(registry, env).ifPresent(c -> auth.withUsername(c.substring(0, c.indexOf(':'))).withPassword(c.substring(c.indexOf(':') + 1)));
        return auth;
    }

    /** The registry an image reference names, by the docker CLI's rule: no host-like first component means Docker Hub. */
    public static String registryOf(String image) {
        int slash = image.indexOf('/');
        String first = slash < 0 ? "" : image.substring(0, slash);
        boolean host = first.contains(".") || first.contains(":") || first.equals("localhost");
        return !host || first.equals("docker.io") || first.equals("index.docker.io") ? DOCKER_HUB : first;
    }

    private static Optional<String> fromHelper(String helper, String registry, Map<String, String> env) {
        String program = "docker-credential-" + helper;
        String failure = "credential helper " + program + " (from the Docker config) failed";
        // Looked up here rather than by the JVM, which would search its own PATH, not the one given.
        Path found = onPath(program, env);
        if (found == null) {
            throw new DeployError(ExitCode.DOCKER, "credential helper " + program + " (from the Docker config) is not on PATH; install it, or remove it from credsStore/credHelpers");
        }
        try {
            var r = new ProcessExecutor().command(found.toString(), "get")
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

    private static Path onPath(String program, Map<String, String> env) {
        for (String dir : env.getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (dir.isEmpty()) continue;
            Path p = Path.of(dir, program);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) return p;
        }
        return null;
    }
}
