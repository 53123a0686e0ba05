package lib.target;

import lib.base.Labels;
import lib.compose.ComposeProject;
import lib.compose.ComposeProject.Mount;
import lib.compose.ComposeProject.Service;

import com.github.dockerjava.api.model.ContainerSpec;
import com.github.dockerjava.api.model.EndpointResolutionMode;
import com.github.dockerjava.api.model.EndpointSpec;
import com.github.dockerjava.api.model.HealthCheck;
import com.github.dockerjava.api.model.MountType;
import com.github.dockerjava.api.model.NetworkAttachmentConfig;
import com.github.dockerjava.api.model.ResourceRequirements;
import com.github.dockerjava.api.model.ResourceSpecs;
import com.github.dockerjava.api.model.ServiceModeConfig;
import com.github.dockerjava.api.model.ServicePlacement;
import com.github.dockerjava.api.model.ServiceReplicatedModeOptions;
import com.github.dockerjava.api.model.ServiceRestartCondition;
import com.github.dockerjava.api.model.ServiceRestartPolicy;
import com.github.dockerjava.api.model.ServiceSpec;
import com.github.dockerjava.api.model.TaskSpec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Swarm service one Compose service of one colour becomes, as data: built without a Docker connection so the
 * mapping is unit-tested on its own, then sent as one create ({@link #toServiceSpec()}). Named as {@code docker stack
 * deploy} names it ({@code <app>-<colour>_<service>}, the stack label {@code <app>-<colour>}), always with DNS
 * round-robin endpoints and no published port: this toolkit's front reaches every task by its address on the overlay.
 * A VIP service would start and resolve, and on a kernel without IPVS never answer.
 *
 * @param labels          the service's labels (ours, the stack's, the Compose file's)
 * @param containerLabels the labels every task's container carries (the same, so a node's containers say what they are)
 * @param command         the Compose entrypoint (Swarm's Command); null: the image's
 * @param args            the Compose command (Swarm's Args); null: the image's
 * @param image           pinned by digest, so every node runs the same bits
 */
public record SwarmServiceSpec(String name, String image, Map<String, String> labels, Map<String, String> containerLabels,
                               List<String> env, List<String> command, List<String> args, String user, String workingDir,
                               List<Attachment> networks, int replicas, List<String> constraints, Integer maxReplicasPerNode,
                               Long limitNanoCpus, Long limitMemory, Long reserveNanoCpus, Long reserveMemory, Restart restart,
                               ComposeProject.Health healthcheck, String stopSignal, long stopGraceNanos, List<MountSpec> mounts,
                               Boolean init, String hostname) {

    public record Attachment(String network, List<String> aliases) {}

    /** @param condition none, on-failure or any (Swarm's words) */
    public record Restart(String condition, Long delayNanos, Integer maxAttempts, Long windowNanos) {}

    /** @param type volume, bind or tmpfs; source null for an anonymous volume */
    public record MountSpec(String type, String source, String target, boolean readOnly) {}

    /** A colour's own network: what docker stack deploy names the stack's default network. */
    public static String defaultNetwork(String project) {
        return project + "_default";
    }

    public static String serviceName(String project, String service) {
        return project + "_" + service;
    }

    /**
     * @param project         {@code <app>-<colour>}
     * @param pinnedImage     the service's image with its registry digest ({@code repo:tag@sha256:...})
     * @param defaultReplicas the environment's replicas, for a service without deploy.replicas
     * @param frontNetwork    the app's attachable overlay the fronts are on (every task joins it, without aliases:
     *                        both colours are on it, and only the front reaches them there, by address)
     */
    public static SwarmServiceSpec of(ComposeProject compose, Service s, String project, Map<String, String> ourLabels,
                                      String pinnedImage, int defaultReplicas, String frontNetwork) {
        Map<String, String> labels = new LinkedHashMap<>(s.labels());
        labels.put(Labels.STACK_NAMESPACE, project);
        labels.put(Labels.STACK_IMAGE, s.image());
        labels.put(Labels.COMPOSE_SERVICE, s.name());
        labels.putAll(ourLabels);
        labels.put(Labels.STOP_GRACE, String.valueOf(s.stopGraceOrDefault()));
        List<String> ports = new ArrayList<>();
        s.ports().forEach(p -> ports.add(p.containerPort() + "/" + p.protocol()));
        s.expose().forEach(e -> {
            if (!ports.contains(e)) ports.add(e);
        });
        if (!ports.isEmpty()) labels.put(Labels.PORTS, String.join(",", ports));
        int replicas = s.swarm().replicas() != null ? s.swarm().replicas() : defaultReplicas;
        labels.put(Labels.REPLICAS, String.valueOf(replicas));

        List<String> env = new ArrayList<>();
        s.environment().forEach((k, v) -> env.add(v == null ? k : k + "=" + v));

        List<Attachment> networks = new ArrayList<>();
        boolean onDefault = s.networks().isEmpty() || s.networks().containsKey("default");
        if (onDefault) networks.add(new Attachment(defaultNetwork(project), aliases(s, s.networks().getOrDefault("default", List.of()))));
        s.networks().forEach((key, aliases) -> {
            if (key.equals("default")) return;
            ComposeProject.Resource r = compose.networks().get(key);
            networks.add(new Attachment(r == null ? project + "_" + key : r.name(), aliases(s, aliases)));
        });
        if (frontNetwork != null) networks.add(new Attachment(frontNetwork, List.of()));

        List<MountSpec> mounts = new ArrayList<>();
        for (Mount m : s.volumes()) {
            switch (m.kind()) {
                case NAMED -> mounts.add(new MountSpec("volume", m.source(), m.target(), m.readOnly()));
                case ANONYMOUS -> mounts.add(new MountSpec("volume", null, m.target(), m.readOnly()));
                case TMPFS -> mounts.add(new MountSpec("tmpfs", null, m.target(), false));
                case BIND -> mounts.add(new MountSpec("bind", m.source(), m.target(), m.readOnly()));
            }
        }
        var run = s.run();
        return new SwarmServiceSpec(serviceName(project, s.name()), pinnedImage, labels, new LinkedHashMap<>(labels), env,
                s.entrypoint() == null || s.entrypoint().isEmpty() ? null : s.entrypoint(), s.command() == null || s.command().isEmpty() ? null : s.command(), s.user(), s.workingDir(),
                networks, replicas, s.swarm().constraints(), s.swarm().maxReplicasPerNode(),
                run == null ? null : run.nanoCpus(), run == null ? null : run.memory(), s.swarm().reserveNanoCpus(),
                run == null ? null : run.memoryReservation(), restart(s), s.healthcheck(), s.stopSignal(),
                s.stopGraceOrDefault() * 1_000_000_000L, mounts, s.init(), s.hostname());
    }

    /** The same service with another replica count in the create request; its REPLICAS label (what it scales back to) stays. */
    public SwarmServiceSpec withReplicas(int n) {
        return new SwarmServiceSpec(name, image, labels, containerLabels, env, command, args, user, workingDir, networks, n, constraints,
                maxReplicasPerNode, limitNanoCpus, limitMemory, reserveNanoCpus, reserveMemory, restart, healthcheck, stopSignal, stopGraceNanos,
                mounts, init, hostname);
    }

    /** A healthcheck of NONE switches the image's own off too: a one-shot is judged by its exit code alone. */
    static final ComposeProject.Health NO_HEALTHCHECK = new ComposeProject.Health(List.of("NONE"), null, null, null, null, null);

    /** How long a task killed past its timeout (or on Ctrl-C) gets after its stop signal: on a host it is killed at once. */
    static final long TASK_STOP_GRACE_NANOS = 1_000_000_000L;

    /**
     * A release task's one-shot service, as {@code docker compose run --rm} makes a task on one host: the colour's
     * service (its image pinned by digest, environment, mounts, networks, user, working_dir, entrypoint, placement)
     * with the task's command as its args, one replica that is never restarted, no healthcheck (the image's neither),
     * no published port, no network alias (the service's name never resolves to a migration), and not on the front's
     * overlay. Labelled as a task, not as a colour member, so reading the colours never counts it.
     *
     * @param pinnedImage the task's image (task.image, else the service's), pinned by digest
     * @param extraEnv    variables the tool adds (a backup's BACKUP_FILE)
     */
    public static SwarmServiceSpec forTask(ComposeProject compose, Service s, String project, lib.model.TaskSpec task, Map<String, String> ourLabels,
                                           Map<String, String> extraEnv, String pinnedImage) {
        SwarmServiceSpec base = of(compose, s, project, ourLabels, pinnedImage, 1, null);
        Map<String, String> labels = new LinkedHashMap<>(base.labels());
        labels.remove(Labels.COLOUR);
        labels.remove(Labels.REPLICAS);
        labels.remove(Labels.PORTS);
        labels.remove(Labels.STACK_NAMESPACE); // docker stack rm of the colour must not count it, nor status list it as a colour's
        labels.put(Labels.ROLE, lib.compose.TaskContainer.ROLE);
        labels.put(lib.compose.TaskContainer.TASK, task.name());
        List<String> env = new ArrayList<>(base.env());
        extraEnv.forEach((k, v) -> {
            env.removeIf(e -> e.equals(k) || e.startsWith(k + "="));
            env.add(k + "=" + v);
        });
        List<MountSpec> mounts = new ArrayList<>(base.mounts());
        for (String v : task.volumes()) {
            String[] p = v.split(":");
            boolean bind = p[0].startsWith("/");
            if (bind && (base.constraints() == null || base.constraints().isEmpty())) {
                throw lib.base.DeployError.config("task " + task.name() + ": volume " + v + " is a host path, which on a Swarm is on whichever node the task"
                        + " lands; give service \"" + s.name() + "\" deploy.placement.constraints (e.g. node.hostname==db1) so it runs where that path is");
            }
            mounts.add(new MountSpec(bind ? "bind" : "volume", p[0], p[1], p.length > 2 && p[2].equals("ro")));
        }
        List<Attachment> networks = base.networks().stream().map(n -> new Attachment(n.network(), List.of())).toList();
        String name = lib.host.SwarmState.fit(lib.compose.TaskContainer.name(project, task.name()), lib.host.SwarmState.SERVICE_NAME_MAX);
        return new SwarmServiceSpec(name, pinnedImage, labels, new LinkedHashMap<>(labels), List.copyOf(env), base.command(), task.command(),
                base.user(), base.workingDir(), networks, 1, base.constraints(), null, base.limitNanoCpus(), base.limitMemory(),
                base.reserveNanoCpus(), base.reserveMemory(), new Restart("none", null, null, null), NO_HEALTHCHECK, base.stopSignal(),
                TASK_STOP_GRACE_NANOS, mounts, base.init(), base.hostname());
    }

    /** Within its colour a service answers to its Compose name (and aliases), as under docker stack deploy. */
    private static List<String> aliases(Service s, List<String> more) {
        List<String> out = new ArrayList<>(List.of(s.name()));
        more.forEach(a -> {
            if (!out.contains(a)) out.add(a);
        });
        return out;
    }

    /** deploy.restart_policy wins; otherwise the Compose restart: in Swarm's words (no: none, always and unless-stopped: any). */
    static Restart restart(Service s) {
        var sw = s.swarm();
        if (sw.restartCondition() != null || sw.restartDelayNanos() != null || sw.restartMaxAttempts() != null || sw.restartWindowNanos() != null) {
            return new Restart(sw.restartCondition() == null ? "any" : sw.restartCondition(), sw.restartDelayNanos(), sw.restartMaxAttempts(), sw.restartWindowNanos());
        }
        String r = s.restart();
        if (r == null) return new Restart("any", null, null, null);
        if (r.equals("no")) return new Restart("none", null, null, null);
        if (r.startsWith("on-failure")) {
            Integer n = r.contains(":") ? Integer.valueOf(r.substring(r.indexOf(':') + 1)) : null;
            return new Restart("on-failure", null, n, null);
        }
        return new Restart("any", null, null, null);
    }

    /** The create request. Endpoints are DNS round-robin, always, and no port is published. */
    public ServiceSpec toServiceSpec() {
        ContainerSpec c = new ContainerSpec().withImage(image).withLabels(containerLabels).withEnv(env)
                .withStopGracePeriod(stopGraceNanos);
        if (command != null) c.withCommand(command);
        if (args != null) c.withArgs(args);
        if (user != null) c.withUser(user);
        if (workingDir != null) c.withDir(workingDir);
        if (stopSignal != null) c.withStopSignal(stopSignal);
        if (init != null) c.withInit(init);
        if (hostname != null) c.withHostname(hostname);
        if (healthcheck != null) {
            HealthCheck h = new HealthCheck().withTest(healthcheck.test());
            if (healthcheck.intervalNanos() != null) h.withInterval(healthcheck.intervalNanos());
            if (healthcheck.timeoutNanos() != null) h.withTimeout(healthcheck.timeoutNanos());
            if (healthcheck.retries() != null) h.withRetries(healthcheck.retries());
            if (healthcheck.startPeriodNanos() != null) h.withStartPeriod(healthcheck.startPeriodNanos());
            c.withHealthCheck(h);
        }
        List<com.github.dockerjava.api.model.Mount> ms = new ArrayList<>();
        for (MountSpec m : mounts) {
            var mount = new com.github.dockerjava.api.model.Mount().withType(switch (m.type()) {
                case "bind" -> MountType.BIND;
                case "tmpfs" -> MountType.TMPFS;
                default -> MountType.VOLUME;
            }).withTarget(m.target()).withReadOnly(m.readOnly());
            if (m.source() != null) mount.withSource(m.source());
            ms.add(mount);
        }
        if (!ms.isEmpty()) c.withMounts(ms);

        ServicePlacement placement = new ServicePlacement().withConstraints(constraints);
        if (maxReplicasPerNode != null) placement.withMaxReplicas(maxReplicasPerNode);
        ResourceRequirements resources = new ResourceRequirements();
        if (limitNanoCpus != null || limitMemory != null) resources.withLimits(specs(limitNanoCpus, limitMemory));
        if (reserveNanoCpus != null || reserveMemory != null) resources.withReservations(specs(reserveNanoCpus, reserveMemory));
        ServiceRestartPolicy rp = new ServiceRestartPolicy().withCondition(switch (restart.condition()) {
            case "none" -> ServiceRestartCondition.NONE;
            case "on-failure" -> ServiceRestartCondition.ON_FAILURE;
            default -> ServiceRestartCondition.ANY;
        });
        if (restart.delayNanos() != null) rp.withDelay(restart.delayNanos());
        if (restart.maxAttempts() != null) rp.withMaxAttempts((long) restart.maxAttempts());
        if (restart.windowNanos() != null) rp.withWindow(restart.windowNanos());
        List<NetworkAttachmentConfig> nets = networks.stream()
                .map(n -> new NetworkAttachmentConfig().withTarget(n.network()).withAliases(n.aliases())).toList();
        TaskSpec task = new TaskSpec().withContainerSpec(c).withPlacement(placement).withResources(resources)
                .withRestartPolicy(rp).withNetworks(nets);
        return new ServiceSpec().withName(name).withLabels(labels).withTaskTemplate(task)
                .withMode(new ServiceModeConfig().withReplicated(new ServiceReplicatedModeOptions().withReplicas(replicas)))
                .withEndpointSpec(new EndpointSpec().withMode(EndpointResolutionMode.DNSRR));
    }

    private static ResourceSpecs specs(Long nanoCpus, Long memory) {
        ResourceSpecs r = new ResourceSpecs();
        if (nanoCpus != null) r.withNanoCPUs(nanoCpus);
        if (memory != null) r.withMemoryBytes(memory);
        return r;
    }
}
