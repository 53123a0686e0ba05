import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A stand-in for a manager's endpoint that can be lost: forwards a unix socket to the manager's, until closed, or
 * until it sees the answer to a request it was told to lose: then the request has reached the manager, and the
 * proxy closes every connection before a byte of the answer gets through.
 */
final class SocketProxy implements AutoCloseable {
    private final java.nio.channels.ServerSocketChannel server;
    private final List<java.nio.channels.SocketChannel> open = java.util.Collections.synchronizedList(new ArrayList<>());
    private final Path path;
    private volatile String lose;
    private volatile boolean lost;

    void loseTheAnswerTo(String requestPathPart) {
        lose = requestPathPart;
    }

    boolean lostAnAnswer() {
        return lost;
    }

    SocketProxy(Path path, Path target) throws Exception {
        this.path = path;
        Files.deleteIfExists(path);
        server = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX);
        server.bind(java.net.UnixDomainSocketAddress.of(path));
        Thread accept = new Thread(() -> {
            while (server.isOpen()) {
                try {
                    var client = server.accept();
                    var upstream = java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(target));
                    open.add(client);
                    open.add(upstream);
                    var dropAnswer = new java.util.concurrent.atomic.AtomicBoolean();
                    pump(client, upstream, dropAnswer, true);
                    pump(upstream, client, dropAnswer, false);
                } catch (Exception closed) {
                    return;
                }
            }
        }, "ssproxy-accept");
        accept.setDaemon(true);
        accept.start();
    }

    private void pump(java.nio.channels.SocketChannel from, java.nio.channels.SocketChannel to, java.util.concurrent.atomic.AtomicBoolean dropAnswer,
                      boolean requests) {
        Thread t = new Thread(() -> {
            var buf = java.nio.ByteBuffer.allocate(64 * 1024);
            try {
                while (from.read(buf) >= 0) {
                    buf.flip();
                    String marker = lose;
                    if (requests && marker != null && new String(buf.array(), 0, buf.limit(), StandardCharsets.ISO_8859_1).lines().findFirst()
                            .filter(l -> l.startsWith("POST ") && l.contains(marker)).isPresent()) {
                        lose = null;
                        dropAnswer.set(true);
                    }
                    if (!requests && dropAnswer.get()) {
                        lost = true;
                        close();
                        return;
                    }
                    while (buf.hasRemaining()) to.write(buf);
                    buf.clear();
                }
            } catch (Exception closed) {
                // the proxy was closed, or one side hung up
            }
            try {
                to.close();
            } catch (Exception ignored) {
                // closing
            }
        }, "ssproxy-pump");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() throws Exception {
        server.close();
        synchronized (open) {
            for (var c : open) c.close();
        }
        Files.deleteIfExists(path);
    }
}

