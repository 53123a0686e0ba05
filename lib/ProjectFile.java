package lib;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * deploy.yml: the app, its Compose files, registry image, health check, front, environments (Docker host, TLS,
 * the git branch that deploys there), notifications and hooks, so CI and cron need a few words, not glue.
 * Secrets never live in it: a webhook URL is named by an environment variable ({@code url_env}) or a file
 * ({@code url_file}); a literal URL is refused.
 */
public record ProjectFile(Path file, String app, String compose, String image, String release, Map<String, String> health,
                          Map<String, String> front, Map<String, Environment> environments, Map<String, Secret> notifications,
                          Map<String, List<List<String>>> hooks) {

    public record Environment(String name, String host, Boolean tlsVerify, String certPath, String branch) {}

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

    static final Set<String> TOP = Set.of("app", "compose", "image", "release", "health", "front", "environments", "notify", "hooks");
    static final Set<String> HEALTH = Set.of("probe", "timeout", "service", "successes");
    static final Set<String> FRONT = Set.of("kind", "port", "bind", "image", "service", "target_port", "drain_timeout");
    static final Set<String> ENV = Set.of("host", "tls_verify", "cert_path", "branch");
    static final Set<String> NOTIFY = Set.of("slack", "webhook");
    static final Set<String> SECRET = Set.of("url_env", "url_file");
    static final Set<String> HOOKS = Set.of("pre-deploy", "post-deploy", "post-rollback");

    public static ProjectFile load(Path file) {
        Path abs = file.toAbsolutePath().normalize();
        if (!Files.isRegularFile(abs)) throw DeployError.config(abs + ": project file not found; pass --project FILE or create deploy.yml");
        Map<String, Object> top = map(ComposeLoader.readYaml(abs), abs, "the top level");
        keys(top, TOP, abs, "");
        Map<String, Environment> envs = new LinkedHashMap<>();
        map(top.get("environments"), abs, "environments").forEach((name, raw) -> {
            Map<String, Object> e = map(raw, abs, "environments." + name);
            keys(e, ENV, abs, "environments." + name + ".");
            envs.put(name, new Environment(name, str(e.get("host")), e.containsKey("tls_verify") ? Boolean.valueOf(str(e.get("tls_verify"))) : null,
                    expandHome(str(e.get("cert_path"))), str(e.get("branch"))));
        });
        Map<String, Secret> notify = new LinkedHashMap<>();
        map(top.get("notify"), abs, "notify").forEach((kind, raw) -> {
            if (!NOTIFY.contains(kind)) throw DeployError.config(abs + ": unsupported key \"notify." + kind + "\"; supported: slack, webhook");
            Map<String, Object> n = map(raw, abs, "notify." + kind);
            if (n.containsKey("url")) {
                throw DeployError.config(abs + ": notify." + kind + ".url would put a secret in the file; set url_env: VARIABLE (or url_file: PATH) instead");
            }
            keys(n, SECRET, abs, "notify." + kind + ".");
            if (n.containsKey("url_env") == n.containsKey("url_file")) {
                throw DeployError.config(abs + ": notify." + kind + " needs exactly one of url_env or url_file");
            }
            notify.put(kind, new Secret(str(n.get("url_env")), expandHome(str(n.get("url_file")))));
        });
        Map<String, List<List<String>>> hooks = new LinkedHashMap<>();
        map(top.get("hooks"), abs, "hooks").forEach((name, raw) -> {
            if (!HOOKS.contains(name)) throw DeployError.config(abs + ": unsupported hook \"" + name + "\"; supported: pre-deploy, post-deploy, post-rollback");
            List<List<String>> commands = new java.util.ArrayList<>();
            for (Object c : raw instanceof List<?> l ? l : List.of(raw)) {
                if (c instanceof List<?> argv) commands.add(argv.stream().map(String::valueOf).toList());
                else commands.add(ShellWords.split(String.valueOf(c), abs + ": hooks." + name));
            }
            hooks.put(name, commands);
        });
        Map<String, Object> health = map(top.get("health"), abs, "health");
        keys(health, HEALTH, abs, "health.");
        Map<String, Object> front = map(top.get("front"), abs, "front");
        keys(front, FRONT, abs, "front.");
        return new ProjectFile(abs, str(top.get("app")), str(top.get("compose")), str(top.get("image")), str(top.get("release")),
                strings(health), strings(front), envs, notify, hooks);
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

    private static Map<String, String> strings(Map<String, Object> m) {
        Map<String, String> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, str(v)));
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o, Path file, String what) {
        if (o == null) return new LinkedHashMap<>();
        if (!(o instanceof Map)) throw DeployError.config(file + ": " + what + " must be a mapping (key: value)");
        return (Map<String, Object>) o;
    }

    private static void keys(Map<String, Object> m, Set<String> allowed, Path file, String prefix) {
        for (String k : m.keySet()) {
            if (!allowed.contains(k)) {
                throw DeployError.config(file + ": unsupported key \"" + prefix + k + "\"; supported: " + String.join(", ", new java.util.TreeSet<>(allowed)));
            }
        }
    }

    private static String str(Object o) {
        return o == null ? null : String.valueOf(o);
    }

    private static String expandHome(String p) {
        return p != null && p.startsWith("~/") ? System.getProperty("user.home") + p.substring(1) : p;
    }
}
