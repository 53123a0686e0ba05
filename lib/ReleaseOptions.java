package lib;

import picocli.CommandLine.Option;

import java.util.EnumMap;
import java.util.Map;

/** What deploy.java and rollback.java's slow path share to bring a release up: the Compose file, ports, pull and lock wait. */
public final class ReleaseOptions {
    @Option(names = {"-f", "--file"}, paramLabel = "FILE",
            description = "Compose file; {colour} in the path is replaced by blue or green (default: docker-compose.{colour}.yml if both exist, else compose.yaml / docker-compose.yml in the current directory).")
    public String file;

    @Option(names = "--pull", paramLabel = "POLICY", defaultValue = "missing",
            description = "always | missing | never: when to pull the target colour's images (default: ${DEFAULT-VALUE}). Use always for mutable tags such as latest.")
    public String pull = "missing";

    @Option(names = "--wait-lock", paramLabel = "DURATION", defaultValue = "0s",
            description = "Wait this long for another deploy of the same app to finish (default: fail at once).")
    public String waitLock = "0s";

    @Option(names = "--blue-port", defaultValue = "8080", paramLabel = "PORT", description = "$${DEPLOY_PORT} for blue (default: ${DEFAULT-VALUE}).")
    public int bluePort = 8080;

    @Option(names = "--green-port", defaultValue = "8081", paramLabel = "PORT", description = "$${DEPLOY_PORT} for green (default: ${DEFAULT-VALUE}).")
    public int greenPort = 8081;

    public Map<Colour, Integer> ports() {
        Map<Colour, Integer> p = new EnumMap<>(Colour.class);
        p.put(Colour.BLUE, bluePort);
        p.put(Colour.GREEN, greenPort);
        return p;
    }
}
