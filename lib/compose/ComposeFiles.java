package lib.compose;

import lib.base.DeployError;
import lib.base.Values;
import lib.model.Colour;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The two shapes the shell version's users have: one file per colour ({@code docker-compose.blue.yml} and
 * {@code docker-compose.green.yml}, or any {@code -f} path containing {@code {colour}}), or one file whose host port
 * is {@code ${DEPLOY_PORT}}. Both colours are loaded and checked up front, so a broken file fails before the host is
 * touched. Variables offered to the files: DEPLOY_APP, DEPLOY_COLOUR, DEPLOY_PORT and, when known, DEPLOY_RELEASE.
 */
public final class ComposeFiles {
    public static final String COLOUR_PLACEHOLDER = "{colour}";

    private ComposeFiles() {}

    /** Resolves the -f value (or its absence) to a pattern that may contain {colour}. */
    public static String pattern(String fileOption, Path cwd) {
        if (fileOption != null) return fileOption;
        if (Files.exists(cwd.resolve("docker-compose.blue.yml")) && Files.exists(cwd.resolve("docker-compose.green.yml"))) {
            return cwd.resolve("docker-compose." + COLOUR_PLACEHOLDER + ".yml").toString();
        }
        for (String name : List.of("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")) {
            if (Files.exists(cwd.resolve(name))) return cwd.resolve(name).toString();
        }
        throw DeployError.config("no Compose file in " + cwd.toAbsolutePath()
                + " (looked for docker-compose.blue.yml + docker-compose.green.yml, compose.yaml, docker-compose.yml); pass -f FILE");
    }

    public static Path fileFor(String pattern, Colour colour) {
        return Path.of(pattern.replace(COLOUR_PLACEHOLDER, colour.id()));
    }

    public static Map<Colour, ComposeProject> loadBoth(String pattern, String app, Map<Colour, Integer> ports,
                                                        String release, Map<String, String> env) {
        return loadBoth(pattern, app, ports, release, env, Set.of());
    }

    /** The notices of both colours' files (what a key means under blue-green, where that differs), each once. */
    public static List<String> notices(Map<Colour, ComposeProject> both) {
        Set<String> all = new LinkedHashSet<>();
        both.values().forEach(p -> all.addAll(p.notices()));
        return List.copyOf(all);
    }

    /** @param profiles the active Compose profiles (--profile); empty means COMPOSE_PROFILES */
    public static Map<Colour, ComposeProject> loadBoth(String pattern, String app, Map<Colour, Integer> ports,
                                                        String release, Map<String, String> env, Set<String> profiles) {
        return check(loadEach(pattern, app, ports, release, env, profiles), app);
    }

    /** Both colours' files loaded, not yet checked against each other: the accessories are split off first ({@link AccessorySplit}). */
    public static Map<Colour, ComposeProject> loadEach(String pattern, String app, Map<Colour, Integer> ports,
                                                        String release, Map<String, String> env, Set<String> profiles) {
        return loadEach(pattern, app, ports, release, env, profiles, false);
    }

    /** @param swarm read as a Swarm runs the files ({@link ComposeLoader#loadForSwarm}) */
    public static Map<Colour, ComposeProject> loadEach(String pattern, String app, Map<Colour, Integer> ports,
                                                        String release, Map<String, String> env, Set<String> profiles, boolean swarm) {
        Map<Colour, ComposeProject> out = new EnumMap<>(Colour.class);
        for (Colour c : Colour.values()) {
            Map<String, String> ours = new HashMap<>();
            ours.put("DEPLOY_APP", app);
            ours.put("DEPLOY_COLOUR", c.id());
            ours.put("DEPLOY_PORT", String.valueOf(ports.get(c)));
            if (release != null) ours.put("DEPLOY_RELEASE", release);
            out.put(c, swarm ? ComposeLoader.loadForSwarm(fileFor(pattern, c), c.project(app), env, ours, profiles)
                    : ComposeLoader.load(fileFor(pattern, c), c.project(app), env, ours, profiles));
        }
        return out;
    }

    /** The colours' projects checked for running side by side: container names DNS can resolve, no host port used by both. */
    public static Map<Colour, ComposeProject> check(Map<Colour, ComposeProject> out, String app) {
        out.forEach((c, p) -> fitDns(p, c.project(app)));
        Set<String> clash = hostPorts(out.get(Colour.BLUE));
        clash.retainAll(hostPorts(out.get(Colour.GREEN)));
        if (!clash.isEmpty()) {
            throw DeployError.config(out.get(Colour.BLUE).file() + ": blue and green both publish host port(s) " + clash
                    + ", so they cannot run side by side; write \"127.0.0.1:${DEPLOY_PORT}:80\" or use one file per colour");
        }
        return out;
    }

    /** nginx cannot resolve an upstream over a DNS label, so a colour with such a container name could never go live. */
    private static void fitDns(ComposeProject p, String project) {
        for (String service : p.services().keySet()) {
            String name = ContainerSpec.containerName(project, service);
            if (name.length() > Values.MAX_DNS_LABEL) {
                int room = Values.MAX_DNS_LABEL - ContainerSpec.containerName(project, "").length();
                throw DeployError.config(p.file() + ": service \"" + service + "\": container name " + name + " is " + name.length()
                        + " characters, over DNS's " + Values.MAX_DNS_LABEL + "-character label (the managed front could not resolve it);"
                        + " shorten the service name to at most " + room + " characters or the app name");
            }
        }
    }

    private static Set<String> hostPorts(ComposeProject p) {
        Set<String> ports = new LinkedHashSet<>();
        p.services().values().forEach(s -> s.ports().stream().map(ComposeProject.Port::hostPort).filter(Objects::nonNull)
                .forEach(hp -> ports.add(String.valueOf(hp))));
        return ports;
    }
}
