
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

    static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newBuilder().connectTimeout(java.time.Duration.ofSeconds(3)).build();

    /** A GET to a test-bed address (a front on another host): the body, or "ERR " and the status or the exception. */
    static String get(String host, int port, String path) {
        try {
            var r = HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + host + ":" + port + path))
                    .timeout(java.time.Duration.ofSeconds(10)).GET().build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? r.body().trim() : "ERR " + r.statusCode();
        } catch (Exception e) {
            return "ERR " + e.getClass().getSimpleName();
        }
    }

    /** A POST to compose/app's /cgi-bin/slow (it answers its version after 1.5 s), as a form an order would send. */
    static String slowPost(String host, int port) {
        try {
            var r = HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + host + ":" + port + "/cgi-bin/slow"))
                    .timeout(java.time.Duration.ofSeconds(30)).POST(java.net.http.HttpRequest.BodyPublishers.ofString("order=42")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? r.body().trim() : "ERR " + r.statusCode();
        } catch (Exception e) {
            return "ERR " + e.getClass().getSimpleName();
        }
    }

    /** Requests in a loop (bounded in count and time) until stopped; collects every answer with when it started and ended. */
    static final class Load implements AutoCloseable {
        final List<String> answers = Collections.synchronizedList(new ArrayList<>());
        final List<Long> startedAt = Collections.synchronizedList(new ArrayList<>());
        /** When each answer came back (System.nanoTime), beside startedAt. */
        final List<Long> endedAt = Collections.synchronizedList(new ArrayList<>());
        /** When each answer came back, epoch ms: what a count of the front's log is checked against. */
        final List<Long> endedAtMillis = Collections.synchronizedList(new ArrayList<>());
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Thread thread;
        private final long joinMillis;

        /** GETs to 127.0.0.1:port. */
        Load(int port, String path, int maxRequests, long maxMillis) {
            this(() -> FrontTest.get(port, path), 0, maxRequests, maxMillis, 10_000);
        }

        /** GETs to host:port (a front on a test-bed host). */
        Load(String host, int port, String path, int maxRequests, long maxMillis) {
            this(() -> get(host, port, path), 0, maxRequests, maxMillis, 15_000);
        }

        /** Slow POSTs (1.5 s each) to host:port back to back, the first after delayMillis (to stagger several loops). */
        static Load slowPosts(String host, int port, long delayMillis, int maxRequests, long maxMillis) {
            return new Load(() -> slowPost(host, port), delayMillis, maxRequests, maxMillis, 35_000);
        }

        private Load(java.util.function.Supplier<String> request, long delayMillis, int maxRequests, long maxMillis, long joinMillis) {
            this.joinMillis = joinMillis;
            long end = System.currentTimeMillis() + maxMillis;
            thread = new Thread(() -> {
                try {
                    Thread.sleep(delayMillis);
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < maxRequests && !stop.get() && System.currentTimeMillis() < end; i++) {
                    long t = System.nanoTime();
                    String a = request.get();
                    long endedNanos = System.nanoTime();
                    long ended = System.currentTimeMillis();
                    synchronized (answers) {
                        startedAt.add(t);
                        endedAt.add(endedNanos);
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

        /** The answers of the requests that started before nanos and came back after it: in flight at that moment. */
        List<String> inFlightAt(long nanos) {
            synchronized (answers) {
                List<String> out = new ArrayList<>();
                for (int i = 0; i < answers.size(); i++) if (startedAt.get(i) < nanos && endedAt.get(i) > nanos) out.add(answers.get(i));
                return out;
            }
        }

        /** The answers of the requests that came back after nanos. */
        List<String> endedAfter(long nanos) {
            synchronized (answers) {
                List<String> out = new ArrayList<>();
                for (int i = 0; i < answers.size(); i++) if (endedAt.get(i) > nanos) out.add(answers.get(i));
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
            thread.join(joinMillis);
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
