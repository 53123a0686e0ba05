import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A real Docker distribution registry on 127.0.0.1 (Debian's docker-registry), with deletes enabled. */
final class TestRegistry implements AutoCloseable {
    final int port = TestHost.freePort();
    final String address = "127.0.0.1:" + port;
    private final Path dir;
    private final Process process;

    TestRegistry() throws Exception {
        dir = Files.createTempDirectory("registry");
        Files.writeString(dir.resolve("config.yml"), "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: "
                + dir.resolve("data") + "\n  delete:\n    enabled: true\nhttp:\n  addr: " + address + "\n");
        process = new ProcessBuilder("docker-registry", "serve", dir.resolve("config.yml").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("registry.log").toFile()).start();
        Poll.until(java.time.Duration.ofSeconds(10), this::up);
        if (!up()) throw new IllegalStateException("registry did not start: " + Files.readString(dir.resolve("registry.log")));
    }

    private boolean up() {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        process.waitFor(10, TimeUnit.SECONDS);
        process.destroyForcibly();
        ExampleImages.deleteTree(dir);
    }
}
