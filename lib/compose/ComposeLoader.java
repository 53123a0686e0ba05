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

import lib.compose.ComposeProject.Logging;
import lib.compose.ComposeProject.Run;
import lib.compose.ComposeProject.Ulimit;

import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.representer.Representer;
import org.yaml.snakeyaml.resolver.Resolver;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Loads a Compose file as Compose reads it (the Compose Specification): every key that says how a container runs is
 * read and applied. A key a blue-green deploy cannot honour at all is an error that names the file, the service and
 * the key (never the value), and all of a file's errors are reported together, one line each, so a user fixes them
 * in one go. Where a key cannot mean under blue-green what it means to Compose, the nearest right thing is done and a
 * notice says so ({@link ComposeProject#notices()}).
 */
public final class ComposeLoader {
    static final Set<String> TOP_KEYS = Set.of("version", "name", "services", "volumes", "networks", "secrets", "configs", "include");
    static final Set<String> SERVICE_KEYS = Set.of("image", "environment", "ports", "volumes", "volumes_from",
            "depends_on", "network_mode", "command", "entrypoint", "env_file", "labels", "networks", "healthcheck",
            "restart", "stop_signal", "stop_grace_period", "user", "working_dir", "extra_hosts", "init",
            "container_name", "build", "hostname", "domainname", "expose", "links", "shm_size", "cap_add", "cap_drop",
            "security_opt", "platform", "ulimits", "logging", "profiles", "tmpfs", "deploy", "read_only", "tty", "stdin_open",
            "sysctls", "runtime", "secrets", "configs", "pids_limit", "privileged", "dns", "dns_search", "dns_opt", "pull_policy",
            "extends", "devices", "group_add", "ipc", "pid", "uts", "cgroup", "cgroup_parent", "mem_limit", "memswap_limit",
            "mem_reservation", "mem_swappiness", "cpus", "cpu_shares", "cpuset", "cpu_quota", "cpu_period", "oom_score_adj",
            "oom_kill_disable", "storage_opt", "userns_mode", "annotations", "attach", "mac_address", "scale", "label_file",
            "isolation", "device_cgroup_rules", "gpus", "develop", "cpu_count", "cpu_percent", "cpu_rt_period", "cpu_rt_runtime");
    // attach and develop steer `docker compose up`'s log attach and watch, which a detached deploy has none of;
    // isolation, cpu_count and cpu_percent are Windows-only, cpu_rt_* need a real-time kernel: all read, none applied
    /** Keys a deploy cannot honour at all, with why: each is an error naming the key. */
    static final Map<String, String> REFUSED = Map.of(
            "credential_spec", "it configures Windows containers' gMSA, which this toolkit does not run",
            "post_start", "lifecycle hooks are not run by this toolkit; run the step from the image's entrypoint",
            "pre_stop", "lifecycle hooks are not run by this toolkit; handle the stop signal in the app",
            "external_links", "it links containers outside the file; put them on a shared external network instead",
            "blkio_config", "block-I/O limits are not applied by this toolkit; remove it",
            "provider", "provider services are not run by this toolkit",
            "models", "model runners are not run by this toolkit",
            "use_api_socket", "it hands the Docker socket's credentials to the container; mount the socket explicitly if you mean it");
    static final Set<String> HEALTH_KEYS = Set.of("test", "interval", "timeout", "retries", "start_period", "start_interval", "disable");
    static final Set<String> VOLUME_KEYS = Set.of("external", "name", "driver", "driver_opts", "labels");
    static final Set<String> NETWORK_KEYS = Set.of("external", "name", "driver", "driver_opts", "labels", "internal", "enable_ipv6",
            "attachable", "ipam", "enable_ipv4");

    private final Path file;
    private final String project;
    private final Set<String> profiles;
    /** Loading for a Swarm: replicas above 1 are fine, and keys a Swarm cannot run are refused ({@link #swarmRefusals}). */
    private boolean swarm;
    /** One line per refusal: all of them are reported at the end, in file order. */
    private final List<String> problems = new ArrayList<>();
    private final Set<String> notices = new LinkedHashSet<>();

    private ComposeLoader(Path file, String project, Set<String> profiles) {
        this.file = file;
        this.project = project;
        this.profiles = profiles;
    }

    /**
     * @param project the Compose project name ({@code <app>-<colour>}), used to name volumes and networks
     * @param ours    per-colour variables (DEPLOY_COLOUR, DEPLOY_PORT); they win over the environment and .env
     */
    public static ComposeProject load(Path file, String project, Map<String, String> env, Map<String, String> ours) {
        return load(file, project, env, ours, Set.of());
    }

    /**
     * @param profiles the active profiles (--profile); none given means COMPOSE_PROFILES from the environment or
     *                 .env, as in Compose. A service with profiles is left out unless one of them is active.
     */
    public static ComposeProject load(Path file, String project, Map<String, String> env, Map<String, String> ours, Set<String> profiles) {
        return load(file, project, env, ours, profiles, false);
    }

    /** The same for a colour that runs as Swarm services: deploy.replicas and placement are honoured, what Swarm cannot run is refused. */
    public static ComposeProject loadForSwarm(Path file, String project, Map<String, String> env, Map<String, String> ours, Set<String> profiles) {
        return load(file, project, env, ours, profiles, true);
    }

    private static ComposeProject load(Path file, String project, Map<String, String> env, Map<String, String> ours, Set<String> profiles, boolean swarm) {
        Path abs = file.toAbsolutePath().normalize();
        Map<String, String> vars = Interpolator.variables(abs.getParent().resolve(".env"), env, ours);
        Set<String> active = new LinkedHashSet<>(profiles);
        if (active.isEmpty() && vars.get("COMPOSE_PROFILES") != null) {
            for (String p : vars.get("COMPOSE_PROFILES").split(",")) if (!p.isBlank()) active.add(p.strip());
        }
        ComposeLoader loader = new ComposeLoader(abs, project, active);
        loader.swarm = swarm;
        return loader.parse(readYaml(abs), new Interpolator(vars, abs.toString()), vars);
    }

    /**
     * A Compose file, deploy.yml or .env is a few KB; anything near these limits is a mistake or an attack. The size
     * is checked on the file, not by the parser: SnakeYAML's code point limit skips comments and takes seconds a MB.
     */
    static final long MAX_BYTES = 1 << 20;
    /** Real files (Sentry's, with an anchor per service setting) use a few hundred; the expanded size is bounded below. */
    static final int MAX_ALIASES = 5_000;
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
        Yaml yaml = new Yaml(new SafeConstructor(options), new Representer(new DumperOptions()), new DumperOptions(), options, new CoreSchema());
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

    /**
     * YAML 1.2's core schema, as Compose (go-yaml v3) reads scalars: only true/false are booleans (restart: no is
     * the string "no", as are yes, on, off, y, n), no sexagesimal numbers (a port 22:22 stays a string), no timestamps.
     */
    static final class CoreSchema extends Resolver {
        @Override
        protected void addImplicitResolvers() {
            addImplicitResolver(Tag.BOOL, Pattern.compile("^(?:true|True|TRUE|false|False|FALSE)$"), "tTfF");
            addImplicitResolver(Tag.INT, Pattern.compile("^(?:[-+]?[0-9]+|0x[0-9a-fA-F]+)$"), "-+0123456789");
            addImplicitResolver(Tag.FLOAT, Pattern.compile("^(?:[-+]?(?:\\.[0-9]+|[0-9]+\\.[0-9]*)(?:[eE][-+]?[0-9]+)?|[-+]?[0-9]+[eE][-+]?[0-9]+|[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN))$"), "-+0123456789.");
            addImplicitResolver(Tag.MERGE, MERGE, "<");
            addImplicitResolver(Tag.NULL, NULL, "~nN\0");
            addImplicitResolver(Tag.NULL, EMPTY, null);
        }
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

    // --- the file: include, extends, profiles, then each service ------------------------------

    private Interpolator interpolator;
    /** The services of the file that are loaded (their profiles active), for references between them. */
    private Set<String> serviceNames = Set.of();

    private ComposeProject parse(Object root, Interpolator interpolator, Map<String, String> vars) {
        this.interpolator = interpolator;
        Map<String, Object> top = prepare(root, file, interpolator, new ArrayList<>());
        if (top == null) throw failure();
        for (String k : top.keySet()) {
            if (!TOP_KEYS.contains(k)) {
                problem("", "unsupported top-level key \"" + k + "\"; supported: " + String.join(", ", new java.util.TreeSet<>(TOP_KEYS)) + " and x-* extensions");
            }
        }
        Object version = top.get("version");
        if (version != null && !String.valueOf(version).matches("[23](\\.\\d+)?")) {
            problem("", "version \"" + version + "\" is not supported; use '2', '2.x' or '3.x' (or leave it out)");
        }
        if (top.get("name") != null) {
            notices.add(file + ": the top-level name \"" + Text.printable(String.valueOf(top.get("name"))) + "\" is ignored: each colour runs as its own Compose project, <app>-<colour>");
        }
        Map<String, Resource> volumes = attempt(() -> resources(top.get("volumes"), "volumes", VOLUME_KEYS), new LinkedHashMap<>());
        Map<String, Resource> networks = attempt(() -> resources(top.get("networks"), "networks", NETWORK_KEYS), new LinkedHashMap<>());
        Map<String, Path> secrets = attempt(() -> fileSources(top.get("secrets"), "secrets"), new LinkedHashMap<>());
        Map<String, Path> configs = attempt(() -> fileSources(top.get("configs"), "configs"), new LinkedHashMap<>());
        Map<String, Object> rawServices = attempt(() -> map(top.get("services"), "services"), new LinkedHashMap<>());
        Map<String, Map<String, Object>> resolved = new LinkedHashMap<>();
        for (var e : rawServices.entrySet()) {
            Map<String, Object> m = attempt(() -> extended(e.getKey(), rawServices, file, new ArrayList<>()), null);
            if (m != null) resolved.put(e.getKey(), m);
        }
        Set<String> disabled = new LinkedHashSet<>();
        resolved.forEach((name, m) -> {
            List<String> ps = attempt(() -> stringList(m.get("profiles"), svc(name), "profiles"), List.of());
            if (!ps.isEmpty() && ps.stream().noneMatch(p -> profiles.contains(p) || profiles.contains("*"))) disabled.add(name);
        });
        if (rawServices.isEmpty() && problems.isEmpty()) problem("", "no services defined under \"services:\"");
        else if (!resolved.isEmpty() && disabled.size() == resolved.size()) {
            problem("", "every service has a profile and none is active; pass --profile NAME (profiles: "
                    + String.join(", ", new java.util.TreeSet<>(resolved.values().stream().flatMap(m -> stringList(m.get("profiles"), "", "profiles").stream()).toList())) + ")");
        }

        serviceNames = new LinkedHashSet<>(resolved.keySet());
        serviceNames.removeAll(disabled);
        Map<String, Service> services = new LinkedHashMap<>();
        for (var e : resolved.entrySet()) {
            if (disabled.contains(e.getKey())) continue;
            Service s = attempt(() -> service(e.getKey(), e.getValue(), vars, volumes, networks, secrets, configs, disabled), null);
            if (s != null) services.put(e.getKey(), s);
        }
        for (Service s : services.values()) {
            defined(s, "depends_on", s.dependsOn().keySet(), services, disabled);
            defined(s, "volumes_from", s.volumesFrom().stream().filter(v -> !v.startsWith("container:")).map(v -> v.split(":")[0]).toList(), services, disabled);
            defined(s, "links", s.links().keySet(), services, disabled);
            if (s.networkMode() != null && s.networkMode().startsWith("service:")) {
                defined(s, "network_mode", List.of(s.networkMode().substring(8)), services, disabled);
            }
        }
        if (!problems.isEmpty()) throw failure();
        ComposeProject p = new ComposeProject(file, services, volumes, networks, List.copyOf(notices));
        p.startOrder();
        return p;
    }

    /** Every refusal of the file, one per line, as one config error (exit 3). */
    private DeployError failure() {
        return DeployError.config(String.join("\n", new LinkedHashSet<>(problems)));
    }

    /** Runs one step; its error joins the others instead of stopping the load, and fallback stands in for its value. */
    private <T> T attempt(Supplier<T> step, T fallback) {
        try {
            return step.get();
        } catch (DeployError e) {
            problems.add(e.getMessage());
            return fallback;
        }
    }

    private void problem(String where, String message) {
        problems.add(err(where, message).getMessage());
    }

    /**
     * One file's top level, interpolated, its x-* extensions dropped and its include: files merged in (their
     * services' relative paths made absolute against their own directory). Null when it is not a mapping at all.
     */
    private Map<String, Object> prepare(Object root, Path from, Interpolator in, List<Path> including) {
        Object interpolated = interpolate(root, in.forFile(from), "");
        Map<String, Object> top;
        try {
            top = new LinkedHashMap<>(map(interpolated, "the top level"));
        } catch (DeployError e) {
            problems.add(e.getMessage());
            return null;
        }
        top.keySet().removeIf(k -> k.startsWith("x-"));
        for (String kind : List.of("services", "volumes", "networks", "secrets", "configs")) {
            if (top.get(kind) instanceof Map<?, ?> entries) {
                Map<String, Object> clean = new LinkedHashMap<>();
                entries.forEach((k, v) -> {
                    if (String.valueOf(k).startsWith("x-")) return;
                    clean.put(String.valueOf(k), v instanceof Map<?, ?> m ? withoutExtensions(m) : v);
                });
                if (!from.equals(file) && (kind.equals("services"))) {
                    clean.replaceAll((k, v) -> v instanceof Map<?, ?> m ? ComposeMerge.rebase(cast(m), from.getParent()) : v);
                }
                if (!from.equals(file) && (kind.equals("secrets") || kind.equals("configs"))) {
                    top.put(kind, ComposeMerge.rebaseFiles(clean, from.getParent()));
                } else {
                    top.put(kind, clean);
                }
            }
        }
        Object include = top.remove("include");
        if (include == null) return top;
        List<Path> paths = new ArrayList<>();
        for (Object entry : include instanceof List<?> l ? l : List.of(include)) {
            if (entry instanceof Map<?, ?> m) {
                Map<String, Object> im = cast(m);
                for (String k : im.keySet()) {
                    if (!Set.of("path", "project_directory", "env_file").contains(k)) problem("", "unsupported include key \"" + k + "\"; supported: env_file, path, project_directory");
                }
                if (im.containsKey("project_directory") || im.containsKey("env_file")) {
                    notices.add(file + ": include's project_directory and env_file are ignored: included files read the variables of " + file.getFileName());
                }
                for (String p : attempt(() -> stringList(im.get("path"), "include", "path"), List.<String>of())) paths.add(from.getParent().resolve(p).normalize());
            } else if (entry != null) {
                paths.add(from.getParent().resolve(String.valueOf(entry)).normalize());
            }
        }
        for (Path p : paths) {
            if (including.contains(p) || p.equals(from) || including.size() > 10) {
                problem("", "include of " + p + " loops back to a file that includes it; remove one of the includes");
                continue;
            }
            Object raw;
            try {
                raw = readYaml(p);
            } catch (DeployError e) {
                problems.add(e.getMessage());
                continue;
            }
            List<Path> chain = new ArrayList<>(including);
            chain.add(from);
            Map<String, Object> inc = prepare(raw, p, in, chain);
            if (inc == null) continue;
            for (String kind : List.of("services", "volumes", "networks", "secrets", "configs")) {
                if (!(inc.get(kind) instanceof Map<?, ?> theirs)) continue;
                Map<String, Object> ours = top.get(kind) instanceof Map<?, ?> m ? new LinkedHashMap<>(cast(m)) : new LinkedHashMap<>();
                theirs.forEach((k, v) -> {
                    if (ours.containsKey(String.valueOf(k)) && kind.equals("services")) {
                        problem("", "service \"" + k + "\" is defined both here and in the included file " + p + "; rename one or extend it instead");
                    } else {
                        ours.putIfAbsent(String.valueOf(k), v);
                    }
                });
                top.put(kind, ours);
            }
        }
        return top;
    }

    private static Map<String, Object> withoutExtensions(Map<?, ?> m) {
        Map<String, Object> out = new LinkedHashMap<>();
        m.forEach((k, v) -> {
            if (!String.valueOf(k).startsWith("x-")) out.put(String.valueOf(k), v);
        });
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Map<?, ?> m) {
        return (Map<String, Object>) m;
    }

    /** A service with what it extends (in this file or another) merged under it, as Compose's extends does. */
    private Map<String, Object> extended(String name, Map<String, Object> siblings, Path in, List<String> chain) {
        String where = svc(name);
        Map<String, Object> m = map(siblings.get(name), where);
        Object ext = m.get("extends");
        if (ext == null) return m;
        String base;
        String other = null;
        if (ext instanceof Map<?, ?> em) {
            Map<String, Object> e = cast(em);
            for (String k : e.keySet()) if (!k.equals("service") && !k.equals("file")) throw err(where, "unsupported extends key \"" + k + "\"; supported: file, service");
            base = string(e.get("service"), where, "extends.service");
            other = string(e.get("file"), where, "extends.file");
            if (base == null) throw err(where, "extends needs \"service\" (the service to extend)");
        } else {
            base = scalar(ext, where, "extends");
        }
        String key = (other == null ? in : in.getParent().resolve(other).normalize()) + "#" + base;
        if (chain.contains(key) || chain.size() > 20) throw err(where, "extends loops back to service \"" + base + "\"; break the cycle");
        chain.add(key);
        Map<String, Object> baseMap;
        if (other == null) {
            if (!siblings.containsKey(base)) throw err(where, "extends service \"" + base + "\", which is not defined in this file");
            baseMap = extended(base, siblings, in, chain);
        } else {
            Path otherFile = in.getParent().resolve(other).normalize();
            Object raw = interpolate(readYaml(otherFile), interpolator.forFile(otherFile), "");
            Map<String, Object> otherTop = map(raw, otherFile + ": the top level");
            Map<String, Object> otherServices = new LinkedHashMap<>();
            map(otherTop.get("services"), otherFile + ": services").forEach((k, v) ->
                    otherServices.put(k, v instanceof Map<?, ?> sm ? ComposeMerge.rebase(withoutExtensions(sm), otherFile.getParent()) : v));
            if (!otherServices.containsKey(base)) throw err(where, "extends service \"" + base + "\", which is not defined in " + otherFile);
            baseMap = extended(base, otherServices, otherFile, chain);
        }
        Map<String, Object> own = new LinkedHashMap<>(m);
        own.remove("extends");
        Map<String, Object> merged = ComposeMerge.service(baseMap, own);
        merged.remove("extends");
        return merged;
    }

    private void defined(Service s, String key, java.util.Collection<String> names, Map<String, Service> services, Set<String> disabled) {
        for (String n : names) {
            if (disabled.contains(n)) {
                problem(svc(s.name()), key + " refers to service \"" + n + "\", whose profile is not active; activate it with --profile");
            } else if (!serviceNames.contains(n)) {
                problem(svc(s.name()), key + " refers to service \"" + n + "\", which is not defined in this file; defined: "
                        + String.join(", ", serviceNames));
            }
        }
    }

    // --- one service ---------------------------------------------------------------------------

    private Service service(String name, Map<String, Object> m, Map<String, String> vars, Map<String, Resource> volumes,
                            Map<String, Resource> networks, Map<String, Path> secrets, Map<String, Path> configs, Set<String> disabled) {
        String where = svc(name);
        int before = problems.size();
        if (!name.matches("[a-zA-Z0-9][a-zA-Z0-9_.-]*")) problem(where, "invalid service name; use letters, digits, '_', '.', '-'");
        for (String k : m.keySet()) {
            if (REFUSED.containsKey(k)) problem(where, "key \"" + k + "\" is not supported: " + REFUSED.get(k));
            else if (!SERVICE_KEYS.contains(k)) problem(where, "unsupported key \"" + k + "\"" + suggestion(k));
        }
        String image = attempt(() -> string(m.get("image"), where, "image"), null);
        if (image == null || image.isBlank()) {
            if (m.containsKey("build")) {
                problem(where, "key \"build\" is not supported without \"image\": deploys use prebuilt images; build and push with build.jsh, then set \"image\"");
            } else {
                problem(where, "key \"image\" is required (e.g. image: registry/app:tag)");
            }
        } else if (!image.matches(IMAGE)) {
            problem(where, "image \"" + image + "\" is not an image reference; write [REGISTRY[:PORT]/]NAME[:TAG][@sha256:DIGEST], lowercase name, no spaces");
        } else if (m.containsKey("build")) {
            notices.add(file + ": " + where + ": \"build\" is ignored (as by docker compose up --no-build): the deploy runs the image " + image);
        }

        Map<String, String> env = new LinkedHashMap<>();
        attempt(() -> {
            for (Map.Entry<Path, String> f : envFiles(m.get("env_file"), where, "env_file").entrySet()) env.putAll(readEnvFile(f.getKey(), f.getValue(), vars));
            return null;
        }, null);
        env.putAll(attempt(() -> keyValues(m.get("environment"), where, "environment", vars), Map.of()));

        String networkMode = attempt(() -> string(m.get("network_mode"), where, "network_mode"), null);
        Map<String, List<String>> nets = attempt(() -> serviceNetworks(m.get("networks"), where, networks), new LinkedHashMap<>());
        List<Port> ports = attempt(() -> ports(m.get("ports"), where), List.of());
        if (networkMode != null) attempt(() -> {
            networkMode(networkMode, !nets.isEmpty(), !ports.isEmpty(), where);
            return null;
        }, null);

        Map<String, String> labels = new LinkedHashMap<>();
        attempt(() -> {
            for (Map.Entry<Path, String> f : envFiles(m.get("label_file"), where, "label_file").entrySet()) labels.putAll(readEnvFile(f.getKey(), "raw", vars));
            return null;
        }, null);
        labels.putAll(attempt(() -> keyValues(m.get("labels"), where, "labels", Map.of()), Map.of()));
        for (String label : labels.keySet()) {
            if (label.startsWith(Labels.NS) || label.startsWith("com.docker.compose.")) {
                problem(where, "label \"" + label + "\" is in " + (label.startsWith(Labels.NS) ? "bgdeploy's" : "Compose's")
                        + " own namespace, which the deploy sets itself; rename it (e.g. com.example." + label.substring(label.lastIndexOf('.') + 1) + ")");
            }
        }
        List<Mount> mounts = new ArrayList<>(attempt(() -> mounts(m.get("volumes"), where, volumes), List.of()));
        mounts.addAll(attempt(() -> fileMounts(m.get("secrets"), where, "secrets", secrets), List.of()));
        mounts.addAll(attempt(() -> fileMounts(m.get("configs"), where, "configs", configs), List.of()));

        String containerName = attempt(() -> string(m.get("container_name"), where, "container_name"), null);
        if (containerName != null && !containerName.matches("[a-zA-Z0-9][a-zA-Z0-9_.-]*")) {
            problem(where, "container_name is not a container name; use letters, digits, '_', '.', '-'");
        } else if (containerName != null) {
            notices.add(file + ": " + where + ": container_name \"" + containerName + "\" is a network alias of the service in each colour;"
                    + " its containers keep their per-colour names, " + ContainerSpec.containerName("<app>-<colour>", name));
        }
        Object scale = m.get("scale");
        if (scale != null) {
            Integer n = attempt(() -> intValue(scale, where, "scale"), 1);
            if (n != null && n > 1) problem(where, "key \"scale\" above 1 is not supported: a deploy runs one container per service per colour (scale: " + n + ")");
        }
        String restart = attempt(() -> restart(m.get("restart"), where), null);
        Run base = attempt(() -> run(m, where), null);
        Map<String, Object> deploy = attempt(() -> map(m.get("deploy"), where + ": deploy"), new LinkedHashMap<>());
        Run run = base == null ? null : attempt(() -> withDeploy(base, deploy, where), base);
        if (restart == null && deploy.get("restart_policy") instanceof Map<?, ?> rp) restart = attempt(() -> restartPolicy(cast(rp), where), null);
        String pull = attempt(() -> pullPolicy(m.get("pull_policy"), where), null);
        ComposeProject.Swarm onSwarm = attempt(() -> swarmDeploy(deploy, where), ComposeProject.Swarm.NONE);
        if (swarm) swarmRefusals(m, where, mounts, onSwarm);
        if (m.containsKey("annotations")) notices.add(file + ": " + where + ": \"annotations\" are not applied (the Docker client this toolkit uses cannot send them)");

        Service built = null;
        String rs = restart;
        Run rr = run;
        if (problems.size() == before) {
            built = attempt(() -> new Service(name, image, env,
                    command(m.get("command"), where, "command"),
                    command(m.get("entrypoint"), where, "entrypoint"),
                    ports,
                    mounts,
                    volumesFrom(m.get("volumes_from"), where),
                    dependsOn(m.get("depends_on"), where, disabled),
                    networkMode, nets,
                    labels,
                    health(m.get("healthcheck"), where),
                    rs,
                    stopSignal(string(m.get("stop_signal"), where, "stop_signal"), where),
                    m.containsKey("stop_grace_period") ? stopGrace(m.get("stop_grace_period"), where) : null,
                    user(string(m.get("user"), where, "user"), where),
                    workingDir(string(m.get("working_dir"), where, "working_dir"), where),
                    extraHosts(m.get("extra_hosts"), where),
                    bool(m.get("init"), where, "init"),
                    containerName,
                    hostname(m.get("hostname"), where, "hostname"),
                    hostname(m.get("domainname"), where, "domainname"),
                    expose(m.get("expose"), where),
                    links(m.get("links"), where),
                    stringList(m.get("profiles"), where, "profiles"),
                    pull,
                    rr, onSwarm), null);
        } else {
            // still read the rest, so that their errors are reported in this run too
            attempt(() -> command(m.get("command"), where, "command"), null);
            attempt(() -> command(m.get("entrypoint"), where, "entrypoint"), null);
            attempt(() -> volumesFrom(m.get("volumes_from"), where), null);
            Map<String, String> deps = attempt(() -> dependsOn(m.get("depends_on"), where, disabled), Map.of());
            for (String d : deps.keySet()) {
                if (!serviceNames.contains(d) && !disabled.contains(d)) {
                    problem(where, "depends_on refers to service \"" + d + "\", which is not defined in this file; defined: " + String.join(", ", serviceNames));
                }
            }
            attempt(() -> health(m.get("healthcheck"), where), null);
            attempt(() -> stopSignal(string(m.get("stop_signal"), where, "stop_signal"), where), null);
            attempt(() -> m.containsKey("stop_grace_period") ? stopGrace(m.get("stop_grace_period"), where) : null, null);
            attempt(() -> user(string(m.get("user"), where, "user"), where), null);
            attempt(() -> workingDir(string(m.get("working_dir"), where, "working_dir"), where), null);
            attempt(() -> extraHosts(m.get("extra_hosts"), where), null);
            attempt(() -> links(m.get("links"), where), null);
            attempt(() -> expose(m.get("expose"), where), null);
        }
        return built;
    }

    private static String suggestion(String key) {
        return key.startsWith("x-") ? "" : "; see the README's \"Compose files\" for the keys a deploy reads (extension keys start with x-)";
    }

    private String hostname(Object raw, String where, String key) {
        String h = string(raw, where, key);
        if (h != null && !h.matches("[A-Za-z0-9]([A-Za-z0-9.-]{0,252})?")) throw err(where, key + " is not a host name; use letters, digits, '.', '-'");
        return h;
    }

    private List<String> expose(Object raw, String where) {
        List<String> out = new ArrayList<>();
        for (String e : stringList(raw, where, "expose")) {
            var mt = Pattern.compile("(\\d{1,5})(?:-(\\d{1,5}))?(?:/(tcp|udp|sctp))?").matcher(e);
            if (!mt.matches()) throw err(where, "bad expose entry \"" + e + "\"; write PORT, PORT/udp or FROM-TO");
            int from = Integer.parseInt(mt.group(1));
            int to = mt.group(2) == null ? from : Integer.parseInt(mt.group(2));
            if (from < 1 || to > 65535 || to < from || to - from > 1000) throw err(where, "bad expose entry \"" + e + "\": ports must be 1-65535, FROM-TO ascending");
            for (int p = from; p <= to; p++) out.add(p + "/" + (mt.group(3) == null ? "tcp" : mt.group(3)));
        }
        return out;
    }

    /** links: SERVICE or SERVICE:ALIAS, by linked service; the alias is the service's own name when none is given. */
    private Map<String, String> links(Object raw, String where) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String l : stringList(raw, where, "links")) {
            String[] p = l.split(":");
            if (p.length > 2 || !p[0].matches("[a-zA-Z0-9][a-zA-Z0-9_.-]*") || p.length == 2 && !p[1].matches("[a-zA-Z0-9][a-zA-Z0-9_.-]*")) {
                throw err(where, "bad links entry \"" + l + "\"; write SERVICE or SERVICE:ALIAS");
            }
            out.put(p[0], p.length == 2 ? p[1] : p[0]);
        }
        return out;
    }

    private String pullPolicy(Object raw, String where) {
        String p = string(raw, where, "pull_policy");
        if (p == null) return null;
        if (!p.matches("always|never|missing|if_not_present|build|daily|weekly|every_\\w+")) {
            throw err(where, "pull_policy \"" + p + "\" is not one of always, never, missing, build, daily, weekly, every_<duration>");
        }
        if (p.equals("build")) notices.add(file + ": " + where + ": pull_policy build is read as missing: deploys use prebuilt images");
        return p.equals("if_not_present") ? "missing" : p;
    }

    private String restartPolicy(Map<String, Object> rp, String where) {
        String c = String.valueOf(rp.getOrDefault("condition", "any"));
        return switch (c) {
            case "none" -> "no";
            case "any" -> "always";
            case "on-failure" -> "on-failure" + (rp.get("max_attempts") == null ? "" : ":" + intValue(rp.get("max_attempts"), where, "deploy.restart_policy.max_attempts"));
            default -> throw err(where, "deploy.restart_policy.condition \"" + c + "\" is not one of none, on-failure, any");
        };
    }

    /** deploy: as a Swarm reads it: replicas, placement, the CPU reservation, restart_policy (limits are in {@link Run}). */
    private ComposeProject.Swarm swarmDeploy(Map<String, Object> d, String where) {
        Integer replicas = d.get("replicas") == null ? null : intValue(d.get("replicas"), where, "deploy.replicas");
        if (swarm && replicas != null && replicas < 1) problem(where, "deploy.replicas must be at least 1 (replicas: " + replicas + ")");
        Map<String, Object> placement = map(d.get("placement"), where + ": deploy.placement");
        List<String> constraints = stringList(placement.get("constraints"), where, "deploy.placement.constraints");
        for (String c : constraints) {
            if (swarm && !c.matches("\\s*[A-Za-z0-9_.\\-]+\\s*(==|!=)\\s*\\S.*")) problem(where, "deploy.placement.constraints entry \"" + Text.printable(c) + "\" is not KEY==VALUE or KEY!=VALUE (e.g. node.role==worker)");
        }
        Integer maxPerNode = placement.get("max_replicas_per_node") == null ? null : intValue(placement.get("max_replicas_per_node"), where, "deploy.placement.max_replicas_per_node");
        Map<String, Object> res = map(d.get("resources"), where + ": deploy.resources");
        Map<String, Object> reservations = map(res.get("reservations"), where + ": deploy.resources.reservations");
        Long reserveCpus = cpus(reservations.get("cpus"), where, "deploy.resources.reservations.cpus");
        Map<String, Object> rp = map(d.get("restart_policy"), where + ": deploy.restart_policy");
        String condition = rp.get("condition") == null ? null : String.valueOf(rp.get("condition"));
        if (condition != null && !condition.matches("none|on-failure|any")) throw err(where, "deploy.restart_policy.condition \"" + Text.printable(condition) + "\" is not one of none, on-failure, any");
        Long delay = rp.get("delay") == null ? null : Durations.parseNanos(rp.get("delay"), file + ": " + where + ": deploy.restart_policy.delay");
        Integer attempts = rp.get("max_attempts") == null ? null : intValue(rp.get("max_attempts"), where, "deploy.restart_policy.max_attempts");
        Long window = rp.get("window") == null ? null : Durations.parseNanos(rp.get("window"), file + ": " + where + ": deploy.restart_policy.window");
        return new ComposeProject.Swarm(replicas, List.copyOf(constraints), maxPerNode, reserveCpus, condition, delay, attempts, window);
    }

    /**
     * What a Swarm task cannot do, one error per key: share another container's volumes or network (its tasks land on
     * any node, each a container of its own), or mount a host path that exists on only some nodes unless a placement
     * constraint keeps it where that path is.
     */
    private void swarmRefusals(Map<String, Object> m, String where, List<Mount> mounts, ComposeProject.Swarm onSwarm) {
        if (m.containsKey("volumes_from")) problem(where, "key \"volumes_from\" is not supported on Swarm: tasks run on any node; share the files through a named volume or bake them into the image");
        if (m.containsKey("network_mode")) problem(where, "key \"network_mode\" is not supported on Swarm: every task joins the colour's overlay network; remove it");
        if (onSwarm.constraints().isEmpty() && mounts.stream().anyMatch(x -> x.kind() == ComposeProject.MountKind.BIND)) {
            problem(where, "key \"volumes\": a host bind mount is not supported on Swarm without deploy.placement.constraints: the path exists on the nodes you pin it to (e.g. node.hostname==web1), or use a named volume");
        }
    }

    // --- how the container runs: HostConfig keys --------------------------------------------------

    private Run run(Map<String, Object> m, String where) {
        return new Run(
                caps(m.get("cap_add"), where, "cap_add"),
                caps(m.get("cap_drop"), where, "cap_drop"),
                stringList(m.get("security_opt"), where, "security_opt"),
                bytes(m.get("shm_size"), where, "shm_size"),
                ulimits(m.get("ulimits"), where),
                logging(m.get("logging"), where),
                tmpfs(m.get("tmpfs"), where),
                keyValues(m.get("sysctls"), where, "sysctls", Map.of()),
                bool(m.get("read_only"), where, "read_only"),
                bool(m.get("privileged"), where, "privileged"),
                longValue(m.get("pids_limit"), where, "pids_limit"),
                stringList(m.get("dns"), where, "dns"),
                stringList(m.get("dns_search"), where, "dns_search"),
                stringList(m.get("dns_opt"), where, "dns_opt"),
                devices(m.get("devices"), where),
                stringList(m.get("group_add"), where, "group_add"),
                mode(m.get("ipc"), where, "ipc"),
                mode(m.get("pid"), where, "pid"),
                mode(m.get("uts"), where, "uts"),
                mode(m.get("cgroup"), where, "cgroup"),
                string(m.get("cgroup_parent"), where, "cgroup_parent"),
                bytes(m.get("mem_limit"), where, "mem_limit"),
                swap(m.get("memswap_limit"), where),
                bytes(m.get("mem_reservation"), where, "mem_reservation"),
                longValue(m.get("mem_swappiness"), where, "mem_swappiness"),
                cpus(m.get("cpus"), where, "cpus"),
                m.get("cpu_shares") == null ? null : intValue(m.get("cpu_shares"), where, "cpu_shares"),
                string(m.get("cpuset"), where, "cpuset"),
                longValue(m.get("cpu_quota"), where, "cpu_quota"),
                m.get("cpu_period") == null ? null : micros(m.get("cpu_period"), where, "cpu_period"),
                m.get("oom_score_adj") == null ? null : intValue(m.get("oom_score_adj"), where, "oom_score_adj"),
                bool(m.get("oom_kill_disable"), where, "oom_kill_disable"),
                keyValues(m.get("storage_opt"), where, "storage_opt", Map.of()),
                string(m.get("userns_mode"), where, "userns_mode"),
                string(m.get("runtime"), where, "runtime"),
                bool(m.get("tty"), where, "tty"),
                bool(m.get("stdin_open"), where, "stdin_open"),
                platform(m.get("platform"), where),
                mac(m.get("mac_address"), where),
                string(m.get("isolation"), where, "isolation"),
                stringList(m.get("device_cgroup_rules"), where, "device_cgroup_rules"),
                gpus(m.get("gpus"), where));
    }

    /** deploy.resources and deploy.replicas, as Compose applies them outside Swarm; the service's own keys win. */
    private Run withDeploy(Run r, Map<String, Object> d, String where) {
        Object replicas = d.get("replicas");
        if (!swarm && replicas != null && intValue(replicas, where, "deploy.replicas") > 1) {
            throw err(where, "deploy.replicas above 1 is not supported: a deploy runs one container per service per colour (replicas: " + replicas + ")");
        }
        Map<String, Object> res = map(d.get("resources"), where + ": deploy.resources");
        Map<String, Object> limits = map(res.get("limits"), where + ": deploy.resources.limits");
        Map<String, Object> reservations = map(res.get("reservations"), where + ": deploy.resources.reservations");
        Long memory = r.memory() != null ? r.memory() : bytes(limits.get("memory"), where, "deploy.resources.limits.memory");
        Long nanoCpus = r.nanoCpus() != null ? r.nanoCpus() : cpus(limits.get("cpus"), where, "deploy.resources.limits.cpus");
        Long pids = r.pidsLimit() != null ? r.pidsLimit() : longValue(limits.get("pids"), where, "deploy.resources.limits.pids");
        Long reservation = r.memoryReservation() != null ? r.memoryReservation() : bytes(reservations.get("memory"), where, "deploy.resources.reservations.memory");
        boolean gpus = r.gpus() || reservations.get("devices") instanceof List<?> devs && devs.stream().anyMatch(x -> String.valueOf(x).contains("gpu"));
        return new Run(r.capAdd(), r.capDrop(), r.securityOpt(), r.shmSize(), r.ulimits(), r.logging(), r.tmpfs(), r.sysctls(),
                r.readOnly(), r.privileged(), pids, r.dns(), r.dnsSearch(), r.dnsOpt(), r.devices(), r.groupAdd(), r.ipc(), r.pid(),
                r.uts(), r.cgroup(), r.cgroupParent(), memory, r.memorySwap(), reservation, r.memSwappiness(), nanoCpus,
                r.cpuShares(), r.cpuset(), r.cpuQuota(), r.cpuPeriod(), r.oomScoreAdj(), r.oomKillDisable(), r.storageOpt(),
                r.usernsMode(), r.runtime(), r.tty(), r.stdinOpen(), r.platform(), r.macAddress(), r.isolation(),
                r.deviceCgroupRules(), gpus);
    }

    static final Set<String> CAPABILITIES = Set.of("ALL", "AUDIT_CONTROL", "AUDIT_READ", "AUDIT_WRITE", "BLOCK_SUSPEND", "BPF",
            "CHECKPOINT_RESTORE", "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "IPC_LOCK", "IPC_OWNER", "KILL",
            "LEASE", "LINUX_IMMUTABLE", "MAC_ADMIN", "MAC_OVERRIDE", "MKNOD", "NET_ADMIN", "NET_BIND_SERVICE", "NET_BROADCAST",
            "NET_RAW", "PERFMON", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_ADMIN", "SYS_BOOT", "SYS_CHROOT", "SYSLOG",
            "SYS_MODULE", "SYS_NICE", "SYS_PACCT", "SYS_PTRACE", "SYS_RAWIO", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "WAKE_ALARM");

    /** Capability names as Docker takes them: case-insensitive, CAP_ prefix optional. */
    private List<String> caps(Object raw, String where, String key) {
        List<String> out = new ArrayList<>();
        for (String c : stringList(raw, where, key)) {
            String n = c.toUpperCase().replaceFirst("^CAP_", "");
            if (!CAPABILITIES.contains(n)) throw err(where, key + " \"" + c + "\" is not a Linux capability; write e.g. NET_ADMIN or SYS_PTRACE");
            out.add(n);
        }
        return out;
    }

    /** Byte sizes as Compose writes them: a number of bytes, or 64m, 1.5g, 512kb, 2GiB (units of 1024). */
    private Long bytes(Object raw, String where, String key) {
        if (raw == null) return null;
        if (raw instanceof Number n) return n.longValue();
        var mt = Pattern.compile("(?i)\\s*(\\d+(?:\\.\\d+)?)\\s*([kmgtp]?)(?:i?b)?\\s*").matcher(String.valueOf(raw));
        if (!mt.matches()) throw err(where, key + " \"" + raw + "\" is not a size; write e.g. 64m, 1g or a number of bytes");
        int power = "bkmgtp".indexOf(mt.group(2).isEmpty() ? 'b' : Character.toLowerCase(mt.group(2).charAt(0)));
        double v = Double.parseDouble(mt.group(1)) * Math.pow(1024, power);
        if (v > Long.MAX_VALUE / 2) throw err(where, key + " \"" + raw + "\" is too large");
        return (long) v;
    }

    private Long swap(Object raw, String where) {
        if (raw != null && String.valueOf(raw).equals("-1")) return -1L;
        return bytes(raw, where, "memswap_limit");
    }

    private Long cpus(Object raw, String where, String key) {
        if (raw == null) return null;
        try {
            double c = Double.parseDouble(String.valueOf(raw));
            if (c < 0 || c > 4096) throw new NumberFormatException();
            return Math.round(c * 1e9);
        } catch (NumberFormatException e) {
            throw err(where, key + " \"" + raw + "\" is not a number of CPUs; write e.g. 0.5 or 2");
        }
    }

    private Long micros(Object raw, String where, String key) {
        if (raw instanceof Number n) return n.longValue();
        return Durations.parseNanos(raw, file + ": " + where + ": " + key) / 1000;
    }

    private Long longValue(Object o, String where, String key) {
        if (o == null) return null;
        if (o instanceof Number n && !(o instanceof Double)) return n.longValue();
        try {
            return Long.parseLong(String.valueOf(o));
        } catch (NumberFormatException e) {
            throw err(where, "\"" + key + "\" must be a whole number, got " + describe(o));
        }
    }

    private List<Ulimit> ulimits(Object raw, String where) {
        List<Ulimit> out = new ArrayList<>();
        for (var e : map(raw, where + ": ulimits").entrySet()) {
            String n = e.getKey();
            if (!n.matches("[a-z]+")) throw err(where, "ulimits key \"" + n + "\" is not a limit name; write e.g. nofile or nproc");
            if (e.getValue() instanceof Map<?, ?> sh) {
                Map<String, Object> v = cast(sh);
                for (String k : v.keySet()) if (!k.equals("soft") && !k.equals("hard")) throw err(where, "unsupported ulimits." + n + " key \"" + k + "\"; supported: hard, soft");
                long soft = longValue(v.get("soft"), where, "ulimits." + n + ".soft");
                long hard = longValue(v.get("hard"), where, "ulimits." + n + ".hard");
                out.add(new Ulimit(n, soft, hard));
            } else {
                long l = longValue(e.getValue(), where, "ulimits." + n);
                out.add(new Ulimit(n, l, l));
            }
        }
        return out;
    }

    static final Set<String> LOG_DRIVERS = Set.of("none", "local", "json-file", "syslog", "journald", "gelf", "fluentd", "awslogs",
            "splunk", "etwlogs", "gcplogs", "loki", "db");

    private Logging logging(Object raw, String where) {
        if (raw == null) return null;
        Map<String, Object> m = map(raw, where + ": logging");
        for (String k : m.keySet()) if (!k.equals("driver") && !k.equals("options")) throw err(where, "unsupported logging key \"" + k + "\"; supported: driver, options");
        String driver = string(m.get("driver"), where, "logging.driver");
        if (driver != null && !LOG_DRIVERS.contains(driver)) {
            throw err(where, "logging.driver \"" + driver + "\" is not one this toolkit can set; use one of " + String.join(", ", new java.util.TreeSet<>(LOG_DRIVERS)));
        }
        Map<String, String> options = keyValues(m.get("options"), where, "logging.options", Map.of());
        return new Logging(driver, options);
    }

    /** tmpfs: a path or a list of paths, each optionally PATH:OPTIONS (size=64m,mode=1777). */
    private Map<String, String> tmpfs(Object raw, String where) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String t : stringList(raw, where, "tmpfs")) {
            int colon = t.indexOf(':');
            String path = colon < 0 ? t : t.substring(0, colon);
            if (!path.startsWith("/")) throw err(where, "tmpfs \"" + t + "\" is not an absolute path in the container; write e.g. /tmp or /run:size=64m");
            out.put(path, colon < 0 ? "" : t.substring(colon + 1));
        }
        return out;
    }

    private List<String> devices(Object raw, String where) {
        List<String> out = new ArrayList<>();
        for (Object o : list(raw, where, "devices")) {
            if (o instanceof Map<?, ?> dm) {
                Map<String, Object> d = cast(dm);
                String src = string(d.get("source"), where, "devices.source");
                if (src == null) throw err(where, "devices entry needs \"source\"");
                String tgt = d.get("target") == null ? src : String.valueOf(d.get("target"));
                out.add(src + ":" + tgt + ":" + d.getOrDefault("permissions", "rwm"));
                continue;
            }
            String s = scalar(o, where, "devices");
            String[] p = s.split(":");
            if (!p[0].startsWith("/") || p.length > 3) throw err(where, "bad devices entry \"" + s + "\"; write HOST_PATH[:CONTAINER_PATH[:rwm]]");
            out.add(p.length == 1 ? s + ":" + s + ":rwm" : p.length == 2 ? (p[1].matches("[rwm]+") ? p[0] + ":" + p[0] + ":" + p[1] : s + ":rwm") : s);
        }
        return out;
    }

    private String mode(Object raw, String where, String key) {
        String v = string(raw, where, key);
        if (v != null && !v.matches("host|private|shareable|none|container:[a-zA-Z0-9][a-zA-Z0-9_.-]*|service:[a-zA-Z0-9][a-zA-Z0-9_.-]*|")) {
            throw err(where, key + " \"" + v + "\" is not one of host, private, shareable, none, container:NAME, service:NAME");
        }
        return v;
    }

    private String platform(Object raw, String where) {
        String p = string(raw, where, "platform");
        if (p != null && !p.matches("[a-z0-9]+(/[a-z0-9_]+){1,2}")) throw err(where, "platform \"" + p + "\" is not OS/ARCH[/VARIANT]; write e.g. linux/amd64");
        return p;
    }

    private String mac(Object raw, String where) {
        String m = string(raw, where, "mac_address");
        if (m != null && !m.matches("([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}")) throw err(where, "mac_address is not a MAC address; write e.g. 02:42:ac:11:00:02");
        return m;
    }

    private boolean gpus(Object raw, String where) {
        if (raw == null) return false;
        if (raw.equals("all") || raw instanceof List) return true;
        throw err(where, "gpus must be \"all\" or a list of devices");
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
            if (o instanceof Map<?, ?> pm) {
                Map<String, Object> p = cast(pm);
                unknownKeys(p, Set.of("target", "published", "host_ip", "protocol", "mode", "name", "app_protocol"), "ports key", where);
                String spec = "target: " + p.get("target");
                if (p.get("target") == null) throw err(where, "a long-syntax ports entry needs \"target\" (the container port)");
                String protocol = p.get("protocol") == null ? "tcp" : String.valueOf(p.get("protocol"));
                if (!protocol.equals("tcp") && !protocol.equals("udp")) throw badPort(where, spec, "protocol must be tcp or udp");
                String published = p.get("published") == null ? null : String.valueOf(p.get("published"));
                String ip = p.get("host_ip") == null ? null : String.valueOf(p.get("host_ip"));
                out.addAll(portRange(ip, published, String.valueOf(p.get("target")), protocol, where, spec));
                continue;
            }
            String spec = scalar(o, where, "ports");
            String protocol = "tcp";
            String body = spec;
            int slash = spec.indexOf('/');
            if (slash >= 0) {
                protocol = spec.substring(slash + 1);
                body = spec.substring(0, slash);
                if (!protocol.equals("tcp") && !protocol.equals("udp")) throw badPort(where, spec, "protocol must be tcp or udp");
            }
            String ip = null;
            if (body.startsWith("[")) { // [::1]:8080:80
                int close = body.indexOf(']');
                if (close < 0) throw badPort(where, spec, "unclosed [");
                ip = body.substring(1, close);
                body = body.substring(close + 1).replaceFirst("^:", "");
            }
            String[] parts = body.split(":", -1);
            String host = null;
            String container;
            switch (parts.length) {
                case 1 -> container = parts[0];
                case 2 -> { host = parts[0]; container = parts[1]; }
                case 3 -> { if (ip != null) throw badPort(where, spec, "too many ':'"); ip = parts[0]; host = parts[1]; container = parts[2]; }
                default -> throw badPort(where, spec, "too many ':'");
            }
            out.addAll(portRange(ip, host, container, protocol, where, spec));
        }
        return out;
    }

    /** One Port per container port: FROM-TO ranges on both sides must be the same length, as Docker maps them. */
    private List<Port> portRange(String ip, String host, String container, String protocol, String where, String spec) {
        int[] c = range(container, where, spec);
        int[] h = host == null || host.isEmpty() ? null : range(host, where, spec);
        if (h != null && h[1] - h[0] != c[1] - c[0]) {
            throw badPort(where, spec, "the host range and the container range differ in length");
        }
        List<Port> out = new ArrayList<>();
        for (int k = 0; k <= c[1] - c[0]; k++) {
            out.add(new Port(ip == null || ip.isEmpty() ? null : ip, h == null ? null : h[0] + k, c[0] + k, protocol));
        }
        return out;
    }

    private int[] range(String s, String where, String spec) {
        int dash = s.indexOf('-');
        if (dash < 0) {
            int p = portNumber(s, where, spec);
            return new int[] {p, p};
        }
        int from = portNumber(s.substring(0, dash), where, spec);
        int to = portNumber(s.substring(dash + 1), where, spec);
        if (to < from || to - from > 1000) throw badPort(where, spec, "range " + s + " is not FROM-TO ascending (at most 1000 ports)");
        return new int[] {from, to};
    }

    private int portNumber(String s, String where, String spec) {
        if (!s.matches("\\d{1,5}")) throw badPort(where, spec, "\"" + s + "\" is not a port number");
        int p = Integer.parseInt(s);
        if (p < 1 || p > 65535) throw badPort(where, spec, p + " is outside 1-65535");
        return p;
    }

    private DeployError badPort(String where, String spec, String why) {
        return err(where, "bad port \"" + spec + "\": " + why + "; write \"[HOST_IP:]HOST_PORT:CONTAINER_PORT\" (or FROM-TO ranges), e.g. \"127.0.0.1:8080:80\"");
    }

    static final Set<String> SHORT_MODES = Set.of("ro", "rw", "z", "Z", "cached", "delegated", "consistent", "nocopy",
            "shared", "slave", "private", "rshared", "rslave", "rprivate");

    private List<Mount> mounts(Object raw, String where, Map<String, Resource> volumes) {
        List<Mount> out = new ArrayList<>();
        for (Object o : list(raw, where, "volumes")) {
            if (o instanceof Map<?, ?> lm) {
                out.add(longMount(cast(lm), where, volumes));
                continue;
            }
            String spec = scalar(o, where, "volumes");
            String[] parts = spec.split(":");
            if (parts.length == 1) {
                out.add(new Mount(MountKind.ANONYMOUS, null, parts[0], false));
                continue;
            }
            if (parts.length > 3) throw err(where, "bad volume \"" + spec + "\"; write SOURCE:TARGET[:MODES]");
            boolean ro = false;
            String selinux = null;
            boolean noCopy = false;
            String propagation = null;
            if (parts.length == 3) {
                for (String mode : parts[2].split(",")) {
                    if (!SHORT_MODES.contains(mode)) {
                        throw err(where, "bad volume mode \"" + mode + "\" in \"" + spec + "\"; use ro, rw, z, Z, nocopy, cached, delegated or a propagation (rshared, ...)");
                    }
                    if (mode.equals("ro")) ro = true;
                    else if (mode.equalsIgnoreCase("z")) selinux = mode;
                    else if (mode.equals("nocopy")) noCopy = true;
                    else if (mode.matches("r?(shared|slave|private)")) propagation = mode;
                    // cached, delegated, consistent: Docker Desktop's file-sharing hints; the Engine ignores them, as here
                }
            }
            String source = parts[0];
            if (source.startsWith(".") || source.startsWith("/") || source.startsWith("~")) {
                out.add(new Mount(MountKind.BIND, hostPath(source, where), parts[1], ro, selinux, false, propagation));
            } else {
                Mount n = named(source, parts[1], ro, where, volumes);
                out.add(new Mount(n.kind(), n.source(), n.target(), ro, selinux, noCopy, null));
            }
        }
        return out;
    }

    private Mount longMount(Map<String, Object> v, String where, Map<String, Resource> volumes) {
        unknownKeys(v, Set.of("type", "source", "target", "read_only", "bind", "volume", "tmpfs", "consistency"), "volumes key", where);
        String type = String.valueOf(v.getOrDefault("type", "volume"));
        String source = string(v.get("source"), where, "volumes.source");
        String target = string(v.get("target"), where, "volumes.target");
        if (target == null) throw err(where, "volumes entry needs \"target\"");
        boolean ro = Boolean.TRUE.equals(bool(v.get("read_only"), where, "volumes.read_only"));
        switch (type) {
            case "bind" -> {
                Map<String, Object> b = map(v.get("bind"), where + ": volumes.bind");
                unknownKeys(b, Set.of("propagation", "create_host_path", "selinux", "recursive"), "volumes.bind key", where);
                String selinux = string(b.get("selinux"), where, "volumes.bind.selinux");
                if (selinux != null && !selinux.equalsIgnoreCase("z")) throw err(where, "volumes.bind.selinux must be z or Z");
                String prop = string(b.get("propagation"), where, "volumes.bind.propagation");
                if (prop != null && !prop.matches("r?(shared|slave|private)")) throw err(where, "volumes.bind.propagation must be one of private, rprivate, shared, rshared, slave, rslave");
                return new Mount(MountKind.BIND, hostPath(source, where), target, ro, selinux, false, prop);
            }
            case "volume" -> {
                Map<String, Object> vo = map(v.get("volume"), where + ": volumes.volume");
                unknownKeys(vo, Set.of("nocopy", "subpath"), "volumes.volume key", where);
                if (vo.get("subpath") != null) throw err(where, "volumes.volume.subpath is not supported; mount the whole volume, or a bind of the directory");
                boolean noCopy = Boolean.TRUE.equals(bool(vo.get("nocopy"), where, "volumes.volume.nocopy"));
                if (source == null) return new Mount(MountKind.ANONYMOUS, null, target, ro, null, noCopy, null);
                Mount n = named(source, target, ro, where, volumes);
                return new Mount(MountKind.NAMED, n.source(), target, ro, null, noCopy, null);
            }
            case "tmpfs" -> {
                Map<String, Object> to = map(v.get("tmpfs"), where + ": volumes.tmpfs");
                unknownKeys(to, Set.of("size", "mode"), "volumes.tmpfs key", where);
                List<String> opts = new ArrayList<>();
                if (to.get("size") != null) opts.add("size=" + bytes(to.get("size"), where, "volumes.tmpfs.size"));
                if (to.get("mode") != null) {
                    Object mode = to.get("mode");
                    opts.add("mode=" + (mode instanceof Number n ? Integer.toOctalString(n.intValue()) : String.valueOf(mode)));
                }
                if (ro) opts.add("ro");
                return new Mount(MountKind.TMPFS, null, target, ro, null, false, String.join(",", opts));
            }
            default -> throw err(where, "volume type \"" + type + "\" is not supported; use bind, volume or tmpfs");
        }
    }

    /** env_file or label_file entries: a path, or {path, required, format}; missing optional files are skipped. */
    private Map<Path, String> envFiles(Object raw, String where, String key) {
        Map<Path, String> out = new LinkedHashMap<>();
        for (Object o : list(raw instanceof String ? List.of(raw) : raw, where, key)) {
            String path;
            boolean required = true;
            String format = null;
            if (o instanceof Map<?, ?> em) {
                Map<String, Object> e = cast(em);
                unknownKeys(e, Set.of("path", "required", "format"), key + " key", where);
                path = string(e.get("path"), where, key + ".path");
                if (path == null) throw err(where, key + " entry needs \"path\"");
                if (e.containsKey("required")) required = Boolean.TRUE.equals(bool(e.get("required"), where, key + ".required"));
                format = string(e.get("format"), where, key + ".format");
                if (format != null && !format.equals("raw")) throw err(where, key + ".format \"" + format + "\" is not supported; use raw, or leave it out");
            } else {
                path = scalar(o, where, key);
            }
            Path p = file.getParent().resolve(path).normalize();
            if (!required && !Files.exists(p)) continue;
            out.put(requireFile(p, where, key), format);
        }
        return out;
    }

    /** The file's variables, read as Compose does: expanded from the project's variables, or as written with format raw. */
    private Map<String, String> readEnvFile(Path p, String format, Map<String, String> vars) {
        if (!"raw".equals(format)) return DotEnv.read(p, vars::get);
        requireSmall(p);
        String text;
        try {
            text = Files.readString(p);
        } catch (IOException e) {
            throw DeployError.config(p + ": cannot read (" + e.getClass().getSimpleName() + ")");
        }
        return DotEnv.parse(text, p.toString(), n -> null, false);
    }

    /** Top-level secrets or configs: only file: sources can be mounted into a container outside Swarm. */
    private Map<String, Path> fileSources(Object raw, String kind) {
        Map<String, Path> out = new LinkedHashMap<>();
        for (var e : map(raw, kind).entrySet()) {
            String where = kind + " \"" + e.getKey() + "\"";
            Map<String, Object> m = map(e.getValue(), where);
            if (m.get("file") != null) {
                out.put(e.getKey(), file.getParent().resolve(String.valueOf(m.get("file"))).normalize());
                for (String k : m.keySet()) {
                    if (!Set.of("file", "name", "labels", "template_driver").contains(k)) problem(where, "unsupported " + kind + " key \"" + k + "\"; supported: file, name, labels");
                }
            } else {
                String source = m.containsKey("environment") ? "environment" : m.containsKey("content") ? "content" : m.containsKey("external") ? "external" : null;
                problem(where, (source == null ? "has no source" : "source \"" + source + "\" is not supported")
                        + "; write file: PATH (the file is mounted read-only into the services that use it)");
            }
        }
        return out;
    }

    /** A service's secrets (at /run/secrets/NAME) or configs (at /NAME), or at their target: read-only binds of the files. */
    private List<Mount> fileMounts(Object raw, String where, String kind, Map<String, Path> sources) {
        List<Mount> out = new ArrayList<>();
        boolean ownership = false;
        for (Object o : list(raw, where, kind)) {
            String source;
            String target = null;
            if (o instanceof Map<?, ?> sm) {
                Map<String, Object> s = cast(sm);
                unknownKeys(s, Set.of("source", "target", "uid", "gid", "mode"), kind + " key", where);
                source = string(s.get("source"), where, kind + ".source");
                target = string(s.get("target"), where, kind + ".target");
                ownership |= s.containsKey("uid") || s.containsKey("gid") || s.containsKey("mode");
            } else {
                source = scalar(o, where, kind);
            }
            if (source == null) throw err(where, kind + " entry needs \"source\"");
            Path p = sources.get(source);
            if (p == null) throw err(where, kind + " \"" + source + "\" is not declared under the top-level \"" + kind + ":\" with a file:");
            requireFile(p, where, kind + " " + source);
            String base = kind.equals("secrets") ? "/run/secrets/" : "/";
            String at = target == null ? base + source : target.startsWith("/") ? target : base + target;
            out.add(new Mount(MountKind.BIND, p.toString(), at, true));
        }
        if (ownership) notices.add(file + ": " + where + ": " + kind + " uid, gid and mode are not applied: the file is bind-mounted read-only with its own owner and mode");
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

    private Map<String, String> dependsOn(Object raw, String where, Set<String> disabled) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw instanceof Map<?, ?> m) {
            for (var e : map(m, where + ": depends_on").entrySet()) {
                Map<String, Object> cond = e.getValue() == null ? Map.of() : map(e.getValue(), where + ": depends_on." + e.getKey());
                unknownKeys(cond, Set.of("condition", "restart", "required"), "depends_on key", where);
                String c = String.valueOf(cond.getOrDefault("condition", "service_started"));
                if (!c.matches("service_started|service_healthy|service_completed_successfully")) {
                    throw err(where, "depends_on condition \"" + c + "\" is not one of service_started, service_healthy, service_completed_successfully");
                }
                bool(cond.get("restart"), where, "depends_on." + e.getKey() + ".restart");
                boolean required = !Boolean.FALSE.equals(bool(cond.get("required"), where, "depends_on." + e.getKey() + ".required"));
                // optional, and its profile is off (or it is not in the file at all): left out, as in Compose
                if (!required && (disabled.contains(e.getKey()) || !serviceNames.contains(e.getKey()))) continue;
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
                unknownKeys(opts, Set.of("aliases", "ipv4_address", "ipv6_address", "link_local_ips", "mac_address", "priority",
                        "gw_priority", "driver_opts", "interface_name"), "networks key", where);
                if (opts.containsKey("ipv4_address") || opts.containsKey("ipv6_address")) {
                    notices.add(file + ": " + where + ": ipv4_address/ipv6_address on network \"" + e.getKey() + "\" are not applied:"
                            + " blue and green run side by side and cannot hold the same address; the Engine assigns one");
                }
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
        if (Boolean.TRUE.equals(m.get("disable"))) return new Health(List.of("NONE"), null, null, null, null, null);
        Object test = m.get("test");
        List<String> t;
        if (test == null) {
            t = null; // the image's own test, with these timings, as Docker merges them
        } else if (test instanceof String s) {
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
                healthDuration(m, "start_period", where), healthDuration(m, "start_interval", where));
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

    private Map<String, Resource> resources(Object raw, String kind, Set<String> keys) {
        Map<String, Resource> out = new LinkedHashMap<>();
        if (raw == null) return out;
        for (var e : map(raw, kind).entrySet()) {
            String where = kind + " \"" + e.getKey() + "\"";
            Map<String, Object> opts = e.getValue() == null ? Map.of() : map(e.getValue(), kind + "." + e.getKey());
            unknownKeys(opts, keys, kind + " key", where);
            Object ext = opts.get("external");
            String name = opts.get("name") != null ? String.valueOf(opts.get("name")) : null;
            boolean external;
            if (ext instanceof Map<?, ?> em) { // the old long form: external: {name: x}
                external = true;
                Object n = em.get("name");
                if (n != null) name = String.valueOf(n);
            } else {
                external = Boolean.TRUE.equals(bool(ext, where, "external"));
            }
            if (name == null) name = external ? e.getKey() : project + "_" + e.getKey();
            Map<String, Object> ipam = map(opts.get("ipam"), where + ": ipam");
            unknownKeys(ipam, Set.of("driver", "config", "options"), "ipam key", where);
            if (ipam.get("config") != null) {
                notices.add(file + ": " + where + ": ipam config (subnets) is not applied: blue and green each get their own network,"
                        + " and two networks cannot share a subnet; the Engine picks one");
            }
            Boolean attachable = bool(opts.get("attachable"), where, "attachable");
            out.put(e.getKey(), new Resource(e.getKey(), name, external, string(opts.get("driver"), where, "driver"),
                    keyValues(opts.get("driver_opts"), where, "driver_opts", Map.of()), keyValues(opts.get("labels"), where, "labels", Map.of()),
                    Boolean.TRUE.equals(bool(opts.get("internal"), where, "internal")),
                    Boolean.TRUE.equals(bool(opts.get("enable_ipv6"), where, "enable_ipv6")), attachable,
                    string(ipam.get("driver"), where, "ipam.driver")));
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
        if (node instanceof String s) {
            if (s.indexOf('$') < 0) return s;
            try {
                String v = in.at(path).apply(s);
                // as compose-go casts an interpolated value to its key's type: read_only: ${RO} with RO=false is a boolean
                return v.equals(s) ? s : v.equals("true") ? Boolean.TRUE : v.equals("false") ? Boolean.FALSE : v;
            } catch (DeployError e) {
                problems.add(e.getMessage());
                return "";
            }
        }
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
