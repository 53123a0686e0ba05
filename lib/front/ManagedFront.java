package lib.front;

import lib.cli.Cancellation;
import lib.cli.Cli;
import lib.cli.DeployError;
import lib.cli.ExitCode;
import lib.colour.ColourState;
import lib.colour.ContainerInfo;
import lib.colour.Labels;
import lib.docker.ContainerLogs;
import lib.docker.Parallel;
import lib.docker.Tar;
import lib.options.FrontOptions;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Ports;
import com.github.dockerjava.api.model.RestartPolicy;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An nginx container this toolkit creates and owns, on a Docker network shared with both colours, publishing the
 * public port. Everything goes through the Docker API (copy, exec, top), so it works on a remote host with no SSH:
 * the switch writes the new colour's upstream, validates it with {@code nginx -t}, and reloads; the drain waits until
 * the nginx workers that existed before the reload have exited, which nginx does only when their in-flight
 * requests are done.
 */
public final class ManagedFront {
    static final String CONF = "/etc/nginx/nginx.conf";
    static final String UPSTREAM_DIR = "/etc/nginx/bgdeploy";
    static final String UPSTREAM = UPSTREAM_DIR + "/upstream.conf";
    /** What the front serves when no colour is live: nothing answers there, so nginx says 502. */
    public static final String NOWHERE = "127.0.0.1:9";

    private final DockerClient docker;
    private final String app;
    private final FrontOptions options;
    private final PrintWriter out;

    public ManagedFront(DockerClient docker, String app, FrontOptions options, PrintWriter out) {
        this.docker = docker;
        this.app = app;
        this.options = options;
        this.out = out;
    }

    public static String containerName(String app) {
        return app + "-front";
    }

    public static String network(String app) {
        return app + "-bgdeploy-front";
    }

    static String mainConfig() {
        return """
                # Managed by bgdeploy (deploy.java --front managed). Changes by hand are detected and undone.
                worker_processes 1;
                error_log /dev/stderr warn;
                pid /tmp/bgdeploy-front.pid;
                events { worker_connections 4096; }
                http {
                    access_log off;
                    # One request per client connection: a reload closes the old workers' idle keep-alive connections,
                    # and a client that sends on one at that instant gets no answer. With none idle, none is closed.
                    keepalive_timeout 0;
                    client_body_temp_path /tmp/nginx-body;
                    proxy_temp_path /tmp/nginx-proxy;
                    fastcgi_temp_path /tmp/nginx-fastcgi;
                    uwsgi_temp_path /tmp/nginx-uwsgi;
                    scgi_temp_path /tmp/nginx-scgi;
                    include %s;
                    server {
                        listen 80;
                        location / {
                            proxy_pass http://bgdeploy_live;
                            proxy_http_version 1.1;
                            proxy_set_header Connection "";
                            proxy_set_header Host $host;
                            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                            proxy_read_timeout 300s;
                            add_header X-Bgdeploy-Upstream $upstream_addr always;
                        }
                    }
                }
                """.formatted(UPSTREAM);
    }

    static String upstreamConfig(String target) {
        return "# Managed by bgdeploy: the live colour.\nupstream bgdeploy_live {\n    server " + target + ";\n    keepalive 16;\n}\n";
    }

    /** A colour's container that receives traffic, and its address on the shared network. */
    private record Target(String containerId, String address) {}

    /**
     * The upstream address of a colour: the container of its --front-service (default: the first one that publishes
     * a port), by name on the shared network, and that service's container port.
     */
    public String targetOf(ColourState colour) {
        return find(colour).address();
    }

    private Target find(ColourState colour) {
        for (ContainerInfo c : colour.containers().stream().sorted(java.util.Comparator.comparing(ContainerInfo::name)).toList()) {
            if (options.service != null && !options.service.equals(c.service())) continue;
            Ports bindings = docker.inspectContainerCmd(c.id()).exec().getHostConfig().getPortBindings();
            boolean publishes = bindings != null && !bindings.getBindings().isEmpty();
            if (options.service == null && !publishes) continue;
            int port = options.targetPort != null ? options.targetPort
                    : publishes ? bindings.getBindings().keySet().iterator().next().getPort() : 80;
            return new Target(c.id(), c.name() + ":" + port);
        }
        throw DeployError.config(options.service == null
                ? "no service of " + colour.colour() + " publishes a port; name the one the front sends traffic to with --front-service"
                : "--front-service \"" + options.service + "\" has no container in " + colour.colour());
    }

