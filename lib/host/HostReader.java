package lib.host;

import lib.base.Labels;
import lib.model.HostState;
import lib.model.ContainerInfo;
import lib.model.Colour;
import lib.model.ColourState;
import lib.docker.Parallel;
import lib.front.ManagedFront;

import java.util.Optional;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Finds an app's containers and sorts them into colours. A container belongs to a colour when it carries our labels,
 * or the Compose project label {@code <app>-<colour>} (docker-compose v1/v2, as the shell scripts made them), or,
 * for containers made by hand, a name starting with {@code <app>-<colour>-} or {@code <app>-<colour>_}.
 */
public final class HostReader {
    private HostReader() {}

    public static HostState read(DockerClient docker, String app) {
        // The record, the front and each container are read side by side: this is on the path of every command.
        var record = java.util.concurrent.CompletableFuture.supplyAsync(() -> RecordStore.read(docker, app), Parallel.POOL);
        // The front's file is read without waiting for the record; it counts only if the record says the front manages the app.
        var upstream = java.util.concurrent.CompletableFuture.supplyAsync(() -> ManagedFront.upstreamOf(docker, app), Parallel.POOL);
        var front = record.thenCombine(upstream, (r, u) -> r.record().filter(x -> x.front().managed()).flatMap(x -> u).flatMap(t -> colourOfTarget(app, t)));
        List<java.util.concurrent.CompletableFuture<ContainerInfo>> inspected = new ArrayList<>();
        for (Container c : docker.listContainersCmd().withShowAll(true).exec()) {
            Map<String, String> labels = c.getLabels() == null ? Map.of() : c.getLabels();
            String name = c.getNames() == null || c.getNames().length == 0 ? "" : c.getNames()[0].replaceFirst("^/", "");
            if (classify(app, name, labels) == null) continue;
            inspected.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> inspect(docker, c.getId()), Parallel.POOL));
        }
        List<ContainerInfo> blue = new ArrayList<>();
        List<ContainerInfo> green = new ArrayList<>();
        List<ContainerInfo> aside = new ArrayList<>();
        for (var f : inspected) {
            ContainerInfo info = Parallel.join(f);
            if (info == null) continue;
            Colour colour = classify(app, info.name(), info.labels());
            if (colour == null) continue;
            (info.name().endsWith(HostState.ASIDE) ? aside : colour == Colour.BLUE ? blue : green).add(info);
        }
        RecordStore.Read read = Parallel.join(record);
        return new HostState(app, new ColourState(Colour.BLUE, blue), new ColourState(Colour.GREEN, green), read.record(), Parallel.join(front), aside,
                read.problem());
    }

    /** One colour read again by its containers' ids: a few inspects, not a listing of the whole host. */
    public static ColourState reread(DockerClient docker, Colour colour, List<String> ids) {
        List<ContainerInfo> fresh = new ArrayList<>();
        for (String id : ids) {
            ContainerInfo c = inspect(docker, id);
            if (c != null) fresh.add(c);
        }
        return new ColourState(colour, fresh);
    }

    /** The colour a managed front's upstream ({@code <app>-<colour>-<service>-1:port}) sends traffic to. */
    public static Optional<Colour> colourOfTarget(String app, String target) {
        for (Colour c : Colour.values()) if (target.startsWith(c.project(app) + "-")) return Optional.of(c);
        return Optional.empty();
    }

    public static Colour classify(String app, String name, Map<String, String> labels) {
        if (labels.containsKey(Labels.ROLE)) return null;
        if (app.equals(labels.get(Labels.APP))) {
            String colour = labels.get(Labels.COLOUR);
            for (Colour c : Colour.values()) if (c.id().equals(colour)) return c;
            return null; // our app label without a colour we know: not a colour container, whoever made it
        }
        if (labels.containsKey(Labels.APP)) return null;
        String project = labels.get(Labels.COMPOSE_PROJECT);
        for (Colour c : Colour.values()) {
            if (project != null) {
                if (project.equals(c.project(app)) || project.equals(c.project(app).replace("-", ""))) return c;
            } else if (name.startsWith(c.project(app) + "-") || name.startsWith(c.project(app) + "_") || name.equals(c.project(app))) {
                return c;
            }
        }
        return null;
    }

    public static ContainerInfo inspect(DockerClient docker, String id) {
        InspectContainerResponse r;
        try {
            r = docker.inspectContainerCmd(id).exec();
        } catch (NotFoundException gone) {
            return null; // removed between list and inspect
        }
        var state = r.getState();
        Map<String, String> labels = r.getConfig().getLabels() == null ? Map.of() : r.getConfig().getLabels();
        String name = r.getName().replaceFirst("^/", "");
        String service = labels.getOrDefault(Labels.COMPOSE_SERVICE, name);
        String health = state.getHealth() == null ? null : state.getHealth().getStatus();
        return new ContainerInfo(r.getId(), name, service, r.getConfig().getImage(), r.getImageId(), state.getStatus(),
                health, instant(r.getCreated()), Boolean.TRUE.equals(state.getRunning()) ? instant(state.getStartedAt()) : null,
                Boolean.TRUE.equals(state.getRunning()) ? null : instant(state.getFinishedAt()),
                labels);
    }

    private static Instant instant(String s) {
        if (s == null || s.startsWith("0001-")) return null;
        try {
            return Instant.parse(s);
        } catch (RuntimeException e) {
            return null;
        }
    }
}
