package lib.project;

import lib.base.Values;
import lib.model.FrontSettings;
import lib.model.WatchSettings;
import lib.base.ShellWords;
import lib.base.Home;
import lib.base.DeployError;
import lib.model.SmokeCheck;
import lib.compose.ComposeLoader;
import lib.docker.DockerHost;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * deploy.yml: the app, its Compose files, registry image, health check, front, environments (Docker host, TLS,
 * the git branch that deploys there), notifications and hooks, so CI and cron need a few words, not glue.
 * Every value is type-checked on load, so a typo is one line naming the file and the key path, never a failure
 * halfway through a deploy. Secrets never live in it: a webhook URL is named by an environment variable
 * ({@code url_env}) or a file ({@code url_file}); a literal URL is refused.
 *
 * @param health      health: values, already checked (port numbers, counts and durations parse)
 * @param front       front: values, already checked
 * @param hookEnv     names of variables of the deploying process that hooks may see (hooks.env), beside DEPLOY_*
 * @param accessories services of the Compose file that run once per app, outside the colours (databases, caches...);
 *                    an environment's own accessories: list replaces it there
 * @param colours     services deployed blue/green although they look stateful (overrides the guess)
 * @param tasks       tasks: and singletons: (see {@link TasksReader}), read once with the rest of the file
 * @param checks      health.checks: the smoke checks a colour must pass before it gets traffic, already checked
 * @param watch       watch: the window after the switch ({@link WatchSettings#OFF} when absent); --watch overrides its length
 */
public record ProjectFile(Path file, String app, String compose, String image, String release, Map<String, String> health,
                          Map<String, String> front, Map<String, Environment> environments, Map<String, Secret> notifications,
                          Map<String, List<List<String>>> hooks, List<String> hookEnv, List<String> accessories, List<String> colours,
                          lib.model.ReleaseTasks tasks, List<SmokeCheck> checks, WatchSettings watch) {

    /**
     * tlsVerify null: not set in the file, so DOCKER_TLS_VERIFY decides. accessories and colours null: not set for the
     * environment, so the file's top-level lists hold. engine: "docker" (host: or hosts:) or "swarm" (managers:,
     * fronts: and replicas: instead; host and hosts are then empty).
     */
    public record Environment(String name, String host, Boolean tlsVerify, String certPath, String branch, List<HostRef> hosts,
                              List<String> accessories, List<String> colours, String engine, List<HostRef> managers,
                              List<HostRef> fronts, int replicas) {
        public static final String DOCKER = "docker";
        public static final String SWARM = "swarm";

        public Environment(String name, String host, Boolean tlsVerify, String certPath, String branch, List<HostRef> hosts,
                           List<String> accessories, List<String> colours) {
            this(name, host, tlsVerify, certPath, branch, hosts, accessories, colours, DOCKER, List.of(), List.of(), 1);
        }

        public Environment(String name, String host, Boolean tlsVerify, String certPath, String branch, List<HostRef> hosts) {
            this(name, host, tlsVerify, certPath, branch, hosts, null, null);
        }

        public Environment(String name, String host, Boolean tlsVerify, String certPath, String branch) {
            this(name, host, tlsVerify, certPath, branch, host == null ? List.of() : List.of(new HostRef(host, tlsVerify, certPath)));
        }

        /** A Swarm environment: no host of its own; its managers answer for the cluster. */
        static Environment swarm(String name, String branch, List<HostRef> managers, List<HostRef> fronts, int replicas) {
            return new Environment(name, null, null, null, branch, List.of(), null, null, SWARM, managers, fronts, replicas);
        }

        public boolean isSwarm() {
            return SWARM.equals(engine);
        }

        Environment withServices(List<String> accessories, List<String> colours) {
            return new Environment(name, host, tlsVerify, certPath, branch, hosts, accessories, colours, engine, managers, fronts, replicas);
        }
    }

    /** One Docker host of an environment, with its own transport settings. */
    public record HostRef(String host, Boolean tlsVerify, String certPath) {}

    /** Where a secret comes from; resolved only when used, and never printed. */
    public record Secret(String env, String file) {
        public String resolve(String what) {
            if (env != null) {
                String v = System.getenv(env);
                if (v == null || v.isBlank()) throw DeployError.config(what + ": environment variable " + env + " is not set");
                return v.trim();
            }
            try {
                return Files.readString(Path.of(file)).trim();
            } catch (java.io.IOException e) {
                throw DeployError.config(what + ": cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
            }
        }
    }

    static final Set<String> TOP = Set.of("app", "compose", "image", "release", "health", "front", "environments", "notify", "hooks",
            "accessories", "colours", "tasks", "singletons", "watch");
    static final Set<String> WATCH = Set.of("for", "max_error_rate", "min_requests", "failures");
    static final Set<String> HEALTH = Set.of("probe", "timeout", "service", "successes", "checks");
    static final Set<String> CHECK = Set.of("path", "status", "contains", "header", "host", "timeout");
    static final Set<String> FRONT = Set.of("kind", "port", "preview_port", "bind", "image", "service", "target_port", "drain_timeout", "max_body", "read_timeout",
            "send_timeout", "trusted_proxies", "tls", "publish_ports");
    static final Set<String> FRONT_TLS = Set.of("cert", "key", "port", "redirect");
    static final Set<String> ENV = Set.of("host", "hosts", "tls_verify", "cert_path", "branch", "accessories", "colours",
            "engine", "managers", "fronts", "replicas");
    /** Keys that only mean something with engine: swarm. */
    static final Set<String> SWARM_ONLY = Set.of("managers", "fronts", "replicas");
    static final Set<String> HOST = Set.of("host", "tls_verify", "cert_path");
    static final Set<String> NOTIFY = Set.of("slack", "webhook");
    static final Set<String> SECRET = Set.of("url_env", "url_file");
    static final Set<String> HOOKS = Set.of("pre-deploy", "post-deploy", "post-rollback", "env");
    /** A day: a longer gate or drain is a typo, and bounds keep Duration arithmetic from overflowing. */

    private static final String NAME = "[A-Za-z0-9][A-Za-z0-9_.-]*";
    private static final String VARIABLE = "[A-Za-z_][A-Za-z0-9_]*";

    public static ProjectFile load(Path file) {
        Path abs = file.toAbsolutePath().normalize();
        if (!Files.exists(abs)) throw DeployError.config(abs + ": project file not found; pass --project FILE or create deploy.yml");
        return new Reader(abs).read(ComposeLoader.readYaml(abs));
    }

    /** --env NAME, or the environment whose branch is BRANCH. */
    public Environment environment(String name, String branch) {
        if (name != null) {
            Environment e = environments.get(name);
            if (e == null) throw DeployError.config(file + ": no environment \"" + name + "\"; defined: " + String.join(", ", environments.keySet()));
            return e;
        }
        if (branch != null) {
            return environments.values().stream().filter(e -> branch.equals(e.branch())).findFirst()
                    .orElseThrow(() -> DeployError.config(file + ": no environment deploys branch \"" + branch + "\"; branches: "
                            + environments.values().stream().map(e -> e.name() + "=" + e.branch()).toList()));
        }
        return null;
    }

    static String engine(String s) {
        if (s.equals(Environment.DOCKER) || s.equals(Environment.SWARM)) return s;
        throw new IllegalArgumentException("\"" + s + "\" is not an engine; write docker (host: or hosts:, the default) or swarm (managers: and fronts:)");
    }

    /**
     * tls_verify as DOCKER_TLS_VERIFY reads: off for false, 0, no, off (any case); on for any other non-empty value
     * (true, 1, yes, on...). Empty is an error, not a guess.
     */
    static boolean tlsVerify(Object raw, Path file, String key) {
        if (raw instanceof Boolean b) return b;
        if (raw instanceof Map || raw instanceof List || raw == null || String.valueOf(raw).isBlank()) {
            throw DeployError.config(file + ": " + key + ": must be true or false (as DOCKER_TLS_VERIFY: 0, false, no, off mean off; 1, true, yes mean on)");
        }
        return !String.valueOf(raw).trim().toLowerCase().matches("0|false|no|off");
    }

    /** One pass over the parsed YAML; each check names the file and the key path. */
    private record Reader(Path file) {
        ProjectFile read(Object root) {
            Map<String, Object> top = map(root, "the top level");
            keys(top, TOP, "");
            String app = string(top, "app", "");
            if (app != null) Values.fromFile(file, "app", app, Values::app);
            String image = string(top, "image", "");
            if (image != null && !image.matches("[A-Za-z0-9][A-Za-z0-9._:/@-]*")) {
                throw bad("image", "\"" + image + "\" is not an image repository; write REGISTRY/REPO, e.g. 127.0.0.1:5000/shop-app");
            }
            String release = string(top, "release", "");
            lib.model.ReleaseTasks tasks = TasksReader.read(file, top.get("tasks"), top.get("singletons"));
            return new ProjectFile(file, app, string(top, "compose", ""), image, release == null ? null : checked(release, "release", Values::release),
                    health(map(top.get("health"), "health")), front(map(top.get("front"), "front")),
                    environments(map(top.get("environments"), "environments")), notify(map(top.get("notify"), "notify")),
                    hooks(map(top.get("hooks"), "hooks")), variables(map(top.get("hooks"), "hooks").get("env"), "hooks.env"),
                    services(top.get("accessories"), "accessories"), services(top.get("colours"), "colours"), tasks,
                    checks(map(top.get("health"), "health").get("checks")), watch(top.get("watch")));
        }

        /** health.checks: a list of GETs with what their answers must be (see {@link SmokeCheck}). */
        List<SmokeCheck> checks(Object raw) {
            if (raw == null) return List.of();
            if (!(raw instanceof List<?> list)) throw bad("health.checks", "must be a list of checks, e.g. [{path: /, contains: \"<title>Shop\"}]");
            List<SmokeCheck> out = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                String at = "health.checks[" + i + "]";
                Map<String, Object> m = map(list.get(i), at);
                keys(m, CHECK, at + ".");
                String path = string(m, "path", at + ".");
                if (path == null) throw bad(at, "has no path:; write e.g. path: /");
                checked(path, at + ".path", Values::probePath);
                List<Integer> statuses = new ArrayList<>();
                if (m.containsKey("status")) {
                    Object st = m.get("status");
                    List<?> given = st instanceof List<?> l ? l : java.util.Collections.singletonList(st);
                    if (given.isEmpty()) throw bad(at + ".status", "is an empty list; write a status, e.g. 200, or a list, e.g. [200, 302]");
                    for (Object o : given) statuses.add(checked(o, at + ".status", ProjectFile::status));
                }
                String contains = string(m, "contains", at + ".");
                Map<String, String> headers = new LinkedHashMap<>();
                if (m.containsKey("header")) {
                    Map<String, Object> h = map(m.get("header"), at + ".header");
                    if (h.isEmpty()) throw bad(at + ".header", "is empty; write e.g. {Content-Type: application/json}");
                    for (String name : h.keySet()) {
                        if (!name.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
                            throw bad(at + ".header", "\"" + lib.base.Text.printable(name) + "\" is not a header name; write e.g. Content-Type");
                        }
                        String value = string(h, name, at + ".header.");
                        if (value == null) throw bad(at + ".header." + name, "has no value; write the text its value must contain");
                        if (!value.matches("[\\x20-\\x7E]+")) throw bad(at + ".header." + name, "must be printable ASCII on one line");
                        headers.put(name, value);
                    }
                }
                String host = string(m, "host", at + ".");
                if (host != null && !host.matches("[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?(:\\d{1,5})?")) {
                    throw bad(at + ".host", "\"" + lib.base.Text.printable(host) + "\" is not a host name; write e.g. shop.example.com (the Host header the check sends)");
                }
                java.time.Duration timeout = m.containsKey("timeout")
                        ? Values.positiveTimeout(duration(m.get("timeout"), at + ".timeout")) : SmokeCheck.DEFAULT_TIMEOUT;
                out.add(new SmokeCheck(path, statuses, contains, headers, host, timeout));
            }
            return List.copyOf(out);
        }

        /** watch: 2m, or watch: {for: 2m, max_error_rate: 5%, min_requests: 20, failures: 3}. */
        WatchSettings watch(Object raw) {
            if (raw == null || Boolean.FALSE.equals(raw)) return WatchSettings.OFF; // YAML reads a bare off as false
            if (!(raw instanceof Map)) return WatchSettings.OFF.withLength(checked(raw, "watch", ProjectFile::watchLength));
            Map<String, Object> m = map(raw, "watch");
            keys(m, WATCH, "watch.");
            if (!m.containsKey("for")) throw bad("watch", "needs for: (how long to watch, e.g. for: 2m)");
            Duration length = checked(m.get("for"), "watch.for", ProjectFile::watchLength);
            double rate = m.containsKey("max_error_rate") ? checked(m.get("max_error_rate"), "watch.max_error_rate", WatchSettings::percentage)
                    : WatchSettings.DEFAULT_MAX_ERROR_RATE;
            int min = m.containsKey("min_requests") ? count(m.get("min_requests"), "watch.min_requests") : WatchSettings.DEFAULT_MIN_REQUESTS;
            int failures = m.containsKey("failures") ? count(m.get("failures"), "watch.failures") : WatchSettings.DEFAULT_FAILURES;
            return new WatchSettings(length, rate, min, failures);
        }

        /** accessories: and colours:, lists of Compose service names (checked against the Compose file when it is loaded). */
        List<String> services(Object raw, String at) {
            if (raw == null) return List.of();
            List<?> l = raw instanceof List<?> list ? list : raw instanceof String one ? List.of(one) : null;
            if (l == null) throw bad(at, "must be a list of Compose service names, e.g. [mysql, redis]");
            List<String> out = new ArrayList<>();
            for (Object o : l) {
                String v = scalar(o, at);
                if (!v.matches(NAME)) throw bad(at, "\"" + v + "\" is not a service name; use letters, digits, '_', '.', '-'");
                out.add(v);
            }
            return List.copyOf(out);
        }

        Map<String, String> health(Map<String, Object> m) {
            keys(m, HEALTH, "health.");
            Map<String, String> out = new LinkedHashMap<>();
            String probe = string(m, "probe", "health.");
            if (probe != null) out.put("probe", checked(probe, "health.probe", Values::probePath));
            if (m.containsKey("timeout")) out.put("timeout", duration(m.get("timeout"), "health.timeout"));
            String service = name(m, "service", "health.");
            if (service != null) out.put("service", service);
            if (m.containsKey("successes")) out.put("successes", String.valueOf(count(m.get("successes"), "health.successes")));
            return out;
        }

        Map<String, String> front(Map<String, Object> m) {
            keys(m, FRONT, "front.");
            Map<String, String> out = new LinkedHashMap<>();
            String kind = string(m, "kind", "front.");
            if (kind != null) {
                checked(kind, "front.kind", v -> Values.choice(FrontSettings.Kind.class, v));
                out.put("kind", kind);
            }
            if (m.containsKey("port")) out.put("port", String.valueOf(port(m.get("port"), "front.port")));
            if (m.containsKey("preview_port")) out.put("preview_port", String.valueOf(port(m.get("preview_port"), "front.preview_port")));
            String bind = string(m, "bind", "front.");
            if (bind != null) {
                if (!bind.matches("(\\d{1,3}\\.){3}\\d{1,3}|[0-9a-fA-F:]*:[0-9a-fA-F:]*")) {
                    throw bad("front.bind", "\"" + bind + "\" is not an IP address; write e.g. 127.0.0.1, or 0.0.0.0 for all");
                }
                out.put("bind", bind);
            }
            String image = string(m, "image", "front.");
            if (image != null) {
                if (!image.matches(ComposeLoader.IMAGE)) throw bad("front.image", "\"" + image + "\" is not an image reference; write e.g. nginx:stable");
                out.put("image", image);
            }
            String service = name(m, "service", "front.");
            if (service != null) out.put("service", service);
            if (m.containsKey("target_port")) out.put("target_port", String.valueOf(port(m.get("target_port"), "front.target_port")));
            if (m.containsKey("drain_timeout")) out.put("drain_timeout", duration(m.get("drain_timeout"), "front.drain_timeout"));
            if (m.containsKey("max_body")) out.put("max_body", checked(m.get("max_body"), "front.max_body", Values::size));
            if (m.containsKey("read_timeout")) out.put("read_timeout", duration(m.get("read_timeout"), "front.read_timeout"));
            if (m.containsKey("send_timeout")) out.put("send_timeout", duration(m.get("send_timeout"), "front.send_timeout"));
            if (m.containsKey("trusted_proxies")) {
                Object raw = m.get("trusted_proxies");
                List<?> list = raw instanceof List<?> l ? l : raw == null ? List.of() : List.of(scalar(raw, "front.trusted_proxies").split(","));
                List<String> cidrs = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) cidrs.add(checked(list.get(i), "front.trusted_proxies[" + i + "]", Values::cidr));
                out.put("trusted_proxies", String.join(",", cidrs));
            }
            if (m.containsKey("tls")) {
                Map<String, Object> t = map(m.get("tls"), "front.tls");
                keys(t, FRONT_TLS, "front.tls.");
                String cert = string(t, "cert", "front.tls.");
                String key = string(t, "key", "front.tls.");
                if ((cert == null) != (key == null)) throw bad("front.tls", "needs both cert: and key: (PEM files on this machine)");
                if (cert != null) {
                    out.put("tls.cert", relativeToFile(expandHome(cert)));
                    out.put("tls.key", relativeToFile(expandHome(key)));
                }
                if (t.containsKey("port")) out.put("tls.port", String.valueOf(port(t.get("port"), "front.tls.port")));
                if (t.containsKey("redirect")) {
                    Object r = t.get("redirect");
                    if (!(r instanceof Boolean b)) throw bad("front.tls.redirect", "must be true or false");
                    out.put("tls.redirect", String.valueOf(b));
                }
            }
            if (m.containsKey("publish_ports")) {
                if (!(m.get("publish_ports") instanceof Boolean b)) throw bad("front.publish_ports", "\"" + m.get("publish_ports") + "\" is not true or false");
                out.put("publish_ports", String.valueOf(b));
            }
            return out;
        }

        /** A path in deploy.yml is relative to the file's directory, wherever the command runs. */
        String relativeToFile(String p) {
            Path given = Path.of(p);
            return given.isAbsolute() ? p : file.getParent().resolve(given).normalize().toString();
        }

        Map<String, Environment> environments(Map<String, Object> all) {
            Map<String, Environment> out = new LinkedHashMap<>();
            all.forEach((name, raw) -> {
                String at = "environments." + name;
                if (!name.matches(NAME)) throw bad(at, "\"" + name + "\" is not a valid environment name; use letters, digits, '_', '.', '-'");
                Map<String, Object> e = map(raw, at);
                keys(e, ENV, at + ".");
                if (e.containsKey("host") && e.containsKey("hosts")) throw bad(at, "has both host: and hosts:; list every host under hosts:");
                String branch = string(e, "branch", at + ".");
                List<String> accessories = e.containsKey("accessories") ? services(e.get("accessories"), at + ".accessories") : null;
                List<String> colours = e.containsKey("colours") ? services(e.get("colours"), at + ".colours") : null;
                String engine = e.containsKey("engine") ? checked(e.get("engine"), at + ".engine", ProjectFile::engine) : Environment.DOCKER;
                if (engine.equals(Environment.SWARM)) {
                    out.put(name, swarm(e, at, name, branch).withServices(accessories, colours));
                    return;
                }
                for (String k : new TreeSet<>(SWARM_ONLY)) {
                    if (e.containsKey(k)) throw bad(at + "." + k, "is for a Docker Swarm; add engine: swarm, or list the Docker hosts under hosts:");
                }
                if (e.containsKey("hosts")) {
                    List<HostRef> refs = hostList(e.get("hosts"), at + ".hosts", "must be a list of hosts, e.g. - host: ssh://root@web1");
                    out.put(name, new Environment(name, refs.get(0).host(), refs.get(0).tlsVerify(), refs.get(0).certPath(), branch, List.copyOf(refs))
                            .withServices(accessories, colours));
                    return;
                }
                HostRef one = hostRef(e, at);
                out.put(name, new Environment(name, one.host(), one.tlsVerify(), one.certPath(), branch).withServices(accessories, colours));
            });
            return out;
        }

        /**
         * engine: swarm. The cluster is reached through its managers, so a host of its own would be a second, conflicting
         * answer to "where does this deploy go".
         */
        Environment swarm(Map<String, Object> e, String at, String name, String branch) {
            for (String k : List.of("host", "hosts", "tls_verify", "cert_path")) {
                if (e.containsKey(k)) {
                    throw bad(at + "." + k, "does not apply with engine: swarm; list the managers under managers: (tried in order) and the nodes"
                            + " whose front takes traffic under fronts:, each - host: URL with its own tls_verify and cert_path");
                }
            }
            if (!e.containsKey("managers")) throw bad(at, "has engine: swarm but no managers:; list them, e.g. managers: [{host: ssh://deploy@mgr1}]");
            if (!e.containsKey("fronts")) {
                throw bad(at, "has engine: swarm but no fronts:; list the nodes whose managed front takes traffic, e.g. fronts: [{host: ssh://deploy@web1}]");
            }
            List<HostRef> managers = hostList(e.get("managers"), at + ".managers", "must be a list of Swarm managers, e.g. - host: ssh://deploy@mgr1");
            List<HostRef> fronts = hostList(e.get("fronts"), at + ".fronts", "must be a list of the nodes whose front takes traffic, e.g. - host: ssh://deploy@web1");
            int replicas = e.containsKey("replicas") ? count(e.get("replicas"), at + ".replicas") : 1;
            return Environment.swarm(name, branch, managers, fronts, replicas);
        }

        /** hosts:, managers: and fronts: alike: a non-empty list of - host: URL (or bare URLs), each named once. */
        List<HostRef> hostList(Object raw, String at, String shape) {
            if (!(raw instanceof List<?> list) || list.isEmpty()) throw bad(at, shape);
            List<HostRef> refs = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                String hat = at + "[" + i + "]";
                Map<String, Object> h = list.get(i) instanceof String str ? Map.of("host", str) : map(list.get(i), hat);
                keys(h, HOST, hat + ".");
                refs.add(hostRef(h, hat));
                if (refs.get(i).host() == null) throw bad(hat, "has no host:; write e.g. host: tcp://web1.example.com:2376");
            }
            if (refs.stream().map(HostRef::host).distinct().count() < refs.size()) throw bad(at, "names a host twice");
            return List.copyOf(refs);
        }

        HostRef hostRef(Map<String, Object> e, String at) {
            String host = string(e, "host", at + ".");
            if (host != null) {
                try {
                    DockerHost.parseUrl(host);
                } catch (IllegalArgumentException invalid) {
                    throw bad(at + ".host", invalid.getMessage());
                }
            }
            Boolean tls = e.containsKey("tls_verify") ? tlsVerify(e.get("tls_verify"), file, at + ".tls_verify") : null;
            return new HostRef(host, tls, expandHome(string(e, "cert_path", at + ".")));
        }

        Map<String, Secret> notify(Map<String, Object> all) {
            Map<String, Secret> out = new LinkedHashMap<>();
            all.forEach((kind, raw) -> {
                if (!NOTIFY.contains(kind)) throw DeployError.config(file + ": unsupported key \"notify." + kind + "\"; supported: slack, webhook");
                Map<String, Object> n = map(raw, "notify." + kind);
                if (n.containsKey("url")) {
                    throw DeployError.config(file + ": notify." + kind + ".url would put a secret in the file; set url_env: VARIABLE (or url_file: PATH) instead");
                }
                keys(n, SECRET, "notify." + kind + ".");
                if (n.containsKey("url_env") == n.containsKey("url_file")) {
                    throw DeployError.config(file + ": notify." + kind + " needs exactly one of url_env or url_file");
                }
                String env = string(n, "url_env", "notify." + kind + ".");
                if (env != null && !env.matches(VARIABLE)) {
                    throw bad("notify." + kind + ".url_env", "\"" + env + "\" is not a variable name; write the name of the variable holding the URL, e.g. SLACK_WEBHOOK_URL");
                }
                out.put(kind, new Secret(env, expandHome(string(n, "url_file", "notify." + kind + "."))));
            });
            return out;
        }

        Map<String, List<List<String>>> hooks(Map<String, Object> all) {
            Map<String, List<List<String>>> out = new LinkedHashMap<>();
            all.forEach((name, raw) -> {
                if (!HOOKS.contains(name)) throw DeployError.config(file + ": unsupported hook \"" + name + "\"; supported: pre-deploy, post-deploy, post-rollback (and env: the variables hooks see)");
                if (name.equals("env")) return;
                List<List<String>> commands = new ArrayList<>();
                List<?> entries = raw == null ? List.of() : raw instanceof List<?> l ? l : List.of(raw);
                for (int i = 0; i < entries.size(); i++) {
                    String at = "hooks." + name + "[" + i + "]";
                    List<String> argv = entries.get(i) instanceof List<?> list ? argv(list, at)
                            : ShellWords.split(scalar(entries.get(i), at), file + ": " + at);
                    if (argv.isEmpty() || argv.get(0).isBlank()) {
                        throw bad(at, "is an empty command; write a program and its arguments, e.g. [bin/migrate, --check] or \"bin/migrate --check\"");
                    }
                    commands.add(argv);
                }
                out.put(name, commands);
            });
            return out;
        }

        List<String> argv(List<?> list, String at) {
            List<String> out = new ArrayList<>();
            for (Object o : list) out.add(scalar(o, at));
            return out;
        }

        List<String> variables(Object raw, String at) {
            if (raw == null) return List.of();
            if (!(raw instanceof List<?> l)) throw bad(at, "must be a list of variable names, e.g. [DATABASE_URL, RAILS_ENV]");
            List<String> out = new ArrayList<>();
            for (Object o : l) {
                String v = scalar(o, at);
                if (!v.matches(VARIABLE)) throw bad(at, "\"" + v + "\" is not a variable name; use letters, digits and '_'");
                out.add(v);
            }
            return List.copyOf(out);
        }

        String duration(Object raw, String at) {
            checked(raw, at, Values::positiveTimeout);
            return scalar(raw, at);
        }

        // The same rules as the options these keys stand for (lib.base.Values), named by file and key instead.
        int port(Object raw, String at) {
            return checked(raw, at, Values::port);
        }

        int count(Object raw, String at) {
            return checked(raw, at, Values::count);
        }

        private <T> T checked(Object raw, String at, java.util.function.Function<String, T> rule) {
            String s = scalar(raw, at);
            try {
                return rule.apply(s);
            } catch (IllegalArgumentException e) {
                throw bad(at, e.getMessage());
            }
        }

        String name(Map<String, Object> m, String key, String prefix) {
            String s = string(m, key, prefix);
            if (s != null && !s.matches(NAME)) throw bad(prefix + key, "\"" + s + "\" is not a service name; use letters, digits, '_', '.', '-'");
            return s;
        }

        String string(Map<String, Object> m, String key, String prefix) {
            Object o = m.get(key);
            if (o == null) return null;
            String s = scalar(o, prefix + key);
            if (s.isBlank()) throw bad(prefix + key, "is empty; give a value or remove the key");
            return s;
        }

        String scalar(Object o, String at) {
            if (o == null) throw bad(at, "has no value; give one or remove it");
            if (o instanceof Map || o instanceof List) throw bad(at, "must be a single value, got " + ComposeLoader.describe(o));
            return String.valueOf(o);
        }

        @SuppressWarnings("unchecked")
        Map<String, Object> map(Object o, String at) {
            if (o == null) return new LinkedHashMap<>();
            if (!(o instanceof Map<?, ?> m)) throw bad(at, "must be a mapping (key: value), got " + ComposeLoader.describe(o));
            for (Object k : m.keySet()) {
                if (!(k instanceof String)) throw bad(at, "key " + k + " must be a name, not " + ComposeLoader.describe(k));
            }
            return (Map<String, Object>) o;
        }

        void keys(Map<String, Object> m, Set<String> allowed, String prefix) {
            for (String k : m.keySet()) {
                if (!allowed.contains(k)) {
                    throw DeployError.config(file + ": unsupported key \"" + prefix + k + "\"; supported: " + String.join(", ", new TreeSet<>(allowed)));
                }
            }
        }

        DeployError bad(String at, String message) {
            return DeployError.config(file + ": " + at + ": " + message);
        }
    }

    /** An HTTP status a check expects: 100-599. */
    static int status(String s) {
        if (!s.trim().matches("\\d{1,9}") || Integer.parseInt(s.trim()) < 100 || Integer.parseInt(s.trim()) > 599) {
            throw new IllegalArgumentException("\"" + lib.base.Text.printable(s) + "\" is not an HTTP status; write 100-599, e.g. 200, or a list, e.g. [200, 302]");
        }
        return Integer.parseInt(s.trim());
    }

    /** A watch window's length: off (or 0) for none, else a duration of at most a day. */
    static Duration watchLength(String s) {
        return s.trim().equals("off") || s.trim().equals("0") ? Duration.ZERO : Values.positiveTimeout(s);
    }

    private static String expandHome(String p) {
        return p != null && p.startsWith("~/") ? Home.home() + p.substring(1) : p;
    }
}
