package lib.compose;

import lib.base.Text;
import lib.base.DeployError;
import lib.base.Labels;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HealthCheck;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Ports;
import com.github.dockerjava.api.model.RestartPolicy;
import com.github.dockerjava.api.model.Volume;
import com.github.dockerjava.api.model.VolumesFrom;
import lib.compose.ComposeProject.Mount;
import lib.compose.ComposeProject.Run;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Device;
import com.github.dockerjava.api.model.DeviceRequest;
import com.github.dockerjava.api.model.LogConfig;
import com.github.dockerjava.api.model.PropagationMode;
import com.github.dockerjava.api.model.SELContext;

import lib.compose.ComposeProject.Port;

import lib.compose.ComposeProject.Service;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The container {@code docker-compose up} would create for one service of one colour, as data: built without a
 * Docker connection so the mapping from Compose keys to the Engine's create request is unit-tested on its own.
 *
 * @param network the network the container is created on (null in bridge, host, none, container: and service: modes,
 *                which join no project network and take no aliases, as in Compose), with its aliases
 * @param extraNetworks further networks to connect after create, each with its aliases
 * @param externalContainers containers outside the colour this one needs (Compose's container:NAME), by Compose key;
 *                           the Engine accepts a missing one at create and refuses it only at start, naming no key
 */
public record ContainerSpec(String name, String image, Map<String, String> labels, List<String> env, List<String> cmd,
                            List<String> entrypoint, String user, String workingDir, String stopSignal, int stopTimeout,
                            List<ExposedPort> exposedPorts, List<Volume> anonymousVolumes, HealthCheck healthcheck,
                            HostConfig hostConfig, Attachment network, List<Attachment> extraNetworks,
                            Map<String, String> externalContainers, Create create) {

    /** The create request's own fields beyond the command (hostname, domainname, mac_address, platform, tty, stdin_open). */
    public record Create(String hostname, String domainname, String macAddress, String platform, Boolean tty, Boolean stdinOpen) {}

    /** Compose's name for a service's container: {@code <project>-<service>-1}, as docker compose v2 names it. */
    public static String containerName(String project, String service) {
        return project + "-" + service + "-1";
    }


    public record Attachment(String network, List<String> aliases) {}

    /**
     * @param project   the Compose project ({@code <app>-<colour>}); container names and service: references use it
     * @param ourLabels dev.bgdeploy.* labels of this deploy; they are applied last, so nothing in the file can fake them
     */
    public static ContainerSpec of(ComposeProject compose, Service s, String project, Map<String, String> ourLabels) {
        Map<String, String> labels = new LinkedHashMap<>(s.labels());
        labels.put(Labels.COMPOSE_PROJECT, project);
        labels.put(Labels.COMPOSE_SERVICE, s.name());
        labels.put(Labels.COMPOSE_NUMBER, "1");
        labels.put(Labels.COMPOSE_ONEOFF, "False");
        labels.put(Labels.COMPOSE_WORKING_DIR, compose.file().getParent().toString());
        labels.put(Labels.COMPOSE_CONFIG_FILES, compose.file().toString());
        labels.putAll(ourLabels);
        labels.put(Labels.STOP_GRACE, String.valueOf(s.stopGraceOrDefault()));
        labels.put(Labels.STOP_SIGNAL, s.stopSignal() == null ? "SIGTERM" : s.stopSignal());
        // Created with no restart policy: a daemon that restarts during the gate must not bring back a release that
        // never passed it. The policy is applied at the switch, and held again when the colour is retired.
        if (s.restart() != null && !s.restart().equals("no")) labels.put(Labels.RESTART, s.restart());
        // a job another service waits for to exit 0: its exit is its success, so the gate does not count it as a crash
        if (compose.oneShots().contains(s.name())) labels.put(Labels.ONE_SHOT, "true");

        HostConfig host = HostConfig.newHostConfig();
        Ports bindings = new Ports();
        List<ExposedPort> exposed = new ArrayList<>();
        // Behind the managed front without published ports, the container ports are kept as a label (for the front and
        // the probe) and exposed, and no host port is bound.
        boolean publish = !"false".equals(ourLabels.get(Labels.PUBLISH));
        List<String> unpublished = new ArrayList<>();
        for (Port p : s.ports()) {
            ExposedPort ep = p.protocol().equals("udp") ? ExposedPort.udp(p.containerPort()) : ExposedPort.tcp(p.containerPort());
            exposed.add(ep);
            if (publish) bindings.bind(ep, new Ports.Binding(p.hostIp(), p.hostPort() == null ? null : String.valueOf(p.hostPort())));
            else if (!unpublished.contains(ep.toString())) unpublished.add(ep.toString());
        }
        if (!unpublished.isEmpty()) labels.put(Labels.PORTS, String.join(",", unpublished));
        host.withPortBindings(bindings);
        for (String e : s.expose()) {
            String[] pp = e.split("/");
            ExposedPort ep = new ExposedPort(Integer.parseInt(pp[0]), com.github.dockerjava.api.model.InternetProtocol.parse(pp[1]));
            if (!exposed.contains(ep)) exposed.add(ep);
        }

        List<Bind> binds = new ArrayList<>();
        List<Volume> anonymous = new ArrayList<>();
        Map<String, String> tmpfs = new LinkedHashMap<>(s.run().tmpfs());
        for (Mount m : s.volumes()) {
            switch (m.kind()) {
                case ANONYMOUS -> anonymous.add(new Volume(m.target()));
                case TMPFS -> tmpfs.put(m.target(), m.options() == null ? "" : m.options());
                default -> binds.add(new Bind(m.source(), new Volume(m.target()), m.readOnly() ? AccessMode.ro : AccessMode.rw,
                        m.selinux() == null ? SELContext.DEFAULT : m.selinux().equals("z") ? SELContext.shared : SELContext.single,
                        m.noCopy() ? Boolean.TRUE : null,
                        m.kind() == ComposeProject.MountKind.BIND && m.options() != null ? PropagationMode.fromString(m.options()) : PropagationMode.DEFAULT_MODE));
            }
        }
        host.withBinds(binds);
        if (!tmpfs.isEmpty()) host.withTmpFs(tmpfs);
        runOptions(host, s.run(), project);

        Map<String, String> external = new LinkedHashMap<>();
        List<VolumesFrom> from = new ArrayList<>();
        for (String vf : s.volumesFrom()) {
            String[] p = vf.split(":");
            boolean container = p[0].equals("container");
            if (container) external.putIfAbsent("volumes_from", p[1]);
            String source = container ? p[1] : containerName(project, p[0]);
            String mode = p.length > (container ? 2 : 1) ? p[container ? 2 : 1] : "rw";
            from.add(new VolumesFrom(source, AccessMode.valueOf(mode)));
        }
        if (!from.isEmpty()) host.withVolumesFrom(from.toArray(new VolumesFrom[0]));

        if (!s.extraHosts().isEmpty()) host.withExtraHosts(s.extraHosts().toArray(new String[0]));
        if (s.init() != null) host.withInit(s.init());

        HealthCheck health = null;
        if (s.healthcheck() != null) {
            var h = s.healthcheck();
            health = new HealthCheck().withTest(h.test()).withInterval(h.intervalNanos()).withTimeout(h.timeoutNanos())
                    .withRetries(h.retries()).withStartPeriod(h.startPeriodNanos()).withStartInterval(h.startIntervalNanos());
        }

        Attachment first = null;
        List<Attachment> more = new ArrayList<>();
        String mode = s.networkMode();
        if (mode != null) {
            if (mode.startsWith("container:")) external.put("network_mode", mode.substring(10));
            host.withNetworkMode(mode.startsWith("service:") ? "container:" + containerName(project, mode.substring(8)) : mode);
        } else {
            Map<String, List<String>> nets = s.networks().isEmpty() ? Map.of("default", List.of()) : s.networks();
            for (var e : nets.entrySet()) {
                List<String> aliases = new ArrayList<>(e.getValue());
                aliases.add(0, s.name());
                // container_name, and the names other services link to this one by, resolve in the colour
                if (s.containerName() != null && !aliases.contains(s.containerName())) aliases.add(s.containerName());
                for (Service other : compose.services().values()) {
                    String alias = other.links().get(s.name());
                    if (alias != null && !aliases.contains(alias)) aliases.add(alias);
                }
                Attachment a = new Attachment(networkName(compose, project, e.getKey()), List.copyOf(aliases));
                if (first == null) first = a;
                else more.add(a);
            }
            host.withNetworkMode(first.network());
        }

        return new ContainerSpec(containerName(project, s.name()), s.image(), labels,
                s.environment().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList(),
                s.command(), s.entrypoint(), s.user(), s.workingDir(), s.stopSignal(), s.stopGraceOrDefault(),
                exposed, anonymous, health, host, first, more, external,
                new Create(s.hostname(), s.domainname(), s.run().macAddress(), s.run().platform(), s.run().tty(), s.run().stdinOpen()));
    }

    /** The HostConfig fields that are one Compose key each (ComposeProject.Run); absent keys leave Docker's default. */
    static void runOptions(HostConfig host, Run r, String project) {
        if (!r.capAdd().isEmpty()) host.withCapAdd(r.capAdd().stream().map(Capability::valueOf).toArray(Capability[]::new));
        if (!r.capDrop().isEmpty()) host.withCapDrop(r.capDrop().stream().map(Capability::valueOf).toArray(Capability[]::new));
        if (!r.securityOpt().isEmpty()) host.withSecurityOpts(r.securityOpt());
        if (r.shmSize() != null) host.withShmSize(r.shmSize());
        if (!r.ulimits().isEmpty()) {
            host.withUlimits(r.ulimits().stream().map(u -> new com.github.dockerjava.api.model.Ulimit(u.name(), u.soft(), u.hard())).toList());
        }
        if (r.logging() != null) {
            LogConfig.LoggingType type = r.logging().driver() == null ? LogConfig.LoggingType.DEFAULT : LogConfig.LoggingType.fromValue(r.logging().driver());
            host.withLogConfig(new LogConfig(type, r.logging().options().isEmpty() ? null : r.logging().options()));
        }
        if (!r.sysctls().isEmpty()) host.withSysctls(r.sysctls());
        if (r.readOnly() != null) host.withReadonlyRootfs(r.readOnly());
        if (r.privileged() != null) host.withPrivileged(r.privileged());
        if (r.pidsLimit() != null) host.withPidsLimit(r.pidsLimit());
        if (!r.dns().isEmpty()) host.withDns(r.dns());
        if (!r.dnsSearch().isEmpty()) host.withDnsSearch(r.dnsSearch());
        if (!r.dnsOpt().isEmpty()) host.withDnsOptions(r.dnsOpt());
        if (!r.devices().isEmpty()) host.withDevices(r.devices().stream().map(d -> {
            String[] p = d.split(":");
            return new Device(p[2], p[1], p[0]);
        }).toList());
        if (!r.groupAdd().isEmpty()) host.withGroupAdd(r.groupAdd());
        if (r.ipc() != null) host.withIpcMode(serviceMode(r.ipc(), project));
        if (r.pid() != null) host.withPidMode(serviceMode(r.pid(), project));
        if (r.uts() != null) host.withUtSMode(r.uts());
        if (r.cgroup() != null) host.withCgroupnsMode(r.cgroup());
        if (r.cgroupParent() != null) host.withCgroupParent(r.cgroupParent());
        if (r.memory() != null) host.withMemory(r.memory());
        if (r.memorySwap() != null) host.withMemorySwap(r.memorySwap());
        if (r.memoryReservation() != null) host.withMemoryReservation(r.memoryReservation());
        if (r.memSwappiness() != null) host.withMemorySwappiness(r.memSwappiness());
        if (r.nanoCpus() != null) host.withNanoCPUs(r.nanoCpus());
        if (r.cpuShares() != null) host.withCpuShares(r.cpuShares());
        if (r.cpuset() != null) host.withCpusetCpus(r.cpuset());
        if (r.cpuQuota() != null) host.withCpuQuota(r.cpuQuota());
        if (r.cpuPeriod() != null) host.withCpuPeriod(r.cpuPeriod());
        if (r.oomScoreAdj() != null) host.withOomScoreAdj(r.oomScoreAdj());
        if (r.oomKillDisable() != null) host.withOomKillDisable(r.oomKillDisable());
        if (!r.storageOpt().isEmpty()) host.withStorageOpt(r.storageOpt());
        if (r.usernsMode() != null) host.withUsernsMode(r.usernsMode());
        if (r.runtime() != null) host.withRuntime(r.runtime());
        if (!r.deviceCgroupRules().isEmpty()) host.withDeviceCgroupRules(r.deviceCgroupRules());
        if (r.gpus()) {
            host.withDeviceRequests(List.of(new DeviceRequest().withCount(-1).withCapabilities(List.of(List.of("gpu")))));
        }
    }

    /** ipc and pid: service:NAME names that service's container in the same colour, as network_mode does. */
    private static String serviceMode(String mode, String project) {
        return mode.startsWith("service:") ? "container:" + containerName(project, mode.substring(8)) : mode;
    }

    static String networkName(ComposeProject compose, String project, String key) {
        var declared = compose.networks().get(key);
        return declared != null ? declared.name() : project + "_" + key;
    }

    /** Fills a create request from this spec. */
    public CreateContainerCmd applyTo(CreateContainerCmd cmd) {
        cmd.withName(name).withLabels(labels).withEnv(env).withStopTimeout(stopTimeout).withHostConfig(hostConfig);
        if (cmd() != null) cmd.withCmd(cmd());
        if (entrypoint != null) cmd.withEntrypoint(entrypoint);
        if (user != null) cmd.withUser(user);
        if (workingDir != null) cmd.withWorkingDir(workingDir);
        if (stopSignal != null) cmd.withStopSignal(stopSignal);
        if (!exposedPorts.isEmpty()) cmd.withExposedPorts(exposedPorts);
        if (!anonymousVolumes.isEmpty()) cmd.withVolumes(anonymousVolumes);
        if (healthcheck != null) cmd.withHealthcheck(healthcheck);
        if (network != null) cmd.withAliases(network.aliases());
        if (create.hostname() != null) cmd.withHostName(create.hostname());
        if (create.domainname() != null) cmd.withDomainName(create.domainname());
        if (create.macAddress() != null) cmd.withMacAddress(create.macAddress());
        if (create.platform() != null) cmd.withPlatform(create.platform());
        if (create.tty() != null) cmd.withTty(create.tty());
        if (create.stdinOpen() != null) cmd.withStdinOpen(create.stdinOpen());
        return cmd;
    }

    /**
     * The Engine's refusal of a container setting, as one line that names the file, the service and the Compose key
     * it most likely came from, so the user knows what to fix; the Engine's own words follow, shortened.
     */
    public static DeployError rejected(ComposeProject compose, Service s, DockerException e) {
        String said = Text.summarise(e.getMessage());
        return DeployError.failed(compose.file() + ": service \"" + s.name() + "\": " + keyFor(said, s)
                + "Docker refused the container: " + said);
    }

    static String keyFor(String said, Service s) {
        String m = said.toLowerCase();
        String missing = m.matches(".*no such container: ?\\S+.*") ? m.replaceFirst(".*no such container: ?(\\S+).*", "$1") : null;
        String key;
        // first: "Bind for 0.0.0.0:8081 failed" would otherwise read as a bind mount
        if (m.contains("port is already allocated") || m.contains("address already in use") || m.contains("ports are not available")) key = "ports";
        else if (missing != null && s.networkMode() != null && s.networkMode().toLowerCase().endsWith(":" + missing)) key = "network_mode";
        else if (missing != null && s.volumesFrom().stream().anyMatch(v -> v.toLowerCase().contains(missing))) key = "volumes_from";
        else if (has(m, "user|passwd|group")) key = "user";
        else if (has(m, "working dir(ectory)?|workdir|cwd")) key = "working_dir";
        else if (has(m, "extra ?hosts?|add-host|host ip")) key = "extra_hosts";
        else if (has(m, "signal")) key = "stop_signal";
        else if (has(m, "health ?check|interval|start ?period")) key = "healthcheck";
        else if (has(m, "network|network ?mode|netns")) key = "network_mode";
        else if (has(m, "mounts?|volumes?|bind")) key = "volumes";
        else if (has(m, "ports?|port bindings?")) key = "ports";
        else if (has(m, "reference format|image|repository")) key = "image";
        else if (has(m, "exec|executable|entrypoint")) key = s.entrypoint() != null ? "entrypoint" : "command";
        else return "";
        return "key \"" + key + "\": ";
    }

    private static boolean has(String message, String words) {
        return java.util.regex.Pattern.compile("\\b(" + words + ")\\b").matcher(message).find();
    }
}
