//DEPS org.yaml:snakeyaml:2.3
package lib.compose;

import lib.base.Text;
import lib.base.DeployError;
import lib.base.Durations;
import lib.base.Home;
import lib.base.Labels;
import lib.base.ShellWords;

import lib.compose.ComposeProject.Health;

import lib.compose.ComposeProject.Mount;

import lib.compose.ComposeProject.MountKind;

import lib.compose.ComposeProject.Port;

import lib.compose.ComposeProject.Resource;

import lib.compose.ComposeProject.Service;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Loads the Compose subset this toolkit supports (the README lists it). Anything else is an error that names
 * the file, the service and the key: a silently skipped key is a production surprise.
 */
public final class ComposeLoader {
    static final Set<String> TOP_KEYS = Set.of("version", "services", "volumes", "networks");
    static final Set<String> SERVICE_KEYS = Set.of("image", "environment", "ports", "volumes", "volumes_from",
            "depends_on", "network_mode", "command", "entrypoint", "env_file", "labels", "networks", "healthcheck",
            "restart", "stop_signal", "stop_grace_period", "user", "working_dir", "extra_hosts", "init");
    static final Set<String> HEALTH_KEYS = Set.of("test", "interval", "timeout", "retries", "start_period", "disable");
    static final Set<String> RESOURCE_KEYS = Set.of("external", "name");

    private final Path file;
    private final String project;

    private ComposeLoader(Path file, String project) {
        this.file = file;
        this.project = project;
    }

    /**
     * @param project the Compose project name ({@code <app>-<colour>}), used to name volumes and networks
     * @param ours    per-colour variables (DEPLOY_COLOUR, DEPLOY_PORT); they win over the environment and .env
     */
    public static ComposeProject load(Path file, String project, Map<String, String> env, Map<String, String> ours) {
        Path abs = file.toAbsolutePath().normalize();
        Map<String, String> vars = Interpolator.variables(abs.getParent().resolve(".env"), env, ours);
        return new ComposeLoader(abs, project).parse(readYaml(abs), new Interpolator(vars, abs.toString()), vars);
    }

    /**
     * A Compose file, deploy.yml or .env is a few KB; anything near these limits is a mistake or an attack. The size
     * is checked on the file, not by the parser: SnakeYAML's code point limit skips comments and takes seconds a MB.
     */
    static final long MAX_BYTES = 1 << 20;
    static final int MAX_ALIASES = 50;
    /** Values after expanding aliases: 48 nested aliases in 500 bytes would otherwise expand to 2^48 values. */
    static final int MAX_NODES = 100_000;

    /** Reads a YAML file with duplicate keys refused and aliases bounded by count and by expanded size. */
    public static Object readYaml(Path file) {
        if (!Files.exists(file)) {
            throw DeployError.config(file + ": Compose file not found; pass -f FILE or run from the app's directory");
        }
        // before opening: a FIFO would block the read forever, a directory gives a bare IOException
        if (!Files.isRegularFile(file)) {
            throw DeployError.config(file + ": is " + (Files.isDirectory(file) ? "a directory" : "not a regular file (a pipe or device?)")
                    + ", not a YAML file; name the file itself");
        }
        requireSmall(file);
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        options.setAllowRecursiveKeys(false);
        options.setMaxAliasesForCollections(MAX_ALIASES);
        Yaml yaml = new Yaml(new SafeConstructor(options));
        Object root;
        try (Reader r = Files.newBufferedReader(file)) {
            root = yaml.load(r);
        } catch (MarkedYAMLException e) {
            var mark = e.getProblemMark();
            String at = mark == null ? "" : ":" + (mark.getLine() + 1) + ":" + (mark.getColumn() + 1);
            throw DeployError.config(file + at + ": invalid YAML: " + Text.oneLine(e.getProblem()));
        } catch (YAMLException e) {
            throw DeployError.config(file + ": invalid YAML: " + Text.oneLine(e.getMessage()));
        } catch (IOException e) {
            throw DeployError.config(file + ": cannot read (" + e.getClass().getSimpleName() + ")");
        }
        if (countNodes(root, MAX_NODES) > MAX_NODES) {
            throw DeployError.config(file + ": expands to more than " + MAX_NODES + " values (nested YAML aliases?); write the values out or use fewer aliases");
        }
        return root;
    }