    /** Creates the network and the front if missing; repairs a front whose configuration was changed by hand. */
    public void ensure(String liveTarget) {
        ensureNetwork();
        Optional<InspectContainerResponse> existing = inspect();
        if (existing.isEmpty()) {
            out.println("  creating the managed front " + containerName(app) + " on " + options.bind + ":" + options.port);
            create(liveTarget);
            return;
        }
        String id = existing.get().getId();
        if (!Boolean.TRUE.equals(existing.get().getState().getRunning())) {
            out.println("  the managed front was stopped; starting it");
            docker.startContainerCmd(id).exec();
        }
        String expected = upstreamConfig(liveTarget == null ? NOWHERE : liveTarget);
        Map<String, String> files = readAll(id);
        if (!mainConfig().equals(files.getOrDefault(CONF, "")) || !expected.equals(files.getOrDefault(UPSTREAM, ""))) {
            out.println(Cli.ansi().string("@|yellow warning:|@ ") + "the managed front's configuration differs from what the live colour needs "
                    + "(changed by hand, an interrupted switch, or written by an older bgdeploy); restoring it");
            write(id, Map.of(CONF, mainConfig(), UPSTREAM, expected));
            validateAndReload(id);
        }
    }

    /**
     * For a rollback to a warm standby, where every millisecond is the site on the wrong release: the front exists and
     * runs (started or created if not); its files are not read back, since the switch rewrites the upstream anyway.
     */
    public void ensureRunning(String liveTarget) {
        Optional<InspectContainerResponse> existing = inspect();
        if (existing.isEmpty()) {
            ensure(liveTarget);
            return;
        }
        if (!Boolean.TRUE.equals(existing.get().getState().getRunning())) {
            out.println("  the managed front was stopped; starting it");
            docker.startContainerCmd(existing.get().getId()).exec();
        }
    }

    /** Whether the front exists and runs (then ensure() only compares its files). */
    public boolean running() {
        return inspect().map(c -> Boolean.TRUE.equals(c.getState().getRunning())).orElse(false);
    }

    /** The atomic switch. On any failure the previous upstream is put back and nginx keeps serving it. */
    public Set<String> switchTo(String target) {
        String id = frontId();
        return switchTo(id, target, read(id, UPSTREAM).orElse(upstreamConfig(NOWHERE)));
    }

    /** The switch when the caller knows what the front serves now (it just checked): one read less on the switch's path. */
    public Set<String> switchTo(String target, String previousTarget) {
        return switchTo(frontId(), target, upstreamConfig(previousTarget == null ? NOWHERE : previousTarget));
    }

    private String frontId() {
        return inspect().orElseThrow(() -> DeployError.failed("the managed front " + containerName(app) + " disappeared during the deploy")).getId();
    }

    /**
     * Write, then SIGHUP: the reload starts one API call after the file is in place (an exec of `nginx -s reload`
     * costs three more, about 70 ms). nginx validates on HUP and, on an error, keeps its old workers and
     * configuration; so the switch is confirmed by new workers appearing, and without them the previous file goes
     * back and nginx is signalled again.
     */
    private Set<String> switchTo(String id, String target, String previous) {
        // nginx's workers now, read while the file is copied in (a top is quicker than the copy): what the drain
        // waits for, and what new workers are told apart from.
        CompletableFuture<Set<String>> before = CompletableFuture.supplyAsync(() -> workers(id), Parallel.POOL);
        write(id, Map.of(UPSTREAM, upstreamConfig(target)));
        Set<String> oldWorkers = Parallel.join(before);
        docker.killContainerCmd(id).withSignal("HUP").exec();
        String failed = awaitReload(id, oldWorkers);
        if (failed != null) {
            write(id, Map.of(UPSTREAM, previous));
            docker.killContainerCmd(id).withSignal("HUP").exec();
            throw DeployError.failed(failed + "; it keeps serving the previous colour");
        }
        out.println("  front now sends every new request to " + target);
        return oldWorkers;
    }

    static final Duration RELOAD_BOUND = Duration.ofSeconds(10);
    /** A reload takes milliseconds; past this, `nginx -t` is asked whether the file is the reason. */
    static final Duration RELOAD_SUSPECT = Duration.ofMillis(300);

