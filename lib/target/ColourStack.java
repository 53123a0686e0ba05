package lib.target;

import lib.model.HostState;
import lib.host.HostReader;
import lib.host.StopSignals;
import lib.base.Labels;
import lib.model.ContainerInfo;
import lib.model.ColourState;
import lib.base.Style;
import lib.base.Cancellation;
import lib.base.DeployError;
import lib.compose.ComposeProject;
import lib.compose.ComposeProject.Resource;
import lib.compose.ComposeProject.Service;
import lib.compose.ContainerSpec;
import lib.docker.Bounded;
import lib.docker.Parallel;
import lib.health.HealthGate;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.ContainerNetwork;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Brings one colour's Compose project up through the Docker API, the way {@code docker-compose -p <app>-<colour> up -d}
 * would (same project, service and network labels), and takes colours down gracefully. It remembers what it
 * created so a failed or interrupted deploy removes exactly that and nothing else.
 */
public final class ColourStack {
    private final DockerClient docker;
    private final ComposeProject compose;
    private final String project;
    private final Map<String, String> ourLabels;
    private final PrintWriter out;
    private final List<String> createdContainers = new CopyOnWriteArrayList<>();
    private final List<String> createdNetworks = new CopyOnWriteArrayList<>();
    private final Map<String, String> containerIdByService = new LinkedHashMap<>();
    private java.util.Set<String> createdOnly = java.util.Set.of();

    public ColourStack(DockerClient docker, ComposeProject compose, String project, Map<String, String> ourLabels, PrintWriter out) {
        this.docker = docker;
        this.compose = compose;
        this.project = project;
        this.ourLabels = ourLabels;
        this.out = out;
    }

    /** Singletons: created with the colour, started only at the switch, once the old colour's have stopped. */
    public ColourStack leavingCreated(java.util.Set<String> services) {
        this.createdOnly = java.util.Set.copyOf(services);
        return this;
    }

    public List<String> containerIds() {
        return List.copyOf(createdContainers);
    }

    /** Creates and starts every service in dependency order; waits for service_healthy dependencies. */
    public void up(HealthGate gate, Cancellation cancel) {
        ensureNetworksAndVolumes();
        for (Service s : compose.startOrder()) {
            cancel.check();
            s.dependsOn().forEach((dep, condition) -> {
                if (condition.equals("service_healthy") && !createdOnly.contains(dep)) gate.awaitHealthy(containerIdByService.get(dep));
                if (condition.equals(ComposeProject.COMPLETED)) gate.awaitCompleted(containerIdByService.get(dep), dep);
            });
            String id = create(s);
            if (createdOnly.contains(s.name())) {
                out.println("  created " + ContainerSpec.containerName(project, s.name()) + " (a singleton: it starts at the switch)");
                out.flush();
                continue;
            }
            try {
                docker.startContainerCmd(id).exec();
            } catch (com.github.dockerjava.api.exception.DockerException e) {
                throw ContainerSpec.rejected(compose, s, e);
            }
            out.println("  started " + ContainerSpec.containerName(project, s.name()) + " (" + s.image() + ")");
            out.flush();
        }
    }

    /** Removes what this stack created (containers with their anonymous volumes, networks); named volumes stay. */
    public void removeCreated() {
        List<String> ids = new ArrayList<>(createdContainers);
        java.util.Collections.reverse(ids);
        for (String id : ids) removeQuietly(docker, id);
        for (String n : createdNetworks) {
            try {
                docker.removeNetworkCmd(n).exec();
            } catch (RuntimeException inUseOrGone) {
                // still used by something we did not make, or already gone: leave it
            }
        }
    }

    /** The colour's networks and volumes, without its containers: what a task run before the colour starts needs. */
    void ensureNetworksAndVolumes() {
        boolean needsDefault = compose.services().values().stream()
                .anyMatch(s -> s.networkMode() == null && (s.networks().isEmpty() || s.networks().containsKey("default")));
        if (needsDefault) ensureNetwork("default", new Resource("default", project + "_default", false));
        for (Resource n : compose.networks().values()) ensureNetwork(n.key(), n);
        for (Resource v : compose.volumes().values()) {
            if (v.external()) {
                try {
                    docker.inspectVolumeCmd(v.name()).exec();
                } catch (NotFoundException e) {
                    throw DeployError.config(compose.file() + ": external volume \"" + v.name() + "\" does not exist; create it with: docker volume create " + v.name());
                }
                continue;
            }
            try {
                docker.inspectVolumeCmd(v.name()).exec();
            } catch (NotFoundException e) {
                Map<String, String> labels = new LinkedHashMap<>(v.labels());
                labels.put(Labels.COMPOSE_PROJECT, project);
                labels.put(Labels.COMPOSE_VOLUME, v.key());
                var cmd = docker.createVolumeCmd().withName(v.name()).withLabels(labels);
                if (v.driver() != null) cmd.withDriver(v.driver());
                if (!v.driverOpts().isEmpty()) cmd.withDriverOpts(v.driverOpts());
                cmd.exec();
            }
        }
    }

