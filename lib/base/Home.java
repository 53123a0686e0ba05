package lib.base;

import java.nio.file.Path;
import java.util.Map;

/**
 * The home folder and the Docker config folder as the docker CLI finds them: $HOME (Java's user.home only when HOME
 * is unset or blank), and $DOCKER_CONFIG over ~/.docker. user.home comes from the password database, so it would
 * disagree with the docker CLI whenever HOME is set elsewhere (sudo -E, CI runners, containers).
 */
public final class Home {
    private Home() {}

    public static Path home() {
        return home(System.getenv());
    }

    public static Path home(Map<String, String> env) {
        String h = env.getOrDefault("HOME", "");
        return Path.of(h.isBlank() ? System.getProperty("user.home") : h);
    }

    public static Path dockerConfigDir() {
        return dockerConfigDir(System.getenv());
    }

    public static Path dockerConfigDir(Map<String, String> env) {
        String d = env.getOrDefault("DOCKER_CONFIG", "");
        return d.isEmpty() ? home(env).resolve(".docker") : Path.of(d);
    }
}
