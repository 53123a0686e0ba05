
import lib.cli.Cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One test's app: a unique name, its own free ports, its own Compose file (one file, host port ${DEPLOY_PORT}), and
 * deploy.java run in-process with captured output. close() removes everything the app name owns.
 */
final class TestApp implements AutoCloseable {
    /** The fixture Compose file (tests/fixture/docker-compose.yml), shared with the benchmark. */
    static final String COMPOSE = fixture();

    static String fixture() {
        try {
            return Files.readString(lib.docker.EngineCheck.projectRoot().resolve("tests/fixture/docker-compose.yml"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    final String name;
    final int bluePort = TestHost.freePort();
    final int greenPort = TestHost.freePort();
    final Path dir;
    final Path composeFile;
    private FrontNginx front;

    TestApp(String prefix) throws Exception {
        TestHost.images();
        name = prefix + "-" + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36), 36);
        TestHost.removeApp(name);
        dir = Files.createTempDirectory("bgtest-" + name);
        composeFile = dir.resolve("docker-compose.yml");
        Files.writeString(composeFile, COMPOSE);
    }

    List<String> deployArgs(String release, String... extra) {
        List<String> args = new ArrayList<>(List.of("--app", name, "-f", composeFile.toString(), "--release", release,
                "--blue-port", String.valueOf(bluePort), "--green-port", String.valueOf(greenPort)));
        if (!List.of(extra).contains("--probe")) args.addAll(List.of("--probe", "/health.txt"));
        if (!List.of(extra).contains("--pull")) args.addAll(List.of("--pull", "never"));
        Collections.addAll(args, extra);
        return args;
    }

    Result deploy(String release, String... extra) {
        return run(deployArgs(release, extra).toArray(new String[0]));
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = Cli.commandLine(new deploy());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    FrontNginx front() throws Exception {
        if (front == null) front = new FrontNginx(TestHost.freePort(), bluePort, greenPort);
        return front;
    }

    /** GETs a 127.0.0.1 port in a loop (bounded in count and time) until stopped; collects every answer. */
    static final class Load implements AutoCloseable {
        final List<String> answers = Collections.synchronizedList(new ArrayList<>());
        final List<Long> startedAt = Collections.synchronizedList(new ArrayList<>());
        /** When each answer came back, epoch ms: what a count of the front's log is checked against. */
        final List<Long> endedAtMillis = Collections.synchronizedList(new ArrayList<>());
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Thread thread;

        Load(int port, String path, int maxRequests, long maxMillis) {
            long end = System.currentTimeMillis() + maxMillis;
            thread = new Thread(() -> {
                for (int i = 0; i < maxRequests && !stop.get() && System.currentTimeMillis() < end; i++) {
                    long t = System.nanoTime();
                    String a = FrontTest.get(port, path);
                    long ended = System.currentTimeMillis();
                    synchronized (answers) {
                        startedAt.add(t);
                        endedAtMillis.add(ended);
                        answers.add(a);
                    }
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            thread.start();
        }

        List<String> answersSince(long nanos) {
            synchronized (answers) {
                List<String> out = new ArrayList<>();
                for (int i = 0; i < answers.size(); i++) if (startedAt.get(i) > nanos) out.add(answers.get(i));
                return out;
            }
        }

        List<String> failures() {
            synchronized (answers) {
                return answers.stream().filter(a -> a.startsWith("ERR")).toList();
            }
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            thread.join(10_000);
        }
    }

    Load load() throws Exception {
        return new Load(front().port, "/version.txt", 20_000, 180_000);
    }

    @Override
    public void close() throws Exception {
        if (front != null) front.close();
        TestHost.removeApp(name);
        ExampleImages.deleteTree(dir);
    }
}
