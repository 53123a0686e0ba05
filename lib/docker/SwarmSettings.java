package lib.docker;

import java.util.List;

/**
 * A deploy.yml environment with {@code engine: swarm}: the managers, tried in order (any one answers for the cluster),
 * the nodes whose managed front takes traffic, and the replica count for services whose Compose file sets none.
 * Here, beside {@link HostAddress}, because each entry is reached like a Docker host.
 */
public record SwarmSettings(List<HostAddress> managers, List<HostAddress> fronts, int replicas) {
    public SwarmSettings {
        managers = List.copyOf(managers);
        fronts = List.copyOf(fronts);
        if (managers.isEmpty()) throw new IllegalArgumentException("a Swarm needs at least one manager");
        if (replicas < 1) throw new IllegalArgumentException("replicas must be at least 1, not " + replicas);
    }
}
