package lib.health;

import lib.model.ColourState;
import lib.model.ContainerInfo;
import lib.docker.DockerHost;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.Ports;

import java.io.PrintWriter;
import java.net.URI;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;

/**
 * The health gate's HTTP probe: which published port of a service it checks, taken from the Compose file for a new
 * colour, or from the containers themselves when an existing colour is started again (rollback); and where it runs,
 * on the Docker host's side (default) or from this machine (--probe-from local).
 */
public final class Probes {
    private Probes() {}

    public record Settings(boolean enabled, String path, String service, int successes, boolean fromHost, Duration timeout) {
        public Settings withSuccesses(int n) {
            return new Settings(enabled, path, service, n, fromHost, timeout);
        }
    }

    /**
     * The container a probe reaches and on which port: the first (by name) that publishes a TCP port, with where that
     * port is reached from this machine; else, behind the managed front without host ports, the port the Compose file
     * would have published (hostPort 0: nothing is bound on the host, the front reaches it over its network).
     */
    record Target(ContainerInfo container, String host, int hostPort, int containerPort) {}

    static Target target(Settings s, ColourState colour, DockerClient client, DockerHost docker) {
        for (ContainerInfo c : colour.containers().stream().sorted(Comparator.comparing(ContainerInfo::name)).toList()) {
            if (s.service() != null && !s.service().equals(c.service())) continue;
            Ports ports = client.inspectContainerCmd(c.id()).exec().getHostConfig().getPortBindings();
            if (ports == null) continue;
            for (Map.Entry<ExposedPort, Ports.Binding[]> e : ports.getBindings().entrySet()) {
                if (e.getValue() == null || !"tcp".equals(e.getKey().getProtocol().toString())) continue;
                for (Ports.Binding b : e.getValue()) {
                    Optional<Integer> hostPort = Optional.ofNullable(b.getHostPortSpec()).filter(p -> p.matches("\\d+")).map(Integer::parseInt);
                    if (hostPort.isPresent()) return new Target(c, hostFor(b.getHostIp(), docker), hostPort.get(), e.getKey().getPort());
                }
            }
        }
        for (ContainerInfo c : colour.containers().stream().sorted(Comparator.comparing(ContainerInfo::name)).toList()) {
            if (s.service() != null && !s.service().equals(c.service())) continue;
            if (c.unpublishedPort() != null) return new Target(c, null, 0, c.unpublishedPort());
        }
        return null;
    }

    public static HealthGate.Probe fromContainers(Settings s, ColourState colour, DockerClient client, DockerHost docker, PrintWriter out) {
        if (!s.enabled()) return null;
        Target t = target(s, colour, client, docker);
        if (t == null) return none(out);
        if (t.hostPort() != 0) return probe(s, t.container().id(), t.host(), t.hostPort(), t.containerPort(), docker, out);
        ContainerInfo c = t.container();
        int port = t.containerPort();
        if (s.fromHost()) {
            out.println("  probing GET " + s.path() + " on port " + port + " of " + c.name() + " (no host port: the front reaches it over its network), from the Docker host's side");
            return new HostProbe(client, c.id(), 0, port, s.path(), Math.max(1, s.successes()), s.timeout(), out);
        }
        String ip = networkAddress(client, c.id());
        if (ip == null) return none(out);
        URI url = URI.create("http://" + ip + ":" + port + s.path());
        out.println("  probing " + url + " from this machine (" + c.name() + "'s address on its network: it publishes no host port)");
        return new LocalProbe(url, Math.max(1, s.successes()));
    }

    /** The container's address on the managed front's network if it is on it, else on any of its networks. */
    static String networkAddress(DockerClient client, String id) {
        var nets = client.inspectContainerCmd(id).exec().getNetworkSettings().getNetworks();
        if (nets == null) return null;
        String any = null;
        for (var e : nets.entrySet()) {
            String ip = e.getValue().getIpAddress();
            if (ip == null || ip.isEmpty()) continue;
            if (e.getKey().endsWith("-bgdeploy-front")) return ip;
            if (any == null) any = ip;
        }
        return any;
    }

    private static HealthGate.Probe none(PrintWriter out) {
        out.println("  no published port to probe: gating on container state and HEALTHCHECKs only");
        return null;
    }

    private static String hostFor(String ip, DockerHost docker) {
        return ip == null || ip.isEmpty() || ip.equals("0.0.0.0") || ip.startsWith("127.") ? docker.publishedHost() : ip;
    }

    private static HealthGate.Probe probe(Settings s, String containerId, String host, int hostPort, int containerPort, DockerHost docker, PrintWriter out) {
        int successes = Math.max(1, s.successes());
        if (s.fromHost()) {
            out.println("  probing GET " + s.path() + " on port " + containerPort + " of the container behind port " + hostPort + ", from the Docker host's side");
            return new HostProbe(docker.client(), containerId, hostPort, containerPort, s.path(), successes, s.timeout(), out);
        }
        URI url = URI.create("http://" + host + ":" + hostPort + s.path());
        out.println("  probing " + url + " from this machine");
        return new LocalProbe(url, successes);
    }
}
