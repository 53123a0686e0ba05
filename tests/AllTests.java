///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.junit.jupiter:junit-jupiter:5.11.3
//DEPS org.junit.platform:junit-platform-launcher:1.11.3
//SOURCES ../deploy.java ../rollback.java ../tag.java ../compose/ExampleImages.java
//SOURCES support/*.java
//SOURCES *Test.java

import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherFactory;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;
import static org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder.request;

/**
 * Runs the whole suite and ends with the line "N passed, N failed": the unit tests first, in this JVM, then the
 * end-to-end tests in LANES, each lane a JVM of its own, side by side. Arguments narrow it: a class name
 * (DeployTest) or Class#method, run here and in order.
 *
 * Lanes, because most of an end-to-end test is waiting (health gates, drains, stop grace periods), so two lanes on
 * two cores take a little over half the time of one. Every test owns its app name, ports and images, so lanes
 * cannot see each other; what they share is the one Docker Engine. The test bed's daemons are restarted and frozen
 * by RemoteTest, so everything that talks to test-bed hosts 1-3 is in one lane, in order. The Swarm tests have two
 * test-bed Swarms (tests/swarm-up.sh): some freeze the manager's dockerd or cut a node's link, which would break any
 * Swarm test running beside them, so those run in a lane of their own on Swarm 2 (-Dswarm.bed=2, SwarmBed).
 */
public class AllTests {
    static final List<Class<?>> UNIT = List.of(LayersTest.class, StepsTest.class, ModelTest.class, UnitTest.class, CliTest.class,
            BadInputTest.class, ComposeLoaderTest.class, ProjectFileTest.class, RollbackTest.class, ContainerSpecTest.class,
            BadComposeInputTest.class, HistoryTest.class, ComposeCorpusTest.class, AccessoriesTest.class, NginxConfigTest.class, AccessLogTest.class, FrontPortsTest.class, TasksTest.class,
            SmokeChecksUnitTest.class, PreviewConfigTest.class, WatchWindowTest.class, SwarmDataTest.class, SwarmSpecTest.class);

    /** A lane: its classes, run in order in a JVM of its own started with these system properties. */
    record Lane(Map<String, String> properties, List<Class<?>> classes) {}

    static Lane lane(Class<?>... classes) {
        return new Lane(Map.of(), List.of(classes));
    }

    /** A lane on the second test-bed Swarm (hosts 7-9). */
    static Lane onSwarm2(Class<?>... classes) {
        return new Lane(Map.of(SwarmBed.PROPERTY, "2"), List.of(classes));
    }

    /**
     * Balanced by the time each class took in a full run on a loaded machine (EngineTest 680 s, ReleaseTest 520 s, RemoteTest 350 s,
     * BuildTest and FleetTest 210 s, TasksE2ETest 200 s, SwarmFaultTest 500 s; alone on Swarm 2 at a load of 20: SwarmFaultTest 275 s,
     * SwarmFailoverTest 196 s, SwarmNodeLossTest 161 s, SwarmTest 157 s, SwarmTasksTest 144 s, SwarmAsideTest 123 s, SwarmChecksTest 89 s,
     * SwarmStateTest 54 s). Lane A holds everything touching test-bed hosts 1-3, lane D
     * the Swarm tests on test-bed Swarm 1 (hosts 4-6), lane E those that freeze its manager or cut a link (and SwarmStateTest, for balance), on Swarm 2 (hosts 7-9):
     * each test bed is used by one lane at a time.
     */
    static final List<Lane> LANES = List.of(
            lane(RemoteTest.class, FleetTest.class, PreviewFleetTest.class, DockerHostTest.class, TagTest.class, BlogComposeTest.class, FailureTest.class,
                    FrontEdgeTest.class, SmokeCheckTest.class, WatchTest.class),
            lane(EngineTest.class, DeployTest.class, HostStatesTest.class, LockTest.class, ComposeKeysTest.class, PreviewTest.class),
            lane(ReleaseTest.class, BuildTest.class, FrontTest.class, ProjectTest.class, AccessoryE2ETest.class, TrafficTest.class),
            lane(SwarmTest.class, SwarmChecksTest.class, SwarmAsideTest.class, SwarmTasksTest.class, TasksE2ETest.class),
            onSwarm2(SwarmFaultTest.class, SwarmFailoverTest.class, SwarmNodeLossTest.class, SwarmStateTest.class));

