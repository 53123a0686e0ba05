package lib.target;

import lib.base.Cancellation;
import lib.base.DeployError;
import lib.base.Labels;
import lib.base.Text;
import lib.compose.ComposeProject;
import lib.docker.DockerHost;
import lib.docker.ImagePuller;
import lib.front.ManagedFront;
import lib.front.NginxConfig;
import lib.health.HealthGate;
import lib.health.Probes;
import lib.model.Colour;
import lib.model.ColourState;
import lib.model.ContainerInfo;
import lib.model.FrontSettings;
import lib.model.HostState;
import lib.release.RegistryClient;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Service;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * {@link Colours} as Swarm services: each colour a stack {@code <app>-<colour>} of services (see
 * {@link SwarmServiceSpec}) on its own overlay, every task also on the app's attachable overlay, where the managed
 * front reaches it by address. Swarm places and restarts tasks; this class decides when a colour is ready (the gate
 * reads every task and probes each from the front, see {@link #await}) and what the front's upstream lists (the
 * addresses of tasks that passed the gate). The record, history and lock stay on the manager's engine.
 */
public final class SwarmColours implements Colours {
    /** How long a task may stay pending with a scheduler error before the gate fails with Swarm's reason. */
    static final Duration PENDING_GRACE = Duration.ofSeconds(3);
    static final Duration POLL = Duration.ofMillis(100);

    private final DockerHost manager;
    private final DockerClient docker;
    private final lib.host.AppState store;
    private final String app;
    private final int defaultReplicas;
    private final PrintWriter out;
    /** Each image as the registry pins it, resolved by pull(): what every node runs. */
    private final Map<String, String> pinned = new ConcurrentHashMap<>();
    /** The addresses the gate probed, by colour: the upstream lists exactly these. */
    private final Map<Colour, String> gated = new ConcurrentHashMap<>();
    private final List<ManagedFront> fronts = new CopyOnWriteArrayList<>();
    private List<DockerHost> otherFronts = List.of();
    private Duration gateTimeout = Duration.ofSeconds(60);
    private Cancellation cancel = Cancellation.none();

    /** @param defaultReplicas the environment's replicas: a service without deploy.replicas runs this many tasks */
    public SwarmColours(DockerHost manager, lib.host.AppState store, String app, int defaultReplicas, PrintWriter out) {
        this.manager = manager;
        this.store = store;
        this.docker = manager.client();
        this.app = app;
        this.defaultReplicas = defaultReplicas;
        this.out = out;
    }

    // ---- reading ----------------------------------------------------------------------------------------------

    @Override
    public HostState read() {
        List<Service> services = docker.listServicesCmd().withLabelFilter(Map.of(Labels.APP, app)).exec();
        var record = store.readRecord();
        List<ContainerInfo> blue = new ArrayList<>();
        List<ContainerInfo> green = new ArrayList<>();
        for (ContainerInfo m : members(services)) {
            String c = m.labels().get(Labels.COLOUR);
            if (Colour.BLUE.id().equals(c)) blue.add(m);
            else if (Colour.GREEN.id().equals(c)) green.add(m);
        }
        return new HostState(app, new ColourState(Colour.BLUE, blue), new ColourState(Colour.GREEN, green), record.record(),
                Optional.empty(), List.of(), record.problem());
    }

    @Override
    public ColourState reread(Colour colour, List<String> ids) {
        List<Service> services = new ArrayList<>();
        for (String id : ids) {
            try {
                services.add(docker.inspectServiceCmd(id).exec());
            } catch (NotFoundException gone) {
                // removed meanwhile
            }
        }
        return new ColourState(colour, members(services));
    }

    /**
     * One member per service, as the steps count them: running while any of its tasks runs, "exited" when scaled to
     * 0, "restarting" while one is being placed, pulled or started, "created" while none runs yet. The gate looks at every task itself.
     */
    private List<ContainerInfo> members(List<Service> services) {
        List<SwarmTasks.Task> tasks = SwarmTasks.of(manager, services.stream().map(Service::getId).toList());
        List<ContainerInfo> out = new ArrayList<>();
        for (Service s : services) {
            Map<String, String> labels = s.getSpec().getLabels() == null ? Map.of() : s.getSpec().getLabels();
            long running = tasks.stream().filter(t -> t.serviceId().equals(s.getId()) && t.wanted() && t.running()).count();
            // a task being placed, pulled or started runs in a moment: a singleton's hand-over must stop it like a running one
            boolean coming = tasks.stream().anyMatch(t -> t.serviceId().equals(s.getId()) && t.wanted() && t.active());
            String state = running > 0 ? "running" : replicas(s) == 0 ? "exited" : coming ? "restarting" : "created";
            Instant created = s.getCreatedAt() == null ? null : s.getCreatedAt().toInstant();
            out.add(new ContainerInfo(s.getId(), s.getSpec().getName(), labels.getOrDefault(Labels.COMPOSE_SERVICE, s.getSpec().getName()),
                    s.getSpec().getTaskTemplate().getContainerSpec().getImage(), null, state, null, created, running > 0 ? created : null,
                    null, labels));
        }
        return out;
    }

    private static int replicas(Service s) {
        var mode = s.getSpec().getMode();
        return mode == null || mode.getReplicated() == null ? 1 : (int) mode.getReplicated().getReplicas();
    }

    /**
     * For status: per colour, each service with its tasks (slot, node, Swarm's state, address on the front's overlay),
     * and whether the front's upstream lists exactly the live colour's running tasks.
     */
    public List<String> describe(HostState state, Optional<String> frontTarget) {
        List<String> lines = new ArrayList<>();
        Map<String, SwarmTasks.Node> nodes = SwarmTasks.nodes(manager);
        String net = ManagedFront.network(app);
        Optional<Colour> live = state.live();
        for (Colour c : Colour.values()) {
            ColourState cs = state.of(c);
            if (cs.empty()) continue;
            lines.add(c + (live.equals(Optional.of(c)) ? " (live)" : "") + ": release " + Text.printable(cs.release()) + " (stack " + c.project(app) + ")");
            List<SwarmTasks.Task> tasks = SwarmTasks.of(manager, cs.containers().stream().map(ContainerInfo::id).toList());
            for (ContainerInfo s : cs.containers()) {
                List<SwarmTasks.Task> mine = tasks.stream().filter(t -> t.serviceId().equals(s.id()) && t.wanted()).toList();
                lines.add("  " + s.name() + ": " + mine.stream().filter(SwarmTasks.Task::running).count() + "/" + s.labels().getOrDefault(Labels.REPLICAS, "?")
                        + " running" + (mine.isEmpty() ? " (scaled to 0)" : ""));
                for (SwarmTasks.Task t : mine) {
                    SwarmTasks.Node n = t.nodeId() == null ? null : nodes.get(t.nodeId());
                    lines.add("    task " + t.slot() + " on " + (n == null ? "no node yet" : n.hostname() + (n.ready() ? "" : " (node not ready)")) + ": " + t.said()
                            + (t.addresses().containsKey(net) ? ", " + t.addresses().get(net) : ""));
                }
            }
        }
        frontLine(state, "front", frontTarget).ifPresent(lines::add);
        return lines;
    }

    /** Whether one front's upstream lists exactly the live colour's running tasks; empty with no live colour or no front. */
    public Optional<String> frontLine(HostState state, String name, Optional<String> frontTarget) {
        Optional<Colour> live = state.live();
        if (live.isEmpty() || frontTarget.isEmpty()) return Optional.empty();
        String expected = frontTarget(null, state.of(live.get()));
        return Optional.of(expected.equals(frontTarget.get()) ? name + ": sends to " + live.get() + "'s running tasks (" + frontTarget.get() + ")"
                : "FRONT OUT OF DATE: " + name + "'s upstream lists " + frontTarget.get() + ", " + live.get() + "'s running tasks are " + expected
                + "; run deploy.java front sync --env ENV (the next deploy rewrites it too)");
    }

    // ---- images -----------------------------------------------------------------------------------------------

    /**
     * Every node pulls for itself, so nothing is pulled here: each image is looked up in its registry and pinned by
     * digest, and one that is not there fails the deploy before anything is created.
     */
    @Override
    public void pull(Set<String> images, ImagePuller.Policy policy, Cancellation cancel) {
        Set<String> plainHttp = insecureRegistries();
        for (String image : images) {
            cancel.check();
            pinned.put(image, pin(image, plainHttp));
        }
    }

    /** The registries the manager's engine pulls from over plain HTTP (--insecure-registry): so do we. */
    private Set<String> insecureRegistries() {
        var config = docker.infoCmd().exec().getRegistryConfig();
        if (config == null || config.getIndexConfigs() == null) return Set.of();
        Set<String> out = new java.util.HashSet<>();
        config.getIndexConfigs().forEach((name, index) -> {
            if (index != null && Boolean.FALSE.equals(index.getSecure())) out.add(name);
        });
        return out;
    }

    static String pin(String image, Set<String> plainHttp) {
        String ref = image;
        String digest = null;
        int at = ref.indexOf('@');
        if (at >= 0) {
            digest = ref.substring(at + 1);
            ref = ref.substring(0, at);
        }
        int slash = ref.indexOf('/');
        boolean hasRegistry = slash > 0 && (ref.substring(0, slash).contains(".") || ref.substring(0, slash).contains(":") || ref.startsWith("localhost/"));
        if (!hasRegistry) {
            throw DeployError.config("image " + image + " names no registry; on a Swarm every node pulls the image, so push it to a registry"
                    + " the nodes reach and name it (e.g. registry.example.com/" + ref + ")");
        }
        int colon = ref.lastIndexOf(':');
        String tag = colon > ref.lastIndexOf('/') ? ref.substring(colon + 1) : "latest";
        String repo = colon > ref.lastIndexOf('/') ? ref.substring(0, colon) : ref;
        String registry = repo.substring(0, repo.indexOf('/'));
        RegistryClient client = new RegistryClient(new RegistryClient.ImageRef(registry, repo.substring(repo.indexOf('/') + 1)), plainHttp.contains(registry));
        var manifest = client.manifest(digest != null ? digest : tag);
        if (manifest.isEmpty()) {
            throw DeployError.failed("image " + image + " is not in registry " + registry + " (no manifest for " + (digest != null ? digest : "tag " + tag)
                    + "); push it first (docker push " + repo + ":" + tag + ")");
        }
        return repo + ":" + tag + "@" + manifest.get().digest();
    }

    /** The images say nothing here without pulling them: the release is the one given. */
    @Override
    public String revision(ComposeProject compose, String release) {
        return release;
    }

    // ---- bringing a colour up ---------------------------------------------------------------------------------

    @Override
    public HealthGate gate(Duration timeout, Cancellation cancel) {
        this.gateTimeout = timeout;
        this.cancel = cancel;
        return new HealthGate(docker, timeout, cancel, out);
    }

    @Override
    public NewColour newColour(Colour colour, ComposeProject compose, Map<String, String> labels) {
        return newColour(colour, compose, labels, Set.of());
    }

    /**
     * Singletons (createdOnly) are created with 0 replicas and labelled to run 1: {@link #startAgain} scales them up at
     * the switch, once the old colour's have been scaled to 0 and their tasks have ended ({@link #stop}).
     */
    @Override
    public NewColour newColour(Colour colour, ComposeProject compose, Map<String, String> labels, Set<String> createdOnly) {
        for (String name : createdOnly) {
            ComposeProject.Service s = compose.services().get(name);
            if (s != null && s.swarm().replicas() != null && s.swarm().replicas() != 1) {
                throw DeployError.config(compose.file() + ": service \"" + name + "\" is a singleton (singletons:), which runs one task, but says deploy.replicas: "
                        + s.swarm().replicas() + "; drop deploy.replicas or set it to 1");
            }
        }
        String project = colour.project(app);
        List<String> services = new CopyOnWriteArrayList<>();
        List<String> networks = new CopyOnWriteArrayList<>();
        return new NewColour() {
            @Override
            public void up(HealthGate gate, Cancellation cancel) {
                ensureOverlay(ManagedFront.network(app), Map.of(Labels.APP, app, Labels.ROLE, "front-network"), null);
                ensureOverlay(SwarmServiceSpec.defaultNetwork(project), Map.of(Labels.STACK_NAMESPACE, project, Labels.APP, app), networks);
                for (ComposeProject.Resource n : compose.networks().values()) {
                    if (!n.external()) ensureOverlay(n.name(), Map.of(Labels.STACK_NAMESPACE, project, Labels.APP, app), networks);
                }
                for (ComposeProject.Service s : compose.startOrder()) {
                    cancel.check();
                    String image = pinned.get(s.image());
                    if (image == null) image = pin(s.image(), insecureRegistries());
                    boolean singleton = createdOnly.contains(s.name());
                    SwarmServiceSpec spec = SwarmServiceSpec.of(compose, s, project, labels, image, singleton ? 1 : defaultReplicas, ManagedFront.network(app));
                    if (singleton) spec = spec.withReplicas(0);
                    try {
                        services.add(docker.createServiceCmd(spec.toServiceSpec()).exec().getId());
                    } catch (ConflictException taken) {
                        throw DeployError.failed("a Swarm service named " + spec.name() + " already exists and is not part of this deploy;"
                                + " remove it with: docker service rm " + spec.name());
                    } catch (DockerException e) {
                        throw DeployError.failed(compose.file() + ": service \"" + s.name() + "\": Swarm refused it: " + Text.oneLine(e.getMessage()));
                    }
                    out.println("  created service " + spec.name() + " (" + (singleton ? "a singleton: 0 replicas until the switch"
                            : spec.replicas() + " replica" + (spec.replicas() == 1 ? "" : "s")) + ", " + image + ")");
                    out.flush();
                }
            }

            @Override
            public List<String> ids() {
                return List.copyOf(services);
            }

            @Override
            public void remove() {
                removeServices(services);
                removeNetworks(networks);
            }
        };
    }

    /** An overlay the colours' tasks and the fronts can join (attachable); created is told when this run made it. */
    private void ensureOverlay(String name, Map<String, String> labels, List<String> created) {
        // Created, not listed first and not with the daemon's duplicate check: a removed overlay lingers for a few seconds
        // on a node that ran its tasks, in its list and in that check, while the cluster no longer knows it. The
        // cluster's store itself refuses a second network of one name.
        try {
            String id = docker.createNetworkCmd().withName(name).withDriver("overlay").withAttachable(true).withLabels(labels).exec().getId();
            if (created != null) created.add(id);
        } catch (DockerException e) {
            if (!String.valueOf(e.getMessage()).contains("already exists")) throw e;
        }
    }

    private void removeServices(List<String> ids) {
        for (String id : ids) {
            try {
                docker.removeServiceCmd(id).exec();
            } catch (NotFoundException gone) {
                // removed already
            }
        }
    }

    /** A removed service's tasks leave its overlay within seconds; until then the network is in use. */
    private void removeNetworks(List<String> ids) {
        for (String id : ids) {
            long end = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            while (true) {
                try {
                    docker.removeNetworkCmd(id).exec();
                    break;
                } catch (NotFoundException gone) {
                    break;
                } catch (RuntimeException inUse) {
                    if (System.nanoTime() > end) break; // left behind: an empty overlay costs nothing and the next deploy reuses it
                    sleep(Duration.ofMillis(250));
                }
            }
        }
    }

    // ---- the gate ---------------------------------------------------------------------------------------------

    /**
     * Every task of the colour running on a ready node (Swarm reports a task with a HEALTHCHECK running only once it
     * is healthy), none failed, rejected or pending with a scheduler error past {@link #PENDING_GRACE} (then it fails
     * at once with Swarm's words, the node and the task's last log lines, where Swarm itself would wait forever);
     * then the probe from every front, against every task's address on the overlay, until each answered as often as
     * the probe needs: "running" is not "reachable" (a task on another node answers about half a second later).
     */
    @Override
    public void await(HealthGate gate, ColourState colour, Probes.Settings probe) {
        Instant start = Instant.now();
        Instant deadline = start.plus(gateTimeout);
        Map<String, Instant> pendingSince = new LinkedHashMap<>();
        Map<String, Integer> answered = new LinkedHashMap<>();
        List<String> ids = colour.containers().stream().map(ContainerInfo::id).toList();
        Map<String, ContainerInfo> byId = new LinkedHashMap<>();
        colour.containers().forEach(c -> byId.put(c.id(), c));
        ContainerInfo routed = routed(colour);
        int port = port(routed);
        String waiting = "the tasks to be listed";
        while (true) {
            if (Instant.now().isAfter(deadline)) {
                throw DeployError.failed("health gate: " + colour.colour() + " did not pass within " + gateTimeout.toSeconds() + "s (--health-timeout): waiting for " + waiting);
            }
            cancel.check();
            List<SwarmTasks.Task> tasks = SwarmTasks.of(manager, ids);
            Map<String, SwarmTasks.Node> nodes = SwarmTasks.nodes(manager);
            for (SwarmTasks.Task t : tasks) {
                ContainerInfo s = byId.get(t.serviceId());
                String where = s.name() + "." + t.slot() + (t.nodeId() == null ? "" : " on node " + nodes.getOrDefault(t.nodeId(), new SwarmTasks.Node(t.nodeId(), t.nodeId(), false)).hostname());
                boolean recent = t.since() == null || !t.since().isBefore(start.minusSeconds(2));
                if (t.failed() && recent) failTask(where, t);
                if (t.wanted() && !t.running() && t.err() != null && !t.err().isBlank() && List.of("pending", "assigned", "new").contains(t.state())) {
                    Instant first = pendingSince.computeIfAbsent(t.id(), k -> Instant.now());
                    if (Duration.between(first, Instant.now()).compareTo(PENDING_GRACE) > 0) {
                        throw DeployError.failed("health gate: Swarm cannot place task " + where + ": " + t.said() + " (for " + PENDING_GRACE.toSeconds() + "s)");
                    }
                }
            }
            waiting = notRunning(colour, tasks, nodes);
            if (waiting == null) {
                List<String> addresses = addresses(routed, tasks);
                waiting = probeAll(addresses, port, probe, answered);
                if (waiting == null) {
                    gated.put(colour.colour(), NginxConfig.targetOf(addresses.stream().map(a -> a + ":" + port).toList()));
                    out.println("  every task of " + colour.colour() + " runs and answered from " + (fronts.size() == 1 ? "the front" : "all " + fronts.size() + " fronts")
                            + " over the overlay: " + String.join(", ", addresses));
                    out.flush();
                    return;
                }
            }
            sleep(POLL);
        }
    }

    private void failTask(String where, SwarmTasks.Task t) {
        List<String> log = List.of();
        try {
            log = SwarmTasks.log(manager, "tasks", t.id(), 5);
        } catch (RuntimeException unavailable) {
            // a task rejected before it ran has no log
        }
        for (String l : log) out.println("  | " + l);
        out.flush();
        throw DeployError.failed("health gate: task " + where + " " + t.said() + (log.isEmpty() ? "" : "; its last log line: " + Text.oneLine(log.get(log.size() - 1))));
    }

    /** null when every service has its replicas running on ready nodes; otherwise what is still missing. */
    private String notRunning(ColourState colour, List<SwarmTasks.Task> tasks, Map<String, SwarmTasks.Node> nodes) {
        for (ContainerInfo s : colour.containers()) {
            int want = Integer.parseInt(s.labels().getOrDefault(Labels.REPLICAS, "1"));
            List<SwarmTasks.Task> mine = tasks.stream().filter(t -> t.serviceId().equals(s.id()) && t.wanted()).toList();
            long up = mine.stream().filter(t -> t.running() && t.nodeId() != null && nodes.containsKey(t.nodeId()) && nodes.get(t.nodeId()).ready()).count();
            if (up < want) {
                String states = String.join(", ", mine.stream().filter(t -> !t.running()).map(t -> t.state().equals("starting") ? "starting (HEALTHCHECK not healthy yet)" : t.said()).distinct().toList());
                return s.name() + ": " + up + " of " + want + " tasks running" + (states.isEmpty() ? "" : " (" + states + ")");
            }
        }
        return null;
    }

    /** The service the front sends traffic to: --front-service, else the first that has a port (as on one host). */
    private ContainerInfo routed(ColourState colour) {
        FrontSettings f = fronts.isEmpty() ? null : fronts.get(0).settings();
        String wanted = f == null ? null : f.service();
        for (ContainerInfo c : colour.containers().stream().sorted(Comparator.comparing(ContainerInfo::name)).toList()) {
            if (wanted != null ? wanted.equals(c.service()) : c.unpublishedPort() != null) return c;
        }
        throw DeployError.config(wanted == null ? "no service of " + colour.colour() + " has a port (ports: or expose:); name the one the front sends traffic to with --front-service"
                : "--front-service \"" + wanted + "\" is not a service of " + colour.colour());
    }

    private int port(ContainerInfo routed) {
        FrontSettings f = fronts.isEmpty() ? null : fronts.get(0).settings();
        if (f != null && f.targetPort() != null) return f.targetPort();
        return routed.unpublishedPort() != null ? routed.unpublishedPort() : 80;
    }

    /** The running tasks' addresses on the front's overlay. */
    private List<String> addresses(ContainerInfo routed, List<SwarmTasks.Task> tasks) {
        String net = ManagedFront.network(app);
        return tasks.stream().filter(t -> t.serviceId().equals(routed.id()) && t.wanted() && t.running() && t.addresses().containsKey(net))
                .map(t -> t.addresses().get(net)).sorted().toList();
    }

    /** null once every front got the probe's successes in a row from every address; otherwise the first still waited for. */
    private String probeAll(List<String> addresses, int port, Probes.Settings probe, Map<String, Integer> answered) {
        if (fronts.isEmpty()) throw DeployError.config("a Swarm colour is reached through the managed front: deploy with --front managed");
        int needed = Math.max(1, probe.enabled() ? probe.successes() : 1);
        String path = probe.enabled() ? probe.path() : "/";
        String waiting = null;
        for (int f = 0; f < fronts.size(); f++) {
            for (String a : addresses) {
                String key = f + " " + a;
                if (answered.getOrDefault(key, 0) >= needed) continue;
                String url = "http://" + a + ":" + port + path;
                String failed = fronts.get(f).get(url);
                // without a probe path any HTTP answer proves the task is reachable
                if (failed != null && !probe.enabled() && failed.contains("server returned error")) failed = null;
                if (failed == null) {
                    answered.merge(key, 1, Integer::sum);
                    if (answered.get(key) < needed && waiting == null) waiting = url + " to answer " + needed + " times in a row";
                } else {
                    answered.put(key, 0);
                    if (waiting == null) waiting = url + " to answer from the front (" + failed + ")";
                }
            }
        }
        return waiting;
    }

    // ---- the front ----------------------------------------------------------------------------------------------

    @Override
    public ManagedFront front(DockerClient docker, String app, FrontSettings settings, PrintWriter out) {
        ensureOverlay(ManagedFront.network(app), Map.of(Labels.APP, app, Labels.ROLE, "front-network"), null);
        ManagedFront f = new ManagedFront(docker, app, settings, out).onOverlay();
        fronts.clear();
        fronts.add(f);
        for (DockerHost h : otherFronts) fronts.add(new ManagedFront(h.client(), app, settings, out).onOverlay());
        return f;
    }

    /** The other fronts serve the live colour before anything changes (the first front is Deployment's to check). */
    @Override
    public lib.front.FrontSwitch frontSwitch(ManagedFront front, String liveTarget, PrintWriter out) {
        if (fronts.size() <= 1) return new lib.front.FrontSwitch(front, out);
        List<ManagedFront> others = fronts.subList(1, fronts.size()).stream().toList();
        List<CompletableFuture<Void>> ensured = others.stream()
                .map(o -> CompletableFuture.runAsync(() -> o.ensure(liveTarget), lib.docker.Parallel.POOL)).toList();
        ensured.forEach(lib.docker.Parallel::join);
        return new lib.front.FrontSwitch(front, others, out);
    }

    /** The fronts after the first (fronts: in deploy.yml past its first entry), each on its node's engine. */
    public SwarmColours withFronts(List<DockerHost> others) {
        otherFronts = List.copyOf(others);
        return this;
    }

    /** The addresses of the colour's tasks the gate probed; for the live colour (not gated in this run), its running tasks'. */
    @Override
    public String frontTarget(ManagedFront front, ColourState colour) {
        String g = gated.get(colour.colour());
        if (g != null) return g;
        if (colour.empty()) throw DeployError.failed(colour.colour() + " has no services");
        ContainerInfo routed = routed(colour);
        List<String> addresses = addresses(routed, SwarmTasks.of(manager, List.of(routed.id())));
        if (addresses.isEmpty()) return NginxConfig.NOWHERE;
        int port = port(routed);
        return NginxConfig.targetOf(addresses.stream().map(a -> a + ":" + port).toList());
    }

    /** Every task's address on the front's overlay, to its colour: what the access log's $upstream_addr names. */
    @Override
    public Map<String, String> frontAddresses(ManagedFront front, List<ColourState> colours) {
        Map<String, String> out = new LinkedHashMap<>();
        String net = ManagedFront.network(app);
        for (ColourState c : colours) {
            for (SwarmTasks.Task t : SwarmTasks.of(manager, c.containers().stream().map(ContainerInfo::id).toList())) {
                String a = t.addresses().get(net);
                if (a != null) out.put(a, c.colour().id());
            }
        }
        return out;
    }

    /** Every task joins the front's overlay when it is created: nothing to connect. */
    @Override
    public void joinFront(ManagedFront front, ColourState colour) {}

    // ---- release tasks and singletons ---------------------------------------------------------------------------

    /**
     * A one-shot Swarm service from the colour's service spec (see {@link SwarmTaskRunner}), on the colour's overlays:
     * they are made here when the task runs before the colour (a backup, before: start), and kept for it.
     */
    @Override
    public lib.model.TaskResult runTask(ComposeProject compose, String project, lib.model.TaskSpec task, Map<String, String> labels,
                                        Map<String, String> extraEnv, Cancellation cancel) {
        ComposeProject.Service s = compose.services().get(task.service());
        if (s == null) throw DeployError.config(compose.file() + ": task \"" + task.name() + "\" names service \"" + task.service() + "\", which it does not have");
        ensureOverlay(SwarmServiceSpec.defaultNetwork(project), Map.of(Labels.STACK_NAMESPACE, project, Labels.APP, app), null);
        for (ComposeProject.Resource n : compose.networks().values()) {
            if (!n.external()) ensureOverlay(n.name(), Map.of(Labels.STACK_NAMESPACE, project, Labels.APP, app), null);
        }
        String image = task.image() != null ? task.image() : s.image();
        String pinnedImage = pinned.get(image);
        if (pinnedImage == null) {
            pinnedImage = pin(image, insecureRegistries());
            pinned.put(image, pinnedImage);
        }
        return new SwarmTaskRunner(manager, app, out).run(compose, project, task, labels, extraEnv, pinnedImage, cancel);
    }

    // ---- the rest of a colour's life --------------------------------------------------------------------------

    @Override
    public void startAgain(ColourState colour) {
        for (ContainerInfo s : colour.containers()) scale(s.id(), Integer.parseInt(s.labels().getOrDefault(Labels.REPLICAS, "1")));
    }

    /**
     * Scaled to 0, and returns once their tasks' containers have exited (each within its stop_grace_period, then
     * killed by Swarm): a singleton's successor must not start while it still runs, as on a host.
     */
    @Override
    public List<String> stop(ColourState colour) {
        for (ContainerInfo s : colour.containers()) scale(s.id(), 0);
        long graceSeconds = colour.containers().stream().mapToLong(c -> {
            try {
                return Long.parseLong(c.labels().getOrDefault(Labels.STOP_GRACE, "10"));
            } catch (NumberFormatException e) {
                return 10;
            }
        }).max().orElse(0);
        // past its grace Swarm kills it; the margin covers the manager hearing of the exit from the node
        long end = System.nanoTime() + Duration.ofSeconds(graceSeconds + 15).toNanos();
        List<String> ids = colour.containers().stream().map(ContainerInfo::id).toList();
        List<String> notes = new ArrayList<>();
        while (true) {
            List<SwarmTasks.Task> active = SwarmTasks.of(manager, ids).stream().filter(SwarmTasks.Task::active).toList();
            if (active.isEmpty()) return notes;
            if (System.nanoTime() > end) {
                notes.add(colour.colour() + ": " + active.size() + " task(s) still " + active.get(0).state() + " " + (graceSeconds + 15)
                        + " s after being scaled to 0 (their nodes may be unreachable)");
                return notes;
            }
            sleep(POLL);
        }
    }

    private void scale(String serviceId, int replicas) {
        try {
            Service s = docker.inspectServiceCmd(serviceId).exec();
            var spec = s.getSpec();
            spec.getMode().getReplicated().withReplicas(replicas);
            docker.updateServiceCmd(serviceId, spec).withVersion(s.getVersion().getIndex()).exec();
            out.println("  scaled " + spec.getName() + " to " + replicas);
            out.flush();
        } catch (NotFoundException gone) {
            // removed meanwhile
        }
    }

    /**
     * The release before last in the idle colour, whose names the new services need: a Swarm service cannot be
     * renamed, so it is removed now (it is unrouted; the live colour stays the rollback target).
     */
    @Override
    public CompletableFuture<Void> setAside(ColourState colour, boolean unrouted) {
        out.println("  removing " + colour.colour() + "'s services (a Swarm service cannot be renamed aside; the live colour stays the rollback target)");
        removeServices(colour.containers().stream().map(ContainerInfo::id).toList());
        awaitGone(colour);
        return CompletableFuture.completedFuture(null);
    }

    /** Services removed, their names are free at once; their tasks leave the overlay within seconds, off our path. */
    private void awaitGone(ColourState colour) {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < end && colour.containers().stream().anyMatch(c -> {
            try {
                docker.inspectServiceCmd(c.id()).exec();
                return true;
            } catch (NotFoundException gone) {
                return false;
            }
        })) sleep(Duration.ofMillis(100));
    }

    @Override
    public void restore(List<String> ids) {
        // nothing was renamed aside on a Swarm (see setAside)
    }

    @Override
    public void remove(List<String> ids) {
        removeServices(ids);
    }

    @Override
    public List<String> retire(ColourState colour, boolean remove, boolean killIgnoring) {
        if (!remove) return stop(colour);
        removeServices(colour.containers().stream().map(ContainerInfo::id).toList());
        out.println("  removed " + colour.colour() + "'s services");
        List<String> nets = docker.listNetworksCmd().withFilter("label", List.of(Labels.STACK_NAMESPACE + "=" + colour.colour().project(app))).exec()
                .stream().map(com.github.dockerjava.api.model.Network::getId).toList();
        CompletableFuture.runAsync(() -> removeNetworks(nets), lib.docker.Parallel.POOL);
        return List.of();
    }

    /** Swarm applies the restart policy from the start: a task restarts on any node, not with a host. */
    @Override
    public void allowRestarts(ColourState colour) {}

    @Override
    public void holdRestarts(ColourState colour) {}

    @Override
    public List<String> stopSignalNotes(ColourState colour) {
        return List.of();
    }

    @Override
    public List<String> lastLog(String memberId, int lines) {
        return SwarmTasks.log(manager, "services", memberId, lines);
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DeployError(lib.base.ExitCode.INTERRUPTED, "interrupted");
        }
    }
}
