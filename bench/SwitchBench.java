import lib.docker.EngineCheck;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.BuildImageResultCallback;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * Time to the switch, time until the old release answers nothing, wall time, failed requests and rollback time, for
 * each front and for an app that honours SIGTERM beside one that ignores it (bench/apps). deploy.java and rollback.java
 * run as real processes through ./jbang, as a user runs them, timed from process start; the load generator's answers
 * say when the release changed. Per run of one app behind one front:
 * <ol>
 *   <li>deploy v1 (setup, not measured)</li>
 *   <li>deploy v2 into the empty idle colour</li>
 *   <li>rollback.java --app X right after it (back to v1: a warm standby behind the managed front, stopped behind the
 *       passive one)</li>
 *   <li>deploy v3 into the idle colour, which now holds v2 (running behind the managed front, stopped behind the
 *       passive one): the steady state of an app deployed again and again</li>
 * </ol>
 */
final class SwitchBench {
    static final String DIAGNOSIS = "ignored its stop signal and was killed after";
    static final List<String> COMMANDS = List.of("deploy into an empty colour", "rollback right after", "deploy over the previous release");

    /** One line the command printed, and when (nanoTime). */
    record Line(long nanos, String text) {}

    /** One command as a process: start and end (nanoTime), exit code, timestamped output. */
    record Proc(long start, long end, int exit, List<Line> lines) {
        double wall() {
            return (end - start) / 1e9;
        }

        boolean printed(String s) {
            return lines.stream().anyMatch(l -> l.text().contains(s));
        }
    }

    /** What one measured command did to the traffic. Times in seconds from the command's start. */
    record Measure(double toSwitch, double oldSilent, double wall, int exit, long gets, long failedGets, long posts,
                   long failedPosts, boolean diagnosis, Map<String, Double> steps, double load) {}

    private final DockerClient docker;
    private final PrintWriter out;
    private final Path root = EngineCheck.projectRoot();
    private final PrintWriter log;

    SwitchBench(DockerClient docker, PrintWriter out, PrintWriter log) {
        this.docker = docker;
        this.out = out;
        this.log = log;
    }

    void buildImages(List<String> apps) {
        for (String app : apps) {
            for (String v : new String[]{"v1", "v2", "v3"}) {
                Path ctx = null;
                try {
                    ctx = Files.createTempDirectory("bn-app");
                    copyTree(root.resolve("bench/apps/www"), ctx.resolve("www"));
                    Files.copy(Path.of("/bin/busybox"), ctx.resolve("busybox"));
                    Files.copy(root.resolve("bench/apps/" + app + ".Dockerfile"), ctx.resolve("Dockerfile"));
                    docker.buildImageCmd(ctx.toFile()).withTags(Set.of(image(app) + ":" + v)).withPull(false)
                            .withBuildArg("VERSION", v).exec(new BuildImageResultCallback()).awaitImageId(5, TimeUnit.MINUTES);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } finally {
                    if (ctx != null) ExampleImages.deleteTree(ctx);
                }
            }
        }
    }

    static String image(String app) {
        return "bn-" + app;
    }

    /**
     * Runs each CLI through real work once, unmeasured, so that the measured runs start on a warm cache as a user's
     * next run does: ./jbang keeps JBang's command after the first run and writes the class-data archive at the end of
     * the first run that does work (not --help).
     */
    void warmUp(String app) throws Exception {
        String name = "bnwarm";
        Path dir = Files.createTempDirectory(name);
        Files.writeString(dir.resolve("docker-compose.yml"),
                Files.readString(root.resolve("bench/apps/docker-compose.yml")).replace("IMAGE:", image(app) + ":"));
        TestHost.removeApp(name);
        try {
            List<String> base = List.of("--app", name, "-f", dir.resolve("docker-compose.yml").toString(), "--blue-port", "18690",
                    "--green-port", "18691", "--probe", "/health.txt", "--pull", "never", "--front", "managed", "--front-port", "18692",
                    "--front-image", "shop-web:1");
            for (List<String> cmd : List.of(concat(List.of("./jbang", "deploy.java"), base, List.of("--release", "v1")),
                    concat(List.of("./jbang", "deploy.java"), base, List.of("--release", "v2")),
                    List.of("./jbang", "rollback.java", "--app", name))) {
                Proc p = command(cmd);
                logRun("warm-up: " + String.join(" ", cmd.subList(1, cmd.size())), p);
                if (p.exit() != 0) throw new IllegalStateException("warm-up " + cmd.get(1) + " exited " + p.exit() + ", see the log");
            }
        } finally {
            TestHost.removeApp(name);
            ExampleImages.deleteTree(dir);
        }
    }