    /** A lane that runs longer than this is stuck; CI gives the whole run 90 minutes. */
    static final long LANE_MINUTES = 45;

    public static void main(String... args) throws Exception {
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger passed = new AtomicInteger();
        AtomicInteger skipped = new AtomicInteger();
        if (args.length > 0) {
            var builder = request();
            for (String a : args) builder.selectors(a.contains("#") ? selectMethod(Class.forName(a.split("#")[0]), a.split("#")[1]) : selectClass(Class.forName(a)));
            run(builder.build(), "", passed, skipped, failures);
        } else {
            unlisted(failures);
            var builder = request();
            UNIT.forEach(c -> builder.selectors(selectClass(c)));
            run(builder.build(), "", passed, skipped, failures);
            lanes(passed, skipped, failures);
        }
        System.out.println();
        failures.forEach(f -> System.out.println("failed: " + f));
        System.out.println(passed.get() + " passed, " + failures.size() + " failed" + (skipped.get() > 0 ? ", " + skipped.get() + " skipped" : ""));
        System.exit(failures.isEmpty() && passed.get() > 0 ? 0 : 1);
    }

    /** A test class in tests/ that is in no list would never run, and nobody would notice. */
    static void unlisted(List<String> failures) throws java.io.IOException {
        java.util.Set<String> listed = new java.util.HashSet<>();
        UNIT.forEach(c -> listed.add(c.getSimpleName()));
        LANES.forEach(l -> l.classes().forEach(c -> listed.add(c.getSimpleName())));
        try (var files = java.nio.file.Files.list(java.nio.file.Path.of("tests"))) {
            files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith("Test.java")).map(f -> f.replace(".java", ""))
                    .filter(c -> !listed.contains(c)).sorted()
                    .forEach(c -> failures.add(c + " (not in AllTests.UNIT or AllTests.LANES, so it never runs)"));
        }
    }

    /**
     * Starts every lane as `java -cp <this classpath> AllTests Class...`, prints its lines as they come with the lane's
     * letter in front, and counts its PASS, SKIP and FAIL lines: a lane that dies without a FAIL line is a failure too.
     */
    static void lanes(AtomicInteger passed, AtomicInteger skipped, List<String> failures) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<Thread> readers = new ArrayList<>();
        List<Process> processes = new ArrayList<>();
        for (int i = 0; i < LANES.size(); i++) {
            String lane = String.valueOf((char) ('A' + i));
            List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path")));
            new java.util.TreeMap<>(LANES.get(i).properties()).forEach((k, v) -> cmd.add("-D" + k + "=" + v));
            cmd.add("AllTests");
            LANES.get(i).classes().forEach(c -> cmd.add(c.getName()));
            System.out.println("lane " + lane + ": " + LANES.get(i).classes().stream().map(Class::getSimpleName).collect(Collectors.joining(" "))
                    + LANES.get(i).properties().entrySet().stream().map(e -> " -D" + e.getKey() + "=" + e.getValue()).sorted().collect(Collectors.joining()));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            processes.add(p);
            Thread t = new Thread(() -> relay(lane, p, passed, skipped, failures));
            t.start();
            readers.add(t);
        }
        for (int i = 0; i < processes.size(); i++) {
            Process p = processes.get(i);
            String lane = String.valueOf((char) ('A' + i));
            if (!p.waitFor(LANE_MINUTES, TimeUnit.MINUTES)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                failures.add("lane " + lane + " (still running after " + LANE_MINUTES + " minutes; killed)");
            }
            readers.get(i).join();
            if (p.exitValue() != 0 && p.exitValue() != 1) failures.add("lane " + lane + " (its JVM exited " + p.exitValue() + ")");
        }
    }

    private static void relay(String lane, Process p, AtomicInteger passed, AtomicInteger skipped, List<String> failures) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            Failure failure = null;
            for (String line; (line = r.readLine()) != null; ) {
                if (failure != null && !failure.read(line)) {
                    failures.add(failure.summary());
                    failure = null;
                }
                if (line.startsWith("PASS ")) passed.incrementAndGet();
                else if (line.startsWith("SKIP ")) skipped.incrementAndGet();
                else if (line.startsWith("FAIL ")) failure = new Failure(line.substring(5).replaceFirst(" \\(\\d+ ms\\).*", ""), line);
                // the lane's own summary would read as the whole run's
                if (line.matches("\\d+ passed, \\d+ failed.*") || line.startsWith("failed: ") || line.startsWith(Failure.INDENT)) continue;
                synchronized (System.out) {
                    System.out.println(lane + " " + line);
                }
            }
            if (failure != null) failures.add(failure.summary());
        } catch (java.io.IOException e) {
            failures.add("lane " + lane + " (its output could not be read: " + e.getMessage() + ")");
        }
    }

    /**
     * A failed test's name and the end of its message (the lines between its FAIL line and its stack trace), repeated in
     * the summary: CI shows the tail of a run, where a FAIL line hundreds of lines up would be out of sight.
     */
    static final class Failure {
        static final int KEEP = 12;
        static final String INDENT = "    | ";
        final String name;
        final List<String> message = new ArrayList<>();

        Failure(String name, String failLine) {
            this.name = name;
            message.add(failLine.replaceFirst("^FAIL [^:]*: ", ""));
        }

        /** Takes one more line of the message; false once the message has ended. */
        boolean read(String line) {
            // printStackTrace repeats the message from its first line, then the frames
            if (line.equals(message.get(0)) || line.startsWith("\tat ") || line.startsWith("PASS ") || line.startsWith("FAIL ") || line.startsWith("SKIP ")) return false;
            message.add(line);
            return true;
        }

        String summary() {
            List<String> kept = message.size() <= KEEP ? message : message.subList(message.size() - KEEP, message.size());
            return name + kept.stream().map(l -> "\n" + INDENT + l).collect(Collectors.joining());
        }
    }

    static void run(LauncherDiscoveryRequest req, String prefix, AtomicInteger passed, AtomicInteger skipped, List<String> failures) {
        Launcher launcher = LauncherFactory.create();
        launcher.execute(req, new TestExecutionListener() {
            final java.util.Map<TestIdentifier, Long> started = new java.util.concurrent.ConcurrentHashMap<>();

            @Override
            public void executionStarted(TestIdentifier id) {
                started.put(id, System.nanoTime());
            }

            @Override
            public void executionSkipped(TestIdentifier id, String reason) {
                if (id.isTest()) {
                    skipped.incrementAndGet();
                    System.out.println("SKIP " + id.getDisplayName() + ": " + reason);
                }
            }

            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                long ms = (System.nanoTime() - started.getOrDefault(id, System.nanoTime())) / 1_000_000;
                String name = id.getUniqueId().replaceAll(".*class:([^\\]]+)].*method:([^(]+).*", "$1.$2");
                if (result.getStatus() == TestExecutionResult.Status.SUCCESSFUL) {
                    if (id.isTest()) {
                        passed.incrementAndGet();
                        System.out.println("PASS " + name + " (" + ms + " ms)");
                    }
                    return;
                }
                Throwable t = result.getThrowable().orElse(null);
                String label = id.isTest() ? name : id.getDisplayName() + " (setup)";
                Failure failure = new Failure(label, "FAIL " + label + ": " + t);
                if (t != null && t.getMessage() != null) t.getMessage().lines().skip(1).forEach(failure::read);
                failures.add(failure.summary());
                System.out.println("FAIL " + label + " (" + ms + " ms): " + t);
                if (t != null) t.printStackTrace(System.out);
            }
        });
    }
}
