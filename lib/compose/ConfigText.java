package lib.compose;

import lib.base.Labels;
import lib.base.Text;
import lib.compose.AccessorySplit.Accessory;
import lib.compose.AccessorySplit.Split;
import lib.compose.ComposeProject.Service;
import lib.model.Colour;

import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HealthCheck;
import com.github.dockerjava.api.model.Ports;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * What {@code deploy.java config} prints, as {@code docker compose config} does but resolved the way a deploy would
 * create the containers: which services are colours and which accessories, and per container the image, environment
 * (values of secret-looking keys masked), mounts, networks and aliases, ports, host settings (limits...) and healthcheck.
 * Built from {@link ContainerSpec}s alone, so what is printed is what a deploy sends to the Engine.
 */
public final class ConfigText {
    private ConfigText() {}

    public static final String MASK = "****";

    /** Names of variables whose values are secrets: never printed, whatever they hold. */
    static final Pattern SECRET_KEY = Pattern.compile("(?i).*(PASSWORD|PASSWD|PASS|SECRET|TOKEN|KEY|CREDENTIAL|AUTH|PRIVATE|SALT|CERT|DSN).*");

    /** Host settings printed on their own lines elsewhere, or set by the deploy itself. */
    static final Set<String> SHOWN_ELSEWHERE = Set.of("Binds", "PortBindings", "NetworkMode", "RestartPolicy");

    public static boolean secretKey(String name) {
        return SECRET_KEY.matcher(name).matches();
    }

    /** The whole model: blue's file decides the accessories (as a deploy to blue would run them); both colours' containers. */
    public static String render(String app, Map<Colour, Split> splits) {
        StringBuilder b = new StringBuilder();
        Split blue = splits.get(Colour.BLUE);
        b.append("app ").append(app).append(" (").append(blue.colours().file()).append(")\n");
        b.append("colours (blue/green): ").append(String.join(", ", blue.colours().services().keySet())).append('\n');
        b.append("accessories (once per app, shared by both colours): ")
                .append(blue.accessories().isEmpty() ? "none" : String.join(", ", blue.accessoryNames())).append('\n');
        for (Accessory a : blue.accessories()) {
            b.append('\n').append("accessory ").append(a.service()).append(": container ").append(a.name()).append('\n');
            container(a.spec(), n -> false).forEach(l -> b.append("  ").append(l).append('\n'));
        }
        for (Colour c : Colour.values()) {
            ComposeProject p = splits.get(c).colours();
            for (Service s : p.startOrder()) {
                ContainerSpec spec = ContainerSpec.of(p, s, c.project(app), Map.of(Labels.APP, app, Labels.COLOUR, c.id()));
                b.append('\n').append(c).append(' ').append(s.name()).append(": container ").append(spec.name()).append('\n');
                container(spec, n -> AccessorySplit.isAccessoryNetwork(p, n)).forEach(l -> b.append("  ").append(l).append('\n'));
            }
        }
        return b.toString();
    }