    /**
     * All runs of one app behind one front; returns per command the runs' measures. Ports: base+0 blue, +1 green,
     * +2 the public port of the front.
     */
    Map<String, List<Measure>> cell(String front, String app, int runs, int basePort) throws Exception {
        Map<String, List<Measure>> byCommand = new LinkedHashMap<>();
        COMMANDS.forEach(c -> byCommand.put(c, new ArrayList<>()));
        int blue = basePort, green = basePort + 1, publicPort = basePort + 2;
        for (int run = 1; run <= runs; run++) {
            String name = "bn" + app.charAt(0) + (front.equals("managed-published") ? 'q' : front.charAt(0)) + run;
            Path dir = Files.createTempDirectory(name);
            Files.writeString(dir.resolve("docker-compose.yml"),
                    Files.readString(root.resolve("bench/apps/docker-compose.yml")).replace("IMAGE:", image(app) + ":"));
            TestHost.removeApp(name);
            try (FrontNginx passive = front.equals("passive") ? new FrontNginx(publicPort, blue, green) : null) {
                List<String> base = new ArrayList<>(List.of("--app", name, "-f", dir.resolve("docker-compose.yml").toString(),
                        "--blue-port", String.valueOf(blue), "--green-port", String.valueOf(green), "--probe", "/health.txt", "--pull", "never"));
                if (front.startsWith("managed")) base.addAll(List.of("--front", "managed", "--front-port", String.valueOf(publicPort), "--front-image", "shop-web:1"));
                // The managed front as it was before its colours stopped publishing host ports (issue 17): for comparison.
                if (front.equals("managed-published")) base.add("--front-publish-ports");
                Proc setup = command(concat(List.of("./jbang", "deploy.java"), base, List.of("--release", "v1")));
                logRun(name + " setup deploy v1", setup);
                if (setup.exit() != 0) throw new IllegalStateException(name + ": setup deploy exited " + setup.exit() + ", see the log");
                byCommand.get(COMMANDS.get(0)).add(measured(name, publicPort, "v1", "v2",
                        concat(List.of("./jbang", "deploy.java"), base, List.of("--release", "v2"))));
                byCommand.get(COMMANDS.get(1)).add(measured(name, publicPort, "v2", "v1",
                        List.of("./jbang", "rollback.java", "--app", name)));
                byCommand.get(COMMANDS.get(2)).add(measured(name, publicPort, "v1", "v3",
                        concat(List.of("./jbang", "deploy.java"), base, List.of("--release", "v3"))));
                if (run == 1 && front.startsWith("managed")) timeline(name, front, app);
            } finally {
                TestHost.removeApp(name);
                ExampleImages.deleteTree(dir);
            }
        }
        return byCommand;
    }

    /**
     * The first run's deploy over the previous release, as the front's access log saw it: an SVG beside the results
     * (bench/results/timeline-FRONT-APP.svg), 1.5 s either side of the window the deploy reported.
     */
    void timeline(String name, String front, String app) {
        try {
            var f = new lib.front.ManagedFront(docker, name, lib.model.FrontSettings.managedDefaults(), new PrintWriter(java.io.Writer.nullWriter()));
            var state = lib.host.HostReader.read(docker, name);
            var colourOf = f.addresses(java.util.Arrays.stream(lib.model.Colour.values()).map(state::of).toList());
            var history = new lib.host.ReleaseHistory(docker, name).read(new PrintWriter(java.io.Writer.nullWriter()));
            var report = history.get(history.size() - 1).traffic();
            if (report == null) return;
            var lines = lib.front.AccessLog.parse(f.accessLog(lib.front.AccessLog.DEPLOY_TAIL_BYTES, false));
            long from = report.fromMillis() - 1500, to = report.fromMillis() + report.windowMillis() + 1500;
            String svg = TimelineSvg.render(lines, colourOf, report, from, to,
                    "deploy v3 over the previous release, " + front + " front, app " + app + ": the front's answers");
            Path file = root.resolve("bench/results/timeline-" + front + "-" + app + ".svg");
            Files.writeString(file, svg);
            out.println("   timeline: " + file + " (" + report.describe() + ")");
        } catch (IOException | RuntimeException e) {
            out.println("   no timeline for " + name + ": " + e);
        }
    }

