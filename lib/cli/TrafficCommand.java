package lib.cli;

import lib.base.DeployError;
import lib.base.ExitCode;
import lib.base.Style;
import lib.docker.DockerHost;
import lib.docker.HostAddress;
import lib.front.AccessLog;
import lib.front.ManagedFront;
import lib.front.TrafficTimeline;
import lib.host.HostReader;
import lib.model.Colour;
import lib.model.ColourState;
import lib.model.FrontSettings;
import lib.model.HostState;
import lib.options.Converters;
import lib.options.HostOptions;
import lib.options.ProjectOptions;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "traffic", mixinStandardHelpOptions = true,
        description = {"Show what the managed front answered: requests per colour, their rate and status codes,",
                "and a per-second timeline of answers by colour and failures, from the front's access log.",
                "A deploy shows at a glance: one colour's bar ends where the other's begins."},
        footer = ExitCode.HELP_FOOTER)
public class TrafficCommand implements Callable<Integer> {
    @Mixin HostOptions target;
    @Mixin ProjectOptions project;
    @Spec CommandSpec spec;

    @Option(names = "--since", paramLabel = "DURATION", defaultValue = "10m", converter = Converters.PositiveTimeout.class,
            description = "How far back to look, at most 24h (default: ${DEFAULT-VALUE}); the log holds what was answered since its last rotation.")
    Duration since = Duration.ofMinutes(10);

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<HostAddress> hosts = StatusCommand.hosts(spec, target, project);
        for (HostAddress h : hosts) {
            try (DockerHost docker = h.connect(spec.commandLine().getErr())) {
                if (hosts.size() > 1) Style.step(out, "host " + docker.describe());
                show(out, docker);
            }
        }
        out.flush();
        return ExitCode.OK;
    }

    private void show(PrintWriter out, DockerHost docker) {
        String app = target.app();
        if (!ManagedFront.state(docker.client(), app, true).exists()) {
            throw DeployError.config(app + " has no managed front on " + docker.describe() + ": its traffic is counted by the managed front's "
                    + "access log (deploy with --front managed)");
        }
        ManagedFront front = new ManagedFront(docker.client(), app, FrontSettings.managedDefaults(), new PrintWriter(java.io.Writer.nullWriter()));
        long offset = front.prepareLog(); // rotates a log over its bound, as a deploy does
        long to = System.currentTimeMillis() + offset;
        long from = to - since.toMillis();
        HostState state = HostReader.read(docker.client(), app);
        List<ColourState> colours = new ArrayList<>();
        for (Colour c : Colour.values()) colours.add(state.of(c));
        Map<String, String> colourOf = front.addresses(colours);
        List<AccessLog.Line> lines = AccessLog.parse(front.accessLog(AccessLog.ROTATE_BYTES * 2, true));
        out.println(String.join("\n", summary(lines, from, to, colourOf, app, since)));
        List<String> timeline = TrafficTimeline.render(AccessLog.timeline(lines, from, to, colourOf), Style.enabled());
        if (!timeline.isEmpty()) {
            out.println();
            timeline.forEach(out::println);
        }
    }

    /** The head of the report: the window, then per colour (or address) the count, the rate and the statuses. */
    static List<String> summary(List<AccessLog.Line> lines, long from, long to, Map<String, String> colourOf, String app, Duration since) {
        List<String> out = new ArrayList<>();
        Map<String, Map<Integer, Long>> counts = AccessLog.statusCounts(lines, from, to, colourOf);
        long total = counts.values().stream().flatMap(m -> m.values().stream()).mapToLong(Long::longValue).sum();
        out.add(app + ": " + total + " requests through the managed front in the last " + lib.base.Durations.describe(since)
                + " (" + Instant.ofEpochMilli(from).toString().replaceAll("\\.\\d+Z$", "Z") + " to " + Instant.ofEpochMilli(to).toString().replaceAll("\\.\\d+Z$", "Z") + ")");
        double seconds = Math.max(1, (to - from) / 1000.0);
        counts.forEach((who, statuses) -> {
            long n = statuses.values().stream().mapToLong(Long::longValue).sum();
            StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "  %-8s %8d  %7.2f/s  ", who, n, n / seconds));
            List<String> parts = new ArrayList<>();
            statuses.forEach((status, c) -> parts.add(status + ": " + c));
            out.add(s.append(String.join(", ", parts)).toString());
        });
        if (total == 0) out.add("  no request was answered in that time");
        return out;
    }
}
