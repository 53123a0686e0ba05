package lib.compose;

import lib.base.DeployError;
import lib.base.Labels;
import lib.compose.ComposeProject.Mount;
import lib.compose.ComposeProject.MountKind;
import lib.compose.ComposeProject.Resource;
import lib.compose.ComposeProject.Service;

import com.github.dockerjava.api.model.RestartPolicy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Splits one colour's Compose project into what is deployed blue/green and the accessories that run once per app,
 * shared by both colours. Pure: the containers are described ({@link ContainerSpec}) and hashed, nothing is created.
 *
 * <p>Names: an accessory's container is {@code <app>-<service>} with the Compose project label {@code <app>} (so
 * {@code docker compose -p <app> ps} lists it); it is on the network {@code <app>_accessories} under its service name
 * (and the aliases the file gives it), and every colour container joins that network too, without aliases of its own
 * (blue's "web" must never answer for green's). Its named volumes are {@code <app>_<volume>}, never per colour.
 */
public final class AccessorySplit {
    private AccessorySplit() {}

    public static final String ROLE = "accessory";
    /** A SHA-256 of the container an accessory was created as (no value in clear), to tell when the file changed since. */
    public static final String HASH_LABEL = Labels.NS + "accessory-hash";
    /** The Compose key under which the colours see the accessories' network; not a key a file can declare by accident. */
    public static final String NETWORK_KEY = "bgdeploy-accessories";

    public static String network(String app) {
        return app + "_accessories";
    }

    public static String container(String app, String service) {
        return app + "-" + service;
    }

    public static String volume(String app, String key) {
        return app + "_" + key;
    }

    /** One accessory: its container as it would be created, the hash of that, and the named volumes it needs (by key). */
    public record Accessory(String service, ContainerSpec spec, String hash, Map<String, String> volumes, List<String> dependsOn) {
        public String name() {
            return spec.name();
        }

        public String image() {
            return spec.image();
        }

        public boolean hasHealthcheck() {
            return spec.healthcheck() != null && spec.healthcheck().getTest() != null && !spec.healthcheck().getTest().isEmpty()
                    && !spec.healthcheck().getTest().get(0).equals("NONE");
        }
    }

    /** The colour part (what ColourStack brings up) and the accessories, in start order. */
    public record Split(ComposeProject colours, List<Accessory> accessories) {
        public List<String> accessoryNames() {
            return accessories.stream().map(Accessory::service).toList();
        }

        public Optional<Accessory> accessory(String service) {
            return accessories.stream().filter(a -> a.service().equals(service)).findFirst();
        }
    }

    /**
     * @param colourProject the Compose project the file was loaded as ({@code <app>-<colour>}), whose volume names
     *                      an accessory's are renamed from
     * @throws DeployError (exit 3) with one line per problem: an unknown or doubly listed service, a stateful-looking
     *                     service among the colours, a link between colours and accessories a deploy cannot make
     */
    public static Split split(ComposeProject p, String app, String colourProject, AccessoryChoice choice) {
        List<String> problems = new ArrayList<>();
        Set<String> accessories = new LinkedHashSet<>();
        for (String a : choice.accessories()) {
            if (!p.services().containsKey(a)) problems.add("accessory \"" + a + "\" is not a service of this file; services: " + String.join(", ", p.services().keySet()));
            else if (choice.colours().contains(a)) problems.add("service " + a + " is listed under both accessories: and colours:; keep it in one");
            else accessories.add(a);
        }
        for (String c : choice.colours()) {
            if (!p.services().containsKey(c)) problems.add("colours: names \"" + c + "\", which is not a service of this file; services: " + String.join(", ", p.services().keySet()));
        }
        for (Service s : p.services().values()) {
            if (accessories.contains(s.name()) || choice.colours().contains(s.name())) continue;
            StatefulGuess.of(p, s).ifPresent(f -> problems.add(StatefulGuess.refusal(f)));
        }
        for (Service s : p.services().values()) links(s, accessories, problems);
        if (!problems.isEmpty()) {
            throw DeployError.config(String.join("\n", problems.stream().map(m -> p.file() + ": " + m).toList()));
        }
        if (accessories.isEmpty()) return new Split(p, List.of());

        List<Accessory> out = new ArrayList<>();
        // links: [mysql:some-mysql] from a colour: the accessory answers to some-mysql too (PrestaShop's file does this)
        Map<String, List<String>> linkAliases = new LinkedHashMap<>();
        for (Service s : p.services().values()) {
            if (accessories.contains(s.name())) continue;
            s.links().forEach((target, alias) -> {
                if (accessories.contains(target) && alias != null && !alias.equals(target)) {
                    List<String> as = linkAliases.computeIfAbsent(target, k -> new ArrayList<>());
                    if (!as.contains(alias)) as.add(alias);
                }
            });
        }
        for (Service s : p.startOrder()) {
            if (accessories.contains(s.name())) out.add(accessory(p, s, app, colourProject, linkAliases.getOrDefault(s.name(), List.of())));
        }
        return new Split(colourPart(p, app, colourProject, accessories), List.copyOf(out));
    }