    /**
     * One command under load: the load runs until every answer is the old release, then the command starts, and the
     * load goes on until the command has exited and the slowest request it could have caught (a 1.5 s POST) is done.
     */
    Measure measured(String name, int port, String from, String to, List<String> cmd) throws Exception {
        try (LoadGenerator load = new LoadGenerator(port, 4, 2, 100_000, Duration.ofMinutes(3))) {
            awaitSteady(load, from);
            double loadAverage = loadAverage();
            long t0 = System.nanoTime();
            Proc p = command(cmd);
            Thread.sleep(2500);
            load.close();
            logRun(name + ": " + String.join(" ", cmd.subList(1, cmd.size())), p);
            if (p.exit() != 0) out.println("   " + name + ": " + cmd.get(1) + " exited " + p.exit() + ", see the log");
            var reqs = load.requests().stream().filter(r -> r.startNanos() >= t0).toList();
            Measure m = new Measure(switchAt(reqs, to, t0), oldSilentAt(reqs, from, t0), p.wall(), p.exit(),
                    count(reqs, "GET", false), count(reqs, "GET", true), count(reqs, "POST", false), count(reqs, "POST", true),
                    p.printed(DIAGNOSIS), stepTimes(p), loadAverage);
            reqs.stream().filter(LoadGenerator.Request::failed).limit(5).forEach(r -> log.printf(Locale.ROOT,
                    "   failed %s at %+.2fs (%.2fs long): %s%n", r.kind(), (r.startNanos() - t0) / 1e9,
                    (r.endNanos() - r.startNanos()) / 1e9, r.error() != null ? r.error() : "HTTP " + r.status()));
            log.println("   " + m);
            log.flush();
            out.printf(Locale.ROOT, "   %s %s -> %s: switch %.2f s, old silent %.2f s, wall %.2f s, failed %d/%d GET %d/%d POST%s%n",
                    name, from, to, m.toSwitch(), m.oldSilent(), m.wall(), m.failedGets(), m.gets(), m.failedPosts(), m.posts(),
                    m.diagnosis() ? ", grace-period note printed" : "");
            out.flush();
            return m;
        }
    }

