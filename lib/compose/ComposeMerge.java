package lib.compose;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The raw-map steps Compose takes before it reads a service: merging a service over the one it {@code extends}, and
 * making the relative paths of a service from another file (include, extends file:) absolute, relative to that file.
 * Works on the YAML as maps and lists, so every key merges by Compose's rules whether or not we read it later.
 */
final class ComposeMerge {
    private ComposeMerge() {}

    /** Mappings merged key by key (list forms of KEY=VALUE turned into mappings first). */
    static final Set<String> MAPPINGS = Set.of("environment", "labels", "annotations", "sysctls", "extra_hosts", "ulimits",
            "logging", "deploy", "healthcheck", "networks", "depends_on", "storage_opt", "build", "blkio_config");
    /** Sequences appended without duplicates. */
    static final Set<String> SEQUENCES = Set.of("ports", "expose", "dns", "dns_search", "dns_opt", "tmpfs", "cap_add", "cap_drop",
            "security_opt", "group_add", "profiles", "external_links", "links", "env_file", "label_file", "secrets", "configs",
            "device_cgroup_rules", "volumes_from");
    /** Sequences merged by their target (mount point or device path). */
    static final Set<String> BY_TARGET = Set.of("volumes", "devices");

    /** A copy of base with override's keys laid over it, as Compose merges an extended service (and override files). */
    static Map<String, Object> service(Map<String, Object> base, Map<String, Object> override) {
        Map<String, Object> out = new LinkedHashMap<>(base);
        for (var e : override.entrySet()) {
            String k = e.getKey();
            Object b = out.get(k);
            Object o = e.getValue();
            if (b == null || o == null) {
                out.put(k, o);
            } else if (MAPPINGS.contains(k)) {
                out.put(k, deep(asMap(b), asMap(o)));
            } else if (SEQUENCES.contains(k) && b instanceof List<?> bl && o instanceof List<?> ol) {
                Set<Object> all = new LinkedHashSet<>(bl);
                all.addAll(ol);
                out.put(k, new ArrayList<>(all));
            } else if (BY_TARGET.contains(k) && b instanceof List<?> bl && o instanceof List<?> ol) {
                Map<String, Object> byTarget = new LinkedHashMap<>();
                for (Object v : bl) byTarget.put(target(v), v);
                for (Object v : ol) byTarget.put(target(v), v);
                out.put(k, new ArrayList<>(byTarget.values()));
            } else {
                out.put(k, o);
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> deep(Map<String, Object> base, Map<String, Object> over) {
        Map<String, Object> out = new LinkedHashMap<>(base);
        over.forEach((k, v) -> {
            Object b = out.get(k);
            out.put(k, b instanceof Map && v instanceof Map ? deep((Map<String, Object>) b, (Map<String, Object>) v) : v);
        });
        return out;
    }

    /** A mapping from either form: KEY=VALUE (or bare KEY) list entries become keys, as Compose reads them. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> asMap(Object o) {
        if (o instanceof Map<?, ?> m) return (Map<String, Object>) m;
        Map<String, Object> out = new LinkedHashMap<>();
        if (o instanceof List<?> l) {
            for (Object v : l) {
                String s = String.valueOf(v);
                int eq = s.indexOf('=');
                if (eq > 0) out.put(s.substring(0, eq), s.substring(eq + 1));
                else out.put(s, null);
            }
        }
        return out;
    }

    private static String target(Object v) {
        if (v instanceof Map<?, ?> m) return String.valueOf(m.get("target"));
        String[] p = String.valueOf(v).split(":");
        return p.length >= 2 ? p[1] : p[0];
    }

    /** Makes a service's relative host paths absolute against dir (the directory of the file it was written in). */
    @SuppressWarnings("unchecked")
    static Map<String, Object> rebase(Map<String, Object> service, Path dir) {
        Map<String, Object> out = new LinkedHashMap<>(service);
        if (out.get("volumes") instanceof List<?> vols) {
            List<Object> nv = new ArrayList<>();
            for (Object v : vols) {
                if (v instanceof String s && (s.startsWith("./") || s.startsWith("../") || s.equals(".") || s.startsWith(".:"))) {
                    int colon = s.indexOf(':');
                    String src = colon < 0 ? s : s.substring(0, colon);
                    nv.add(dir.resolve(src).normalize() + (colon < 0 ? "" : s.substring(colon)));
                } else if (v instanceof Map<?, ?> m && "bind".equals(m.get("type")) && m.get("source") instanceof String src
                        && !src.startsWith("/") && !src.startsWith("~")) {
                    Map<String, Object> c = new LinkedHashMap<>((Map<String, Object>) m);
                    c.put("source", dir.resolve(src).normalize().toString());
                    nv.add(c);
                } else {
                    nv.add(v);
                }
            }
            out.put("volumes", nv);
        }
        for (String key : List.of("env_file", "label_file")) {
            Object v = out.get(key);
            if (v instanceof String s) out.put(key, dir.resolve(s).normalize().toString());
            else if (v instanceof List<?> l) {
                List<Object> nl = new ArrayList<>();
                for (Object e : l) {
                    if (e instanceof String s) nl.add(dir.resolve(s).normalize().toString());
                    else if (e instanceof Map<?, ?> m && m.get("path") instanceof String p) {
                        Map<String, Object> c = new LinkedHashMap<>((Map<String, Object>) m);
                        c.put("path", dir.resolve(p).normalize().toString());
                        nl.add(c);
                    } else nl.add(e);
                }
                out.put(key, nl);
            }
        }
        if (out.get("extends") instanceof Map<?, ?> ext && ext.get("file") instanceof String f) {
            Map<String, Object> c = new LinkedHashMap<>((Map<String, Object>) ext);
            c.put("file", dir.resolve(f).normalize().toString());
            out.put("extends", c);
        }
        return out;
    }

    /** Makes file: sources of top-level secrets or configs absolute against dir. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> rebaseFiles(Map<String, Object> entries, Path dir) {
        Map<String, Object> out = new LinkedHashMap<>();
        entries.forEach((k, v) -> {
            if (v instanceof Map<?, ?> m && m.get("file") instanceof String f) {
                Map<String, Object> c = new LinkedHashMap<>((Map<String, Object>) m);
                c.put("file", dir.resolve(f).normalize().toString());
                out.put(k, c);
            } else {
                out.put(k, v);
            }
        });
        return out;
    }
}