    /** What a deploy cannot honour across the line between colours and accessories, one line each. */
    private static void links(Service s, Set<String> accessories, List<String> problems) {
        boolean isAccessory = accessories.contains(s.name());
        String mode = s.networkMode();
        String sharedService = mode != null && mode.startsWith("service:") ? mode.substring(8) : null;
        List<String> from = s.volumesFrom().stream().filter(v -> !v.startsWith("container:")).map(v -> v.split(":")[0]).toList();
        if (isAccessory) {
            for (String dep : s.dependsOn().keySet()) {
                if (!accessories.contains(dep)) problems.add("service " + s.name() + ": an accessory cannot depend on " + dep
                        + ", which is deployed per colour; list " + dep + " as an accessory too, or drop the depends_on");
            }
            if (mode != null && (mode.startsWith("service:") || mode.startsWith("container:"))) {
                problems.add("service " + s.name() + ": network_mode \"" + mode + "\" is not supported for an accessory (it runs once, on the app's accessory network); remove it");
            }
            for (String target : s.links().keySet()) {
                if (!accessories.contains(target)) problems.add("service " + s.name() + ": an accessory cannot link to " + target
                        + ", which is deployed per colour; list " + target + " as an accessory too, or drop the link");
            }
            if (!s.volumesFrom().isEmpty()) {
                problems.add("service " + s.name() + ": volumes_from is not supported for an accessory; mount the named volume itself");
            }
            return;
        }
        for (String m : java.util.Arrays.asList(s.run().ipc(), s.run().pid())) {
            if (m != null && m.startsWith("service:") && accessories.contains(m.substring(8))) {
                problems.add("service " + s.name() + ": ipc/pid \"" + m + "\" would share a namespace with the accessory " + m.substring(8)
                        + ", which runs once, outside the colours; remove it or deploy " + m.substring(8) + " per colour");
            }
        }
        if (sharedService != null && accessories.contains(sharedService)) {
            problems.add("service " + s.name() + ": network_mode \"" + mode + "\" would put a colour in the accessory " + sharedService
                    + "'s network namespace; reach it by name (" + sharedService + ") instead");
        }
        for (String f : from) {
            if (accessories.contains(f)) problems.add("service " + s.name() + ": volumes_from " + f + " names an accessory; mount the named volume itself"
                    + " (an accessory's volume is <app>_<volume>, shared by both colours)");
        }
    }

    /** The colours' project: the accessories gone, depends_on on them dropped (they run and are healthy before), their network joined. */
    private static ComposeProject colourPart(ComposeProject p, String app, String colourProject, Set<String> accessories) {
        Map<String, Service> services = new LinkedHashMap<>();
        Set<String> usedVolumes = new LinkedHashSet<>();
        // A volume an accessory mounts is the app's, not the colour's: a colour service mounting it too gets the same one.
        Map<String, String> shared = new LinkedHashMap<>();
        for (Service s : p.services().values()) {
            if (!accessories.contains(s.name())) continue;
            for (Mount m : s.volumes()) {
                p.volumes().values().stream().filter(r -> m.kind() == MountKind.NAMED && r.name().equals(m.source()) && !r.external()
                        && r.name().equals(colourProject + "_" + r.key())).findFirst().ifPresent(r -> shared.put(r.name(), volume(app, r.key())));
            }
        }
        for (Service s : p.services().values()) {
            if (accessories.contains(s.name())) continue;
            Map<String, String> deps = new LinkedHashMap<>(s.dependsOn());
            deps.keySet().removeAll(accessories);
            Map<String, List<String>> nets = s.networks();
            if (s.networkMode() == null) {
                nets = new LinkedHashMap<>(s.networks().isEmpty() ? Map.of("default", List.of()) : s.networks());
                nets.put(NETWORK_KEY, List.of());
            }
            s.volumes().stream().filter(m -> m.kind() == MountKind.NAMED).forEach(m -> usedVolumes.add(m.source()));
            List<Mount> mounts = s.volumes().stream().map(m -> m.kind() == MountKind.NAMED && shared.containsKey(m.source())
                    ? new Mount(m.kind(), shared.get(m.source()), m.target(), m.readOnly(), m.selinux(), m.noCopy(), m.options()) : m).toList();
            // A link to an accessory is made by the accessories' network: the accessory answers there to its name.
            Map<String, String> links = new LinkedHashMap<>(s.links());
            links.keySet().removeAll(accessories);
            services.put(s.name(), with(s, mounts, deps, nets, links));
        }
        Map<String, Resource> volumes = new LinkedHashMap<>();
        p.volumes().forEach((k, r) -> {
            if (!usedVolumes.contains(r.name())) return;
            // External to the colour: the accessories' step creates it, and it is never the colour's to make.
            volumes.put(k, shared.containsKey(r.name()) ? new Resource(k, shared.get(r.name()), true) : r);
        });
        Map<String, Resource> networks = new LinkedHashMap<>(p.networks());
        // External to the colours: the accessories' step creates it, and no colour's undo or retire may remove it.
        networks.put(NETWORK_KEY, new Resource(NETWORK_KEY, network(app), true));
        return new ComposeProject(p.file(), services, volumes, networks);
    }

