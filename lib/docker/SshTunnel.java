package lib.docker;

import lib.base.Text;
import lib.base.DeployError;
import lib.base.ExitCode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An ssh:// Docker host, reached as the docker CLI reaches it: every API connection is one
 * {@code ssh -- HOST docker system dial-stdio}, with the user's ssh config and agent, in batch mode, and only to a host
 * whose key is already known. docker-java speaks unix and tcp only, so it connects to a private unix socket (in a
 * 0700 directory) whose connections are piped to those ssh processes. One ssh master connection (ControlMaster in the
 * same directory) carries them all: a new API connection costs an ssh channel, not a handshake.
 */
public final class SshTunnel implements AutoCloseable {
    static final Duration LOGIN_TIMEOUT = Duration.ofSeconds(15);

    /** Where ssh goes: the parts of an ssh:// URL the docker CLI accepts. */
    public record Target(String user, String host, int port) {
        public static Target of(URI uri) {
            if (uri.getRawUserInfo() != null && uri.getRawUserInfo().contains(":")) {
                throw new DeployError(ExitCode.DOCKER, "an ssh:// Docker host must not carry a password: use a key (ssh-agent or IdentityFile in ~/.ssh/config)");
            }
            String host = uri.getHost();
            if (host == null || host.isEmpty()) throw new DeployError(ExitCode.DOCKER, "cannot read a host name in " + uri + " (expected ssh://[user@]host[:port])");
            if (uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/") || uri.getRawQuery() != null) {
                throw new DeployError(ExitCode.DOCKER, uri + " has a path or query; an ssh:// Docker host is ssh://[user@]host[:port]");
            }
            if (host.startsWith("[")) host = host.substring(1, host.length() - 1);
            return new Target(uri.getUserInfo(), host, uri.getPort());
        }

        /** ssh's arguments before the host; never a shell string. */
        List<String> sshArgs(Path control) {
            List<String> a = new ArrayList<>(List.of("ssh", "-T", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
                    "-o", "ControlPath=" + control));
            if (user != null) a.addAll(List.of("-l", user));
            if (port != -1) a.addAll(List.of("-p", String.valueOf(port)));
            return a;
        }

        String shown() {
            return (user == null ? "" : user + "@") + host + (port == -1 ? "" : ":" + port);
        }

        /** The ssh command line a hint tells the user to try: ssh takes the port as -p, never as host:port. */
        String command() {
            return "ssh " + (port == -1 ? "" : "-p " + port + " ") + (user == null ? "" : user + "@") + host;
        }
    }

    private final URI uri;
    private final Target target;
    private final Path dir;
    private final Path control;
    private final Path dialErrors;
    private final Process master;
    private final ServerSocketChannel server;
    private final List<Process> dials = new ArrayList<>();
    private final Thread cleanupOnExit = new Thread(this::stop, "ssh-tunnel-cleanup");

    private SshTunnel(URI uri, Target target, Path dir, Process master, ServerSocketChannel server) {
        this.uri = uri;
        this.target = target;
        this.dir = dir;
        this.control = dir.resolve("ssh.ctl");
        this.dialErrors = dir.resolve("dial.err");
        this.master = master;
        this.server = server;
    }

    /**
     * Logs in once (the master connection), checks that the host's docker CLI reaches its daemon, and starts accepting
     * API connections. Each failure is one line, exit 5.
     */
    public static SshTunnel open(URI uri) {
        Target target = Target.of(uri);
        Path dir;
        try {
            dir = Files.createTempDirectory("bgdeploy-ssh-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw new DeployError(ExitCode.DOCKER, "cannot make a private directory for the ssh connection: " + e.getMessage(), e);
        }
        Process master = null;
        try {
            master = login(target, dir);
            ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(dir.resolve("docker.sock")));
            SshTunnel tunnel = new SshTunnel(uri, target, dir, master, server);
            Runtime.getRuntime().addShutdownHook(tunnel.cleanupOnExit);
            try {
                tunnel.ping();
            } catch (RuntimeException e) {
                tunnel.close();
                throw e;
            }
            Thread accept = new Thread(tunnel::acceptLoop, "ssh-tunnel-accept");
            accept.setDaemon(true);
            accept.start();
            return tunnel;
        } catch (IOException | RuntimeException e) {
            if (master != null) master.destroy();
            deleteTree(dir);
            if (e instanceof DeployError d) throw d;
            throw new DeployError(ExitCode.DOCKER, "cannot set up the ssh connection to " + target.shown() + ": " + Text.oneLine(String.valueOf(e.getMessage())), e);
        }
    }

