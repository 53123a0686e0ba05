package lib.project;

import lib.base.Style;
import lib.base.Text;
import lib.front.AccessLog;
import lib.front.WatchWindow;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Tells Slack (incoming webhook) and a generic JSON webhook about start, success, failure and rollback. Delivery is
 * bounded (2 s to connect, 5 s per try, 3 tries) and runs beside the deploy; a notification that cannot be sent is
 * logged as a warning and never fails or blocks the deploy. Webhook URLs are secrets: they are never printed.
 */
public final class Notifier {
    /**
     * traffic: the managed front's count from the switch to the end of the drain, on success; otherwise null. watch:
     * what the watch window measured (--watch), on success and for kind failed-after-switch; otherwise null.
     */
    public record Event(String kind, String app, String environment, String colour, String release, String previousRelease,
                        String by, long durationMillis, String reason, AccessLog.Report traffic, WatchWindow.Report watch) {
        public Event(String kind, String app, String environment, String colour, String release, String previousRelease,
                     String by, long durationMillis, String reason, AccessLog.Report traffic) {
            this(kind, app, environment, colour, release, previousRelease, by, durationMillis, reason, traffic, null);
        }

        public Event(String kind, String app, String environment, String colour, String release, String previousRelease,
                     String by, long durationMillis, String reason) {
            this(kind, app, environment, colour, release, previousRelease, by, durationMillis, reason, null);
        }
    }

    static final int TRIES = 3;
    static final Duration PER_TRY = Duration.ofSeconds(5);
    /** The most a finished deploy waits for its last notifications before it exits. */
    static final Duration FLUSH = Duration.ofSeconds(20);

    private final Map<String, String> urls;
    private final PrintWriter err;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final List<CompletableFuture<Void>> pending = new ArrayList<>();

    /** urls: "slack" and/or "webhook" to their resolved URLs. */
    public Notifier(Map<String, String> urls, PrintWriter err) {
        this.urls = urls;
        this.err = err;
    }

    public static Notifier none(PrintWriter err) {
        return new Notifier(Map.of(), err);
    }

    public synchronized void send(Event e) {
        urls.forEach((kind, url) -> pending.add(CompletableFuture.runAsync(() -> deliver(kind, url, body(kind, e)))));
    }

    /** Waits, within a bound, for what was sent; a deploy calls this once at the end. */
    public void flush() {
        List<CompletableFuture<Void>> all;
        synchronized (this) {
            all = new ArrayList<>(pending);
            pending.clear();
        }
        try {
            CompletableFuture.allOf(all.toArray(new CompletableFuture[0])).get(FLUSH.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception timeoutOrInterrupt) {
            warn("notifications still unsent after " + FLUSH.toSeconds() + "s; giving up on them");
        }
    }

    static String body(String kind, Event e) {
        try {
            ObjectMapper json = new ObjectMapper();
            if (kind.equals("slack")) return json.writeValueAsString(Map.of("text", text(e)));
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("event", e.kind());
            m.put("app", e.app());
            m.put("environment", e.environment());
            m.put("colour", e.colour());
            m.put("release", e.release());
            m.put("previousRelease", e.previousRelease());
            m.put("by", e.by());
            m.put("durationMillis", e.durationMillis());
            m.put("reason", e.reason());
            if (e.traffic() != null) m.put("traffic", e.traffic());
            if (e.watch() != null) m.put("watch", e.watch());
            m.put("text", text(e));
            return json.writeValueAsString(m);
        } catch (Exception ex) {
            throw new IllegalStateException(ex);
        }
    }

    static String text(Event e) {
        String where = e.app() + (e.environment() == null ? "" : " (" + e.environment() + ")");
        String took = String.format(java.util.Locale.ROOT, "%.1f s", e.durationMillis() / 1000.0);
        // The releases may come from the host's labels (a rollback's, the previous one), which this run did not check.
        String release = Text.printable(e.release());
        String traffic = (e.traffic() == null ? "" : "; " + e.traffic().describe()) + (e.watch() == null ? "" : "; " + e.watch().describe());
        return switch (e.kind()) {
            case "start" -> e.by() + " is deploying " + where + " release " + release + " to " + e.colour();
            case "success" -> where + ": release " + release + " is live on " + e.colour() + " (" + took + ", by " + e.by() + ")" + traffic;
            case "rollback" -> where + ": rolled back to release " + release + " on " + e.colour() + " (" + took + ", by " + e.by() + ")" + traffic;
            case "failed-after-switch" -> where + ": release " + release + " on " + e.colour() + " FAILED AFTER THE SWITCH (by " + e.by() + "): "
                    + e.reason() + "; release " + Text.printable(e.previousRelease()) + " serves again" + traffic;
            default -> where + ": deploy of release " + release + " FAILED after " + took + " (by " + e.by() + "): " + e.reason()
                    + (e.previousRelease() == null ? "" : "; release " + Text.printable(e.previousRelease()) + " still serves");
        };
    }

    private void deliver(String kind, String url, String body) {
        String last = "";
        for (int attempt = 1; attempt <= TRIES; attempt++) {
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(PER_TRY)
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() / 100 == 2) return;
                last = "HTTP " + r.statusCode();
                if (r.statusCode() / 100 == 4 && r.statusCode() != 429) break; // our request is wrong; retrying will not help
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception ex) {
                last = ex.getClass().getSimpleName();
            }
            try {
                Thread.sleep(300L * attempt);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        warn("could not notify " + kind + " (" + last + "); the deploy goes on");
    }

    private synchronized void warn(String message) {
        err.println(Style.warning() + message);
        err.flush();
    }
}
