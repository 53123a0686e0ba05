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

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;
import static org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder.request;

/**
 * Runs the whole suite (unit tests, then end-to-end tests on the real Docker Engine) and ends with the line
 * "N passed, N failed". Arguments narrow it: a class name (DeployTest) or Class#method.
 */
public class AllTests {
    static final List<Class<?>> CLASSES = List.of(LayersTest.class, StepsTest.class, ModelTest.class, UnitTest.class, CliTest.class, BadInputTest.class, ComposeLoaderTest.class, ProjectFileTest.class, RollbackTest.class, DockerHostTest.class,
            DeployTest.class, FailureTest.class, HostStatesTest.class, LockTest.class, HistoryTest.class, ReleaseTest.class, FrontTest.class, ProjectTest.class,
            ContainerSpecTest.class, TasksTest.class, TasksE2ETest.class, BadComposeInputTest.class, BlogComposeTest.class, TagTest.class, BuildTest.class, EngineTest.class, RemoteTest.class, FleetTest.class);

    public static void main(String... args) throws Exception {
        var builder = request();
        if (args.length == 0) {
            CLASSES.forEach(c -> builder.selectors(selectClass(c)));
        } else {
            for (String a : args) builder.selectors(a.contains("#") ? selectMethod(Class.forName(a.split("#")[0]), a.split("#")[1]) : selectClass(Class.forName(a)));
        }
        LauncherDiscoveryRequest req = builder.build();
        AtomicInteger passed = new AtomicInteger();
        AtomicInteger skipped = new AtomicInteger();
        List<String> failures = new ArrayList<>();
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
                failures.add(label);
                System.out.println("FAIL " + label + " (" + ms + " ms): " + t);
                if (t != null) t.printStackTrace(System.out);
            }
        });
        System.out.println();
        failures.forEach(f -> System.out.println("failed: " + f));
        System.out.println(passed.get() + " passed, " + failures.size() + " failed" + (skipped.get() > 0 ? ", " + skipped.get() + " skipped" : ""));
        System.exit(failures.isEmpty() && passed.get() > 0 ? 0 : 1);
    }
}