    /**
     * One container's lines. noAliases: the networks on which the container takes no alias (a colour on the
     * accessories' network), as ColourStack connects it.
     */
    public static List<String> container(ContainerSpec spec, Predicate<String> noAliases) {
        List<String> secrets = new ArrayList<>();
        List<String> env = new ArrayList<>();
        for (String kv : spec.env()) {
            int eq = kv.indexOf('=');
            String key = eq < 0 ? kv : kv.substring(0, eq);
            String value = eq < 0 ? "" : kv.substring(eq + 1);
            if (secretKey(key)) {
                if (value.length() >= 3) secrets.add(value);
                env.add(key + "=" + MASK);
            } else {
                env.add(key + "=" + Text.redact(value));
            }
        }
        List<String> out = new ArrayList<>();
        out.add("image: " + spec.image());
        if (spec.entrypoint() != null) out.add("entrypoint: " + mask(String.valueOf(spec.entrypoint()), secrets));
        if (spec.cmd() != null) out.add("command: " + mask(String.valueOf(spec.cmd()), secrets));
        if (spec.user() != null) out.add("user: " + spec.user());
        if (spec.workingDir() != null) out.add("working_dir: " + spec.workingDir());
        if (!env.isEmpty()) {
            out.add("environment:");
            env.stream().sorted().forEach(e -> out.add("  " + e));
        }
        List<String> mounts = new ArrayList<>();
        for (Bind bind : spec.hostConfig().getBinds() == null ? new Bind[0] : spec.hostConfig().getBinds()) {
            String source = bind.getPath();
            mounts.add((source.startsWith("/") ? "bind " : "volume ") + source + " -> " + bind.getVolume().getPath() + " (" + bind.getAccessMode() + ")");
        }
        spec.anonymousVolumes().forEach(v -> mounts.add("anonymous volume -> " + v.getPath()));
        if (spec.hostConfig().getVolumesFrom() != null) {
            for (var vf : spec.hostConfig().getVolumesFrom()) mounts.add("volumes from " + vf.getContainer() + " (" + vf.getAccessMode() + ")");
        }
        if (!mounts.isEmpty()) {
            out.add("mounts:");
            mounts.forEach(m -> out.add("  " + m));
        }
        if (spec.network() == null) {
            out.add("network_mode: " + spec.hostConfig().getNetworkMode());
        } else {
            out.add("networks:");
            List<ContainerSpec.Attachment> all = new ArrayList<>();
            all.add(spec.network());
            all.addAll(spec.extraNetworks());
            for (var a : all) {
                List<String> aliases = noAliases.test(a.network()) ? List.of() : a.aliases();
                out.add("  " + a.network() + (aliases.isEmpty() ? " (no alias)" : " aliases " + String.join(", ", aliases)));
            }
        }
        List<String> ports = new ArrayList<>();
        Ports bindings = spec.hostConfig().getPortBindings();
        for (ExposedPort ep : spec.exposedPorts()) {
            Ports.Binding[] bs = bindings == null ? null : bindings.getBindings().get(ep);
            if (bs == null) continue;
            for (Ports.Binding pb : bs) {
                String host = (pb.getHostIp() == null || pb.getHostIp().isEmpty() ? "" : pb.getHostIp() + ":")
                        + (pb.getHostPortSpec() == null ? "(any free port)" : pb.getHostPortSpec());
                ports.add("  " + host + " -> " + ep.getPort() + "/" + ep.getProtocol());
            }
        }
        if (!ports.isEmpty()) {
            out.add("ports:");
            out.addAll(ports);
        }
        var restart = spec.hostConfig().getRestartPolicy();
        String held = spec.labels().get(Labels.RESTART);
        if (held != null) out.add("restart: " + held + " (applied once the colour passed its gate)");
        else if (restart != null && restart.getName() != null && !restart.getName().isEmpty()) out.add("restart: " + restart);
        Map<String, Object> host = SpecHash.hostSettings(spec);
        SHOWN_ELSEWHERE.forEach(host::remove);
        host.remove("VolumesFrom");
        if (!host.isEmpty()) {
            out.add("limits and host settings:");
            host.forEach((k, v) -> out.add("  " + k + ": " + mask(json(v), secrets)));
        }
        HealthCheck h = spec.healthcheck();
        if (h != null && h.getTest() != null) {
            out.add("healthcheck: " + mask(String.valueOf(h.getTest()), secrets)
                    + (h.getInterval() == null ? "" : " interval " + seconds(h.getInterval()))
                    + (h.getTimeout() == null ? "" : " timeout " + seconds(h.getTimeout()))
                    + (h.getRetries() == null ? "" : " retries " + h.getRetries())
                    + (h.getStartPeriod() == null ? "" : " start_period " + seconds(h.getStartPeriod())));
        }
        return out;
    }

    private static String seconds(long nanos) {
        return nanos % 1_000_000_000L == 0 ? nanos / 1_000_000_000L + "s" : nanos / 1_000_000L + "ms";
    }

    private static String json(Object v) {
        try {
            return v instanceof String s ? s : SpecHash.JSON.writeValueAsString(v);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return String.valueOf(v);
        }
    }

    /** A command or healthcheck that carries a secret's value (interpolated from .env) shows it masked. */
    static String mask(String text, List<String> secrets) {
        String t = text;
        for (String s : secrets) t = t.replace(s, MASK);
        return Text.redact(t);
    }
}
