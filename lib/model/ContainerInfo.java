package lib.model;

import lib.base.Labels;
import java.time.Instant;
import java.util.Map;

/** What colour detection needs to know about one container, read from the engine. */
public record ContainerInfo(String id, String name, String service, String image, String imageId, String state,
                            String health, Instant created, Instant startedAt, Instant finishedAt,
                            Map<String, String> labels) {

    /** The same container under another name (as a rename on the host leaves it). */
    public ContainerInfo named(String newName) {
        return new ContainerInfo(id, newName, service, image, imageId, state, health, created, startedAt, finishedAt, labels);
    }

    /** How long `docker stop` waits for it before SIGKILL: what we recorded from its Compose file, else Docker's 10 s. */
    public int graceSeconds() {
        try {
            return Integer.parseInt(labels.getOrDefault(Labels.STOP_GRACE, "10"));
        } catch (NumberFormatException e) {
            return 10;
        }
    }

    /** A one-shot job of the colour (depends_on: condition: service_completed_successfully): done, not down, once it exits. */
    public boolean oneShot() {
        return "true".equals(labels.get(Labels.ONE_SHOT));
    }

    /**
     * The first TCP port of the Compose file's that this container does not publish ({@link Labels#PORTS}, made
     * behind the managed front without host ports): where the front and the probe reach it. null when it has none.
     */
    public Integer unpublishedPort() {
        String label = labels == null ? null : labels.get(Labels.PORTS);
        if (label == null) return null;
        for (String p : label.split(",")) {
            String[] portAndProto = p.strip().split("/");
            if (portAndProto[0].matches("\\d{1,5}") && (portAndProto.length == 1 || portAndProto[1].equals("tcp"))) return Integer.parseInt(portAndProto[0]);
        }
        return null;
    }

    public boolean running() {
        return "running".equals(state);
    }

    /** Who made it: this toolkit, docker-compose (v1/v2, e.g. the shell scripts), or a person with docker run. */
    public String origin() {
        if (labels.containsKey(Labels.APP)) return "bgdeploy";
        if (labels.containsKey(Labels.COMPOSE_PROJECT)) return "compose";
        return "manual";
    }
}
