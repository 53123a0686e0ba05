package lib.model;

import lib.base.Labels;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/** The containers of one colour and what they add up to. */
public record ColourState(Colour colour, List<ContainerInfo> containers) {

    public boolean empty() {
        return containers.isEmpty();
    }

    public boolean anyRunning() {
        return containers.stream().anyMatch(ContainerInfo::running);
    }

    public boolean allRunning() {
        // a one-shot job that has done its work is not a stopped service
        return !containers.isEmpty() && containers.stream().allMatch(c -> c.running() || c.oneShot())
                && containers.stream().anyMatch(ContainerInfo::running);
    }

    public boolean unhealthy() {
        return containers.stream().anyMatch(c -> "unhealthy".equals(c.health()));
    }

    /**
     * Our release label when we made it. Otherwise an image tag, which is what the shell scripts deployed by: a
     * commit-hash tag if there is one, else the tag of the container created first (Compose creates dependencies
     * first, and the app is what the front services depend on).
     */
    public String release() {
        return containers.stream().map(c -> c.labels().get(Labels.RELEASE)).filter(Objects::nonNull).findFirst()
                .orElseGet(() -> {
                    List<String> tags = containers.stream()
                            .sorted(Comparator.comparing(ContainerInfo::created, Comparator.nullsLast(Comparator.naturalOrder())))
                            .map(c -> tagOf(c.image())).toList();
                    return tags.stream().filter(t -> t.matches("[0-9a-f]{7,40}")).findFirst()
                            .orElse(tags.isEmpty() ? null : tags.get(0));
                });
    }

    /** When this colour went live: our deployed-at label, else the earliest container start. */
    public Instant since() {
        return containers.stream().map(c -> c.labels().get(Labels.DEPLOYED_AT)).filter(Objects::nonNull)
                .map(Instant::parse).findFirst()
                .orElseGet(() -> containers.stream().map(c -> c.startedAt() != null ? c.startedAt() : c.created())
                        .filter(Objects::nonNull).min(Comparator.naturalOrder()).orElse(null));
    }

    /** When its last container stopped; null while any runs or when the engine never said (a container never started). */
    public Instant stoppedAt() {
        if (anyRunning()) return null;
        return containers.stream().map(ContainerInfo::finishedAt).filter(Objects::nonNull).max(Comparator.naturalOrder()).orElse(null);
    }

    public String deployedBy() {
        return containers.stream().map(c -> c.labels().get(Labels.DEPLOYED_BY)).filter(Objects::nonNull).findFirst().orElse(null);
    }

    public String origins() {
        return containers.stream().map(ContainerInfo::origin).distinct().sorted().collect(Collectors.joining("+"));
    }

    /** One word for status and logs. */
    public String condition() {
        if (empty()) return "absent";
        if (allRunning()) return unhealthy() ? "unhealthy" : "running";
        if (anyRunning()) return "degraded";
        return "stopped";
    }

    public static String tagOf(String image) {
        if (image == null) return null;
        int at = image.indexOf('@');
        if (at >= 0) return image.substring(at + 1);
        int colon = image.lastIndexOf(':');
        return colon > image.lastIndexOf('/') ? image.substring(colon + 1) : "latest";
    }
}
