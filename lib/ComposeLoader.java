//DEPS org.yaml:snakeyaml:2.3
package lib;

import lib.ComposeProject.Health;
import lib.ComposeProject.Mount;
import lib.ComposeProject.MountKind;
import lib.ComposeProject.Port;
import lib.ComposeProject.Resource;
import lib.ComposeProject.Service;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
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
            "restart", "stop_signal", "stop_grace_period", "user", "working_dir", "extra_hosts");
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

    static Object readYaml(Path file) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        options.setAllowRecursiveKeys(false);
        options.setMaxAliasesForCollections(50);
        Yaml yaml = new Yaml(new SafeConstructor(options));
        try (Reader r = Files.newBufferedReader(file)) {
            return yaml.load(r);
        } catch (NoSuchFileException e) {
            throw DeployError.config(file + ": Compose file not found; pass -f FILE or run from the app's directory");
        } catch (MarkedYAMLException e) {
            var mark = e.getProblemMark();
            String at = mark == null ? "" : ":" + (mark.getLine() + 1) + ":" + (mark.getColumn() + 1);
            throw DeployError.config(file + at + ": invalid YAML: " + Cli.oneLine(e.getProblem()));
        } catch (YAMLException e) {
            throw DeployError.config(file + ": invalid YAML: " + Cli.oneLine(e.getMessage()));
        } catch (IOException e) {
            throw DeployError.config(file + ": cannot read (" + e.getMessage() + ")");
        }
    }

    private ComposeProject parse(Object root, Interpolator interpolator, Map<String, String> vars) {
        Map<String, Object> top = map(interpolate(root, interpolator), "the top level");
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
            for (String dep : ComposeProject.dependencies(s)) {
                if (!services.containsKey(dep)) {
                    throw err(svc(s.name()), "refers to service \"" + dep + "\", which is not defined in this file");
                }
            }
        }
        p.startOrder();
        return p;
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

        Map<String, String> env = new LinkedHashMap<>();
        for (String f : stringList(m.get("env_file"), where, "env_file")) {
            env.putAll(Interpolator.readDotEnv(requireFile(file.getParent().resolve(f), where, "env_file")));
        }
        env.putAll(keyValues(m.get("environment"), where, "environment", vars));

        String networkMode = string(m.get("network_mode"), where, "network_mode");
        Map<String, List<String>> nets = serviceNetworks(m.get("networks"), where, networks);
        if (networkMode != null && !nets.isEmpty()) throw err(where, "use either \"network_mode\" or \"networks\", not both");
        if (networkMode != null && !networkMode.matches("bridge|host|none|service:.+|container:.+")) {
            throw err(where, "network_mode \"" + networkMode + "\" is not one of bridge, host, none, service:NAME, container:NAME");
        }

        return new Service(name, image, env,
                command(m.get("command"), where, "command"),
                command(m.get("entrypoint"), where, "entrypoint"),
                ports(m.get("ports"), where),
                mounts(m.get("volumes"), where, volumes),
                volumesFrom(m.get("volumes_from"), where),
                dependsOn(m.get("depends_on"), where),
                networkMode, nets,
                keyValues(m.get("labels"), where, "labels", Map.of()),
                health(m.get("healthcheck"), where),
                restart(m.get("restart"), where),
                string(m.get("stop_signal"), where, "stop_signal"),
                m.containsKey("stop_grace_period") ? (int) Math.ceil(Durations.parseNanos(m.get("stop_grace_period"), file + ": " + where + ": stop_grace_period") / 1e9) : null,
                string(m.get("user"), where, "user"),
                string(m.get("working_dir"), where, "working_dir"),
                extraHosts(m.get("extra_hosts"), where));
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
        if (source.startsWith("~")) source = System.getProperty("user.home") + source.substring(1);
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
        String w = file + ": " + where + ": healthcheck.";
        return new Health(t,
                m.containsKey("interval") ? Durations.parseNanos(m.get("interval"), w + "interval") : null,
                m.containsKey("timeout") ? Durations.parseNanos(m.get("timeout"), w + "timeout") : null,
                m.containsKey("retries") ? intValue(m.get("retries"), where, "healthcheck.retries") : null,
                m.containsKey("start_period") ? Durations.parseNanos(m.get("start_period"), w + "start_period") : null);
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
            map(m, where + ": extra_hosts").forEach((k, v) -> out.add(k + ":" + v));
            return out;
        }
        for (String s : stringList(raw, where, "extra_hosts")) {
            String h = s.contains("=") ? s.replaceFirst("=", ":") : s;
            if (!h.contains(":")) throw err(where, "bad extra_hosts entry \"" + s + "\"; write HOST:IP");
            out.add(h);
        }
        return out;
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

    private Map<String, String> keyValues(Object raw, String where, String key, Map<String, String> vars) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null) return out;
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
        if (!Files.isRegularFile(p)) throw err(where, key + " \"" + p + "\" does not exist");
        return p;
    }

    // --- generic shape checks ---------------------------------------------------------------

    private Object interpolate(Object node, Interpolator in) {
        if (node instanceof String s) return in.apply(s);
        if (node instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(k, interpolate(v, in)));
            return out;
        }
        if (node instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            l.forEach(v -> out.add(interpolate(v, in)));
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

    private static String describe(Object o) {
        return o instanceof Map ? "a mapping" : o instanceof List ? "a list" : "\"" + o + "\"";
    }

    private static String svc(String name) {
        return "service \"" + name + "\"";
    }

    private DeployError err(String where, String message) {
        return DeployError.config(file + ": " + (where.isEmpty() ? "" : where + ": ") + message);
    }
}