    private void ensureNetwork(String key, Resource n) {
        if (!docker.listNetworksCmd().withNameFilter(n.name()).exec().stream().filter(x -> x.getName().equals(n.name())).toList().isEmpty()) return;
        if (n.external()) {
            throw DeployError.config(compose.file() + ": external network \"" + n.name() + "\" does not exist; create it with: docker network create " + n.name());
        }
        try {
            Map<String, String> labels = new LinkedHashMap<>(n.labels());
            labels.put(Labels.COMPOSE_PROJECT, project);
            labels.put(Labels.COMPOSE_NETWORK, key);
            var cmd = docker.createNetworkCmd().withName(n.name()).withDriver(n.driver() == null ? "bridge" : n.driver()).withLabels(labels);
            if (!n.driverOpts().isEmpty()) cmd.withOptions(n.driverOpts());
            if (n.internal()) cmd.withInternal(true);
            if (n.enableIpv6()) cmd.withEnableIpv6(true);
            if (n.attachable() != null) cmd.withAttachable(n.attachable());
            if (n.ipamDriver() != null) cmd.withIpam(new com.github.dockerjava.api.model.Network.Ipam().withDriver(n.ipamDriver()));
            String id = cmd.exec().getId();
            createdNetworks.add(id);
        } catch (ConflictException raced) {
            // created by a concurrent actor in the meantime: use it
        }
    }

    /** Only this app's own leftover may be removed on our advice: another app's container may be what it serves. */
    private String nameTaken(String name) {
        Map<String, String> labels;
        try {
            var config = docker.inspectContainerCmd(name).exec().getConfig();
            labels = config.getLabels() == null ? Map.of() : config.getLabels();
        } catch (NotFoundException gone) {
            return "a container named " + name + " was in the way and is gone now; run the deploy again";
        }
        String app = ourLabels.get(Labels.APP);
        if (HostReader.classify(app, name, labels) != null) {
            return "a container named " + name + " already exists and is not part of this deploy; remove it with: docker rm -f " + name;
        }
        String owner = labels.containsKey(Labels.APP) ? "app \"" + labels.get(Labels.APP) + "\""
                : labels.containsKey(Labels.COMPOSE_PROJECT) ? "Compose project \"" + labels.get(Labels.COMPOSE_PROJECT) + "\""
                : "something other than app \"" + app + "\"";
        return "a container named " + name + " already exists and belongs to " + owner + ", so it is left alone;"
                + " deploy under another --app, or rename the service";
    }

    private String create(Service s) {
        ContainerSpec spec = ContainerSpec.of(compose, s, project, ourLabels);
        spec.externalContainers().forEach((key, container) -> {
            try {
                docker.inspectContainerCmd(container).exec();
            } catch (NotFoundException e) {
                throw DeployError.failed(compose.file() + ": service \"" + s.name() + "\": key \"" + key + "\": container \"" + container
                        + "\" does not exist on the host; start it first, or fix the name");
            }
        });
        String id;
        try {
            id = spec.applyTo(docker.createContainerCmd(s.image())).exec().getId();
        } catch (NotFoundException e) {
            if (!e.getMessage().toLowerCase().contains("no such image")) throw ContainerSpec.rejected(compose, s, e);
            throw DeployError.failed("image " + s.image() + " of service \"" + s.name() + "\" is not on the host; pull it or push it to the registry first");
        } catch (ConflictException taken) {
            throw DeployError.failed(nameTaken(spec.name()));
        } catch (DockerException e) {
            throw ContainerSpec.rejected(compose, s, e);
        }
        createdContainers.add(id);
        containerIdByService.put(s.name(), id);
        for (var extra : spec.extraNetworks()) {
            docker.connectToNetworkCmd().withNetworkId(extra.network()).withContainerId(id)
                    // On the accessories' network shared by both colours, blue's "web" must not answer for green's.
                    .withContainerNetwork(new ContainerNetwork().withAliases(
                            lib.compose.AccessorySplit.isAccessoryNetwork(compose, extra.network()) ? List.of() : extra.aliases())).exec();
        }
        return id;
    }