    /** Refuses a file over MAX_BYTES by its size alone, so a huge file costs neither time nor memory. */
    static void requireSmall(Path file) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw DeployError.config(file + ": cannot read (" + e.getClass().getSimpleName() + ")");
        }
        if (size > MAX_BYTES) {
            throw DeployError.config(file + ": is " + size + " bytes, over the limit of " + MAX_BYTES + " (1 MiB) for a Compose file,"
                    + " deploy.yml or .env; name the right file, or trim it");
        }
    }

    /** Counts values as the aliases expand them, stopping as soon as the count passes limit. */
    static long countNodes(Object node, long limit) {
        long n = 1;
        if (node instanceof Map<?, ?> m) {
            for (var e : m.entrySet()) {
                n += 1 + countNodes(e.getValue(), limit - n);
                if (n > limit) return n;
            }
        } else if (node instanceof List<?> l) {
            for (Object v : l) {
                n += countNodes(v, limit - n);
                if (n > limit) return n;
            }
        }
        return n;
    }

    private ComposeProject parse(Object root, Interpolator interpolator, Map<String, String> vars) {
        Map<String, Object> top = map(interpolate(root, interpolator, ""), "the top level");
        unknownKeys(top, TOP_KEYS, "top-level key", "");
        Object version = top.get("version");
        if (version != null && !String.valueOf(version).matches("[23](\\.\\d+)?")) {
            throw err("", "version \"" + version + "\" is not supported; use '2', '2.x' or '3.x' (or leave it out)");
        }
        Map<String, Resource> volumes = resources(top.get("volumes"), "volumes");
        Map<String, Resource> networks = resources(top.get("networks"), "networks");
        Map<String, Object> rawServices = map(top.get("services"), "services");
        if (rawServices.isEmpty()) throw err("", "no services defined under \"services:\"");

        Map<String, Service> services = new LinkedHashMap<>();
        for (var e : rawServices.entrySet()) {
            services.put(e.getKey(), service(e.getKey(), map(e.getValue(), "service \"" + e.getKey() + "\""), vars, volumes, networks));
        }
        ComposeProject p = new ComposeProject(file, services, volumes, networks);
        for (Service s : services.values()) {
            defined(s, "depends_on", s.dependsOn().keySet(), services);
            defined(s, "volumes_from", s.volumesFrom().stream().filter(v -> !v.startsWith("container:")).map(v -> v.split(":")[0]).toList(), services);
            if (s.networkMode() != null && s.networkMode().startsWith("service:")) {
                defined(s, "network_mode", List.of(s.networkMode().substring(8)), services);
            }
        }
        p.startOrder();
        return p;
    }

    private void defined(Service s, String key, java.util.Collection<String> names, Map<String, Service> services) {
        for (String n : names) {
            if (!services.containsKey(n)) {
                throw err(svc(s.name()), key + " refers to service \"" + n + "\", which is not defined in this file; defined: "
                        + String.join(", ", services.keySet()));
            }
        }
    }

    private Service service(String name, Map<String, Object> m, Map<String, String> vars,
                            Map<String, Resource> volumes, Map<String, Resource> networks) {
        String where = svc(name);
        if (!name.matches("[a-zA-Z0-9][a-zA-Z0-9_.-]*")) throw err(where, "invalid service name; use letters, digits, '_', '.', '-'");
        if (m.containsKey("container_name")) {
            throw err(where, "key \"container_name\" is not supported: blue and green need different names; remove it (containers are named <app>-<colour>-<service>-1)");
        }
        if (m.containsKey("build")) {
            throw err(where, "key \"build\" is not supported: deploys use prebuilt images; build and push with build.jsh, then set \"image\"");
        }
        unknownKeys(m, SERVICE_KEYS, "key", where);
        String image = string(m.get("image"), where, "image");
        if (image == null || image.isBlank()) throw err(where, "key \"image\" is required (e.g. image: registry/app:tag)");
        if (!image.matches(IMAGE)) {
            throw err(where, "image \"" + image + "\" is not an image reference; write [REGISTRY[:PORT]/]NAME[:TAG][@sha256:DIGEST], lowercase name, no spaces");
        }

        Map<String, String> env = new LinkedHashMap<>();
        for (String f : stringList(m.get("env_file"), where, "env_file")) {
            env.putAll(Interpolator.readDotEnv(requireFile(file.getParent().resolve(f), where, "env_file")));
        }
        env.putAll(keyValues(m.get("environment"), where, "environment", vars));

        String networkMode = string(m.get("network_mode"), where, "network_mode");
        Map<String, List<String>> nets = serviceNetworks(m.get("networks"), where, networks);
        List<Port> ports = ports(m.get("ports"), where);
        if (networkMode != null) networkMode(networkMode, !nets.isEmpty(), !ports.isEmpty(), where);

        Map<String, String> labels = keyValues(m.get("labels"), where, "labels", Map.of());
        for (String label : labels.keySet()) {
            if (label.startsWith(Labels.NS) || label.startsWith("com.docker.compose.")) {
                throw err(where, "label \"" + label + "\" is in " + (label.startsWith(Labels.NS) ? "bgdeploy's" : "Compose's")
                        + " own namespace, which the deploy sets itself; rename it (e.g. com.example." + label.substring(label.lastIndexOf('.') + 1) + ")");
            }
        }

        return new Service(name, image, env,
                command(m.get("command"), where, "command"),
                command(m.get("entrypoint"), where, "entrypoint"),
                ports,
                mounts(m.get("volumes"), where, volumes),
                volumesFrom(m.get("volumes_from"), where),
                dependsOn(m.get("depends_on"), where),
                networkMode, nets,
                labels,
                health(m.get("healthcheck"), where),
                restart(m.get("restart"), where),
                stopSignal(string(m.get("stop_signal"), where, "stop_signal"), where),
                m.containsKey("stop_grace_period") ? stopGrace(m.get("stop_grace_period"), where) : null,
                user(string(m.get("user"), where, "user"), where),
                workingDir(string(m.get("working_dir"), where, "working_dir"), where),
                extraHosts(m.get("extra_hosts"), where),
                bool(m.get("init"), where, "init"));
    }

    /** Docker's reference grammar, loosely: [host[:port]/]path[:tag][@digest], path components lowercase. */
    public static final String IMAGE = "(?:[a-zA-Z0-9.-]+(?::\\d+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
            + "(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?";

    /** Signal names as Docker parses them: case-insensitive, SIG prefix optional, or a number. */
    static final Set<String> SIGNALS = Set.of("HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "IOT", "BUS", "FPE", "KILL", "USR1",
            "SEGV", "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU",
            "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "POLL", "PWR", "SYS", "RTMIN", "RTMAX");

    /** A day: longer is a typo, and Docker keeps the grace period in seconds as a 32-bit number. */
    static final long MAX_GRACE_SECONDS = 86_400;

    private void networkMode(String mode, boolean hasNetworks, boolean hasPorts, String where) {
        if (hasNetworks) throw err(where, "use either \"network_mode\" or \"networks\", not both");
        if (!mode.matches("bridge|host|none|service:[a-zA-Z0-9][a-zA-Z0-9_.-]*|container:[a-zA-Z0-9][a-zA-Z0-9_.-]*")) {
            throw err(where, "network_mode \"" + mode + "\" is not one of bridge, host, none, service:NAME, container:NAME");
        }
        if (hasPorts && !mode.equals("bridge")) {
            throw err(where, "\"ports\" cannot be published with network_mode \"" + mode + "\" (" + (mode.equals("host")
                    ? "the container listens on the host's ports directly" : mode.equals("none") ? "it has no network"
                    : "it shares the other container's network; publish the ports there") + "); remove \"ports\" or the network_mode");
        }
    }

    private String stopSignal(String raw, String where) {
        if (raw == null) return null;
        String name = raw.toUpperCase().replaceFirst("^SIG", "");
        boolean ok = raw.matches("\\d{1,2}") ? Integer.parseInt(raw) >= 1 && Integer.parseInt(raw) <= 64
                : SIGNALS.contains(name) || name.matches("RTMIN\\+([1-9]|1[0-5])|RTMAX-([1-9]|1[0-4])");
        if (!ok) throw err(where, "stop_signal \"" + raw + "\" is not a signal; write e.g. SIGTERM, SIGQUIT, SIGINT or a number 1-64");
        return raw;
    }

    private int stopGrace(Object raw, String where) {
        long nanos = Durations.parseNanos(raw, file + ": " + where + ": stop_grace_period");
        long seconds = (nanos + 999_999_999L) / 1_000_000_000L;
        if (nanos < 0 || seconds > MAX_GRACE_SECONDS) throw err(where, "stop_grace_period \"" + raw + "\" is over a day; write e.g. 30s or 2m");
        return (int) seconds;
    }

    private String user(String raw, String where) {
        if (raw != null && !raw.matches("[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?")) {
            throw err(where, "user \"" + raw + "\" is not USER[:GROUP]; write a name or number, e.g. www-data or 33:33");
        }
        return raw;
    }

    private String workingDir(String raw, String where) {
        if (raw != null && !raw.startsWith("/")) {
            throw err(where, "working_dir \"" + raw + "\" is not an absolute path inside the container; write it from /, e.g. /var/www");
        }
        return raw;
    }

    private Boolean bool(Object raw, String where, String key) {
        if (raw == null) return null;
        if (raw instanceof Boolean b) return b;
        throw err(where, "\"" + key + "\" must be true or false, got " + describe(raw));
    }

    private List<Port> ports(Object raw, String where) {
        List<Port> out = new ArrayList<>();
        for (Object o : list(raw, where, "ports")) {
            if (o instanceof Map) throw err(where, "long-syntax ports are not supported; write \"[HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp]\"");
            String spec = String.valueOf(o);
            String protocol = "tcp";
            String body = spec;
            int slash = spec.indexOf('/');
            if (slash >= 0) {
                protocol = spec.substring(slash + 1);
                body = spec.substring(0, slash);
                if (!protocol.equals("tcp") && !protocol.equals("udp")) throw badPort(where, spec, "protocol must be tcp or udp");
            }
            String[] parts = body.split(":", -1);
            String ip = null;
            String host = null;
            String container;
            switch (parts.length) {
                case 1 -> container = parts[0];
                case 2 -> { host = parts[0]; container = parts[1]; }
                case 3 -> { ip = parts[0]; host = parts[1]; container = parts[2]; }
                default -> throw badPort(where, spec, "too many ':'");
            }
            Integer hostPort = host == null || host.isEmpty() ? null : portNumber(host, where, spec);
            out.add(new Port(ip == null || ip.isEmpty() ? null : ip, hostPort, portNumber(container, where, spec), protocol));
        }
        return out;
    }

    private int portNumber(String s, String where, String spec) {
        if (!s.matches("\\d{1,5}")) throw badPort(where, spec, "\"" + s + "\" is not a port number (ranges are not supported)");
        int p = Integer.parseInt(s);
        if (p < 1 || p > 65535) throw badPort(where, spec, p + " is outside 1-65535");
        return p;
    }

    private DeployError badPort(String where, String spec, String why) {
        return err(where, "bad port \"" + spec + "\": " + why + "; write \"[HOST_IP:]HOST_PORT:CONTAINER_PORT\", e.g. \"127.0.0.1:8080:80\"");
    }

    private List<Mount> mounts(Object raw, String where, Map<String, Resource> volumes) {
        List<Mount> out = new ArrayList<>();
        for (Object o : list(raw, where, "volumes")) {
            if (o instanceof Map<?, ?> lm) {
                Map<String, Object> v = map(lm, where + ": volumes entry");
                unknownKeys(v, Set.of("type", "source", "target", "read_only"), "volumes key", where);
                String type = String.valueOf(v.getOrDefault("type", "volume"));
                String source = string(v.get("source"), where, "volumes.source");
                String target = string(v.get("target"), where, "volumes.target");
                if (target == null) throw err(where, "volumes entry needs \"target\"");
                boolean ro = Boolean.TRUE.equals(v.get("read_only"));
                out.add(switch (type) {
                    case "bind" -> new Mount(MountKind.BIND, hostPath(source, where), target, ro);
                    case "volume" -> source == null ? new Mount(MountKind.ANONYMOUS, null, target, ro) : named(source, target, ro, where, volumes);
                    default -> throw err(where, "volume type \"" + type + "\" is not supported; use bind or volume");
                });
                continue;
            }
            String spec = String.valueOf(o);
            String[] parts = spec.split(":");
            if (parts.length == 1) {
                out.add(new Mount(MountKind.ANONYMOUS, null, parts[0], false));
                continue;
            }
            if (parts.length > 3) throw err(where, "bad volume \"" + spec + "\"; write SOURCE:TARGET[:ro|rw]");
            boolean ro = false;
            if (parts.length == 3) {
                if (!parts[2].equals("ro") && !parts[2].equals("rw")) throw err(where, "bad volume mode \"" + parts[2] + "\" in \"" + spec + "\"; use ro or rw");
                ro = parts[2].equals("ro");
            }
            String source = parts[0];
            if (source.startsWith(".") || source.startsWith("/") || source.startsWith("~")) {
                out.add(new Mount(MountKind.BIND, hostPath(source, where), parts[1], ro));
            } else {
                out.add(named(source, parts[1], ro, where, volumes));
            }
        }
        return out;
    }

    private Mount named(String key, String target, boolean ro, String where, Map<String, Resource> volumes) {
        Resource r = volumes.get(key);
        if (r == null) throw err(where, "volume \"" + key + "\" is not declared under the top-level \"volumes:\"; declare it (external: true to share it between colours)");
        return new Mount(MountKind.NAMED, r.name(), target, ro);
    }

    private String hostPath(String source, String where) {
        if (source == null) throw err(where, "bind volume needs a source path");
        if (source.startsWith("~")) source = Home.home() + source.substring(1);
        return file.getParent().resolve(source).normalize().toString();
    }

    private List<String> volumesFrom(Object raw, String where) {
        List<String> out = new ArrayList<>();
        for (String s : stringList(raw, where, "volumes_from")) {
            String[] p = s.split(":");
            boolean container = p[0].equals("container");
            int modeAt = container ? 2 : 1;
            if (container && p.length < 2 || p.length > modeAt + 1 || p.length == modeAt + 1 && !p[modeAt].matches("ro|rw")) {
                throw err(where, "bad volumes_from \"" + s + "\"; write SERVICE[:ro|rw] or container:NAME[:ro|rw]");
            }
            out.add(s);
        }
        return out;
    }

    private Map<String, String> dependsOn(Object raw, String where) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw instanceof Map<?, ?> m) {
            for (var e : map(m, where + ": depends_on").entrySet()) {
                Map<String, Object> cond = e.getValue() == null ? Map.of() : map(e.getValue(), where + ": depends_on." + e.getKey());
                unknownKeys(cond, Set.of("condition"), "depends_on key", where);
                String c = String.valueOf(cond.getOrDefault("condition", "service_started"));
                if (!c.matches("service_started|service_healthy")) {
                    throw err(where, "depends_on condition \"" + c + "\" is not supported; use service_started or service_healthy");
                }
                out.put(e.getKey(), c);
            }
        } else {
            for (String s : stringList(raw, where, "depends_on")) out.put(s, "service_started");
        }
        return out;
    }

    private Map<String, List<String>> serviceNetworks(Object raw, String where, Map<String, Resource> networks) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (raw instanceof Map<?, ?> m) {
            for (var e : map(m, where + ": networks").entrySet()) {
                Map<String, Object> opts = e.getValue() == null ? Map.of() : map(e.getValue(), where + ": networks." + e.getKey());
                unknownKeys(opts, Set.of("aliases"), "networks key", where);
                out.put(e.getKey(), stringList(opts.get("aliases"), where, "networks." + e.getKey() + ".aliases"));
            }
        } else {
            for (String s : stringList(raw, where, "networks")) out.put(s, List.of());
        }
        for (String n : out.keySet()) {
            if (!n.equals("default") && !networks.containsKey(n)) {
                throw err(where, "network \"" + n + "\" is not declared under the top-level \"networks:\"");
            }
        }
        return out;
    }

    private Health health(Object raw, String where) {
        if (raw == null) return null;
        Map<String, Object> m = map(raw, where + ": healthcheck");
        unknownKeys(m, HEALTH_KEYS, "healthcheck key", where);
        if (Boolean.TRUE.equals(m.get("disable"))) return new Health(List.of("NONE"), null, null, null, null);
        Object test = m.get("test");
        List<String> t;
        if (test instanceof String s) {
            t = List.of("CMD-SHELL", s);
        } else {
            t = stringList(test, where, "healthcheck.test");
            if (t.isEmpty() || !t.get(0).matches("CMD|CMD-SHELL|NONE")) {
                throw err(where, "healthcheck.test must be a string or a list starting with CMD, CMD-SHELL or NONE");
            }
        }
        Integer retries = m.containsKey("retries") ? intValue(m.get("retries"), where, "healthcheck.retries") : null;
        if (retries != null && retries < 0) throw err(where, "healthcheck.retries must be 0 or more, got " + retries);
        return new Health(t, healthDuration(m, "interval", where), healthDuration(m, "timeout", where), retries,
                healthDuration(m, "start_period", where));
    }

    /** Docker refuses anything between 0 (its default) and 1 ms at create; say so here, with the key. */
    private Long healthDuration(Map<String, Object> m, String key, String where) {
        if (!m.containsKey(key)) return null;
        long nanos = Durations.parseNanos(m.get(key), file + ": " + where + ": healthcheck." + key);
        if (nanos < 0 || nanos > 0 && nanos < 1_000_000L) {
            throw err(where, "healthcheck." + key + " \"" + m.get(key) + "\" is shorter than 1ms; write e.g. 1s or 30s");
        }
        return nanos;
    }

    private String restart(Object raw, String where) {
        String r = string(raw, where, "restart");
        if (r == null) return null;
        if (!r.matches("no|always|unless-stopped|on-failure(:\\d+)?")) {
            throw err(where, "restart \"" + r + "\" is not one of no, always, unless-stopped, on-failure[:N]");
        }
        return r;
    }

    private List<String> extraHosts(Object raw, String where) {
        List<String> out = new ArrayList<>();
        if (raw instanceof Map<?, ?> m) {
            map(m, where + ": extra_hosts").forEach((k, v) -> out.add(extraHost(k, scalar(v, where, "extra_hosts." + k), k + ": " + v, where)));
            return out;
        }
        for (String s : stringList(raw, where, "extra_hosts")) {
            int at = s.contains("=") ? s.indexOf('=') : s.indexOf(':');
            if (at < 0) throw err(where, "bad extra_hosts entry \"" + s + "\"; write HOST:IP, e.g. mysql:10.0.0.5");
            out.add(extraHost(s.substring(0, at), s.substring(at + 1), s, where));
        }
        return out;
    }

    private String extraHost(String host, String ip, String entry, String where) {
        String bare = ip.startsWith("[") && ip.endsWith("]") ? ip.substring(1, ip.length() - 1) : ip;
        boolean ipOk = bare.equals("host-gateway") || bare.matches("((25[0-5]|2[0-4]\\d|1?\\d?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1?\\d?\\d)")
                || bare.matches("[0-9a-fA-F:]+(\\.\\d+){0,3}") && (bare.contains("::") || bare.chars().filter(c -> c == ':').count() == 7);
        if (!host.matches("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?") || !ipOk) {
            throw err(where, "bad extra_hosts entry \"" + entry + "\"; write HOST:IP with an IPv4 or IPv6 address (or host-gateway), e.g. mysql:10.0.0.5");
        }
        return host + ":" + bare;
    }

    private Map<String, Resource> resources(Object raw, String kind) {
        Map<String, Resource> out = new LinkedHashMap<>();
        if (raw == null) return out;
        for (var e : map(raw, kind).entrySet()) {
            Map<String, Object> opts = e.getValue() == null ? Map.of() : map(e.getValue(), kind + "." + e.getKey());
            unknownKeys(opts, RESOURCE_KEYS, kind + " key", kind + " \"" + e.getKey() + "\"");
            boolean external = Boolean.TRUE.equals(opts.get("external"));
            String name = opts.get("name") != null ? String.valueOf(opts.get("name")) : external ? e.getKey() : project + "_" + e.getKey();
            out.put(e.getKey(), new Resource(e.getKey(), name, external));
        }
        return out;
    }

    /** environment and labels: a list of KEY=VALUE or a mapping, as in Compose; a lone string would be dropped silently. */
    private Map<String, String> keyValues(Object raw, String where, String key, Map<String, String> vars) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null) return out;
        if (!(raw instanceof Map) && !(raw instanceof List)) {
            throw err(where, "\"" + key + "\" must be a list (- KEY=value) or a mapping (KEY: value), got " + describe(raw));
        }
        if (raw instanceof Map<?, ?> m) {
            for (var e : m.entrySet()) {
                String k = String.valueOf(e.getKey());
                String v = e.getValue() == null ? vars.get(k) : scalar(e.getValue(), where, key + "." + k);
                if (v != null) out.put(k, v);
            }
            return out;
        }
        for (String s : stringList(raw, where, key)) {
            int eq = s.indexOf('=');
            if (eq == 0 || s.isEmpty()) throw err(where, "\"" + key + "\" has an entry with no name; write KEY=value");
            if (eq < 0) {
                if (vars.containsKey(s)) out.put(s, vars.get(s));
            } else {
                out.put(s.substring(0, eq), s.substring(eq + 1));
            }
        }
        return out;
    }

    private List<String> command(Object raw, String where, String key) {
        if (raw == null) return null;
        if (raw instanceof String s) return ShellWords.split(s, file + ": " + where + ": " + key);
        return stringList(raw, where, key);
    }

    private Path requireFile(Path p, String where, String key) {
        if (!Files.isRegularFile(p)) throw err(where, key + " \"" + p + "\" " + (Files.exists(p) ? "is not a regular file" : "does not exist"));
        return p;
    }

    // --- generic shape checks ---------------------------------------------------------------

    /** path names the value in errors (services.app.environment.DB_URL), never the value itself. */
    private Object interpolate(Object node, Interpolator in, String path) {
        if (node instanceof String s) return s.indexOf('$') < 0 ? s : in.at(path).apply(s);
        if (node instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(k, interpolate(v, in, path.isEmpty() ? String.valueOf(k) : path + "." + k)));
            return out;
        }
        if (node instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            for (int i = 0; i < l.size(); i++) out.add(interpolate(l.get(i), in, path + "[" + i + "]"));
            return out;
        }
        return node;
    }

    private void unknownKeys(Map<String, Object> m, Set<String> allowed, String what, String where) {
        for (String k : m.keySet()) {
            if (!allowed.contains(k)) {
                throw err(where, "unsupported " + what + " \"" + k + "\"; supported: " + String.join(", ", new java.util.TreeSet<>(allowed)));
            }
        }
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> map(Object o, String what) {
        if (o == null) return new LinkedHashMap<>();
        if (!(o instanceof Map<?, ?> m)) throw err("", what + " must be a mapping (key: value), got " + describe(o));
        for (Object k : m.keySet()) {
            if (!(k instanceof String)) throw err("", what + ": key " + k + " must be a string");
        }
        return (Map<String, Object>) m;
    }

    private List<?> list(Object o, String where, String key) {
        if (o == null) return List.of();
        if (o instanceof List<?> l) return l;
        throw err(where, "\"" + key + "\" must be a list, got " + describe(o));
    }

    private List<String> stringList(Object o, String where, String key) {
        if (o instanceof String s) return List.of(s);
        List<String> out = new ArrayList<>();
        for (Object e : list(o, where, key)) out.add(scalar(e, where, key));
        return out;
    }

    private String string(Object o, String where, String key) {
        return o == null ? null : scalar(o, where, key);
    }

    private String scalar(Object o, String where, String key) {
        if (o instanceof Map || o instanceof List) throw err(where, "\"" + key + "\" must be a single value, got " + describe(o));
        return String.valueOf(o);
    }

    private int intValue(Object o, String where, String key) {
        if (o instanceof Integer i) return i;
        try {
            return Integer.parseInt(String.valueOf(o));
        } catch (NumberFormatException e) {
            throw err(where, "\"" + key + "\" must be a whole number, got \"" + o + "\"");
        }
    }

    /** The kind of a value, not the value: it may be a secret (an environment variable's, say). */
    public static String describe(Object o) {
        return o instanceof Map ? "a mapping" : o instanceof List ? "a list" : o instanceof String ? "a string"
                : o instanceof Boolean ? "true/false" : o instanceof Number ? "a number" : "a " + o.getClass().getSimpleName();
    }

    private static String svc(String name) {
        return "service \"" + name + "\"";
    }

    private DeployError err(String where, String message) {
        return DeployError.config(file + ": " + (where.isEmpty() ? "" : where + ": ") + message);
    }
}
