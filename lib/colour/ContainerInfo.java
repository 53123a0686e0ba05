package lib.colour;

import java.time.Instant;
import java.util.Map;

/** What colour detection needs to know about one container, read from the engine. */
public record ContainerInfo(String id, String name, String service, String image, String imageId, String state,
                            String health, Instant created, Instant startedAt, int restartCount,
                            Map<String, String> labels) {

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
