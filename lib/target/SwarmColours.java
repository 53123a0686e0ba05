package lib.target;

import lib.base.Cancellation;
import lib.base.DeployError;
import lib.base.Labels;
import lib.base.Text;
import lib.compose.ComposeProject;
import lib.docker.DockerHost;
import lib.docker.ImagePuller;
import lib.docker.SwarmManagers;
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
import com.fasterxml.jackson.databind.JsonNode;
import lib.host.SwarmState;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * {@link Colours} as Swarm services: each colour a stack {@code <app>-<colour>} of services (see
 * {@link SwarmServiceSpec}) on its own overlay, every task also on the app's attachable overlay, where the managed
 * front reaches it by address. Swarm places and restarts tasks; this class decides when a colour is ready (the gate
 * reads every task and probes each from the front, see {@link #await}) and what the front's upstream lists (the
 * addresses of tasks that passed the gate). The record, history and lock are {@link lib.host.SwarmState}'s, in the
 * cluster's store.
 * <p>
 * Every call goes to the manager answering now ({@link SwarmManagers}, the same the store uses): one lost mid-call is
 * passed over and the call made once more through the next, with a note on err. So each call here is safe to repeat:
 * a service create whose answer was lost finds its service on the retry and adopts it, a remove of what is gone
 * already is done, a scale reads the service again before it writes.
 */
public final class SwarmColours implements Colours {
    /** How long a task may stay pending with a scheduler error before the gate fails with Swarm's reason. */
    static final Duration PENDING_GRACE = Duration.ofSeconds(3);
    static final Duration POLL = Duration.ofMillis(100);

    private final SwarmManagers managers;
    private final PrintWriter err;
    private final lib.host.AppState store;
    private final String app;
    private final int defaultReplicas;
    private final PrintWriter out;
    /** Each image as the registry pins it, resolved by pull(): what every node runs. */
    private final Map<String, String> pinned = new ConcurrentHashMap<>();
    /** The address:port of every task the gate probed, by colour: the upstream lists exactly these, the smoke checks ask them. */
    private final Map<Colour, List<String>> gatedTargets = new ConcurrentHashMap<>();
    private final List<ManagedFront> fronts = new CopyOnWriteArrayList<>();
    private List<DockerHost> otherFronts = List.of();
    private String firstFrontName = "the front";
    /** The app's front overlay when this run created it (a first deploy): a failed first deploy removes it again. */
    private final List<String> createdFrontOverlay = new CopyOnWriteArrayList<>();
    /** Images a rollback deploys as the history recorded them (repo:tag to repo:tag@sha256:...), not as the tag says now. */
    private final Map<String, String> recorded = new ConcurrentHashMap<>();
    /** A set-aside service recreated by restore() gets a new id: the old one, as the run's states hold it, to the new. */
    private final Map<String, String> recreated = new ConcurrentHashMap<>();
    /**
     * Overlays this run attaches services to: retire's removal in the background (a colour's networks once its services
     * are gone) leaves these alone, or a deploy that makes room in a colour and starts it again could see the overlay it
     * is about to use removed between its check and the service create ("network ... not found").
     */
    private final Set<String> overlaysInUse = ConcurrentHashMap.newKeySet();
    private final Object overlayLock = new Object();
    private Duration gateTimeout = Duration.ofSeconds(60);
    private Cancellation cancel = Cancellation.none();

    /**
     * @param defaultReplicas the environment's replicas: a service without deploy.replicas runs this many tasks
     * @param err             where a manager passed over is noted
     */
    public SwarmColours(SwarmManagers managers, lib.host.AppState store, String app, int defaultReplicas, PrintWriter out, PrintWriter err) {
        this.managers = managers;
        this.store = store;
        this.app = app;
        this.defaultReplicas = defaultReplicas;
        this.out = out;
        this.err = err;
    }

    /** One call through the manager answering now, repeated once through the next when it is lost. */
    private <T> T call(String what, Function<DockerHost, T> op) {
        return managers.call(what, err, op);
    }

    private <T> T docker(String what, Function<DockerClient, T> op) {
        return call(what, m -> op.apply(m.client()));
    }

    private List<SwarmTasks.Task> tasks(Collection<String> serviceIds) {
        return call("reading the tasks of " + app, m -> SwarmTasks.of(m, serviceIds));
    }

    private Map<String, SwarmTasks.Node> nodes() {
        return call("reading the Swarm's nodes", SwarmTasks::nodes);
    }

    // ---- reading ----------------------------------------------------------------------------------------------

    @Override
    public HostState read() {
        List<Service> services = docker("listing the services of " + app, d -> d.listServicesCmd().withLabelFilter(Map.of(Labels.APP, app)).exec());
        var record = store.readRecord();
        List<ContainerInfo> blue = new ArrayList<>();
        List<ContainerInfo> green = new ArrayList<>();
        for (ContainerInfo m : members(services)) {
            String c = m.labels().get(Labels.COLOUR);
            if (Colour.BLUE.id().equals(c)) blue.add(m);
            else if (Colour.GREEN.id().equals(c)) green.add(m);
        }
        // A kept spec whose service still exists was never removed (a set-aside cut short): that service is where it
        // belongs, and listing it as set aside would let a recovery remove it by its id.
        Set<String> existing = new java.util.HashSet<>(services.stream().map(Service::getId).toList());
        List<ContainerInfo> aside = new ArrayList<>();
        for (Aside a : asides()) aside.addAll(a.members().stream().filter(m -> !existing.contains(m.id())).toList());
        return new HostState(app, new ColourState(Colour.BLUE, blue), new ColourState(Colour.GREEN, green), record.record(),
                Optional.empty(), aside, record.problem());
    }

    @Override
    public ColourState reread(Colour colour, List<String> ids) {
        List<Service> services = new ArrayList<>();
        for (String id : ids) {
            Service s = inspect(now(id));
            if (s != null) services.add(s);
        }
        return new ColourState(colour, members(services));
    }

    /**
     * One member per service, as the steps count them: running while any of its tasks runs, "exited" when scaled to
     * 0, "restarting" while one is being placed, pulled or started, "created" while none runs yet. The gate looks at every task itself.
     */
    private List<ContainerInfo> members(List<Service> services) {
        List<SwarmTasks.Task> tasks = tasks(services.stream().map(Service::getId).toList());
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
        Map<String, SwarmTasks.Node> nodes = nodes();
        String net = ManagedFront.network(app);
        Optional<Colour> live = state.live();
        for (Colour c : Colour.values()) {
            ColourState cs = state.of(c);
            if (cs.empty()) continue;
            lines.add(c + (live.equals(Optional.of(c)) ? " (live)" : "") + ": release " + Text.printable(cs.release()) + " (stack " + c.project(app) + ")");
            List<SwarmTasks.Task> tasks = tasks(cs.containers().stream().map(ContainerInfo::id).toList());
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
        for (ContainerInfo a : state.aside()) {
            lines.add("set aside: " + HostState.ownName(a.name()) + " (" + Text.printable(a.labels().getOrDefault(Labels.RELEASE, "?"))
                    + "), its spec kept in a Swarm config by a deploy that did not finish; the next deploy or rollback restores or removes it");
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
            String given = recorded.getOrDefault(image, image);
            pinned.put(image, pin(given, plainHttp));
            if (!given.equals(image)) {
                out.println("  " + image + ": the digest the history recorded for this release, " + given.substring(given.indexOf('@') + 1)
                        + " (whatever the tag names now)");
                out.flush();
            }
        }
    }

    /**
     * A rollback's release as it ran: each recorded image (repo:tag@sha256:...) is deployed by its digest instead of
     * what its tag names now, which anyone may have pushed over since.
     */
    @Override
    public void useRecordedImages(Map<String, String> byService) {
        for (String image : byService.values()) {
            int at = image.indexOf('@');
            if (at > 0) recorded.put(image.substring(0, at), image);
        }
    }

    /** The registries the manager's engine pulls from over plain HTTP (--insecure-registry): so do we. */
    private Set<String> insecureRegistries() {
        var config = docker("reading docker info", d -> d.infoCmd().exec()).getRegistryConfig();
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
        // Its container checks are for one host; await is the Swarm's gate, and goes through the managers.
        return new HealthGate(managers.host() == null ? null : managers.host().client(), timeout, cancel, out);
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
                ensureColourOverlays(compose, project, networks);
                for (ComposeProject.Service s : compose.startOrder()) {
                    cancel.check();
                    String image = pinned(s.image());
                    boolean singleton = createdOnly.contains(s.name());
                    SwarmServiceSpec spec = SwarmServiceSpec.of(compose, s, project, labels, image, singleton ? 1 : defaultReplicas, ManagedFront.network(app));
                    if (singleton) spec = spec.withReplicas(0);
                    try {
                        services.add(create(spec));
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

    /**
     * The service created, its id. On the try repeated through the next manager a service of its name with exactly
     * this run's labels (release, colour and the run's start to the microsecond) is the first try's, landed with
     * its answer lost: adopted, not a conflict. Any other service of the name is someone else's.
     */
    private String create(SwarmServiceSpec spec) {
        AtomicInteger tries = new AtomicInteger();
        return docker("creating service " + spec.name(), d -> {
            boolean repeated = tries.incrementAndGet() > 1;
            try {
                return d.createServiceCmd(spec.toServiceSpec()).exec().getId();
            } catch (ConflictException taken) {
                Service there = repeated ? inspectOn(d, spec.name()) : null;
                if (there != null && spec.labels().equals(there.getSpec().getLabels())) {
                    out.println("  service " + spec.name() + " was created before the manager was lost: it is this run's");
                    return there.getId();
                }
                throw DeployError.failed("a Swarm service named " + spec.name() + " already exists and is not part of this deploy;"
                        + " remove it with: docker service rm " + spec.name());
            }
        });
    }

    /** The service, null when it is not there. */
    private Service inspect(String idOrName) {
        return docker("inspecting service " + idOrName, d -> inspectOn(d, idOrName));
    }

    private static Service inspectOn(DockerClient d, String idOrName) {
        try {
            return d.inspectServiceCmd(idOrName).exec();
        } catch (NotFoundException gone) {
            return null;
        }
    }

    /** A colour's own overlays: its project's default network and the Compose file's networks that are not external. */
    private void ensureColourOverlays(ComposeProject compose, String project, List<String> created) {
        ensureOverlay(SwarmServiceSpec.defaultNetwork(project), Map.of(Labels.STACK_NAMESPACE, project, Labels.APP, app), created);
        for (ComposeProject.Resource n : compose.networks().values()) {
            if (!n.external()) ensureOverlay(n.name(), Map.of(Labels.STACK_NAMESPACE, project, Labels.APP, app), created);
        }
    }

    /** The image as pull() pinned it, else looked up and pinned now (a task's own image, a run that pulled nothing). */
    private String pinned(String image) {
        String p = pinned.get(image);
        if (p == null) {
            p = pin(image, insecureRegistries());
            pinned.put(image, p);
        }
        return p;
    }

    /** An overlay the colours' tasks and the fronts can join (attachable); created is told when this run made it. */
    private void ensureOverlay(String name, Map<String, String> labels, List<String> created) {
        // Created, not listed first and not with the daemon's duplicate check: a removed overlay lingers for a few seconds
        // on a node that ran its tasks, in its list and in that check, while the cluster no longer knows it. The
        // cluster's store itself refuses a second network of one name.
        // On a try repeated through the next manager "already exists" may be the first try's: the overlay is then not
        // removed with a failed colour, and the next deploy reuses it.
        // "Already exists" can also come from the node's own list while the cluster has dropped that name (an
        // overlay removed a moment ago, by the previous run's undo or make-room): a service then cannot attach to
        // it ("network ... not found"). Only a name the cluster itself knows counts; a lingering one is waited out.
        synchronized (overlayLock) {
            overlaysInUse.add(name);
        }
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            String id = docker("creating network " + name, d -> {
                try {
                    return d.createNetworkCmd().withName(name).withDriver("overlay").withAttachable(true).withLabels(labels).exec().getId();
                } catch (DockerException e) {
                    if (!String.valueOf(e.getMessage()).contains("already exists")) throw e;
                    return null;
                }
            });
            if (id != null) {
                if (created != null) created.add(id);
                return;
            }
            String path = "/networks/" + java.net.URLEncoder.encode(name, java.nio.charset.StandardCharsets.UTF_8) + "?scope=swarm";
            if (call("reading network " + name, m -> m.getJson(path)) != null) return;
            if (System.nanoTime() > end) {
                throw DeployError.failed("the overlay network " + name + " is still being removed on the manager's node after 20 s, so it can be neither"
                        + " created nor used; run again in a minute, or remove it with: docker network rm " + name);
            }
            sleep(Duration.ofMillis(250));
        }
    }

    private void removeServices(List<String> ids) {
        for (String id : ids) {
            String current = now(id);
            docker("removing service " + current, d -> {
                try {
                    d.removeServiceCmd(current).exec();
                } catch (NotFoundException gone) {
                    // removed already (perhaps by the first try, through a manager lost before it answered)
                }
                return null;
            });
        }
    }

    /** A removed service's tasks leave its overlay within seconds; until then the network is in use. */
    private void removeNetworks(List<String> ids) {
        removeNetworks(ids, id -> false);
    }

    /** The same, giving up on a network as soon as {@code wanted} says this run uses it after all (checked under {@link #overlayLock}). */
    private void removeNetworks(List<String> ids, java.util.function.Predicate<String> wanted) {
        for (String id : ids) {
            // A removed service's tasks leave the overlay once their containers stopped: up to their stop grace
            // period (10 s by default) for an app that ignores SIGTERM, more on a busy node.
            long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (true) {
                try {
                    synchronized (overlayLock) {
                        if (wanted.test(id)) break;
                        docker("removing network " + id, d -> d.removeNetworkCmd(id).exec());
                    }
                    break;
                } catch (NotFoundException gone) {
                    break;
                } catch (RuntimeException inUse) {
                    if (SwarmManagers.lost(inUse)) throw inUse; // no manager left: waiting for the tasks to leave cannot help
                    if (System.nanoTime() > end) {
                        // an empty overlay costs nothing and the next deploy reuses it
                        out.println("  network " + id + " is still in use 30 s after its services were removed: left for the next deploy to reuse ("
                                + DockerHost.rootMessage(inUse) + ")");
                        out.flush();
                        break;
                    }
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
            int failoversBefore = managers.failovers();
            Instant asked = Instant.now();
            List<SwarmTasks.Task> tasks = tasks(ids);
            Map<String, SwarmTasks.Node> nodes = nodes();
            // The wait for a lost manager (up to the Docker call bound) is not the colour's: --health-timeout is for the tasks.
            if (managers.failovers() != failoversBefore) deadline = deadline.plus(Duration.between(asked, Instant.now()));
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
                List<String> addresses = addresses(routed, tasks, nodes);
                waiting = probeAll(addresses, port, probe, answered);
                if (waiting == null) {
                    List<String> targets = addresses.stream().map(a -> a + ":" + port).toList();
                    gatedTargets.put(colour.colour(), targets);
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
            log = call("reading the log of task " + t.id(), m -> SwarmTasks.log(m, "tasks", t.id(), 5));
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

    /**
     * The running tasks' addresses on the front's overlay, on ready nodes only: a task on a node that is down stays
     * "running" in the manager's list until Swarm replaces it, and its address no longer answers.
     */
    private List<String> addresses(ContainerInfo routed, List<SwarmTasks.Task> tasks, Map<String, SwarmTasks.Node> nodes) {
        String net = ManagedFront.network(app);
        return tasks.stream().filter(t -> t.serviceId().equals(now(routed.id())) && t.wanted() && t.running() && t.addresses().containsKey(net))
                .filter(t -> t.nodeId() != null && nodes.containsKey(t.nodeId()) && nodes.get(t.nodeId()).ready())
                .map(t -> t.addresses().get(net)).sorted().toList();
    }

    /** null once every front got the probe's successes in a row from every address; otherwise the first still waited for. */
    private String probeAll(List<String> addresses, int port, Probes.Settings probe, Map<String, Integer> answered) {
        if (fronts.isEmpty()) throw DeployError.config("a Swarm colour is reached through the managed front: deploy with --front managed");
        int needed = Math.max(1, probe.enabled() ? probe.successes() : 1);
        String path = probe.enabled() ? probe.path() : "/";
        // Every GET still needed this round at once: each is an exec in a front, a round trip to its engine that
        // waits on the network, and 8 tasks probed one after another from two fronts made the gate the deploy's
        // longest step.
        record Probe(String key, String url, java.util.concurrent.CompletableFuture<String> failed) {}
        List<Probe> round = new ArrayList<>();
        for (int f = 0; f < fronts.size(); f++) {
            ManagedFront front = fronts.get(f);
            for (String a : addresses) {
                String key = f + " " + a;
                if (answered.getOrDefault(key, 0) >= needed) continue;
                String url = "http://" + a + ":" + port + path;
                round.add(new Probe(key, url, java.util.concurrent.CompletableFuture.supplyAsync(() -> front.get(url), lib.docker.Parallel.POOL)));
            }
        }
        String waiting = null;
        for (Probe p : round) {
            String failed;
            try {
                failed = p.failed().join();
            } catch (java.util.concurrent.CompletionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : e;
            }
            // without a probe path any HTTP answer proves the task is reachable
            if (failed != null && !probe.enabled() && failed.contains("server returned error")) failed = null;
            if (failed == null) {
                answered.merge(p.key(), 1, Integer::sum);
                if (answered.get(p.key()) < needed && waiting == null) waiting = p.url() + " to answer " + needed + " times in a row";
            } else {
                answered.put(p.key(), 0);
                if (waiting == null) waiting = p.url() + " to answer from the front (" + failed + ")";
            }
        }
        return waiting;
    }

    // ---- the front ----------------------------------------------------------------------------------------------

    @Override
    public ManagedFront front(DockerClient docker, String app, FrontSettings settings, PrintWriter out) {
        ensureOverlay(ManagedFront.network(app), Map.of(Labels.APP, app, Labels.ROLE, "front-network"), createdFrontOverlay);
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

    /**
     * The fronts after the first (fronts: in deploy.yml past its first entry), each on its node's engine.
     *
     * @param first how the first front's node is described (its engine's address), for the smoke checks' failures
     */
    public SwarmColours withFronts(String first, List<DockerHost> others) {
        firstFrontName = "the front on " + first;
        otherFronts = List.copyOf(others);
        return this;
    }

    @Override
    public List<ManagedFront> allFronts(ManagedFront front) {
        return fronts.isEmpty() ? List.of(front) : List.copyOf(fronts);
    }

    /** A failed first deploy takes back every front it created, on every node, and the front overlay if it made it. */
    @Override
    public void removeCreatedFronts(ManagedFront front) {
        List<ManagedFront> all = allFronts(front);
        all.stream().map(f -> CompletableFuture.runAsync(f::removeCreated, lib.docker.Parallel.POOL)).toList().forEach(lib.docker.Parallel::join);
        // After the colour's services (their undo ran first): their tasks leave the overlay within seconds.
        removeNetworks(createdFrontOverlay);
    }

    /**
     * The smoke checks from every front against every task the gate probed (the address the upstream will list),
     * over the overlay: the real path traffic takes.
     */
    @Override
    public lib.health.LiveCheck smokeChecks(Probes.Settings probe, List<lib.model.SmokeCheck> checks, ColourState colour, DockerHost host, PrintWriter out) {
        if (fronts.isEmpty()) throw DeployError.config("a Swarm colour is reached through the managed front: deploy with --front managed");
        List<String> targets = gatedTargets.get(colour.colour());
        if (targets == null) {
            ContainerInfo routed = routed(colour);
            int port = port(routed);
            targets = addresses(routed, tasks(List.of(routed.id())), nodes()).stream().map(a -> a + ":" + port).toList();
        }
        List<lib.health.FrontChecks.Front> named = new ArrayList<>();
        for (int i = 0; i < fronts.size(); i++) {
            named.add(new lib.health.FrontChecks.Front(i == 0 ? firstFrontName : "the front on " + otherFronts.get(i - 1).describe(), fronts.get(i)));
        }
        out.println("  smoke checks run from " + (fronts.size() == 1 ? "the front" : "all " + fronts.size() + " fronts") + " against every task of "
                + colour.colour() + " over the overlay (" + String.join(", ", targets) + "), with busybox wget");
        out.flush();
        return new lib.health.FrontChecks(checks, named, targets);
    }

    /** The addresses of the colour's tasks the gate probed; for the live colour (not gated in this run), its running tasks'. */
    @Override
    public String frontTarget(ManagedFront front, ColourState colour) {
        List<String> g = gatedTargets.get(colour.colour());
        if (g != null) return NginxConfig.targetOf(g);
        if (colour.empty()) throw DeployError.failed(colour.colour() + " has no services");
        ContainerInfo routed = routed(colour);
        List<String> addresses = addresses(routed, tasks(List.of(now(routed.id()))), nodes());
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
            for (SwarmTasks.Task t : tasks(c.containers().stream().map(ContainerInfo::id).toList())) {
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
        ensureColourOverlays(compose, project, null);
        String pinnedImage = pinned(task.image() != null ? task.image() : s.image());
        // A task is one service create, a wait and its logs; a manager lost meanwhile fails the task (undone as any failure).
        return new SwarmTaskRunner(managers.host(), app, out).run(compose, s, project, task, labels, extraEnv, pinnedImage, cancel);
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
        long graceSeconds = colour.containers().stream().mapToInt(ContainerInfo::graceSeconds).max().orElse(0);
        // past its grace Swarm kills it; the margin covers the manager hearing of the exit from the node
        long end = System.nanoTime() + Duration.ofSeconds(graceSeconds + 15).toNanos();
        List<String> ids = colour.containers().stream().map(ContainerInfo::id).toList();
        List<String> notes = new ArrayList<>();
        while (true) {
            List<SwarmTasks.Task> active = tasks(ids).stream().filter(SwarmTasks.Task::active).toList();
            if (active.isEmpty()) return notes;
            if (System.nanoTime() > end) {
                notes.add(colour.colour() + ": " + active.size() + " task(s) still " + active.get(0).state() + " " + (graceSeconds + 15)
                        + " s after being scaled to 0 (their nodes may be unreachable)");
                return notes;
            }
            sleep(POLL);
        }
    }

    /** Read and written in one call: repeated, it reads the version the first try may have written, and sets the same count. */
    private void scale(String given, int replicas) {
        String serviceId = now(given);
        String name = docker("scaling service " + serviceId, d -> {
            Service s = inspectOn(d, serviceId);
            if (s == null) return null; // removed meanwhile
            var spec = s.getSpec();
            spec.getMode().getReplicated().withReplicas(replicas);
            d.updateServiceCmd(serviceId, spec).withVersion(s.getVersion().getIndex()).exec();
            return spec.getName();
        });
        if (name == null) return;
        out.println("  scaled " + name + " to " + replicas);
        out.flush();
    }

    /**
     * The release before last in the idle colour, whose names the new services need. A Swarm service cannot be
     * renamed aside as a container can, so each is removed, but only after its full spec (as the engine holds it,
     * the image pinned by digest, its networks by name) is kept in a Swarm config {@code <app>-bgdeploy-aside-...}:
     * a failed deploy recreates the services from it ({@link #restore}), so the user keeps the warm standby, and
     * because the config is in the cluster's store, a run killed after this is put right by the next one (its read
     * lists the kept services as set aside, and {@code Recovery} restores or removes them as on a host). The
     * services' tasks and addresses are new after a restore; nothing routes to the idle colour, so nothing notices.
     * Keeping the specs is simpler than scaling to 0 under other names (impossible) or deploying under a second
     * stack name (every name, network and front target would change with it).
     */
    @Override
    public CompletableFuture<Void> setAside(ColourState colour, boolean unrouted) {
        // Kept specs of a set-aside cut short before it removed anything: every service is still there, nothing to keep.
        for (Aside a : asides()) {
            if (a.colour() == colour.colour() && a.services().stream().allMatch(k -> exists(k.id()))) removeConfig(a.id());
        }
        com.fasterxml.jackson.databind.node.ArrayNode services = JSON.createArrayNode();
        for (ContainerInfo c : colour.containers()) {
            JsonNode inspected = call("reading service " + c.name(), m -> m.getJson("/services/" + now(c.id())));
            if (inspected == null || inspected.path("Spec").isMissingNode()) continue; // removed meanwhile
            com.fasterxml.jackson.databind.node.ObjectNode spec = (com.fasterxml.jackson.databind.node.ObjectNode) inspected.path("Spec").deepCopy();
            // By name: the colour's overlay may be removed and made again before a restore, under a new id.
            for (JsonNode n : spec.path("TaskTemplate").path("Networks")) {
                JsonNode net = call("reading network " + n.path("Target").asText(), m -> m.getJson("/networks/" + n.path("Target").asText()));
                if (net != null && net.path("Name").isTextual()) ((com.fasterxml.jackson.databind.node.ObjectNode) n).put("Target", net.path("Name").asText());
            }
            services.addObject().put("id", c.id()).put("name", c.name()).put("running", c.running()).set("spec", spec);
        }
        String name = SwarmState.asideName(app, colour.colour(), Long.toString(System.currentTimeMillis(), 36));
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(Labels.APP, app);
        labels.put(Labels.ROLE, SwarmState.ASIDE_ROLE);
        labels.put(Labels.COLOUR, colour.colour().id());
        byte[] data = JSON.createObjectNode().put("colour", colour.colour().id()).set("services", services).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        docker("keeping the specs of " + colour.colour() + "'s services", d -> {
            try {
                return d.createConfigCmd().withName(name).withLabels(labels).withData(data).exec();
            } catch (ConflictException landed) {
                return null; // this run's own create, whose answer was lost with a manager: the name holds this run's time
            }
        });
        removeServices(colour.containers().stream().map(ContainerInfo::id).toList());
        awaitGone(colour);
        out.println("  " + colour.colour() + "'s services removed, their specs kept in Swarm config " + name
                + " (a Swarm service cannot be renamed aside): a failed deploy recreates them");
        out.flush();
        return CompletableFuture.completedFuture(null);
    }

    /** Services removed, their names are free at once; their tasks leave the overlay within seconds, off our path. */
    private void awaitGone(ColourState colour) {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < end && colour.containers().stream().anyMatch(c -> inspect(now(c.id())) != null)) sleep(Duration.ofMillis(100));
    }

    /** Recreates set-aside services (by their old ids) from their kept specs; each config goes once all of it is back. */
    @Override
    public void restore(List<String> ids) {
        for (Aside a : asides()) {
            boolean all = true;
            for (Aside.Kept k : a.services()) {
                if (!ids.contains(k.id())) {
                    all = false;
                    continue;
                }
                if (exists(k.id())) continue; // a set-aside cut short before it removed this one
                for (JsonNode n : k.spec().path("TaskTemplate").path("Networks")) {
                    String net = n.path("Target").asText();
                    // ensureOverlay keeps a network the cluster knows as it is, so a listing first adds nothing
                    ensureOverlay(net, net.equals(ManagedFront.network(app)) ? Map.of(Labels.APP, app, Labels.ROLE, "front-network")
                            : Map.of(Labels.STACK_NAMESPACE, a.colour().project(app), Labels.APP, app), null);
                }
                com.github.dockerjava.api.model.ServiceSpec spec;
                try {
                    spec = JSON.treeToValue(k.spec(), com.github.dockerjava.api.model.ServiceSpec.class);
                } catch (java.io.IOException e) {
                    throw DeployError.failed("the kept spec of " + k.name() + " in Swarm config " + a.name() + " cannot be read: " + Text.oneLine(e.getMessage()));
                }
                try {
                    String id = docker("restoring service " + k.name(), d -> d.createServiceCmd(spec).exec()).getId();
                    recreated.put(k.id(), id);
                    out.println("  restored service " + k.name() + " from its kept spec (" + spec.getTaskTemplate().getContainerSpec().getImage() + ")");
                } catch (ConflictException taken) {
                    throw DeployError.failed("cannot restore service " + k.name() + ": a service of that name exists; its spec stays in Swarm config " + a.name());
                }
            }
            out.flush();
            if (all) removeConfig(a.id());
        }
    }

    @Override
    public void remove(List<String> ids) {
        removeServices(ids);
        // set-aside services among them are given up: their kept specs go with them
        for (Aside a : asides()) {
            if (a.services().stream().anyMatch(k -> ids.contains(k.id()))) removeConfig(a.id());
        }
    }

    private boolean exists(String id) {
        return inspect(now(id)) != null;
    }

    private void removeConfig(String id) {
        docker("removing Swarm config " + id, d -> {
            try {
                d.removeConfigCmd(id).exec();
            } catch (NotFoundException gone) {
                // removed by another run, or by this one's first try through a manager since lost
            }
            return null;
        });
    }

    /** A service's id as it is now: a restored one has a new id. */
    private String now(String id) {
        return recreated.getOrDefault(id, id);
    }

    static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper()
            .configure(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** One set-aside: the config that keeps the specs, the colour, and each service kept (its id when removed). */
    record Aside(String id, String name, Colour colour, List<Kept> services) {
        record Kept(String id, String name, boolean running, JsonNode spec) {}

        /** The kept services as the engine's read lists set-aside members: under their names plus HostState.ASIDE. */
        List<ContainerInfo> members() {
            List<ContainerInfo> out = new ArrayList<>();
            for (Kept k : services) {
                Map<String, String> labels = new LinkedHashMap<>();
                k.spec().path("Labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
                String image = k.spec().path("TaskTemplate").path("ContainerSpec").path("Image").asText(null);
                out.add(new ContainerInfo(k.id(), k.name() + HostState.ASIDE, labels.getOrDefault(Labels.COMPOSE_SERVICE, k.name()), image, null,
                        k.running() ? "running" : "exited", null, null, null, null, labels));
            }
            return out;
        }

        static Aside of(SwarmState.Stored c) {
            try {
                JsonNode d = JSON.readTree(c.data());
                Colour colour = Colour.valueOf(d.path("colour").asText().toUpperCase(java.util.Locale.ROOT));
                List<Kept> kept = new ArrayList<>();
                for (JsonNode k : d.path("services")) kept.add(new Kept(k.path("id").asText(), k.path("name").asText(), k.path("running").asBoolean(), k.path("spec")));
                return new Aside(c.id(), c.name(), colour, kept);
            } catch (java.io.IOException | IllegalArgumentException unreadable) {
                return null;
            }
        }
    }

    /** The app's set-aside configs, oldest first; one that cannot be read is left alone (and in docker config ls). */
    private List<Aside> asides() {
        JsonNode list = call("listing the set-aside specs of " + app, m -> m.getJson(SwarmState.configsPath(app, SwarmState.ASIDE_ROLE)));
        List<Aside> out = new ArrayList<>();
        for (SwarmState.Stored c : SwarmState.configs(list, app, SwarmState.ASIDE_ROLE)) {
            Aside a = Aside.of(c);
            if (a != null) out.add(a);
        }
        return out;
    }

    @Override
    public List<String> retire(ColourState colour, boolean remove, boolean killIgnoring) {
        if (!remove) return stop(colour);
        removeServices(colour.containers().stream().map(ContainerInfo::id).toList());
        out.println("  removed " + colour.colour() + "'s services");
        Map<String, String> nets = new LinkedHashMap<>();
        docker("listing the networks of " + colour.colour(),
                d -> d.listNetworksCmd().withFilter("label", List.of(Labels.STACK_NAMESPACE + "=" + colour.colour().project(app))).exec())
                .forEach(n -> nets.put(n.getId(), n.getName()));
        CompletableFuture.runAsync(() -> removeNetworks(List.copyOf(nets.keySet()), id -> overlaysInUse.contains(nets.get(id))), lib.docker.Parallel.POOL);
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
        return call("reading the log of service " + memberId, m -> SwarmTasks.log(m, "services", memberId, lines));
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
