///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS info.picocli:picocli:4.7.6
//SOURCES ../deploy.java ../compose/ExampleImages.java ../tests/support/FrontNginx.java ../tests/support/TestHost.java ../tests/support/Poll.java LoadGenerator.java SwitchBench.java TimelineSvg.java

import lib.cli.Cli;
import lib.base.ExitCode;
import lib.docker.DockerHost;
import lib.docker.EngineCheck;

import com.github.dockerjava.api.DockerClient;
import org.zeroturnaround.exec.ProcessExecutor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

@Command(name = "bench.java", mixinStandardHelpOptions = true,
        description = {"Deploys under load and counts every request, on the local engine, against 127.0.0.1 only.",
                "Load: 4 GET workers (/version.txt, 10 ms apart) and 2 slow-POST workers (1.5 s each) through the",
                "front. Two suites:",
                "switch (default): for each front (passive, managed) and each app of bench/apps (honours: exits on",
                "SIGTERM; ignores: shell-form CMD that ignores SIGTERM, as the blog's), both ready 2 s after start:",
                "deploy v2 into the empty colour, rollback.java right after, deploy v3 over the previous release,",
                "each run through ./jbang as a process (warm cache), timed from its start: time to the switch (after",
                "it every request is answered by the new release), time until the old release answers nothing,",
                "wall time, failed requests, and whether the grace-period note was printed. Median [min-max] of --runs.",
                "scenarios: the older comparison. Modes, side by side in one run:",
                "  shell     the shell version: docker-compose up -d the other colour, sleep 10, down the old one",
                "  bgdeploy  deploy.java behind the same passive front (health gate, graceful stop)",
                "  managed   deploy.java --front managed (atomic switch, drain, then stop)",
                "Scenarios: a fast app (ready in 2 s), b slow POSTs in flight, c app needing 30 s to start,",
                "d image that crashes, e image that never gets healthy, f 20 deploys back to back.",
                "Writes a Markdown table to bench/results/ and prints it.", ""},
        footer = ExitCode.HELP_FOOTER)
public class bench implements Callable<Integer> {
    @Option(names = "--suite", split = ",", defaultValue = "switch", description = "switch, scenarios or both (default: ${DEFAULT-VALUE}).")
    List<String> suites;

    @Option(names = "--fronts", split = ",", defaultValue = "passive,managed", description = "Switch suite: fronts (default: ${DEFAULT-VALUE}).")
    List<String> fronts;

    @Option(names = "--apps", split = ",", defaultValue = "honours,ignores", description = "Switch suite: apps of bench/apps (default: ${DEFAULT-VALUE}).")
    List<String> apps;

    @Option(names = "--runs", defaultValue = "3", description = "Switch suite: runs per front and app (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--scenarios", split = ",", defaultValue = "a,b,c,d,e,f", description = "Which scenarios (default: ${DEFAULT-VALUE}).")
    List<String> scenarios;

    @Option(names = "--modes", split = ",", defaultValue = "shell,bgdeploy,managed", description = "Which modes (default: ${DEFAULT-VALUE}).")
    List<String> modes;

    @Option(names = "--repeat", defaultValue = "20", description = "Deploys in scenario f (default: ${DEFAULT-VALUE}).")
    int repeat;

    @Spec CommandSpec spec;

    static String compose() throws java.io.IOException {
        return Files.readString(EngineCheck.projectRoot().resolve("tests/fixture/docker-compose.yml")).replace("bgtest-app:", "bn-bench-app:");
    }

    DockerClient docker;
    PrintWriter out;
    int scenarioRuns;

    public static void main(String... args) {
        System.exit(Cli.commandLine(new bench()).execute(args));
    }

