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
                             Map<String, Resource> networks, List<String> notices) {

    public ComposeProject(Path file, Map<String, Service> services, Map<String, Resource> volumes, Map<String, Resource> networks) {
        this(file, services, volumes, networks, List.of());
    }

    public record Service(String name, String image, Map<String, String> environment, List<String> command,
                          List<String> entrypoint, List<Port> ports, List<Mount> volumes, List<String> volumesFrom,
                          Map<String, String> dependsOn, String networkMode, Map<String, List<String>> networks,
                          Map<String, String> labels, Health healthcheck, String restart, String stopSignal,
                          Integer stopGraceSeconds, String user, String workingDir, List<String> extraHosts,
                          Boolean init, String containerName, String hostname, String domainname, List<String> expose,
                          Map<String, String> links, List<String> profiles, String pullPolicy, Run run, Swarm swarm) {

        public Service(String name, String image, Map<String, String> environment, List<String> command,
                       List<String> entrypoint, List<Port> ports, List<Mount> volumes, List<String> volumesFrom,
                       Map<String, String> dependsOn, String networkMode, Map<String, List<String>> networks,
                       Map<String, String> labels, Health healthcheck, String restart, String stopSignal,
                       Integer stopGraceSeconds, String user, String workingDir, List<String> extraHosts,
                       Boolean init, String containerName, String hostname, String domainname, List<String> expose,
                       Map<String, String> links, List<String> profiles, String pullPolicy, Run run) {
            this(name, image, environment, command, entrypoint, ports, volumes, volumesFrom, dependsOn, networkMode, networks, labels,
                    healthcheck, restart, stopSignal, stopGraceSeconds, user, workingDir, extraHosts, init, containerName, hostname,
                    domainname, expose, links, profiles, pullPolicy, run, Swarm.NONE);
        }

        public int stopGraceOrDefault() {
            return stopGraceSeconds == null ? 10 : stopGraceSeconds;
        }
    }

    /** Services another one waits for to exit 0 (depends_on condition service_completed_successfully): one-shot jobs. */
    public Set<String> oneShots() {
        Set<String> out = new java.util.LinkedHashSet<>();
        services.values().forEach(s -> s.dependsOn().forEach((dep, c) -> {
            if (c.equals(COMPLETED)) out.add(dep);
        }));
        return out;
    }

    public static final String COMPLETED = "service_completed_successfully";

    /** hostPort null means "any free port", as in Compose's short syntax {@code "80"}. */
    public record Port(String hostIp, Integer hostPort, int containerPort, String protocol) {}

    public enum MountKind { BIND, NAMED, ANONYMOUS, TMPFS }

    /**
     * @param selinux   "z" (shared) or "Z" (private) relabelling of a bind, or null
     * @param options   for TMPFS: Docker's tmpfs options (size=...,mode=...); for BIND: the propagation, or null
     */
    public record Mount(MountKind kind, String source, String target, boolean readOnly, String selinux, boolean noCopy, String options) {
        public Mount(MountKind kind, String source, String target, boolean readOnly) {
            this(kind, source, target, readOnly, null, false, null);
        }
    }

    public record Ulimit(String name, long soft, long hard) {}

    public record Logging(String driver, Map<String, String> options) {}

    /**
     * How the container runs, beyond what it runs: the Compose keys that map to the Engine's HostConfig and create
     * request one to one. Null (or empty) means "Docker's default", exactly as when the key is absent.
     */
    public record Run(List<String> capAdd, List<String> capDrop, List<String> securityOpt, Long shmSize, List<Ulimit> ulimits,
                      Logging logging, Map<String, String> tmpfs, Map<String, String> sysctls, Boolean readOnly, Boolean privileged,
                      Long pidsLimit, List<String> dns, List<String> dnsSearch, List<String> dnsOpt, List<String> devices,
                      List<String> groupAdd, String ipc, String pid, String uts, String cgroup, String cgroupParent,
                      Long memory, Long memorySwap, Long memoryReservation, Long memSwappiness, Long nanoCpus, Integer cpuShares,
                      String cpuset, Long cpuQuota, Long cpuPeriod, Integer oomScoreAdj, Boolean oomKillDisable,
                      Map<String, String> storageOpt, String usernsMode, String runtime, Boolean tty, Boolean stdinOpen,
                      String platform, String macAddress, String isolation, List<String> deviceCgroupRules, boolean gpus) {}

    /**
     * The deploy: keys only a Swarm applies (on one host a colour is one container per service): replicas (null: the
     * environment's default), placement, the CPU reservation and restart_policy's timing. Null: Swarm's default.
     */
    public record Swarm(Integer replicas, List<String> constraints, Integer maxReplicasPerNode, Long reserveNanoCpus,
                        String restartCondition, Long restartDelayNanos, Integer restartMaxAttempts, Long restartWindowNanos) {
        public static final Swarm NONE = new Swarm(null, List.of(), null, null, null, null, null, null);
    }

    /** test is the Docker form: ["CMD", ...], ["CMD-SHELL", "..."] or ["NONE"]. Durations in nanoseconds. */
    public record Health(List<String> test, Long intervalNanos, Long timeoutNanos, Integer retries, Long startPeriodNanos, Long startIntervalNanos) {}

    /**
     * A top-level volume or network: its engine-side name, whether we must not create it, and how to create it
     * (driver, driver_opts, labels; for networks also internal, enable_ipv6, attachable and the IPAM driver).
     */
    public record Resource(String key, String name, boolean external, String driver, Map<String, String> driverOpts,
                           Map<String, String> labels, boolean internal, boolean enableIpv6, Boolean attachable, String ipamDriver) {
        public Resource(String key, String name, boolean external) {
            this(key, name, external, null, Map.of(), Map.of(), false, false, null, null);
        }
    }

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
        deps.addAll(s.links().keySet());
        for (String mode : java.util.Arrays.asList(s.run().ipc(), s.run().pid())) {
            if (mode != null && mode.startsWith("service:")) deps.add(mode.substring(8));
        }
        return deps;
    }
}