    /** null once nginx started new workers (it read the new configuration); otherwise why it did not. */
    private String awaitReload(String id, Set<String> oldWorkers) {
        Instant start = Instant.now();
        boolean tested = false;
        boolean interrupted = false;
        try {
            while (Duration.between(start, Instant.now()).compareTo(RELOAD_BOUND) < 0) {
                Set<String> now = workers(id);
                now.removeAll(oldWorkers);
                if (!now.isEmpty()) return null;
                if (!tested && Duration.between(start, Instant.now()).compareTo(RELOAD_SUSPECT) > 0) {
                    tested = true;
                    Exec test = exec(id, "nginx", "-t", "-q");
                    if (test.code() != 0) return "the front rejected the new configuration (nginx: " + Cli.oneLine(test.output()) + ")";
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    interrupted = true; // a signal inside the switch: finish confirming it (milliseconds); the caller sees it after
                }
            }
            return "the front did not reload within " + RELOAD_BOUND.toSeconds() + "s";
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    /**
     * Makes nginx serve what its files say, returning the workers to drain. After a run killed between writing the
     * upstream and reloading, the file already names the new (gated) colour while nginx still sends to the old one.
     */
    public Set<String> reloadAsWritten() {
        String id = frontId();
        Set<String> oldWorkers = workers(id);
        validateAndReload(id);
        return oldWorkers;
    }

    /** Waits until the workers that ran before the switch have exited: then no request is in flight on the old colour. */
    public void drain(Set<String> oldWorkers, Cancellation cancel) {
        String id = inspect().map(InspectContainerResponse::getId).orElse(null);
        if (id == null || oldWorkers.isEmpty()) return;
        Instant start = Instant.now();
        Instant deadline = start.plus(options.drain());
        while (true) {
            Set<String> still = new HashSet<>(workers(id));
            still.retainAll(oldWorkers);
            if (still.isEmpty()) {
                out.println("  drained: in-flight requests on the old colour finished in " + Duration.between(start, Instant.now()).toMillis() + " ms");
                return;
            }
            if (Instant.now().isAfter(deadline)) {
                out.println(Cli.ansi().string("@|yellow warning:|@ ") + "requests still in flight on the old colour after --drain-timeout "
                        + options.drain().toSeconds() + "s; stopping it anyway");
                return;
            }
            cancel.sleep(Duration.ofMillis(100));
        }
    }

    private void connect(String containerId) {
        try {
            docker.connectToNetworkCmd().withNetworkId(network(app)).withContainerId(containerId).exec();
        } catch (RuntimeException alreadyConnected) {
            if (!String.valueOf(alreadyConnected.getMessage()).contains("already exists")) throw alreadyConnected;
        }
    }

    /** The front as the engine sees it, for status: whether the host expects one, and whether it really serves. */
    public record State(boolean expected, boolean exists, boolean running, String status, Optional<String> target, Optional<String> lastLog) {}

    public static State state(DockerClient docker, String app, boolean expected) {
        ManagedFront f = new ManagedFront(docker, app, new FrontOptions(), new PrintWriter(java.io.Writer.nullWriter()));
        Optional<InspectContainerResponse> c = f.inspect();
        if (c.isEmpty()) return new State(expected, false, false, "missing", Optional.empty(), Optional.empty());
        var st = c.get().getState();
        boolean restarting = Boolean.TRUE.equals(st.getRestarting());
        boolean running = Boolean.TRUE.equals(st.getRunning()) && !restarting;
        String status = restarting ? "restarting (nginx keeps failing to start)" : String.valueOf(st.getStatus());
        Optional<String> log = running ? Optional.empty() : ContainerLogs.tail(docker, c.get().getId(), 1).stream().findFirst();
        return new State(expected, true, running, status, f.liveTarget(), log);
    }

    /** Where the app's managed front sends traffic, read without settings: status and colour detection need no flags. */
    public static Optional<String> upstreamOf(DockerClient docker, String app) {
        return new ManagedFront(docker, app, new FrontOptions(), new PrintWriter(java.io.Writer.nullWriter())).liveTarget();
    }

    /**
     * Joins a colour to the front's network. A colour that went live behind the passive front was never on it, and
     * an upstream naming a container nginx cannot resolve makes nginx refuse to start.
     */
    public void join(ColourState colour) {
        ensureNetwork();
        connect(find(colour).containerId());
    }

    public Optional<String> liveTarget() {
        return inspect().flatMap(c -> read(c.getId(), UPSTREAM)).map(ManagedFront::currentTarget).filter(t -> !t.equals(NOWHERE));
    }

    static String currentTarget(String upstreamConf) {
        for (String line : upstreamConf.split("\n")) {
            String l = line.trim();
            if (l.startsWith("server ")) return l.substring(7).replace(";", "").trim();
        }
        return NOWHERE;
    }

    private void ensureNetwork() {
        boolean exists = docker.listNetworksCmd().withNameFilter(network(app)).exec().stream().anyMatch(n -> n.getName().equals(network(app)));
        if (exists) return;
        try {
            docker.createNetworkCmd().withName(network(app)).withDriver("bridge").withLabels(Map.of(Labels.APP, app, Labels.ROLE, "front-network")).exec();
        } catch (ConflictException raced) {
            // created meanwhile
        }
    }

    private void create(String liveTarget) {
        ExposedPort http = ExposedPort.tcp(80);
        Ports ports = new Ports();
        ports.bind(http, Ports.Binding.bindIpAndPort(options.bind, options.port));
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(Labels.APP, app);
        labels.put(Labels.ROLE, "front");
        String id;
        try {
            id = docker.createContainerCmd(options.image).withName(containerName(app)).withLabels(labels)
                    .withCmd("nginx", "-g", "daemon off;").withStopSignal("SIGQUIT").withExposedPorts(http)
                    .withHostConfig(HostConfig.newHostConfig().withPortBindings(ports).withNetworkMode(network(app))
                            .withRestartPolicy(RestartPolicy.unlessStoppedRestart()))
                    .exec().getId();
        } catch (NotFoundException noImage) {
            throw DeployError.failed("the front image " + options.image + " is not on the host; pull it (docker pull " + options.image + ") or pass --front-image");
        }
        write(id, Map.of(CONF, mainConfig(), UPSTREAM, upstreamConfig(liveTarget == null ? NOWHERE : liveTarget)));
        try {
            docker.startContainerCmd(id).exec();
        } catch (RuntimeException e) {
            docker.removeContainerCmd(id).withForce(true).exec();
            throw DeployError.failed("the managed front could not start (" + Cli.oneLine(e.getMessage()) + "); is port " + options.port + " free?");
        }
        for (int i = 0; i < 50 && workers(id).isEmpty(); i++) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * For repairs, off the switch's path: `nginx -s reload` parses the whole configuration before it signals the
     * master, and on an error signals nothing and exits non-zero with nginx's reason.
     */
    private void validateAndReload(String id) {
        Exec reload = exec(id, "nginx", "-s", "reload");
        if (reload.code() != 0) {
            throw DeployError.failed("the front rejected the new configuration (nginx: " + Cli.oneLine(reload.output()) + ")");
        }
    }

    /** Worker process ids, from the engine's view of the front's processes. */
    private Set<String> workers(String id) {
        Set<String> pids = new HashSet<>();
        var top = docker.topContainerCmd(id).withPsArgs("-o pid,args").exec();
        if (top.getProcesses() == null) return pids;
        for (String[] p : top.getProcesses()) {
            if (p.length >= 2 && p[p.length - 1].contains("nginx: worker process")) pids.add(p[0].trim());
        }
        return pids;
    }

    private record Exec(long code, String output) {}

    private Exec exec(String id, String... cmd) {
        String execId = docker.execCreateCmd(id).withCmd(cmd).withAttachStdout(true).withAttachStderr(true).exec().getId();
        StringBuilder output = new StringBuilder();
        try {
            docker.execStartCmd(execId).exec(new ResultCallback.Adapter<Frame>() {
                @Override
                public void onNext(Frame f) {
                    output.append(new String(f.getPayload(), StandardCharsets.UTF_8));
                }
            }).awaitCompletion(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Long code = docker.inspectExecCmd(execId).exec().getExitCodeLong();
        return new Exec(code == null ? -1 : code, output.toString().trim());
    }

    private Optional<InspectContainerResponse> inspect() {
        try {
            return Optional.of(docker.inspectContainerCmd(containerName(app)).exec());
        } catch (NotFoundException e) {
            return Optional.empty();
        }
    }

    private Optional<String> read(String id, String path) {
        try (InputStream in = docker.copyArchiveFromContainerCmd(id, path).exec(); TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            if (tar.getNextEntry() == null) return Optional.empty();
            return Optional.of(new String(tar.readAllBytes(), StandardCharsets.UTF_8));
        } catch (NotFoundException e) {
            return Optional.empty();
        } catch (java.io.IOException e) {
            throw new DeployError(ExitCode.DOCKER, "cannot read " + path + " from the managed front: " + e.getMessage());
        }
    }

    /** Both of our files in one copy (each copy is a round trip of about 50 ms): /etc/nginx's regular files by path. */
    private Map<String, String> readAll(String id) {
        Map<String, String> files = new java.util.HashMap<>();
        try (InputStream in = docker.copyArchiveFromContainerCmd(id, "/etc/nginx/").exec(); TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            for (var e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
                String name = e.getName().replaceFirst("^\\./", "");
                if (!e.isFile() || e.getSize() > 1_000_000 || !name.startsWith("nginx/")) continue;
                files.put("/etc/" + name, new String(tar.readAllBytes(), StandardCharsets.UTF_8));
            }
            return files;
        } catch (NotFoundException e) {
            return files;
        } catch (java.io.IOException e) {
            throw new DeployError(ExitCode.DOCKER, "cannot read /etc/nginx from the managed front: " + e.getMessage());
        }
    }

    /** Files under /etc/nginx by absolute path, in one copy; the relative paths create bgdeploy/ on first use. */
    private void write(String id, Map<String, String> files) {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        files.forEach((path, content) -> entries.put(path.substring("/etc/nginx/".length()), content.getBytes(StandardCharsets.UTF_8)));
        docker.copyArchiveToContainerCmd(id).withRemotePath("/etc/nginx").withTarInputStream(new java.io.ByteArrayInputStream(Tar.of(entries))).exec();
    }
}
