package lib.cli;

import lib.base.DeployError;
import lib.base.ExitCode;
import lib.base.Values;
import lib.docker.DockerHost;
import lib.docker.HostAddress;
import lib.front.MaintenancePage;
import lib.model.EdgeSettings;
import lib.options.Converters;
import lib.options.HostOptions;
import lib.options.ProjectOptions;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "maintenance", mixinStandardHelpOptions = true,
        description = {"Turn maintenance mode on or off at the managed front.",
                "on: the front answers 503 with Retry-After and a page (HTML; JSON to clients that Accept",
                "application/json) to everyone but the --allow addresses; the colours keep running. off: traffic",
                "flows again. Each is one reload of the front (no request lost), recorded on the host (a deploy",
                "keeps it on; status shows it) and in the history."},
        footer = ExitCode.HELP_FOOTER)
public class MaintenanceCommand implements Callable<Integer> {
    enum Mode { on, off }

    @Parameters(index = "0", paramLabel = "on|off", description = "on or off")
    Mode mode;

    @Mixin HostOptions target;
    @Mixin ProjectOptions project;
    @Spec CommandSpec spec;

    @Option(names = "--message", paramLabel = "TEXT", description = "The text of the page (and of the JSON answer); default: \"" + MaintenancePage.DEFAULT_MESSAGE + "\"")
    String message;

    @Option(names = "--page", paramLabel = "FILE", description = "Your own HTML page instead (at most 1 MB).")
    Path page;

    @Option(names = "--allow", paramLabel = "CIDR", split = ",", converter = Converters.Cidr.class,
            description = "Addresses still served, e.g. your office or 127.0.0.1 for checks (repeatable; the client's address after front.trusted_proxies).")
    List<String> allow = new ArrayList<>();

    @Option(names = "--retry-after", paramLabel = "DURATION", defaultValue = "2m", converter = Converters.PositiveTimeout.class,
            description = "What the Retry-After header tells clients (default: ${DEFAULT-VALUE}).")
    Duration retryAfter;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (mode == Mode.off && (message != null || page != null || !allow.isEmpty())) {
            throw new DeployError(ExitCode.USAGE, "maintenance off takes no --message, --page or --allow");
        }
        if (message != null && page != null) throw new DeployError(ExitCode.USAGE, "give --message or --page, not both");
        if (message != null && message.chars().anyMatch(c -> c < 0x20 && c != '\n' && c != '\t')) {
            throw new DeployError(ExitCode.USAGE, "--message holds control characters; write plain text");
        }
        String html = page == null ? null : readPage(page);
        MaintenancePage pages = MaintenancePage.of(message, html);
        List<HostAddress> hosts = StatusCommand.hosts(spec, target, project);
        for (HostAddress h : hosts) {
            try (DockerHost docker = h.connect(spec.commandLine().getErr())) {
                boolean on = mode == Mode.on;
                EdgeSettings.Maintenance m = on ? new EdgeSettings.Maintenance(true, allow, (int) Math.min(retryAfter.toSeconds(), 86_400), Instant.now().toString())
                        : EdgeSettings.Maintenance.off();
                FrontChange.apply(docker, target.app(), "maintenance", f -> f.withEdge(f.edge().withMaintenance(m)), on ? pages.files() : Map.of(), false,
                        on ? "on" : "off", on && !allow.isEmpty() ? "allowed: " + String.join(", ", allow) : null, out);
                out.println(on ? "maintenance on for " + target.app() + " on " + docker.describe() + ": the front answers 503 to everyone"
                        + (allow.isEmpty() ? "" : " but " + String.join(", ", allow)) + "; the colours keep running. Resume with: deploy.java maintenance off --app " + target.app()
                        : "maintenance off for " + target.app() + " on " + docker.describe() + ": the front sends traffic to the live colour again");
            }
        }
        return ExitCode.OK;
    }

    private static String readPage(Path p) {
        try {
            if (!Files.isRegularFile(p)) throw new DeployError(ExitCode.USAGE, "--page " + p + ": no such file");
            if (Files.size(p) > 1_000_000) throw new DeployError(ExitCode.USAGE, "--page " + p + " is over 1 MB; give a smaller HTML page");
            return Files.readString(p);
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            throw new DeployError(ExitCode.USAGE, "--page " + p + " cannot be read as UTF-8 text (" + e.getClass().getSimpleName() + ")");
        }
    }
}
