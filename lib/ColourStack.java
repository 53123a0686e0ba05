package lib;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.ContainerNetwork;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HealthCheck;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Ports;
import com.github.dockerjava.api.model.RestartPolicy;
import com.github.dockerjava.api.model.Volume;
import com.github.dockerjava.api.model.VolumesFrom;
import lib.ComposeProject.Mount;
import lib.ComposeProject.Port;
import lib.ComposeProject.Resource;
import lib.ComposeProject.Service;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

    public ColourStack(DockerClient docker, ComposeProject compose, String project, Map<String, String> ourLabels, PrintWriter out) {
        this.docker = docker;
        this.compose = compose;
        this.project = project;
        this.ourLabels = ourLabels;
        this.out = out;
    }

    public static String containerName(String project, String service) {
        return project + "-" + service + "-1";
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
                if (condition.equals("service_healthy")) gate.awaitHealthy(containerIdByService.get(dep));
            });
            String id = create(s);
            docker.startContainerCmd(id).exec();
            out.println("  started " + containerName(project, s.name()) + " (" + s.image() + ")");
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

    private void ensureNetworksAndVolumes() {
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
                docker.createVolumeCmd().withName(v.name())
                        .withLabels(Map.of(Labels.COMPOSE_PROJECT, project, Labels.COMPOSE_VOLUME, v.key())).exec();
            }
        }
    }

    private void ensureNetwork(String key, Resource n) {
        if (!docker.listNetworksCmd().withNameFilter(n.name()).exec().stream().filter(x -> x.getName().equals(n.name())).toList().isEmpty()) return;
        if (n.external()) {
            throw DeployError.config(compose.file() + ": external network \"" + n.name() + "\" does not exist; create it with: docker network create " + n.name());
        }
        try {
            String id = docker.createNetworkCmd().withName(n.name()).withDriver("bridge")
                    .withLabels(Map.of(Labels.COMPOSE_PROJECT, project, Labels.COMPOSE_NETWORK, key)).exec().getId();
            createdNetworks.add(id);
        } catch (ConflictException raced) {
            // created by a concurrent actor in the meantime: use it
        }
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
            throw DeployError.failed("a container named " + spec.name() + " already exists and is not part of this deploy; remove it with: docker rm -f " + spec.name());
        } catch (DockerException e) {
            throw ContainerSpec.rejected(compose, s, e);
        }
        createdContainers.add(id);
        containerIdByService.put(s.name(), id);
        for (var extra : spec.extraNetworks()) {
            docker.connectToNetworkCmd().withNetworkId(extra.network()).withContainerId(id)
                    .withContainerNetwork(new ContainerNetwork().withAliases(extra.aliases())).exec();
        }
        return id;
    }

    private String networkName(String key) {
        return key.equals("default") && !compose.networks().containsKey("default") ? project + "_default" : compose.networks().get(key).name();
    }

    /**
     * Takes a colour down gracefully: newest container first (ours are created in dependency order, so the
     * front-most service goes first and the app behind it keeps answering its in-flight requests), each with its own
     * stop signal and grace period. With remove, also removes them with their anonymous volumes and the colour's
     * networks; without, they stay stopped so a rollback can start them again.
     */
    public static void retire(DockerClient docker, ColourState colour, String project, boolean remove, PrintWriter out) {
        List<ContainerInfo> order = newestFirst(colour);
        stopAll(docker, colour, out);
        if (!remove) return;
        for (ContainerInfo c : order) removeQuietly(docker, c.id());
        for (var n : docker.listNetworksCmd().withFilter("label", List.of(Labels.COMPOSE_PROJECT + "=" + project)).exec()) {
            try {
                docker.removeNetworkCmd(n.getId()).exec();
            } catch (RuntimeException inUse) {
                // another container still uses it; leaving a network behind loses nothing
            }
        }
    }

    /** Stops a colour without removing it (recreate strategy), so it can be started again if the new one fails. */
    public static void stopAll(DockerClient docker, ColourState colour, PrintWriter out) {
        for (ContainerInfo c : newestFirst(colour)) {
            stop(docker, c);
            out.println("  stopped " + c.name());
        }
        out.flush();
    }

    public static void startAll(DockerClient docker, ColourState colour, PrintWriter out) {
        List<ContainerInfo> order = newestFirst(colour);
        java.util.Collections.reverse(order);
        for (ContainerInfo c : order) {
            try {
                docker.startContainerCmd(c.id()).exec();
                out.println("  restarted " + c.name());
            } catch (NotModifiedException alreadyRunning) {
                // fine
            }
        }
        out.flush();
    }

    private static List<ContainerInfo> newestFirst(ColourState colour) {
        List<ContainerInfo> order = new ArrayList<>(colour.containers());
        order.sort(Comparator.comparing(ContainerInfo::created, Comparator.nullsFirst(Comparator.naturalOrder())).reversed());
        return order;
    }

    static void stop(DockerClient docker, ContainerInfo c) {
        if (!c.running()) return;
        int grace = graceSeconds(c);
        try {
            docker.stopContainerCmd(c.id()).withTimeout(grace).exec();
        } catch (NotModifiedException | NotFoundException alreadyStopped) {
            // stopped or removed meanwhile: the goal is reached
        }
    }

    static int graceSeconds(ContainerInfo c) {
        try {
            return Integer.parseInt(c.labels().getOrDefault(Labels.STOP_GRACE, "10"));
        } catch (NumberFormatException e) {
            return 10;
        }
    }

    static void removeQuietly(DockerClient docker, String id) {
        try {
            docker.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
        } catch (NotFoundException gone) {
            // already removed
        }
    }
}
