import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The passive front of the shell setup: the host's nginx balancing the two colour ports on 127.0.0.1,
 * with the same proxy settings as compose/front/nginx.conf.
 */
final class FrontNginx implements AutoCloseable {
    final int port;
    private final Process process;
    private final Path dir;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    FrontNginx(int port, int bluePort, int greenPort) throws Exception {
        this.port = port;
        this.dir = Files.createTempDirectory("front");
        String conf = Files.readString(lib.docker.EngineCheck.projectRoot().resolve("compose/front/nginx.conf"))
                .replace("/tmp/front-nginx.pid", dir.resolve("nginx.pid").toString())
                .replace("127.0.0.1:8080", "127.0.0.1:" + bluePort)
                .replace("127.0.0.1:8081", "127.0.0.1:" + greenPort)
                .replace("listen 127.0.0.1:8000", "listen 127.0.0.1:" + port)
                .replace("access_log off;", "access_log off;\n    client_body_temp_path " + dir + "/body;\n    proxy_temp_path " + dir + "/proxy;");
        Files.writeString(dir.resolve("nginx.conf"), conf);
        process = new ProcessBuilder("nginx", "-c", dir.resolve("nginx.conf").toString(), "-p", dir.toString(), "-g", "daemon off;")
                .redirectErrorStream(true).redirectOutput(dir.resolve("out.log").toFile()).start();
        Poll.until(java.time.Duration.ofSeconds(5), this::listening);
        if (!listening()) throw new IllegalStateException("front nginx did not start: " + Files.readString(dir.resolve("out.log")));
    }

    private boolean listening() {
        try (var s = new java.net.Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The body of GET path through the front, or "ERR <status|exception>". */
    String get(String path) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? r.body().trim() : "ERR " + r.statusCode();
        } catch (IOException e) {
            return "ERR " + e.getClass().getSimpleName();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "ERR interrupted";
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        process.waitFor(5, TimeUnit.SECONDS);
        process.destroyForcibly();
    }
}