    /**
     * Takes a colour down gracefully: newest container first (ours are created in dependency order, so the
     * front-most service goes first and the app behind it keeps answering its in-flight requests), each with its own
     * stop signal and grace period. With remove, also removes them with their anonymous volumes and the colour's
     * networks; without, they stay stopped so a rollback can start them again. Returns what the stop diagnosed.
     * With killIgnoring, a container whose process table shows its stop signal will not stop it is killed at once
     * (see {@link #stopAll(DockerClient, DockerClient, ColourState, boolean, PrintWriter)}).
     */
    public static List<String> retire(DockerClient docker, DockerClient slow, ColourState colour, String project, boolean remove,
                                      boolean killIgnoring, PrintWriter out) {
        List<ContainerInfo> order = newestFirst(colour);
        List<String> notes = stopAll(docker, slow, colour, killIgnoring, out);
        if (!remove) return notes;
        for (ContainerInfo c : order) removeQuietly(docker, c.id());
        for (var n : docker.listNetworksCmd().withFilter("label", List.of(Labels.COMPOSE_PROJECT + "=" + project)).exec()) {
            try {
                docker.removeNetworkCmd(n.getId()).exec();
            } catch (RuntimeException inUse) {
                // another container still uses it; leaving a network behind loses nothing
            }
        }
        return notes;
    }

    /**
     * Stops a colour without removing it, so it can be started again. Returns one note per container that ignored its
     * stop signal and was killed at the end of its grace period: that cost the whole grace period, and behind a
     * passive front it cut the requests it was still serving.
     */
    public static List<String> stopAll(DockerClient docker, DockerClient slow, ColourState colour, PrintWriter out) {
        return stopAll(docker, slow, colour, false, out);
    }

    /**
     * With killIgnoring (the caller's colour is no longer needed: a newer one passed its gate), a container that
     * provably will not stop on its signal is killed at once. Waiting would end in the same kill, and meanwhile, behind
     * a passive front, the old release keeps serving next to the new one for the whole grace period.
     */
    private static List<String> stopAll(DockerClient docker, DockerClient slow, ColourState colour, boolean killIgnoring, PrintWriter out) {
        List<String> notes = new ArrayList<>();
        for (ContainerInfo c : newestFirst(colour)) {
            Optional<StopSignals.Ignorer> ignorer = killIgnoring && c.running() ? ignorer(docker, c) : Optional.empty();
            String note;
            if (ignorer.isPresent()) {
                killNow(slow, c);
                out.println("  killed " + c.name());
                note = StopSignals.note(c, ignorer.get(), "killed at once, as its " + c.graceSeconds()
                        + "s grace period would only have kept the old release serving next to the new one before the same kill");
            } else {
                note = stop(docker, slow, c);
                out.println("  stopped " + c.name());
            }
            if (note != null) {
                notes.add(note);
                out.println(Style.note() + note);
            }
            out.flush();
        }
        return notes;
    }

    public static void startAll(DockerClient docker, ColourState colour, PrintWriter out) {
        List<ContainerInfo> order = newestFirst(colour);
        java.util.Collections.reverse(order);
        for (ContainerInfo c : order) {
            try {
                docker.startContainerCmd(c.id()).exec();
                out.println("  started " + c.name());
            } catch (NotModifiedException alreadyRunning) {
                // fine
            }
        }
        out.flush();
    }

    /**
     * Moves a colour's previous containers out of the way of the new ones (their names are taken) without losing
     * them: stopped and renamed with {@link HostReader#ASIDE}, they are put back if the new colour fails.
     */
    public static CompletableFuture<Void> setAside(DockerClient docker, DockerClient slow, ColourState colour, boolean unrouted, PrintWriter out) {
        if (unrouted && publishesNothing(colour)) {
            // Made behind the managed front without host ports: only its names are in the new colour's way. Renamed
            // now (milliseconds), it goes down while the new colour starts: its teardown is off the switch's path.
            // Until it is down (about 0.25 s) its services still answer to their names on the colour's own network.
            rename(docker, colour);
            return CompletableFuture.runAsync(() -> stopNow(docker, colour), Parallel.POOL);
        }
        if (unrouted) {
            // No traffic reaches it (the managed front sends none, and it was drained at the switch that retired it),
            // so there is nothing to be graceful for: waiting out a grace period here only delays the deploy. The
            // daemon takes about 0.25 s to tear each one down; they go down together, before the new colour can
            // take their host ports.
            stopNow(docker, colour);
        } else {
            stopAll(docker, slow, colour, out);
        }
        rename(docker, colour);
        return CompletableFuture.completedFuture(null);
    }

    /** Whether every container of the colour was made without host ports ({@link Labels#PUBLISH}). */
    static boolean publishesNothing(ColourState colour) {
        return !colour.containers().isEmpty() && colour.containers().stream().allMatch(c -> "false".equals(c.labels().get(Labels.PUBLISH)));
    }

