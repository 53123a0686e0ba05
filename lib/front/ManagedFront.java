package lib.front;

import lib.base.Text;
import lib.base.Style;
import lib.base.DeployError;
import lib.base.ExitCode;
import lib.model.ColourState;
import lib.model.ContainerInfo;
import lib.base.Labels;
import lib.docker.ContainerLogs;
import lib.docker.Tar;
import lib.model.FrontSettings;

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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * An nginx container this toolkit creates and owns, on a Docker network shared with both colours, publishing the
 * public port. Everything goes through the Docker API (copy, exec, top), so it works on a remote host with no SSH.
 * This class makes sure the front exists, runs and holds the files it should ({@link NginxConfig}), and joins colours
 * to its network; {@link FrontSwitch} moves traffic.
 */
public final class ManagedFront {

    private final DockerClient docker;
    private final String app;
    private final FrontSettings options;
    private final PrintWriter out;
    private volatile boolean createdFront;
    private volatile boolean createdNetwork;
    /** The open preview's address the front should route to (null: none), for {@link #ensure}'s comparison. */
    private volatile String previewTarget;
    /** On a Swarm the front's network is an attachable overlay, which the colours' services join on any node. */
    private boolean overlay;

    public ManagedFront(DockerClient docker, String app, FrontSettings options, PrintWriter out) {
        this.docker = docker;
        this.app = app;
        this.options = options;
        this.out = out;
    }

    /**
     * Takes back what this object created (the front and its network), for a first deploy that failed before its
     * switch: nothing should answer on the front's port with a 502 for an app that never went live behind it.
     */
    public void removeCreated() {
        if (createdFront) {
            try {
                docker.removeContainerCmd(containerName(app)).withForce(true).exec();
            } catch (NotFoundException gone) {
                // removed meanwhile
            }
        }
        if (createdNetwork) {
            try {
                docker.removeNetworkCmd(network(app)).exec();
            } catch (RuntimeException inUseOrGone) {
                // a container still on it (joined by hand), or gone: leaving a network behind loses nothing
            }
        }
    }

    /** The front of an app whose colours are Swarm services: its network is the app's attachable overlay. */
    public ManagedFront onOverlay() {
        this.overlay = true;
        return this;
    }

    public static String containerName(String app) {
        return app + "-front";
    }

