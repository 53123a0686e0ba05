package lib.target;

import lib.base.Cancellation;
import lib.base.DeployError;
import lib.base.Labels;
import lib.base.Style;
import lib.compose.AccessorySplit;
import lib.compose.AccessorySplit.Accessory;
import lib.docker.ContainerLogs;
import lib.docker.ImagePuller;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ContainerNetwork;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An app's accessories on one Docker host: started once, shared by both colours, and never stopped or removed by a
 * deploy, a rollback or a failure (nothing here is registered as an undo). Only {@code deploy.java accessory} stops
 * or recreates one, and nothing removes their volumes.
 */
public final class Accessories {
    private final DockerClient docker;
    private final String app;
    private final PrintWriter out;

    public Accessories(DockerClient docker, String app, PrintWriter out) {
        this.docker = docker;
        this.app = app;
        this.out = out;
    }

    /** An accessory container as the host has it. */
    public record Running(String service, String name, String id, String image, String status, String health, boolean running,
                          String startedAt, int restarts, String hash) {
        public String condition() {
            return status + (health == null ? "" : ", " + health);
        }
    }

    /**
     * A deploy's step, before the new colour starts: creates the network and volumes, starts what is missing (or
     * stopped), leaves a running one alone even when its definition changed (a note says so), and waits for every
     * healthcheck under the deploy's deadline. Returns the notes about changed definitions.
     */
    public List<String> ensure(List<Accessory> wanted, ImagePuller.Policy pull, Duration timeout, Cancellation cancel) {
        ensureNetwork();
        List<String> notes = new ArrayList<>();
        List<Accessory> missing = new ArrayList<>();
        for (Accessory a : wanted) {
            Optional<Running> now = current(a.service());
            if (now.isEmpty()) missing.add(a);
            else if (!a.hash().equals(now.get().hash())) notes.add(changed(a));
        }
        LinkedHashSet<String> images = new LinkedHashSet<>();
        missing.forEach(a -> images.add(a.image()));
        if (!images.isEmpty()) new ImagePuller(docker, out, System.console() != null, System.getenv()).pull(images, pull, cancel);
        for (Accessory a : wanted) {
            cancel.check();
            Optional<Running> now = current(a.service());
            if (now.isEmpty()) {
                create(a);
            } else if (!now.get().running()) {
                start(now.get().id());
                out.println("  started " + a.name() + " again (it was stopped)");
            } else {
                out.println("  " + a.name() + " runs (" + now.get().condition() + "), left as it is");
            }
        }
        notes.forEach(n -> out.println(Style.note() + n));
        awaitHealthy(wanted, timeout, cancel);
        out.flush();
        return notes;
    }

    /** The note for an accessory whose definition in the file is not what it was started with. */
    public String changed(Accessory a) {
        return "accessory " + a.service() + ": its definition in the Compose file changed since " + a.name() + " was started; it keeps running"
                + " as it was (a deploy never recreates an accessory). To apply the change: deploy.java accessory up --app " + app + " " + a.service();
    }

    /** Recreates one accessory from the file: stopped gracefully, removed (its volumes stay), created and started again. */
    public void recreate(Accessory a, Duration timeout, Cancellation cancel) {
        ensureNetwork();
        current(a.service()).ifPresent(r -> {
            stop(r);
            try {
                docker.removeContainerCmd(r.id()).withRemoveVolumes(false).exec();
            } catch (NotFoundException gone) {
                // removed meanwhile
            }
            out.println("  removed " + r.name() + " (its volumes stay)");
        });
        create(a);
        awaitHealthy(List.of(a), timeout, cancel);
    }

    /** Starts one that is missing; one that runs is left alone. */
    public void up(Accessory a, ImagePuller.Policy pull, Duration timeout, Cancellation cancel) {
        ensure(List.of(a), pull, timeout, cancel);
    }

