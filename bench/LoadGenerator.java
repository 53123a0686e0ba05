import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Steady GETs plus slow POSTs against one 127.0.0.1 port, every request recorded: when it started and ended,
 * its status or transport error, and which version answered. Bounded in request count and in time.
 */
final class LoadGenerator implements AutoCloseable {
    record Request(String kind, long startNanos, long endNanos, int status, String error, String version) {
        boolean failed() {
            return error != null || status != 200;
        }
    }

    private final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicInteger budget;
    private final long deadlineNanos;
    private final List<Thread> threads = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final int port;

    LoadGenerator(int port, int getWorkers, int postWorkers, int maxRequests, Duration maxTime) {
        if (!java.net.InetAddress.getLoopbackAddress().getHostAddress().startsWith("127.")) throw new IllegalStateException("loopback only");
        this.port = port;
        this.budget = new AtomicInteger(maxRequests);
        this.deadlineNanos = System.nanoTime() + maxTime.toNanos();
        for (int i = 0; i < getWorkers; i++) threads.add(worker("GET", "/version.txt", 10));
        for (int i = 0; i < postWorkers; i++) threads.add(worker("POST", "/cgi-bin/slow", 0));
        threads.forEach(Thread::start);
    }

    private Thread worker(String kind, String path, long pauseMillis) {
        URI uri = URI.create("http://127.0.0.1:" + port + path);
        return new Thread(() -> {
            while (!stop.get() && budget.decrementAndGet() >= 0 && System.nanoTime() < deadlineNanos) {
                var b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10));
                var req = kind.equals("GET") ? b.GET().build() : b.POST(HttpRequest.BodyPublishers.ofString("order=42")).build();
                long t0 = System.nanoTime();
                try {
                    HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
                    requests.add(new Request(kind, t0, System.nanoTime(), r.statusCode(), null, r.body().trim()));
                } catch (IOException e) {
                    requests.add(new Request(kind, t0, System.nanoTime(), 0, e.getClass().getSimpleName(), null));
                } catch (InterruptedException e) {
                    return;
                }
                if (pauseMillis > 0) {
                    try {
                        Thread.sleep(pauseMillis);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }, "load-" + kind);
    }

    List<Request> requests() {
        synchronized (requests) {
            return new ArrayList<>(requests);
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        for (Thread t : threads) t.join(15_000);
    }
}