    /** What docker-java connects to. */
    public URI socketUri() {
        return URI.create("unix://" + dir.resolve("docker.sock"));
    }

    private static Process login(Target target, Path dir) throws IOException {
        Path control = dir.resolve("ssh.ctl");
        Path errors = dir.resolve("master.err");
        List<String> cmd = target.sshArgs(control);
        cmd.addAll(List.of("-N", "-o", "ControlMaster=yes", "-o", "ControlPersist=no",
                "-o", "ConnectTimeout=" + (LOGIN_TIMEOUT.toSeconds() - 5),
                // a cut connection shows up within 15 s instead of hanging the deploy on a dead TCP stream
                "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3", "--", target.host()));
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(errors.toFile()).start();
        } catch (IOException e) {
            throw new DeployError(ExitCode.DOCKER, "ssh:// Docker hosts need the OpenSSH client, and there is no ssh on PATH: install it (e.g. apt-get install openssh-client)", e);
        }
        // The master creates its control socket only once it has logged in.
        long deadline = System.nanoTime() + LOGIN_TIMEOUT.toNanos();
        try {
            while (!Files.exists(control)) {
                if (!p.isAlive()) throw new DeployError(ExitCode.DOCKER, explainLogin(target, Files.readString(errors)));
                if (System.nanoTime() > deadline) {
                    p.destroy();
                    throw new DeployError(ExitCode.DOCKER, "ssh to " + target.shown() + " did not log in within " + LOGIN_TIMEOUT.toSeconds()
                            + "s; check that `" + target.command() + " docker version` works from this machine");
                }
                Thread.sleep(10);
            }
        } catch (InterruptedException e) {
            p.destroy();
            Thread.currentThread().interrupt();
            throw new DeployError(ExitCode.INTERRUPTED, "interrupted");
        }
        return p;
    }

    /** ssh's own words, turned into one line that says what to do. Pure; unit-tested with real ssh messages. */
    public static String explainLogin(Target target, String stderr) {
        String h = target.shown();
        String last = lastLine(stderr);
        if (stderr.contains("REMOTE HOST IDENTIFICATION HAS CHANGED")) {
            return "ssh refused " + h + ": its host key changed since it was recorded in known_hosts (a reinstalled host, or someone in between). "
                    + "Confirm the new key with the host's admin, then replace it: ssh-keygen -R " + target.host();
        }
        if (stderr.contains("Host key verification failed") || stderr.contains("host key is known")) {
            return "ssh refused " + h + ": its host key is not in known_hosts, and bgdeploy does not trust a host on first use. "
                    + "Check the key's fingerprint with the host's admin, then add it (e.g. log in once with " + target.command() + " and answer yes)";
        }
        if (stderr.contains("Permission denied")) {
            return "ssh to " + h + " was refused (" + last + "): load your key into ssh-agent (ssh-add) or set IdentityFile for this host in ~/.ssh/config;"
                    + " bgdeploy runs ssh in batch mode, without password prompts";
        }
        if (stderr.contains("Could not resolve hostname") || stderr.contains("Connection refused") || stderr.contains("timed out")
                || stderr.contains("No route to host") || stderr.contains("Network is unreachable")) {
            return "cannot reach " + h + " over ssh (" + last + "): check the host name and port in --host / DOCKER_HOST / the Docker context / deploy.yml";
        }
        return "ssh to " + h + " failed" + (last.isEmpty() ? "" : " (" + last + ")") + "; check that `" + target.command() + " docker version` works from this machine";
    }

    /**
     * One /_ping through a dial of our own, bounded in time: docker-java sets no read timeout on a unix socket, so
     * without this a hung remote daemon would hang the command. It also catches a host without the docker CLI.
     */
    private void ping() {
        long seconds = DockerHost.PING_TIMEOUT.toSeconds();
        Process p;
        try {
            p = dial();
        } catch (IOException e) {
            throw new DeployError(ExitCode.DOCKER, "cannot start ssh for " + target.shown() + ": " + e.getMessage(), e);
        }
        ByteArrayOutputStream answer = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> {
            try (InputStream in = p.getInputStream()) {
                in.transferTo(answer);
            } catch (IOException ignored) {
                // what arrived is judged below
            }
        }, "ssh-tunnel-ping");
        reader.setDaemon(true);
        reader.start();
        try (OutputStream req = p.getOutputStream()) {
            // HTTP/1.0: the daemon answers and closes, so dial-stdio and ssh end by themselves
            req.write("GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException ended) {
            // ssh already exited; its stderr says why
        }
        try {
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroy();
                throw new DeployError(ExitCode.DOCKER, "Docker host " + uri + " does not answer (no reply to a ping through ssh within " + seconds
                        + "s). Is dockerd running there, or hung?");
            }
            reader.join(TimeUnit.SECONDS.toMillis(seconds));
        } catch (InterruptedException e) {
            p.destroy();
            Thread.currentThread().interrupt();
            throw new DeployError(ExitCode.INTERRUPTED, "interrupted");
        }
        if (answer.toString(StandardCharsets.US_ASCII).matches("(?s)HTTP/1\\.[01] 200 .*")) return;
        String said;
        try {
            said = Files.exists(dialErrors) ? Files.readString(dialErrors) : "";
        } catch (IOException e) {
            said = "";
        }
        String why = explainDial(target, said);
        throw new DeployError(ExitCode.DOCKER, why != null ? why : "Docker host " + uri + " gave no answer to a ping through ssh (ssh exit code " + p.exitValue() + ")");
    }

    /** One `ssh HOST docker system dial-stdio` over the master connection; its stderr is kept for ping()'s message. */
    private Process dial() throws IOException {
        List<String> cmd = target.sshArgs(control);
        cmd.addAll(List.of("-o", "ControlMaster=no", "--", target.host(), "docker", "system", "dial-stdio"));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(dialErrors.toFile())).start();
    }

    /** What a dial (ssh HOST docker system dial-stdio) said on stderr, as one line that says what to do; null if it said nothing. */
    public static String explainDial(Target target, String stderr) {
        String last = lastLine(stderr);
        if (last.isEmpty()) return null;
        String h = target.shown();
        if (stderr.contains("command not found") || stderr.matches("(?s).*docker: (\\S+ )?not found.*")) {
            return h + " has no docker CLI on the ssh user's PATH (" + last + "): install the Docker CLI there; ssh:// hosts run `docker system dial-stdio` on the host";
        }
        if (stderr.contains("permission denied") && stderr.contains("docker")) {
            return "the ssh user on " + h + " may not use the Docker daemon (" + last + "): add it to the docker group there";
        }
        return "the Docker daemon on " + h + " does not answer over ssh (" + last + "). Is dockerd running there?";
    }

    private static String lastLine(String text) {
        List<String> lines = text.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        return lines.isEmpty() ? "" : Text.oneLine(lines.get(lines.size() - 1));
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (IOException closed) {
                return;
            }
            try {
                Process p = dial();
                synchronized (dials) {
                    dials.removeIf(d -> !d.isAlive());
                    dials.add(p);
                }
                pipe(client, p);
            } catch (IOException e) {
                closeQuietly(client);
            }
        }
    }

    /** Bytes both ways; whichever side ends first half-closes the other, and the second to end cleans up. */
    private static void pipe(SocketChannel client, Process p) {
        AtomicInteger open = new AtomicInteger(2);
        Runnable finish = () -> {
            if (open.decrementAndGet() > 0) return;
            closeQuietly(client);
            try {
                if (!p.waitFor(2, TimeUnit.SECONDS)) p.destroy();
            } catch (InterruptedException e) {
                p.destroy();
            }
        };
        daemon("ssh-tunnel-up", () -> {
            try (OutputStream toSsh = p.getOutputStream()) {
                ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
                while (client.read(buf) >= 0) {
                    toSsh.write(buf.array(), 0, buf.position());
                    toSsh.flush();
                    buf.clear();
                }
            } catch (IOException broken) {
                closeQuietly(client);
            } finally {
                finish.run();
            }
        });
        daemon("ssh-tunnel-down", () -> {
            try (InputStream fromSsh = p.getInputStream()) {
                byte[] b = new byte[64 * 1024];
                int n;
                while ((n = fromSsh.read(b)) >= 0) {
                    ByteBuffer buf = ByteBuffer.wrap(b, 0, n);
                    while (buf.hasRemaining()) client.write(buf);
                }
                client.shutdownOutput();
            } catch (IOException broken) {
                closeQuietly(client);
            } finally {
                finish.run();
            }
        });
    }

    private static void daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // already gone
        }
    }

    @Override
    public void close() {
        stop();
        try {
            Runtime.getRuntime().removeShutdownHook(cleanupOnExit);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or has run stop() already
        }
    }

    /** Kills what we started, by handle, and removes the private directory (socket, control socket, ssh's messages). */
    private void stop() {
        try {
            server.close();
        } catch (IOException ignored) {
            // nothing more to accept either way
        }
        synchronized (dials) {
            dials.forEach(Process::destroy);
        }
        master.destroy();
        try {
            master.waitFor(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deleteTree(dir);
    }

    private static void deleteTree(Path dir) {
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a temp dir left behind holds no secret: sockets and ssh's messages only
        }
    }
}