    public static String network(String app) {
        return app + "-bgdeploy-front";
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
            if (options.service() != null && !options.service().equals(c.service())) continue;
            // A colour made without host ports names its Compose ports in a label: no inspect on the switch's path.
            Integer unpublished = c.unpublishedPort();
            Ports bindings = unpublished != null ? null : docker.inspectContainerCmd(c.id()).exec().getHostConfig().getPortBindings();
            boolean publishes = bindings != null && !bindings.getBindings().isEmpty();
            if (options.service() == null && !publishes && unpublished == null) continue;
            int port = options.targetPort() != null ? options.targetPort()
                    : publishes ? bindings.getBindings().keySet().iterator().next().getPort() : unpublished != null ? unpublished : 80;
            return new Target(c.id(), c.name() + ":" + port);
        }
        throw DeployError.config(options.service() == null
                ? "no service of " + colour.colour() + " publishes a port; name the one the front sends traffic to with --front-service"
                : "--front-service \"" + options.service() + "\" has no container in " + colour.colour());
    }

    /** The preview {@link #ensure} keeps (a promote's), instead of closing any it finds: by default none is open. */
    public ManagedFront keepingPreview(String target) {
        this.previewTarget = target;
        return this;
    }

    /**
     * Opens (a colour's address) or closes (null) the preview: the small preview file and a reload, validated; the
     * live colour's traffic is not touched. The colour must be on the front's network already ({@link #join}).
     */
    public void setPreview(String target) {
        InspectContainerResponse c = inspect().orElseThrow(() -> DeployError.failed("the managed front " + containerName(app)
                + " does not exist; the next deploy creates it"));
        previewTarget = target;
        write(c.getId(), Map.of(NginxConfig.PREVIEW, NginxConfig.previewConfig(target)));
        // A stopped front gets the file too: it must not start naming containers that are gone.
        if (Boolean.TRUE.equals(c.getState().getRunning())) validateAndReload(c.getId());
    }

    /** Where the front routes the preview now, read from its file: empty when none is open (or no front). */
    public static Optional<String> previewOf(DockerClient docker, String app) {
        ManagedFront f = new ManagedFront(docker, app, FrontSettings.managedDefaults(), new PrintWriter(java.io.Writer.nullWriter()));
        return f.inspect().flatMap(c -> f.read(c.getId(), NginxConfig.PREVIEW)).flatMap(NginxConfig::previewTarget);
    }

    /**
     * The host address the front publishes its preview port on ("127.0.0.1:8001"), or empty: a front created before
     * previews existed publishes none (the cookie on the main port still reaches the preview).
     */
    public static Optional<String> previewAddress(DockerClient docker, String app) {
        ManagedFront f = new ManagedFront(docker, app, FrontSettings.managedDefaults(), new PrintWriter(java.io.Writer.nullWriter()));
        return f.inspect().map(c -> c.getHostConfig() == null || c.getHostConfig().getPortBindings() == null ? null
                        : c.getHostConfig().getPortBindings().getBindings().get(ExposedPort.tcp(NginxConfig.PREVIEW_PORT)))
                .filter(b -> b.length > 0)
                .map(b -> (b[0].getHostIp() == null || b[0].getHostIp().isEmpty() ? "0.0.0.0" : b[0].getHostIp()) + ":" + b[0].getHostPortSpec());
    }

    /** Creates the network and the front if missing; repairs a front whose configuration was changed by hand. */
    public void ensure(String liveTarget) {
        ensureNetwork();
        Optional<InspectContainerResponse> existing = inspect();
        if (existing.isEmpty()) {
            out.println("  creating the managed front " + containerName(app) + " on " + options.bind() + ":" + options.port());
            create(liveTarget);
            createdFront = true;
            return;
        }
        String id = existing.get().getId();
        refuseAnotherPlace(existing.get());
        if (!Boolean.TRUE.equals(existing.get().getState().getRunning())) {
            out.println("  the managed front was stopped; starting it");
            docker.startContainerCmd(id).exec();
        }
        String expected = NginxConfig.upstreamConfig(liveTarget == null ? NginxConfig.NOWHERE : liveTarget);
        Map<String, String> files = readAll(id);
        String main = new NginxConfig(options).main();
        boolean tlsChanged = tlsFilesDiffer(files);
        boolean settingsChanged = !main.equals(files.getOrDefault(NginxConfig.CONF, ""));
        String preview = NginxConfig.previewConfig(previewTarget);
        // A preview file naming a colour that is no preview any more (a run that died closing it) would make nginx
        // refuse every later reload once that colour is gone.
        boolean previewChanged = !preview.equals(files.getOrDefault(NginxConfig.PREVIEW, ""));
        if (settingsChanged || !expected.equals(files.getOrDefault(NginxConfig.UPSTREAM, "")) || tlsChanged || previewChanged) {
            if (!expected.equals(files.getOrDefault(NginxConfig.UPSTREAM, ""))) {
                out.println(Style.warning() + "the managed front's configuration differs from what the live colour needs "
                        + "(changed by hand, an interrupted switch, or written by an older bgdeploy); restoring it");
            } else {
                out.println("  applying the front's settings" + (tlsChanged ? " and its new TLS certificate" : "") + " (one reload, no request lost)");
            }
            Map<String, String> write = new LinkedHashMap<>(edgeFiles(files));
            write.put(NginxConfig.CONF, main);
            write.put(NginxConfig.UPSTREAM, expected);
            write.put(NginxConfig.PREVIEW, preview);
            if (tlsChanged) copyTls(id);
            write(id, write);
            if (read(id, AccessLog.FILE).isEmpty()) ensureLogDir(id, Map.of("access.log", new byte[0])); // a front of an older bgdeploy logged nothing
            validateAndReload(id);
        }
    }

    /**
     * Rewrites the main file from these settings (and copies the TLS files when given) and reloads: settings such as
     * front.max_body or maintenance apply at once, with no request lost (the reload lets old workers finish).
     * Files the settings need and the front lacks (a maintenance page) are written with their defaults.
     */
    public void apply(Map<String, String> extraFiles, boolean copyTls) {
        InspectContainerResponse c = inspect().orElseThrow(() -> DeployError.failed("the managed front " + containerName(app)
                + " does not exist; the next deploy creates it"));
        refuseAnotherPlace(c);
        if (!Boolean.TRUE.equals(c.getState().getRunning())) throw DeployError.failed("the managed front " + containerName(app) + " is not running; start it with a deploy");
        String id = c.getId();
        Map<String, String> present = readAll(id);
        Map<String, String> write = new LinkedHashMap<>(edgeFiles(present));
        // A front of a bgdeploy before previews has no preview file, which the main file now includes.
        if (!present.containsKey(NginxConfig.PREVIEW)) write.put(NginxConfig.PREVIEW, NginxConfig.previewConfig(null));
        write.putAll(extraFiles);
        write.put(NginxConfig.CONF, new NginxConfig(options).main());
        if (copyTls && options.edge().tls().on()) copyTls(id);
        else if (options.edge().tls().on() && read(id, NginxConfig.TLS_CERT).isEmpty()) {
            throw DeployError.config("the front has no TLS certificate yet; give front.tls.cert and front.tls.key (--front-tls-cert, --front-tls-key)");
        }
        write(id, write);
        validateAndReload(id);
    }

    /** Whether this run brings a certificate the front does not hold yet; false when it brings none. */
    private boolean tlsFilesDiffer(Map<String, String> files) {
        var tls = options.edge().tls();
        if (!tls.on()) return false;
        if (tls.cert() == null) {
            if (!files.containsKey(NginxConfig.TLS_CERT)) {
                throw DeployError.config("the front has no TLS certificate yet; give front.tls.cert and front.tls.key (--front-tls-cert, --front-tls-key)");
            }
            return false;
        }
        String held = files.get(NginxConfig.TLS_CERT);
        return held == null || !tls.fingerprint().equals(TlsFiles.fingerprintOf(held.getBytes(StandardCharsets.US_ASCII)));
    }

    /** The certificate and key from the deploying machine into the front; the key with mode 0600, never shown. */
    private void copyTls(String id) {
        var tls = options.edge().tls();
        TlsFiles files = TlsFiles.load(java.nio.file.Path.of(tls.cert()), java.nio.file.Path.of(tls.key()));
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put(rel(NginxConfig.TLS_CERT), files.certPem());
        entries.put(rel(NginxConfig.TLS_KEY), files.keyPem());
        docker.copyArchiveToContainerCmd(id).withRemotePath("/etc/nginx")
                .withTarInputStream(new java.io.ByteArrayInputStream(Tar.of(entries, java.util.Set.of(rel(NginxConfig.TLS_KEY))))).exec();
    }

    private static String rel(String path) {
        return path.substring("/etc/nginx/".length());
    }

    /** A maintenance page when maintenance is on and the front has none (a front created again): the default one. */
    private Map<String, String> edgeFiles(Map<String, String> present) {
        if (!options.edge().maintenance().on() || present.containsKey(NginxConfig.MAINTENANCE_HTML)) return Map.of();
        return MaintenancePage.of(null, null).files();
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
        refuseAnotherPlace(existing.get());
        if (!Boolean.TRUE.equals(existing.get().getState().getRunning())) {
            out.println("  the managed front was stopped; starting it");
            docker.startContainerCmd(existing.get().getId()).exec();
        }
    }

    /**
     * A front runs where it was created; a run that asks for another port, address or image would otherwise be
     * ignored while the new port answers nothing. Moving it is a short outage, so it is the user's call, spelled out.
     */
    private void refuseAnotherPlace(InspectContainerResponse c) {
        String image = c.getConfig() == null ? null : c.getConfig().getImage();
        Ports.Binding[] bound = c.getHostConfig() == null || c.getHostConfig().getPortBindings() == null ? null
                : c.getHostConfig().getPortBindings().getBindings().get(ExposedPort.tcp(80));
        if (bound == null || bound.length == 0 || image == null) return; // not one we can read: nothing to compare
        String ip = bound[0].getHostIp() == null || bound[0].getHostIp().isEmpty() ? "0.0.0.0" : bound[0].getHostIp();
        String port = bound[0].getHostPortSpec();
        Ports.Binding[] tlsBound = c.getHostConfig().getPortBindings().getBindings().get(ExposedPort.tcp(NginxConfig.TLS_PORT));
        String now = ip + ":" + port + (tlsBound == null || tlsBound.length == 0 ? "" : " and TLS port " + tlsBound[0].getHostPortSpec()) + " from " + image;
        var tls = options.edge().tls();
        String asked = options.bind() + ":" + options.port() + (tls.on() ? " and TLS port " + tls.port() : "") + " from " + options.image();
        if (now.equals(asked)) return;
        String name = c.getName().replaceFirst("^/", "");
        throw new DeployError(ExitCode.USAGE, "the managed front " + name + " runs on " + now + " and this run asks for " + asked
                + "; a front cannot move while it serves: remove it (docker rm -f " + name + "; nothing answers on " + ip + ":" + port
                + " until the next deploy creates it on the new port) and deploy again, or drop the --front-port/--front-bind/--front-image/--front-tls-port that differ");
    }

    /** Whether the front exists and runs (then ensure() only compares its files). */
    public boolean running() {
        return inspect().map(c -> Boolean.TRUE.equals(c.getState().getRunning())).orElse(false);
    }



    /** The front's container id; it must exist (the run checked it before the switch). */
    String id() {
        return inspect().orElseThrow(() -> DeployError.failed("the managed front " + containerName(app) + " disappeared during the deploy")).getId();
    }






    private void connect(String containerId) {
        try {
            docker.connectToNetworkCmd().withNetworkId(network(app)).withContainerId(containerId).exec();
        } catch (RuntimeException alreadyConnected) {
            if (!String.valueOf(alreadyConnected.getMessage()).contains("already exists")) throw alreadyConnected;
        }
    }

    /** The front as the engine sees it, for status: whether the host expects one, and whether it really serves. */
    /** @param name the front's container name now: {@link #containerName} unless someone renamed it */
    public record State(boolean expected, boolean exists, String name, boolean running, String status, Optional<String> target, Optional<String> lastLog) {}

    public static State state(DockerClient docker, String app, boolean expected) {
        ManagedFront f = new ManagedFront(docker, app, FrontSettings.managedDefaults(), new PrintWriter(java.io.Writer.nullWriter()));
        Optional<InspectContainerResponse> c = f.inspect();
        if (c.isEmpty()) return new State(expected, false, containerName(app), false, "missing", Optional.empty(), Optional.empty());
        var st = c.get().getState();
        boolean restarting = Boolean.TRUE.equals(st.getRestarting());
        boolean running = Boolean.TRUE.equals(st.getRunning()) && !restarting;
        String status = restarting ? "restarting (nginx keeps failing to start)" : String.valueOf(st.getStatus());
        Optional<String> log = running ? Optional.empty() : ContainerLogs.tail(docker, c.get().getId(), 1).stream().findFirst();
        return new State(expected, true, c.get().getName().replaceFirst("^/", ""), running, status, f.liveTarget(), log);
    }

    /** Where the app's managed front sends traffic, read without settings: status and colour detection need no flags. */
    public static Optional<String> upstreamOf(DockerClient docker, String app) {
        return new ManagedFront(docker, app, FrontSettings.managedDefaults(), new PrintWriter(java.io.Writer.nullWriter())).liveTarget();
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
        return inspect().flatMap(c -> read(c.getId(), NginxConfig.UPSTREAM)).map(NginxConfig::currentTarget).filter(t -> !t.equals(NginxConfig.NOWHERE));
    }


    private void ensureNetwork() {
        // A Swarm's overlay is made by a manager (lib.target.SwarmColours), and a worker lists it only once it runs a task on it.
        if (overlay) return;
        boolean exists = docker.listNetworksCmd().withNameFilter(network(app)).exec().stream().anyMatch(n -> n.getName().equals(network(app)));
        if (exists) return;
        try {
            var create = docker.createNetworkCmd().withName(network(app)).withDriver(overlay ? "overlay" : "bridge").withLabels(Map.of(Labels.APP, app, Labels.ROLE, "front-network"));
            if (overlay) create.withAttachable(true);
            create.exec();
            createdNetwork = true;
        } catch (ConflictException raced) {
            // created meanwhile
        }
    }

    private void create(String liveTarget) {
        create(liveTarget, true);
    }

    /**
     * The preview port is published from the front's creation on, whether or not a preview is ever opened: a
     * container's published ports are fixed when it is created, and adding one later would mean recreating a front
     * that serves (its port free for a moment, requests refused). Without a preview it answers a one-line 404.
     * When that port is taken on the host, the front is created without it rather than not at all.
     */
    private void create(String liveTarget, boolean withPreviewPort) {
        ExposedPort http = ExposedPort.tcp(NginxConfig.HTTP_PORT);
        ExposedPort https = ExposedPort.tcp(NginxConfig.TLS_PORT);
        ExposedPort preview = ExposedPort.tcp(NginxConfig.PREVIEW_PORT);
        Ports ports = new Ports();
        ports.bind(http, Ports.Binding.bindIpAndPort(options.bind(), options.port()));
        boolean tls = options.edge().tls().on();
        if (tls) ports.bind(https, Ports.Binding.bindIpAndPort(options.bind(), options.edge().tls().port()));
        if (withPreviewPort) ports.bind(preview, Ports.Binding.bindIpAndPort(options.bind(), options.previewPort()));
        List<ExposedPort> exposed = new java.util.ArrayList<>(List.of(http));
        if (tls) exposed.add(https);
        if (withPreviewPort) exposed.add(preview);
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(Labels.APP, app);
        labels.put(Labels.ROLE, "front");
        String id;
        try {
            id = docker.createContainerCmd(options.image()).withName(containerName(app)).withLabels(labels)
                    .withCmd("nginx", "-g", "daemon off;").withStopSignal("SIGQUIT").withExposedPorts(exposed.toArray(new ExposedPort[0]))
                    .withHostConfig(HostConfig.newHostConfig().withPortBindings(ports).withNetworkMode(network(app))
                            .withRestartPolicy(RestartPolicy.unlessStoppedRestart()))
                    .exec().getId();
        } catch (NotFoundException noImage) {
            throw DeployError.failed("the front image " + options.image() + " is not on the host; pull it (docker pull " + options.image() + ") or pass --front-image");
        }
        Map<String, String> files = new LinkedHashMap<>(edgeFiles(Map.of()));
        files.put(NginxConfig.CONF, new NginxConfig(options).main());
        files.put(NginxConfig.UPSTREAM, NginxConfig.upstreamConfig(liveTarget == null ? NginxConfig.NOWHERE : liveTarget));
        files.put(NginxConfig.PREVIEW, NginxConfig.previewConfig(null));
        if (tls) {
            if (options.edge().tls().cert() == null) {
                docker.removeContainerCmd(id).withForce(true).exec();
                throw DeployError.config("a new front with TLS needs its certificate: give front.tls.cert and front.tls.key (--front-tls-cert, --front-tls-key)");
            }
            copyTls(id);
        }
        // nginx opens its access log at start and does not make the directory: an empty file, which makes it.
        docker.copyArchiveToContainerCmd(id).withRemotePath("/")
                .withTarInputStream(new java.io.ByteArrayInputStream(Tar.of(Map.of(AccessLog.FILE.substring(1), new byte[0])))).exec();
        write(id, files);
        try {
            docker.startContainerCmd(id).exec();
        } catch (RuntimeException e) {
            docker.removeContainerCmd(id).withForce(true).exec();
            if (withPreviewPort && String.valueOf(e.getMessage()).contains(":" + options.previewPort())) {
                out.println(Style.note() + "the front's preview port " + options.bind() + ":" + options.previewPort() + " could not be bound ("
                        + Text.oneLine(e.getMessage()) + "); creating the front without it (a preview is then reached by its cookie only;"
                        + " front.preview_port names another port)");
                create(liveTarget, false);
                return;
            }
            throw DeployError.failed("the managed front could not start (" + Text.oneLine(e.getMessage()) + "); is port " + options.port() + " free?");
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
    void validateAndReload(String id) {
        Exec reload = exec(id, "nginx", "-s", "reload");
        if (reload.code() != 0) {
            throw DeployError.failed("the front rejected the new configuration (nginx: " + Text.oneLine(reload.output()) + ")");
        }
    }

    /** SIGHUP to nginx: it re-reads its files, starts new workers and lets the old ones finish their requests. */
    void hangUp(String id) {
        docker.killContainerCmd(id).withSignal("HUP").exec();
    }

    /** Worker process ids, from the engine's view of the front's processes. */
    Set<String> workers(String id) {
        return new HashSet<>(workerStates(id).keySet());
    }

    /**
     * nginx's workers by pid, each true while it still accepts connections: told to quit, a worker retitles itself
     * "worker process is shutting down" and closes its listening sockets in the same step.
     */
    java.util.Map<String, Boolean> workerStates(String id) {
        java.util.Map<String, Boolean> workers = new java.util.HashMap<>();
        var top = docker.topContainerCmd(id).withPsArgs("-o pid,args").exec();
        if (top.getProcesses() == null) return workers;
        for (String[] p : top.getProcesses()) {
            String title = p.length >= 2 ? p[p.length - 1] : "";
            if (title.contains("nginx: worker process")) workers.put(p[0].trim(), !title.contains("is shutting down"));
        }
        return workers;
    }

    /** How long an nginx command in the front may take; a test of the configuration takes milliseconds. */
    static final Duration EXEC_BOUND = Duration.ofSeconds(30);

    record Exec(long code, String output) {}

    Exec exec(String id, String... cmd) {
        return exec(id, EXEC_BOUND, cmd);
    }

    Exec exec(String id, Duration bound, String... cmd) {
        String execId = docker.execCreateCmd(id).withCmd(cmd).withAttachStdout(true).withAttachStderr(true).exec().getId();
        StringBuilder output = new StringBuilder();
        boolean finished = false;
        var callback = docker.execStartCmd(execId).exec(new ResultCallback.Adapter<Frame>() {
            @Override
            public void onNext(Frame f) {
                output.append(new String(f.getPayload(), StandardCharsets.UTF_8));
            }
        });
        try {
            finished = callback.awaitCompletion(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (!finished) closeQuietly(callback); // the attach stream of a command still running holds a connection
        }
        // A slow nginx is not a rejected configuration: without an exit code there is no verdict to report.
        if (!finished) {
            throw new DeployError(ExitCode.DOCKER, "the managed front did not finish `" + String.join(" ", cmd) + "` within "
                    + bound.toSeconds() + "s (an overloaded or frozen host?); try again once it answers");
        }
        Long code = docker.inspectExecCmd(execId).exec().getExitCodeLong();
        return new Exec(code == null ? -1 : code, output.toString().trim());
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (java.io.IOException alreadyClosed) {
            // nothing left to free
        }
    }

    /**
     * Keeps the access log bounded: over {@link AccessLog#ROTATE_BYTES} it becomes {@link AccessLog#OLD} (replacing the
     * one before), a new empty file takes its place and nginx reopens it (SIGUSR1). All through the Docker API (copies
     * and a signal), as a front image may hold nothing but nginx; at the start of a deploy, off the switch's path.
     * Returns the front's clock (the daemon's) minus this machine's in ms, so the deploy's window is read in the log's
     * time; 0 when they agree within the call's round trip and half a second (clocks kept by NTP agree to milliseconds).
     */
    public long prepareLog() {
        String id = id();
        long offset = clockOffset();
        byte[] full = null;
        try (InputStream in = docker.copyArchiveFromContainerCmd(id, AccessLog.FILE).exec(); TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            var e = tar.getNextEntry();
            if (e != null && e.getSize() > AccessLog.ROTATE_BYTES) full = tar.readAllBytes();
        } catch (NotFoundException none) {
            full = new byte[0]; // a front of an older bgdeploy that was repaired, or a log removed by hand: made now
        } catch (java.io.IOException e) {
            throw new DeployError(ExitCode.DOCKER, "cannot read the managed front's access log: " + e.getMessage());
        }
        if (full == null) return offset;
        Map<String, byte[]> files = new LinkedHashMap<>();
        if (full.length > 0) files.put(AccessLog.OLD.substring(AccessLog.DIR.length() + 1), full);
        files.put(AccessLog.FILE.substring(AccessLog.DIR.length() + 1), new byte[0]);
        ensureLogDir(id, files);
        docker.killContainerCmd(id).withSignal("USR1").exec(); // nginx reopens its log: the new, empty file
        return offset;
    }

    /** Writes files into the log's directory, making it (a copy into its parent) when it is missing. */
    private void ensureLogDir(String id, Map<String, byte[]> files) {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        String dir = AccessLog.DIR.substring(AccessLog.DIR.lastIndexOf('/') + 1);
        files.forEach((name, content) -> entries.put(dir + "/" + name, content));
        docker.copyArchiveToContainerCmd(id).withRemotePath(AccessLog.DIR.substring(0, AccessLog.DIR.lastIndexOf('/')))
                .withTarInputStream(new java.io.ByteArrayInputStream(Tar.of(entries))).exec();
    }

    /** The daemon's clock (the front's) against this machine's, in ms; 0 when they agree within half a second or it cannot say. */
    private long clockOffset() {
        try {
            long before = System.currentTimeMillis();
            String time = docker.infoCmd().exec().getSystemTime();
            long after = System.currentTimeMillis();
            long daemon = java.time.OffsetDateTime.parse(time).toInstant().toEpochMilli();
            // The daemon read its clock somewhere within the call, so the offset lies in [daemon - after, daemon -
            // before]: a call slowed down by a busy host widens it, and a range holding 0 says the clocks agree.
            return sameClock(daemon - after, daemon - before) ? 0 : daemon - (before + after) / 2;
        } catch (RuntimeException unreadable) {
            return 0;
        }
    }

    /** Whether an offset known to lie in [low, high] ms is no offset at all (within the half second NTP keeps far under). */
    static boolean sameClock(long low, long high) {
        return low - 500 <= 0 && 0 <= high + 500;
    }

    /**
     * The end of the access log, at most tailBytes of each file (a first line cut there is skipped by the parser), the
     * rotated file's first when withOld. A copy out of the front: no tool inside it is needed.
     */
    public String accessLog(long tailBytes, boolean withOld) {
        String id = id();
        StringBuilder text = new StringBuilder();
        try (InputStream in = docker.copyArchiveFromContainerCmd(id, withOld ? AccessLog.DIR + "/" : AccessLog.FILE).exec();
             TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            Map<String, String> byName = new java.util.TreeMap<>(java.util.Comparator.reverseOrder()); // access.log.1 before access.log
            for (var e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
                String name = e.getName().replaceFirst(".*/", "");
                if (!e.isFile() || !(name.equals("access.log") || name.equals("access.log.1"))) continue;
                long skip = Math.max(0, e.getSize() - tailBytes);
                tar.skipNBytes(skip);
                byName.put(name, new String(tar.readAllBytes(), StandardCharsets.UTF_8));
            }
            byName.values().forEach(t -> text.append(t).append('\n'));
        } catch (NotFoundException none) {
            return "";
        } catch (java.io.IOException e) {
            throw new DeployError(ExitCode.DOCKER, "cannot read the managed front's access log: " + e.getMessage());
        }
        return text.toString();
    }

    /** The access log's size in bytes, from the header of a copy (its content is not read); 0 when there is none. */
    long logSize() {
        try (InputStream in = docker.copyArchiveFromContainerCmd(id(), AccessLog.FILE).exec(); TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            var e = tar.getNextEntry();
            return e == null ? 0 : e.getSize();
        } catch (NotFoundException none) {
            return 0;
        } catch (java.io.IOException e) {
            throw new DeployError(ExitCode.DOCKER, "cannot read the managed front's access log: " + e.getMessage());
        }
    }

    /**
     * The access log from byte offset on, by `tail -c +N` in the front: only the new bytes cross the API. null when the
     * front's image has no tail (a FROM-scratch nginx) or it failed; the caller then copies the file.
     */
    byte[] logFrom(long offset) {
        String id = id();
        String execId = docker.execCreateCmd(id).withCmd("tail", "-c", "+" + (offset + 1), AccessLog.FILE)
                .withAttachStdout(true).withAttachStderr(true).exec().getId();
        java.io.ByteArrayOutputStream stdout = new java.io.ByteArrayOutputStream();
        boolean finished = false;
        var callback = docker.execStartCmd(execId).exec(new ResultCallback.Adapter<Frame>() {
            @Override
            public void onNext(Frame f) {
                if (f.getStreamType() == com.github.dockerjava.api.model.StreamType.STDOUT) stdout.writeBytes(f.getPayload());
            }
        });
        try {
            finished = callback.awaitCompletion(EXEC_BOUND.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (!finished) closeQuietly(callback);
        }
        if (!finished) return null;
        Long code = docker.inspectExecCmd(execId).exec().getExitCodeLong();
        return code != null && code == 0 ? stdout.toByteArray() : null;
    }

    /** The same by a copy of the whole file (the bytes before offset are skipped here, but still cross the API). */
    byte[] logCopyFrom(long offset) {
        try (InputStream in = docker.copyArchiveFromContainerCmd(id(), AccessLog.FILE).exec(); TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            var e = tar.getNextEntry();
            if (e == null) return new byte[0];
            if (e.getSize() <= offset) return new byte[0];
            tar.skipNBytes(offset);
            return tar.readAllBytes();
        } catch (NotFoundException none) {
            return new byte[0];
        } catch (java.io.IOException e) {
            throw new DeployError(ExitCode.DOCKER, "cannot read the managed front's access log: " + e.getMessage());
        }
    }

    /** Each colour's containers' addresses on the front's network, to their colour: what $upstream_addr names. */
    public Map<String, String> addresses(List<ColourState> colours) {
        Map<String, String> out = new LinkedHashMap<>();
        for (ColourState c : colours) {
            for (ContainerInfo ci : c.containers()) {
                try {
                    var nets = docker.inspectContainerCmd(ci.id()).exec().getNetworkSettings().getNetworks();
                    var on = nets == null ? null : nets.get(network(app));
                    if (on != null && on.getIpAddress() != null && !on.getIpAddress().isEmpty()) out.put(on.getIpAddress(), c.colour().id());
                } catch (NotFoundException gone) {
                    // removed meanwhile: its requests count as another upstream's
                }
            }
        }
        return out;
    }

    /** The front's container id, or null when there is none. */
    String idIfExists() {
        return inspect().map(InspectContainerResponse::getId).orElse(null);
    }

    public FrontSettings settings() {
        return options;
    }

    /** How long one GET from inside the front may take: an address that does not answer within it is not ready. */
    static final Duration GET_TIMEOUT = Duration.ofSeconds(1);

    /**
     * One GET from inside the front, over its network (the path traffic takes): busybox's wget under busybox's timeout
     * (its own -T crashes). null on a 2xx; otherwise what wget said.
     */
    public String get(String url) {
        Exec e = exec(id(), Duration.ofSeconds(10), "/bin/busybox", "timeout", String.valueOf(GET_TIMEOUT.toSeconds()),
                "/bin/busybox", "wget", "-q", "-O", "/dev/null", url);
        if (e.code() == 126 || e.code() == 127 || e.output().contains("no such file") || e.output().contains("executable file not found")) {
            throw DeployError.config("the front image " + options.image() + " has no /bin/busybox, which the gate runs its GETs from the front with;"
                    + " use an Alpine-based nginx (--front-image nginx:stable-alpine)");
        }
        if (e.code() == 0) return null;
        return e.output().isEmpty() ? (e.code() == 143 || e.code() == 124 ? "no answer within " + GET_TIMEOUT.toSeconds() + "s" : "wget exit code " + e.code()) : Text.oneLine(e.output());
    }

    /**
     * What one GET from inside the front printed. code is null when it did not end within its bound; stdout and stderr
     * are kept apart (wget -S writes the answer's head to stderr and the body to stdout), each cut at a limit.
     */
    public record Fetched(Long code, String stdout, String stderr) {}

    /**
     * One GET from inside the front showing the answer's status line and headers (busybox wget -q -S), the body on
     * stdout, for the smoke checks. The arguments are passed as they are, never through a shell; busybox's timeout
     * bounds the answer (its wget's own -T crashes), the exec's bound a couple of seconds more.
     *
     * @param host the Host header to send, or null for the address's own
     */
    public Fetched fetch(String url, String host, String userAgent, Duration timeout, int limit) {
        List<String> cmd = fetchCommand(url, host, userAgent, timeout);
        String execId = docker.execCreateCmd(id()).withCmd(cmd.toArray(String[]::new)).withAttachStdout(true).withAttachStderr(true).exec().getId();
        java.io.ByteArrayOutputStream stdout = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream stderr = new java.io.ByteArrayOutputStream();
        boolean finished = false;
        var callback = docker.execStartCmd(execId).exec(new ResultCallback.Adapter<Frame>() {
            @Override
            public void onNext(Frame f) {
                var to = f.getStreamType() == com.github.dockerjava.api.model.StreamType.STDERR ? stderr : stdout;
                synchronized (to) {
                    int room = limit - to.size();
                    if (room > 0) to.write(f.getPayload(), 0, Math.min(room, f.getPayload().length));
                }
            }
        });
        try {
            finished = callback.awaitCompletion(timeout.plusSeconds(3).toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (!finished) closeQuietly(callback);
        }
        Long code = finished ? docker.inspectExecCmd(execId).exec().getExitCodeLong() : null;
        if (code != null && (code == 126 || code == 127)) {
            throw DeployError.config("the front image " + options.image() + " has no /bin/busybox, which the smoke checks run their GETs from the front with;"
                    + " use an Alpine-based nginx (--front-image nginx:stable-alpine)");
        }
        synchronized (stdout) {
            synchronized (stderr) {
                return new Fetched(code, stdout.toString(StandardCharsets.UTF_8), stderr.toString(StandardCharsets.UTF_8));
            }
        }
    }

    /** The argv of {@link #fetch}: whole seconds, at least one, for busybox's timeout. */
    public static List<String> fetchCommand(String url, String host, String userAgent, Duration timeout) {
        String seconds = String.valueOf(Math.max(1, (timeout.toMillis() + 999) / 1000));
        List<String> cmd = new java.util.ArrayList<>(List.of("/bin/busybox", "timeout", seconds, "/bin/busybox", "wget", "-q", "-S", "-O", "-", "-U", userAgent));
        if (host != null) cmd.addAll(List.of("--header", "Host: " + host));
        cmd.add(url);
        return cmd;
    }

    /** The front by its name, else by its labels: a front renamed by hand still serves, and is still ours. */
    private Optional<InspectContainerResponse> inspect() {
        try {
            return Optional.of(docker.inspectContainerCmd(containerName(app)).exec());
        } catch (NotFoundException e) {
            for (var c : docker.listContainersCmd().withShowAll(true).withLabelFilter(Map.of(Labels.APP, app, Labels.ROLE, "front")).exec()) {
                try {
                    return Optional.of(docker.inspectContainerCmd(c.getId()).exec());
                } catch (NotFoundException gone) {
                    // removed between the list and the inspect
                }
            }
            return Optional.empty();
        }
    }

    Optional<String> read(String id, String path) {
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
                // The key is never read back: nothing here needs it, and a copy in memory is one more place it could leak.
                if (!e.isFile() || e.getSize() > 1_000_000 || !name.startsWith("nginx/") || ("/etc/" + name).equals(NginxConfig.TLS_KEY)) continue;
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
    void write(String id, Map<String, String> files) {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        files.forEach((path, content) -> entries.put(path.substring("/etc/nginx/".length()), content.getBytes(StandardCharsets.UTF_8)));
        docker.copyArchiveToContainerCmd(id).withRemotePath("/etc/nginx").withTarInputStream(new java.io.ByteArrayInputStream(Tar.of(entries))).exec();
    }
}
