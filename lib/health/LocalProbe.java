package lib.health;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** --probe-from local: a GET from this machine to the published port, as a user outside would send it. */
final class LocalProbe implements HealthGate.Probe {
    private final URI url;
    private final int successesNeeded;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
            .followRedirects(HttpClient.Redirect.NEVER).build();

    LocalProbe(URI url, int successesNeeded) {
        this.url = url;
        this.successesNeeded = successesNeeded;
    }

    @Override
    public int successesNeeded() {
        return successesNeeded;
    }

    @Override
    public String check() {
        try {
            HttpResponse<Void> r = http.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(2)).GET().build(),
                    HttpResponse.BodyHandlers.discarding());
            return r.statusCode() / 100 == 2 ? null : "GET " + url + " to answer 2xx (it answered " + r.statusCode() + ")";
        } catch (IOException e) {
            return "GET " + url + " to answer (" + e.getClass().getSimpleName() + ")";
        } catch (InterruptedException e) {
            // the gate's next sleep sees the interrupt and cancels the deploy
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
