package lib.options;

import lib.model.FrontSettings;
import lib.base.Values;
import lib.options.Converters;
import lib.base.DeployError;
import lib.base.ExitCode;
import lib.compose.ComposeProject;
import lib.model.Colour;

import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/** How traffic reaches the colours: the shell setup's passive host nginx, or a front this toolkit manages. */
public final class FrontOptions {
        @Option(names = "--front", paramLabel = "KIND", defaultValue = "passive", converter = Converters.Front.class,
            description = "passive (default): a host nginx balances both colour ports, as in the shell setup. "
                    + "managed: an nginx container this tool owns switches atomically to the new colour after the health gate, "
                    + "then drains the old one before it stops.")
    public FrontSettings.Kind kind = FrontSettings.Kind.PASSIVE;

    @Option(names = "--front-port", paramLabel = "PORT", defaultValue = "8000", converter = Converters.Port.class,
            description = "Managed front: public port, 1-65535 (default: ${DEFAULT-VALUE}).")
    public int port = 8000;

    @Option(names = "--front-bind", paramLabel = "IP", defaultValue = "127.0.0.1",
            description = "Managed front: address the public port binds to (default: ${DEFAULT-VALUE}; 0.0.0.0 for all).")
    public String bind = "127.0.0.1";

    @Option(names = "--front-image", paramLabel = "IMAGE", defaultValue = "nginx:stable",
            description = "Managed front: nginx image (default: ${DEFAULT-VALUE}).")
    public String image = "nginx:stable";

    @Option(names = "--front-service", paramLabel = "SERVICE",
            description = "Managed front: the colour's service that receives traffic (default: the first service with ports: in the Compose file).")
    public String service;

    @Option(names = "--front-target-port", paramLabel = "PORT", converter = Converters.Port.class,
            description = "Managed front: that service's container port (default: its first published container port, else 80).")
    public Integer targetPort;

    @Option(names = "--front-publish-ports", negatable = true, fallbackValue = "true",
            description = "Managed front: keep the Compose file's host ports on the colours (default: off; the front reaches them over "
                    + "its network, nothing bypasses it, and a new colour starts while the standby it replaces is still being removed).")
    public boolean publishPorts = false;

    @Option(names = "--drain-timeout", paramLabel = "DURATION", defaultValue = "30s", converter = Converters.Timeout.class,
            description = "Managed front: how long in-flight requests on the old colour may take to finish after the switch, at most 24h (default: ${DEFAULT-VALUE}).")
    public Duration drainTimeout = Duration.ofSeconds(30);

    /** Which of port, bind and image the command line or deploy.yml named (not left at their defaults). */
    public java.util.Set<String> placeGiven(ParseResult parsed) {
        java.util.Set<String> given = new java.util.TreeSet<>();
        if (parsed.hasMatchedOption("--front-port") || fromFile.contains("port")) given.add("port");
        if (parsed.hasMatchedOption("--front-bind") || fromFile.contains("bind")) given.add("bind");
        if (parsed.hasMatchedOption("--front-image") || fromFile.contains("image")) given.add("image");
        if (parsed.hasMatchedOption("--front-publish-ports") || fromFile.contains("publish_ports")) given.add("publish_ports");
        return given;
    }

    private final java.util.Set<String> fromFile = new java.util.HashSet<>();

    /** Where --front-port's value came from, for an error about it: the command line (exit 2) or deploy.yml (exit 3). */
    private String portFrom = "--front-port";
    private int portExit = ExitCode.USAGE;

    /**
     * A managed front on a colour's host port holds it, so every later start of that colour fails "port is already
     * allocated" without a word about the front; refused before anything is touched.
     */
    public void checkPorts(Map<Colour, ComposeProject> composed, Map<Colour, Integer> deployPorts) {
        if (kind != FrontSettings.Kind.MANAGED) return;
        for (Colour c : Colour.values()) {
            for (ComposeProject.Service s : composed.get(c).services().values()) {
                for (ComposeProject.Port p : s.ports()) {
                    if (p.hostPort() == null || p.hostPort() != port || "udp".equals(p.protocol()) || !sameAddress(bind, p.hostIp())) continue;
                    String option = deployPorts.get(c) == port ? " (--" + c.id() + "-port " + port + ")" : "";
                    throw new DeployError(portExit, portFrom + " " + port + " is also " + c + "'s host port" + option + ", published by service \""
                            + s.name() + "\" of " + composed.get(c).file() + ": the managed front would hold it and every deploy to " + c
                            + " would fail with \"port is already allocated\"; give the front another port");
                }
            }
        }
    }

    /** Docker allocates a host port per address, and the unspecified address takes it on every address. */
    private static boolean sameAddress(String a, String b) {
        boolean anyA = a == null || a.isEmpty() || a.equals("0.0.0.0") || a.equals("::");
        boolean anyB = b == null || b.isEmpty() || b.equals("0.0.0.0") || b.equals("::");
        return anyA || anyB || a.equals(b);
    }

    /** What the engine takes: the front as these options (and deploy.yml) chose it. */
    public FrontSettings settings() {
        return new FrontSettings(kind == FrontSettings.Kind.MANAGED, port, bind, image, service, targetPort, drainTimeout, publishPorts);
    }

    /** deploy.yml's front: section, for what the command line did not set; checked by the options' own rules. */
    public void defaultsFrom(Map<String, String> front, Path file, ParseResult parsed) {
        if (!parsed.hasMatchedOption("--front") && front.containsKey("kind")) {
            kind = Values.fromFile(file, "front.kind", front.get("kind"), v -> Values.choice(FrontSettings.Kind.class, v));
        }
        if (!parsed.hasMatchedOption("--front-port") && front.containsKey("port")) {
            port = Values.fromFile(file, "front.port", front.get("port"), Values::port);
            fromFile.add("port");
            portFrom = file + ": front.port";
            portExit = ExitCode.CONFIG;
        }
        if (!parsed.hasMatchedOption("--front-bind") && front.containsKey("bind")) {
            bind = front.get("bind");
            fromFile.add("bind");
        }
        if (!parsed.hasMatchedOption("--front-image") && front.containsKey("image")) {
            image = front.get("image");
            fromFile.add("image");
        }
        if (!parsed.hasMatchedOption("--front-service") && front.containsKey("service")) service = front.get("service");
        if (!parsed.hasMatchedOption("--front-target-port") && front.containsKey("target_port")) {
            targetPort = Values.fromFile(file, "front.target_port", front.get("target_port"), Values::port);
        }
        if (!parsed.hasMatchedOption("--front-publish-ports") && front.containsKey("publish_ports")) {
            publishPorts = Boolean.parseBoolean(front.get("publish_ports"));
            fromFile.add("publish_ports");
        }
        if (!parsed.hasMatchedOption("--drain-timeout") && front.containsKey("drain_timeout")) {
            drainTimeout = Values.fromFile(file, "front.drain_timeout", front.get("drain_timeout"), Values::timeout);
        }
    }

}