    /** The machine's 1-minute load average (other jobs share these 2 cores). */
    static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** Waits (bounded) until the last 50 answers are all the given release, so a run starts from a settled state. */
    static void awaitSteady(LoadGenerator load, String release) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            Thread.sleep(200);
            var reqs = load.requests();
            if (reqs.size() >= 50 && reqs.subList(reqs.size() - 50, reqs.size()).stream()
                    .allMatch(r -> !r.failed() && release.equals(r.version()))) return;
        }
        throw new IllegalStateException("the front did not settle on " + release + " within 30 s");
    }

    /**
     * The first instant after which every request is answered by the new release: the start of the first request
     * that follows the last request answered otherwise (by the old release, or not at all). NaN if none after it.
     */
    static double switchAt(List<LoadGenerator.Request> reqs, String to, long t0) {
        List<LoadGenerator.Request> byStart = new ArrayList<>(reqs);
        byStart.sort(java.util.Comparator.comparingLong(LoadGenerator.Request::startNanos));
        int lastOther = -1;
        for (int i = 0; i < byStart.size(); i++) {
            var r = byStart.get(i);
            if (r.failed() || !to.equals(r.version())) lastOther = i;
        }
        return lastOther + 1 < byStart.size() ? (byStart.get(lastOther + 1).startNanos() - t0) / 1e9 : Double.NaN;
    }

    /** When the old release gave its last answer (the end of that request). */
    static double oldSilentAt(List<LoadGenerator.Request> reqs, String from, long t0) {
        return reqs.stream().filter(r -> !r.failed() && from.equals(r.version()))
                .mapToLong(LoadGenerator.Request::endNanos).max().stream().mapToDouble(n -> (n - t0) / 1e9).findFirst().orElse(0);
    }

    static long count(List<LoadGenerator.Request> reqs, String kind, boolean failedOnly) {
        return reqs.stream().filter(r -> r.kind().equals(kind) && (!failedOnly || r.failed())).count();
    }

    /** When each step header ("==> ...") and each note appeared, in seconds from the command's start. */
    static Map<String, Double> stepTimes(Proc p) {
        Map<String, Double> steps = new LinkedHashMap<>();
        steps.put("first output", p.lines().isEmpty() ? Double.NaN : (p.lines().get(0).nanos() - p.start()) / 1e9);
        for (Line l : p.lines()) {
            String t = l.text().strip();
            if (t.startsWith("==> ")) {
                String key = t.substring(4).replaceAll(" (blue|green)\\b.*", "").replaceAll("^(deploy|rollback) .*", "$1 header");
                steps.putIfAbsent(key, (l.nanos() - p.start()) / 1e9);
            } else if (t.contains(DIAGNOSIS)) {
                steps.putIfAbsent("grace-period note", (l.nanos() - p.start()) / 1e9);
            }
        }
        if (!p.lines().isEmpty()) steps.put("last line", (p.lines().get(p.lines().size() - 1).nanos() - p.start()) / 1e9);
        return steps;
    }

    /** Runs one command from the project root, its output timestamped line by line; bounded to 5 minutes. */
    Proc command(List<String> cmd) throws Exception {
        List<Line> lines = Collections.synchronizedList(new ArrayList<>());
        long start = System.nanoTime();
        Process p = new ProcessBuilder(cmd).directory(root.toFile()).redirectErrorStream(true).start();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String s; (s = r.readLine()) != null; ) lines.add(new Line(System.nanoTime(), s));
            } catch (IOException ignored) {
                // the process is gone; what was read is kept
            }
        }, "bench-output");
        reader.start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        long end = System.nanoTime();
        reader.join(5000);
        return new Proc(start, end, p.exitValue(), new ArrayList<>(lines));
    }

    void logRun(String title, Proc p) {
        log.println("## " + title + " (exit " + p.exit() + ", " + String.format(Locale.ROOT, "%.2f", p.wall()) + " s)");
        for (Line l : p.lines()) log.printf(Locale.ROOT, "%7.3f  %s%n", (l.nanos() - p.start()) / 1e9, l.text());
        log.flush();
    }

    static List<String> concat(List<String> a, List<String> b, List<String> c) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        all.addAll(c);
        return all;
    }

    /** "median [min-max]" of a field over the runs. */
    static String stat(List<Measure> ms, ToDoubleFunction<Measure> f) {
        double[] v = ms.stream().mapToDouble(f).sorted().toArray();
        if (v.length == 0) return "-";
        double median = v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
        return String.format(Locale.ROOT, "%.2f [%.2f–%.2f]", median, v[0], v[v.length - 1]);
    }

    static String table(Map<String, Map<String, List<Measure>>> cells) {
        StringBuilder b = new StringBuilder();
        b.append("| front | app | command | time to the switch (s) | old release silent (s) | wall (s) | failed GETs | failed POSTs | exit codes | grace-period note | load average (1 min) |\n");
        b.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        cells.forEach((cell, byCommand) -> byCommand.forEach((command, ms) -> {
            String[] fa = cell.split(" ");
            b.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %d of %d | %d of %d | %s | %s | %s |%n", fa[0], fa[1], command,
                    stat(ms, Measure::toSwitch), stat(ms, Measure::oldSilent), stat(ms, Measure::wall),
                    ms.stream().mapToLong(Measure::failedGets).sum(), ms.stream().mapToLong(Measure::gets).sum(),
                    ms.stream().mapToLong(Measure::failedPosts).sum(), ms.stream().mapToLong(Measure::posts).sum(),
                    ms.stream().map(m -> String.valueOf(m.exit())).distinct().reduce((x, y) -> x + "," + y).orElse("-"),
                    ms.stream().filter(Measure::diagnosis).count() + " of " + ms.size(), stat(ms, Measure::load)));
        }));
        return b.toString();
    }

    /** Median time of each step header, per cell and command: where the time goes. */
    static String stepTable(Map<String, Map<String, List<Measure>>> cells) {
        StringBuilder b = new StringBuilder("| front | app | command | step headers, median s from the command's start |\n|---|---|---|---|\n");
        cells.forEach((cell, byCommand) -> byCommand.forEach((command, ms) -> {
            Map<String, List<Double>> times = new LinkedHashMap<>();
            ms.forEach(m -> m.steps().forEach((k, v) -> times.computeIfAbsent(k, x -> new ArrayList<>()).add(v)));
            StringBuilder s = new StringBuilder();
            times.forEach((k, v) -> {
                Collections.sort(v);
                s.append(s.isEmpty() ? "" : "; ").append(k).append(String.format(Locale.ROOT, " %.2f", v.get(v.size() / 2)));
            });
            String[] fa = cell.split(" ");
            b.append("| ").append(fa[0]).append(" | ").append(fa[1]).append(" | ").append(command).append(" | ").append(s).append(" |\n");
        }));
        return b.toString();
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (var walk = Files.walk(from)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t, StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
    }
}