    private static void stopNow(DockerClient docker, ColourState colour) {
        Parallel.all(colour.containers().stream().filter(ContainerInfo::running).<Runnable>map(c -> () -> {
            try {
                docker.stopContainerCmd(c.id()).withTimeout(0).exec();
            } catch (NotModifiedException | NotFoundException stopped) {
                // already down
            }
        }).toList());
    }

    private static void rename(DockerClient docker, ColourState colour) {
        for (ContainerInfo c : colour.containers()) {
            removeQuietly(docker, c.name() + HostState.ASIDE);
            docker.renameContainerCmd(c.id()).withName(c.name() + HostState.ASIDE).exec();
        }
    }

    /** Puts set-aside containers back under their own names (whose new holders must be gone by now). */
    public static void restoreAside(DockerClient docker, List<ContainerInfo> aside, PrintWriter out) {
        for (ContainerInfo c : aside) {
            if (!c.name().endsWith(HostState.ASIDE)) continue; // never renamed: already where it belongs
            String name = c.name().substring(0, c.name().length() - HostState.ASIDE.length());
            try {
                // The name's last holder may still be on its way out (removed by someone else during the gate).
                whileNameIsBeingFreed(() -> docker.renameContainerCmd(c.id()).withName(name).exec());
                out.println("  restored " + name);
            } catch (NotFoundException gone) {
                // removed meanwhile: nothing to restore
            }
        }
        out.flush();
    }

    /** How long a removal Docker already has in progress may take before we give up waiting for it. */
    static final Duration REMOVAL_WAIT = Duration.ofSeconds(10);

    /**
     * Runs a call that conflicts while Docker is still removing a container (its name, or the container itself):
     * again every 100 ms until it goes through or {@link #REMOVAL_WAIT} has passed, then the conflict stands.
     */
    private static void whileNameIsBeingFreed(Runnable call) {
        long end = System.nanoTime() + REMOVAL_WAIT.toNanos();
        while (true) {
            try {
                call.run();
                return;
            } catch (ConflictException busy) {
                if (System.nanoTime() > end) throw busy;
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw busy;
                }
            }
        }
    }

    private static List<ContainerInfo> newestFirst(ColourState colour) {
        List<ContainerInfo> order = new ArrayList<>(colour.containers());
        order.sort(Comparator.comparing(ContainerInfo::created, Comparator.nullsFirst(Comparator.naturalOrder())).reversed());
        return order;
    }

    private static Optional<StopSignals.Ignorer> ignorer(DockerClient docker, ContainerInfo c) {
        try {
            return StopSignals.ignorer(docker, c);
        } catch (RuntimeException unknown) {
            return Optional.empty(); // a host whose ps cannot say gets the graceful stop
        }
    }

    private static void killNow(DockerClient slow, ContainerInfo c) {
        try {
            // A stop with no grace (as setAside's) rather than a kill: Docker then counts it as stopped by hand, and a
            // restart policy leaves it down.
            Bounded.run(Duration.ofSeconds(20), "stopping " + c.name(), () -> slow.stopContainerCmd(c.id()).withTimeout(0).exec());
        } catch (NotModifiedException | NotFoundException stopped) {
            // already down
        }
    }

    /** One graceful stop, bounded by its grace period; returns a note when the container had to be killed. */
    static String stop(DockerClient docker, DockerClient slow, ContainerInfo c) {
        if (!c.running()) return null;
        int grace = c.graceSeconds();
        long t0 = System.nanoTime();
        try {
            Bounded.call(Duration.ofSeconds(grace + 20L), "stopping " + c.name(),
                    () -> slow.stopContainerCmd(c.id()).withTimeout(grace).exec());
        } catch (NotModifiedException | NotFoundException alreadyStopped) {
            return null; // stopped or removed meanwhile: the goal is reached
        }
        long tookMillis = (System.nanoTime() - t0) / 1_000_000;
        try {
            var r = docker.inspectContainerCmd(c.id()).exec();
            var st = r.getState();
            boolean killed = st.getExitCodeLong() != null && st.getExitCodeLong() == 137 && !Boolean.TRUE.equals(st.getOOMKilled());
            if (killed && tookMillis >= grace * 1000L - 500) {
                return c.service() + " ignored its stop signal and was killed after its " + grace + "s grace period"
                        + " (in-flight requests were cut). Fix: init: true in its Compose service, an exec-form CMD"
                        + " (CMD [\"nginx\", \"-g\", \"daemon off;\"]) so the app is PID 1, or the stop_signal the app honours";
            }
        } catch (NotFoundException removed) {
            // auto-removed on exit: nothing to diagnose
        }
        return null;
    }


    public static void removeQuietly(DockerClient docker, String id) {
        try {
            whileNameIsBeingFreed(() -> docker.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec());
        } catch (NotFoundException gone) {
            // already removed
        }
    }
}