    public List<Running> list() {
        List<Running> all = new ArrayList<>();
        for (Container c : docker.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(Labels.APP, app, Labels.ROLE, AccessorySplit.ROLE)).exec()) {
            Running r = inspect(c.getId());
            if (r != null) all.add(r);
        }
        all.sort(java.util.Comparator.comparing(Running::service));
        return all;
    }

    public Optional<Running> current(String service) {
        return Optional.ofNullable(inspect(AccessorySplit.container(app, service)));
    }

    /** The accessory a command names, or an error that lists the ones there are. */
    public Running find(String service) {
        return current(service).orElseThrow(() -> DeployError.config("app " + app + " has no accessory " + service + " on this host"
                + (list().isEmpty() ? " (it has none; a deploy starts them)" : "; it has: " + String.join(", ", list().stream().map(Running::service).toList()))));
    }

    public void restart(Running r) {
        int grace = grace(r.id());
        docker.restartContainerCmd(r.id()).withTimeout(grace).exec();
        out.println("restarted " + r.name());
    }

    /** A graceful stop with the container's own grace period; the container and its volumes stay. */
    public void stop(Running r) {
        if (!r.running()) return;
        try {
            docker.stopContainerCmd(r.id()).withTimeout(grace(r.id())).exec();
        } catch (NotModifiedException | NotFoundException already) {
            // stopped meanwhile
        }
        out.println("  stopped " + r.name());
    }

    public List<String> logs(Running r, int lines) {
        return ContainerLogs.tail(docker, r.id(), lines);
    }

    private int grace(String id) {
        try {
            var labels = docker.inspectContainerCmd(id).exec().getConfig().getLabels();
            return Integer.parseInt(labels.getOrDefault(Labels.STOP_GRACE, "10"));
        } catch (RuntimeException unknown) {
            return 10;
        }
    }

    /** null when there is none; a container of that name that is not this app's accessory is refused rather than touched. */
    private Running inspect(String idOrName) {
        InspectContainerResponse r;
        try {
            r = docker.inspectContainerCmd(idOrName).exec();
        } catch (NotFoundException gone) {
            return null;
        }
        Map<String, String> labels = r.getConfig().getLabels() == null ? Map.of() : r.getConfig().getLabels();
        String name = r.getName().replaceFirst("^/", "");
        if (!app.equals(labels.get(Labels.APP)) || !AccessorySplit.ROLE.equals(labels.get(Labels.ROLE))) {
            throw DeployError.failed("a container named " + name + " exists and is not an accessory of app " + app
                    + "; remove or rename it (docker rm -f " + name + ") so the accessory can take its name");
        }
        var s = r.getState();
        return new Running(labels.getOrDefault(Labels.COMPOSE_SERVICE, name), name, r.getId(), r.getConfig().getImage(), s.getStatus(),
                s.getHealth() == null ? null : s.getHealth().getStatus(), Boolean.TRUE.equals(s.getRunning()), s.getStartedAt(),
                r.getRestartCount() == null ? 0 : r.getRestartCount(), labels.get(AccessorySplit.HASH_LABEL));
    }

    private void create(Accessory a) {
        a.volumes().forEach(this::ensureVolume);
        String id;
        try {
            id = a.spec().applyTo(docker.createContainerCmd(a.image())).exec().getId();
        } catch (NotFoundException e) {
            throw DeployError.failed("image " + a.image() + " of accessory \"" + a.service() + "\" is not on the host; pull it first");
        } catch (ConflictException taken) {
            throw DeployError.failed("a container named " + a.name() + " already exists; remove it (docker rm -f " + a.name() + ") or run the deploy again");
        } catch (DockerException e) {
            throw DeployError.failed("accessory \"" + a.service() + "\": Docker refused the container: " + lib.base.Text.summarise(e.getMessage()));
        }
        for (var extra : a.spec().extraNetworks()) {
            docker.connectToNetworkCmd().withNetworkId(extra.network()).withContainerId(id)
                    .withContainerNetwork(new ContainerNetwork().withAliases(extra.aliases())).exec();
        }
        start(id);
        out.println("  started " + a.name() + " (" + a.image() + "), once for both colours");
        out.flush();
    }

    private void start(String id) {
        try {
            docker.startContainerCmd(id).exec();
        } catch (NotModifiedException running) {
            // fine
        } catch (DockerException e) {
            throw DeployError.failed("could not start accessory " + id.substring(0, Math.min(12, id.length())) + ": " + lib.base.Text.summarise(e.getMessage()));
        }
    }

    /** The network both colours join to reach the accessories by service name; labelled as Compose project <app>'s. */
    public void ensureNetwork() {
        String name = AccessorySplit.network(app);
        boolean exists = docker.listNetworksCmd().withNameFilter(name).exec().stream().anyMatch(n -> n.getName().equals(name));
        if (exists) return;
        try {
            docker.createNetworkCmd().withName(name).withDriver("bridge")
                    .withLabels(Map.of(Labels.COMPOSE_PROJECT, app, Labels.COMPOSE_NETWORK, "accessories", Labels.APP, app,
                            Labels.ROLE, AccessorySplit.ROLE + "-network")).exec();
        } catch (ConflictException raced) {
            // created meanwhile: use it
        }
    }

    private void ensureVolume(String key, String name) {
        try {
            docker.inspectVolumeCmd(name).exec();
        } catch (NotFoundException e) {
            docker.createVolumeCmd().withName(name).withLabels(Map.of(Labels.COMPOSE_PROJECT, app, Labels.COMPOSE_VOLUME, key)).exec();
        }
    }

    /** Every accessory with a healthcheck healthy within the deadline; one that exits or turns unhealthy fails at once. */
    private void awaitHealthy(List<Accessory> wanted, Duration timeout, Cancellation cancel) {
        long end = System.nanoTime() + timeout.toNanos();
        for (Accessory a : wanted) {
            if (!a.hasHealthcheck()) continue;
            boolean said = false;
            while (true) {
                cancel.check();
                Running r = current(a.service()).orElseThrow(() -> DeployError.failed("accessory " + a.name() + " is gone"));
                if (!r.running()) {
                    throw DeployError.failed("accessory " + r.name() + " is not running (" + r.status() + "); see deploy.java accessory logs --app " + app + " " + a.service());
                }
                if (r.health() == null || r.health().equals("healthy")) break;
                if (r.health().equals("unhealthy")) {
                    throw DeployError.failed("accessory " + r.name() + " is unhealthy: its healthcheck fails; see deploy.java accessory logs --app " + app + " " + a.service());
                }
                if (System.nanoTime() > end) {
                    throw DeployError.failed("accessory " + r.name() + " was not healthy within " + timeout.toSeconds() + "s (--health-timeout)");
                }
                if (!said) {
                    out.println("  waiting for " + r.name() + "'s healthcheck");
                    out.flush();
                    said = true;
                }
                cancel.sleep(Duration.ofMillis(250));
            }
        }
    }
}