    record Row(String scenario, String mode, String exit, double deploySeconds, long gets, long failedGets, long posts,
               long failedPosts, long oldAfter, String lastOld, String servedAfter) {}

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        EngineCheck.ensureLocalEngine(out);
        try (DockerHost host = DockerHost.connect(null, false, spec.commandLine().getErr())) {
            docker = host.client();
            Path dir = EngineCheck.projectRoot().resolve("bench/results");
            Files.createDirectories(dir);
            String stamp = Instant.now().toString().replace(':', '-');
            if (suites.contains("switch")) switchSuite(dir, stamp);
            if (suites.contains("scenarios")) scenarioSuite(dir, stamp);
        }
        return ExitCode.OK;
    }

    void switchSuite(Path dir, String stamp) throws Exception {
        new ExampleImages(docker, EngineCheck.projectRoot().resolve("compose")).web("shop-web:1"); // the managed front's nginx
        Path logFile = dir.resolve("switch-" + stamp + "-log.txt");
        try (PrintWriter log = new PrintWriter(Files.newBufferedWriter(logFile))) {
            SwitchBench b = new SwitchBench(docker, out, log);
            b.buildImages(apps);
            b.warmUp(apps.get(0));
            String loadBefore = uptime();
            Map<String, Map<String, List<SwitchBench.Measure>>> cells = new LinkedHashMap<>();
            int cell = 0;
            for (String front : fronts) {
                for (String app : apps) {
                    out.println("== " + front + " front, app " + app + " (" + runs + " runs)");
                    out.flush();
                    // Host ports 18600-18699 are this benchmark's: 10 per cell.
                    cells.put(front + " " + app, b.cell(front, app, runs, 18600 + 10 * cell++));
                }
            }
            String text = "Command: `" + String.join(" ", concat("./jbang", "bench/bench.java", spec.commandLine().getParseResult().originalArgs())) + "`\n\n"
                    + "Load average before: " + loadBefore + "; after: " + uptime() + "\n\n"
                    + SwitchBench.table(cells) + "\nWhere the time goes:\n\n" + SwitchBench.stepTable(cells);
            Path file = dir.resolve("switch-" + stamp + ".md");
            Files.writeString(file, text);
            out.println();
            out.println(text);
            out.println("written to " + file + " (every command's timestamped output: " + logFile + ")");
        }
    }

    static List<String> concat(String a, String b, List<String> rest) {
        List<String> all = new ArrayList<>(List.of(a, b));
        all.addAll(rest);
        return all;
    }

    static String uptime() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    void scenarioSuite(Path dir, String stamp) throws Exception {
        buildImages();
        List<Row> rows = new ArrayList<>();
        for (String s : scenarios) {
            for (String m : modes) {
                out.println("== scenario " + s + ", mode " + m);
                out.flush();
                rows.add(run(s, m));
                out.println("   " + rows.get(rows.size() - 1));
            }
        }
        String table = table(rows);
        Path file = dir.resolve("bench-" + stamp + ".md");
        Files.writeString(file, table);
        out.println();
        out.println(table);
        out.println("written to " + file);
    }

    void buildImages() {
        var images = new ExampleImages(docker, EngineCheck.projectRoot().resolve("compose"));
        images.web("shop-web:1");
        images.app("bn-bench-app", new ExampleImages.Variant("v1", 2, false, false));
        images.app("bn-bench-app", new ExampleImages.Variant("v2", 2, false, false));
        images.app("bn-bench-app", new ExampleImages.Variant("slow30", 30, false, false));
        images.app("bn-bench-app", new ExampleImages.Variant("crash", 0, true, false));
        images.app("bn-bench-app", new ExampleImages.Variant("unhealthy", 0, false, true));
    }

    Row run(String scenario, String mode) throws Exception {
        String app = "bn-" + scenario + "-" + mode;
        // Host ports 18650-18689 (this benchmark's range; the switch suite uses 18600-18649): 4 per run, reused in turn.
        int base = 18650 + 4 * (scenarioRuns++ % 10);
        int blue = base, green = base + 1;
        Path dir = Files.createTempDirectory(app);
        String compose = compose();
        Files.writeString(dir.resolve("docker-compose.yml"), compose);
        for (String c : new String[]{"blue", "green"}) {
            // The shell version's files: fixed ports and a plain depends_on (compose starts nginx at once).
            Files.writeString(dir.resolve("docker-compose." + c + ".yml"), compose
                    .replace("${DEPLOY_PORT}", String.valueOf(c.equals("blue") ? blue : green))
                    .replace("      app:\n        condition: service_healthy\n", "      - app\n"));
        }
        Target t = new Target(app, mode, dir, blue, green, base + 2);
        cleanup(app);
        try (FrontNginx passive = new FrontNginx(base + 3, blue, green)) {
            int publicPort = mode.equals("managed") ? t.managedPort : passive.port;
            t.deploy("v1");
            String next = switch (scenario) {
                case "c" -> "slow30";
                case "d" -> "crash";
                case "e" -> "unhealthy";
                default -> "v2";
            };
            int postWorkers = scenario.equals("b") ? 8 : 2;
            try (LoadGenerator load = new LoadGenerator(publicPort, 4, postWorkers, 200_000, Duration.ofMinutes(30))) {
                Thread.sleep(2000);
                long t0 = System.nanoTime();
                String exit;
                long deployEnd;
                if (scenario.equals("f")) {
                    List<Integer> codes = new ArrayList<>();
                    for (int i = 0; i < repeat; i++) codes.add(t.deploy(i % 2 == 0 ? "v2" : "v1"));
                    exit = codes.stream().allMatch(c -> c == 0) ? "0 x" + repeat : codes.toString();
                } else {
                    exit = String.valueOf(t.deploy(next));
                }
                deployEnd = System.nanoTime();
                Thread.sleep(3000);
                load.close();
                String expectedOld = scenario.equals("f") ? (repeat % 2 == 0 ? "v2" : "v1") : "v1";
                var reqs = load.requests();
                long gets = reqs.stream().filter(r -> r.kind().equals("GET")).count();
                long failedGets = reqs.stream().filter(r -> r.kind().equals("GET") && r.failed()).count();
                long posts = reqs.stream().filter(r -> r.kind().equals("POST")).count();
                long failedPosts = reqs.stream().filter(r -> r.kind().equals("POST") && r.failed()).count();
                boolean newShouldServe = scenario.matches("[abcf]");
                long oldAfter = newShouldServe ? reqs.stream().filter(r -> r.startNanos() > deployEnd && !r.failed()
                        && expectedOld.equals(r.version())).count() : 0;
                reqs.stream().filter(LoadGenerator.Request::failed).limit(5).forEach(r -> out.printf(Locale.ROOT,
                        "   failed %s at %+.2fs (%.2fs long): %s%n", r.kind(), (r.startNanos() - t0) / 1e9,
                        (r.endNanos() - r.startNanos()) / 1e9, r.error() != null ? r.error() : "HTTP " + r.status()));
                String served = servedVersion(publicPort);
                double secs = (deployEnd - t0) / 1e9 / (scenario.equals("f") ? repeat : 1);
                // When the old version answered last, counted from the deploy command (single-deploy scenarios).
                String lastOld = !scenario.matches("[abc]") ? "-" : reqs.stream().filter(r -> !r.failed() && expectedOld.equals(r.version()))
                        .mapToLong(LoadGenerator.Request::startNanos).max().stream()
                        .mapToObj(n -> String.format(Locale.ROOT, "%.1f", (n - t0) / 1e9)).findFirst().orElse("-");
                return new Row(scenario, mode, exit, secs, gets, failedGets, posts, failedPosts, oldAfter, lastOld, served);
            }
        } finally {
            cleanup(app);
            ExampleImages.deleteTree(dir);
        }
    }

    /** One app under test, deployed the shell way, or with deploy.java behind the passive or the managed front. */
    final class Target {
        final String app, mode;
        final Path dir;
        final int blue, green, managedPort;

        Target(String app, String mode, Path dir, int blue, int green, int managedPort) {
            this.app = app;
            this.mode = mode;
            this.dir = dir;
            this.blue = blue;
            this.green = green;
            this.managedPort = managedPort;
        }

        int deploy(String release) throws Exception {
            return mode.equals("shell") ? shell(release) : bgdeploy(release);
        }

        int bgdeploy(String release) {
            var cl = Cli.commandLine(new deploy());
            StringWriter sink = new StringWriter();
            cl.setOut(new PrintWriter(sink));
            cl.setErr(new PrintWriter(sink));
            List<String> args = new ArrayList<>(List.of("--app", app, "-f", dir.resolve("docker-compose.yml").toString(), "--release", release,
                    "--blue-port", String.valueOf(blue), "--green-port", String.valueOf(green), "--probe", "/health.txt",
                    "--pull", "never", "--health-timeout", "60s"));
            if (mode.equals("managed")) {
                args.addAll(List.of("--front", "managed", "--front-port", String.valueOf(managedPort), "--front-image", "shop-web:1"));
            }
            int code = cl.execute(args.toArray(new String[0]));
            if (code != 0) out.println("   deploy.java exit " + code + ": " + sink.toString().lines().filter(l -> l.startsWith("error")).findFirst().orElse(""));
            return code;
        }

        /** The shell script, step for step: which colour is Up, up -d the other, sleep 10, down the old. */
        int shell(String release) throws Exception {
            boolean blueUp = compose("blue", release, "ps").contains(" Up ");
            String next = blueUp ? "green" : "blue";
            compose(next, release, "up", "-d");
            Thread.sleep(10_000);
            if (blueUp || !compose("green", release, "ps").isBlank()) compose(blueUp ? "blue" : "green", release, "down");
            return 0;
        }

        String compose(String colour, String release, String... args) throws Exception {
            List<String> cmd = new ArrayList<>(List.of("docker-compose", "-p", app + "-" + colour, "-f",
                    dir.resolve("docker-compose." + colour + ".yml").toString()));
            cmd.addAll(List.of(args));
            return new ProcessExecutor().command(cmd).environment("DEPLOY_RELEASE", release).readOutput(true)
                    .timeout(5, TimeUnit.MINUTES).execute().outputUTF8();
        }
    }

    void cleanup(String app) {
        TestHost.removeApp(app);
    }

    static String servedVersion(int port) {
        try {
            var r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/version.txt"))
                    .timeout(Duration.ofSeconds(5)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? r.body().trim() : "ERR " + r.statusCode();
        } catch (Exception e) {
            return "ERR " + e.getClass().getSimpleName();
        }
    }

    static String table(List<Row> rows) {
        StringBuilder b = new StringBuilder();
        b.append("| scenario | mode | deploy exit | deploy wall (s) | GETs | failed GETs | POSTs | failed POSTs | old answers after deploy | last old answer (s) | served after |\n");
        b.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        String[] names = {"a fast app (ready in 2 s)", "b slow POSTs in flight", "c 30 s start", "d crashing image", "e never healthy", "f back-to-back (per deploy)"};
        for (Row r : rows) {
            b.append(String.format(Locale.ROOT, "| %s | %s | %s | %.1f | %d | %d | %d | %d | %d | %s | %s |%n",
                    names["abcdef".indexOf(r.scenario())], r.mode(), r.exit(), r.deploySeconds(), r.gets(), r.failedGets(),
                    r.posts(), r.failedPosts(), r.oldAfter(), r.lastOld(), r.servedAfter()));
        }
        return b.toString();
    }
}
