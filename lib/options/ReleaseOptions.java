package lib.options;

import lib.options.Converters;
import lib.base.DeployError;
import lib.base.ExitCode;
import lib.model.Colour;
import lib.docker.ImagePuller;

import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

/** What deploy.java and rollback.java's slow path share to bring a release up: the Compose file, ports, pull and lock wait. */
public final class ReleaseOptions {
    @Option(names = {"-f", "--file"}, paramLabel = "FILE",
            description = "Compose file; {colour} in the path is replaced by blue or green (default: docker-compose.{colour}.yml if both exist, else compose.yaml / docker-compose.yml in the current directory).")
    public String file;

    @Option(names = "--profile", paramLabel = "NAME",
            description = "Activate a Compose profile (repeatable, as docker compose --profile): services with profiles: run only when one of theirs is active (default: COMPOSE_PROFILES).")
    public java.util.List<String> profiles = new java.util.ArrayList<>();

    @Option(names = "--pull", paramLabel = "POLICY", defaultValue = "missing", converter = Converters.Pull.class,
            description = "always | missing | never: when to pull the target colour's images (default: ${DEFAULT-VALUE}). Use always for mutable tags such as latest.")
    public ImagePuller.Policy pull = ImagePuller.Policy.MISSING;

    @Option(names = "--wait-lock", paramLabel = "DURATION", defaultValue = "0s", converter = Converters.Timeout.class,
            description = "Wait this long (at most 24h) for another deploy of the same app to finish (default: fail at once).")
    public Duration waitLock = Duration.ZERO;

    @Option(names = "--blue-port", defaultValue = "8080", paramLabel = "PORT", converter = Converters.Port.class,
            description = "$${DEPLOY_PORT} for blue (default: ${DEFAULT-VALUE}).")
    public int bluePort = 8080;

    @Option(names = "--green-port", defaultValue = "8081", paramLabel = "PORT", converter = Converters.Port.class,
            description = "$${DEPLOY_PORT} for green, not the same as blue's (default: ${DEFAULT-VALUE}).")
    public int greenPort = 8081;

    public java.util.Set<String> profiles() {
        return new java.util.LinkedHashSet<>(profiles);
    }

    public ImagePuller.Policy pull() {
        return pull;
    }

    public Duration waitLock() {
        return waitLock;
    }

    public Map<Colour, Integer> ports() {
        if (bluePort == greenPort) {
            throw new DeployError(ExitCode.USAGE, "--blue-port and --green-port are both " + bluePort + "; give each colour its own port");
        }
        Map<Colour, Integer> p = new EnumMap<>(Colour.class);
        p.put(Colour.BLUE, bluePort);
        p.put(Colour.GREEN, greenPort);
        return p;
    }

}
