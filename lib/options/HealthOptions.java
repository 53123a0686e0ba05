package lib.options;

import lib.base.Values;
import lib.options.Converters;
import lib.health.Probes;

import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/** The health gate's options, shared by deploy.java and rollback.java. */
public final class HealthOptions {
    @Option(names = "--health-timeout", paramLabel = "DURATION", defaultValue = "120s", converter = Converters.PositiveTimeout.class,
            description = "How long the new colour may take to become healthy, at most 24h (default: ${DEFAULT-VALUE}).")
    public Duration timeout = Duration.ofSeconds(120);

    @Option(names = "--probe", paramLabel = "PATH", defaultValue = "/", converter = Converters.ProbePath.class,
            description = "HTTP path probed on the new colour's published port; it must answer 2xx (default: ${DEFAULT-VALUE}).")
    public String probePath = "/";

    @Option(names = "--no-probe", description = "Skip the HTTP probe; gate on container state and HEALTHCHECKs only.")
    public boolean noProbe;

    @Option(names = "--probe-service", paramLabel = "SERVICE",
            description = "Service whose published port is probed (default: the first service that publishes a port).")
    public String probeService;

    /** Lower case, as typed on the command line. */
    public enum ProbeFrom { host, local }

    @Option(names = "--probe-from", paramLabel = "host|local", defaultValue = "host",
            description = "Where the probe runs: host = in the container, on the Docker host (works whatever the port is published on); "
                    + "local = a GET from this machine to the published port (default: ${DEFAULT-VALUE}).")
    public ProbeFrom probeFrom = ProbeFrom.host;

    @Option(names = "--probe-successes", paramLabel = "N", defaultValue = "3", converter = Converters.Count.class,
            description = "Consecutive 2xx answers needed, 1-1000 (default: ${DEFAULT-VALUE}).")
    public int probeSuccesses = 3;

    public Duration gateTimeout() {
        return timeout;
    }

    public Probes.Settings probe() {
        return new Probes.Settings(!noProbe, probePath, probeService, probeSuccesses, probeFrom == ProbeFrom.host, timeout);
    }

    /** deploy.yml's health: section, for what the command line did not set; checked by the options' own rules. */
    public void defaultsFrom(Map<String, String> health, Path file, ParseResult parsed) {
        if (!parsed.hasMatchedOption("--probe") && health.containsKey("probe")) probePath = health.get("probe");
        if (!parsed.hasMatchedOption("--health-timeout") && health.containsKey("timeout")) {
            timeout = Values.fromFile(file, "health.timeout", health.get("timeout"), Values::positiveTimeout);
        }
        if (!parsed.hasMatchedOption("--probe-service") && health.containsKey("service")) probeService = health.get("service");
        if (!parsed.hasMatchedOption("--probe-successes") && health.containsKey("successes")) {
            probeSuccesses = Values.fromFile(file, "health.successes", health.get("successes"), Values::count);
        }
    }

}
