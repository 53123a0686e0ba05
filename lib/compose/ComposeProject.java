package lib.compose;

import lib.base.DeployError;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A loaded, validated Compose file: only what {@link ComposeLoader} accepts, already interpolated. */
public record ComposeProject(Path file, Map<String, Service> services, Map<String, Resource> volumes,
                             Map<String, Resource> networks) {

    public record Service(String name, String image, Map<String, String> environment, List<String> command,
                          List<String> entrypoint, List<Port> ports, List<Mount> volumes, List<String> volumesFrom,
                          Map<String, String> dependsOn, String networkMode, Map<String, List<String>> networks,
                          Map<String, String> labels, Health healthcheck, String restart, String stopSignal,
                          Integer stopGraceSeconds, String user, String workingDir, List<String> extraHosts,
                          Boolean init) {

        public int stopGraceOrDefault() {
            return stopGraceSeconds == null ? 10 : stopGraceSeconds;
        }
    }

    /** hostPort null means "any free port", as in Compose's short syntax {@code "80"}. */
    public record Port(String hostIp, Integer hostPort, int containerPort, String protocol) {}

    public enum MountKind { BIND, NAMED, ANONYMOUS }

    public record Mount(MountKind kind, String source, String target, boolean readOnly) {}

    /** test is the Docker form: ["CMD", ...], ["CMD-SHELL", "..."] or ["NONE"]. Durations in nanoseconds. */
    public record Health(List<String> test, Long intervalNanos, Long timeoutNanos, Integer retries, Long startPeriodNanos) {}

    /** A top-level volume or network: its engine-side name, and whether we must not create it. */
    public record Resource(String key, String name, boolean external) {}

    /** Services in an order where every service comes after what it depends on (depends_on, volumes_from, service: modes). */
    public List<Service> startOrder() {
        List<Service> order = new ArrayList<>();
        Map<String, Boolean> done = new LinkedHashMap<>();
        for (String name : services.keySet()) visit(name, done, order, new ArrayList<>());
        return order;
    }

    private void visit(String name, Map<String, Boolean> done, List<Service> order, List<String> path) {
        if (Boolean.TRUE.equals(done.get(name))) return;
        if (path.contains(name)) {
            path.add(name);
            throw DeployError.config(file + ": dependency cycle between services: " + String.join(" -> ", path.subList(path.indexOf(name), path.size())));
        }
        path.add(name);
        for (String dep : dependencies(services.get(name))) visit(dep, done, order, path);
        path.remove(path.size() - 1);
        done.put(name, true);
        order.add(services.get(name));
    }

    public static Set<String> dependencies(Service s) {
        Set<String> deps = new java.util.LinkedHashSet<>(s.dependsOn().keySet());
        for (String vf : s.volumesFrom()) {
            if (!vf.startsWith("container:")) deps.add(vf.split(":")[0]);
        }
        if (s.networkMode() != null && s.networkMode().startsWith("service:")) deps.add(s.networkMode().substring(8));
        return deps;
    }
}