    /** Whether a colour container's attachment is the accessories' network, where it takes no alias. */
    public static boolean isAccessoryNetwork(ComposeProject colours, String networkName) {
        Resource r = colours.networks().get(NETWORK_KEY);
        return r != null && r.name().equals(networkName);
    }

    private static Accessory accessory(ComposeProject p, Service s, String app, String colourProject, List<String> linkAliases) {
        Map<String, Resource> volumes = new LinkedHashMap<>();
        Map<String, String> created = new LinkedHashMap<>();
        List<Mount> mounts = new ArrayList<>();
        for (Mount m : s.volumes()) {
            Resource r = m.kind() == MountKind.NAMED ? p.volumes().values().stream().filter(v -> v.name().equals(m.source())).findFirst().orElse(null) : null;
            if (r == null) {
                mounts.add(m);
                continue;
            }
            // Named after the app, not the colour, unless the file names it itself (name:) or it is external.
            String name = !r.external() && r.name().equals(colourProject + "_" + r.key()) ? volume(app, r.key()) : r.name();
            // the file's driver, options and labels stay: a database volume on an NFS or local-persist driver keeps it
            Resource renamed = new Resource(r.key(), name, r.external(), r.driver(), r.driverOpts(), r.labels(), r.internal(),
                    r.enableIpv6(), r.attachable(), r.ipamDriver());
            volumes.put(r.key(), renamed);
            if (!r.external()) created.put(r.key(), name);
            mounts.add(new Mount(m.kind(), name, m.target(), m.readOnly(), m.selinux(), m.noCopy(), m.options()));
        }
        List<String> aliases = new ArrayList<>(linkAliases);
        Map<String, List<String>> nets = new LinkedHashMap<>();
        Map<String, Resource> networks = new LinkedHashMap<>();
        networks.put(NETWORK_KEY, new Resource(NETWORK_KEY, network(app), true));
        nets.put(NETWORK_KEY, aliases);
        s.networks().forEach((key, as) -> {
            as.stream().filter(a -> !aliases.contains(a)).forEach(aliases::add);
            Resource r = p.networks().get(key);
            // An external network is the same for both colours, so an accessory can be on it too; a colour's own cannot.
            if (r != null && r.external()) {
                networks.put(key, r);
                nets.put(key, as);
            }
        });
        Service shared = with(s, mounts, s.dependsOn(), s.networkMode() != null ? Map.of() : nets, s.links());
        ComposeProject project = new ComposeProject(p.file(), Map.of(s.name(), shared), volumes, networks);
        Map<String, String> ours = new LinkedHashMap<>();
        ours.put(Labels.APP, app);
        ours.put(Labels.ROLE, ROLE);
        ContainerSpec of = ContainerSpec.of(project, shared, app, ours);
        // Not held back as a colour's is until its gate: an accessory has no gate, and restarts with its host as the file says.
        if (s.restart() != null) of.hostConfig().withRestartPolicy(RestartPolicy.parse(s.restart()));
        Map<String, String> labels = new LinkedHashMap<>(of.labels());
        labels.remove(Labels.RESTART);
        // container_name is the accessory's own name (it runs once), so apps that reach it by that name still do
        ContainerSpec spec = renamed(of, s.containerName() != null ? s.containerName() : container(app, s.name()), labels);
        String hash = SpecHash.of(spec);
        labels.put(HASH_LABEL, hash);
        return new Accessory(s.name(), renamed(spec, spec.name(), labels), hash, created, List.copyOf(s.dependsOn().keySet()));
    }

    // Copies of the loader's records with a few fields changed. Kept here rather than as methods of the records, so the
    // loader's files stay as they are: a field added to them shows up as a compile error in these two constructors.

    static Service with(Service s, List<Mount> volumes, Map<String, String> dependsOn, Map<String, List<String>> networks,
                        Map<String, String> links) {
        return new Service(s.name(), s.image(), s.environment(), s.command(), s.entrypoint(), s.ports(), volumes, s.volumesFrom(),
                dependsOn, s.networkMode(), networks, s.labels(), s.healthcheck(), s.restart(), s.stopSignal(), s.stopGraceSeconds(),
                s.user(), s.workingDir(), s.extraHosts(), s.init(), s.containerName(), s.hostname(), s.domainname(), s.expose(),
                links, s.profiles(), s.pullPolicy(), s.run(), s.swarm());
    }

    static ContainerSpec renamed(ContainerSpec c, String name, Map<String, String> labels) {
        return new ContainerSpec(name, c.image(), labels, c.env(), c.cmd(), c.entrypoint(), c.user(), c.workingDir(), c.stopSignal(),
                c.stopTimeout(), c.exposedPorts(), c.anonymousVolumes(), c.healthcheck(), c.hostConfig(), c.network(), c.extraNetworks(),
                c.externalContainers(), c.create());
    }
}
