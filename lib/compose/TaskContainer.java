package lib.compose;

import lib.base.Labels;
import lib.compose.ComposeProject.Service;
import lib.model.TaskSpec;

import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Ports;
import com.github.dockerjava.api.model.Volume;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one-shot container of a release task, as {@code docker compose run --rm --no-deps SERVICE CMD} would make it:
 * the service's container ({@link ContainerSpec#of}: image, environment and env_file, volumes, networks, user,
 * working_dir, entrypoint) without what makes it a server: no published or exposed ports (a second bind of the
 * colour's port would fail, or take its traffic), no healthcheck (not even the image's), no restart policy, and no network alias, so the
 * service's name never resolves to the migration. Labelled as a task, not as a colour member: reading the host never
 * counts it in a colour.
 */
public final class TaskContainer {
    /** Labels.ROLE of a task's container; Labels.TASK names the task. */
    public static final String ROLE = "task";
    public static final String TASK = Labels.NS + "task";

    /** The image's own HEALTHCHECK is switched off too: a one-shot container is judged by its exit code alone. */
    static final com.github.dockerjava.api.model.HealthCheck NO_HEALTHCHECK = new com.github.dockerjava.api.model.HealthCheck().withTest(List.of("NONE"));

    private TaskContainer() {}

    /** Its name: one per app, colour and task, so a crashed run's leftover is found (and removed) by the next one. */
    public static String name(String project, String task) {
        return project + "-task-" + task;
    }

    /**
     * @param project   the colour's Compose project ({@code <app>-<colour>}): its networks and volumes
     * @param ourLabels this deploy's dev.bgdeploy.* labels (app, release); the colour label is dropped
     * @param extraEnv  variables the tool adds (a backup's BACKUP_FILE); never a secret
     */
    public static ContainerSpec of(ComposeProject compose, Service s, String project, TaskSpec task, Map<String, String> ourLabels,
                                   Map<String, String> extraEnv) {
        ContainerSpec base = ContainerSpec.of(compose, s, project, ourLabels);
        Map<String, String> labels = new LinkedHashMap<>(base.labels());
        labels.remove(Labels.RESTART);
        labels.remove(Labels.COLOUR);
        labels.put(Labels.ROLE, ROLE);
        labels.put(TASK, task.name());
        labels.put(Labels.COMPOSE_ONEOFF, "True");

        var host = base.hostConfig();
        host.withPortBindings(new Ports());
        List<Bind> binds = new ArrayList<>(host.getBinds() == null ? List.of() : List.of(host.getBinds()));
        for (String v : task.volumes()) binds.add(bind(v));
        host.withBinds(binds);

        List<String> env = new ArrayList<>(base.env());
        extraEnv.forEach((k, v) -> {
            env.removeIf(e -> e.startsWith(k + "="));
            env.add(k + "=" + v);
        });
        ContainerSpec.Attachment first = base.network() == null ? null : new ContainerSpec.Attachment(base.network().network(), List.of());
        List<ContainerSpec.Attachment> more = base.extraNetworks().stream().map(a -> new ContainerSpec.Attachment(a.network(), List.of())).toList();
        return new ContainerSpec(name(project, task.name()), task.image() != null ? task.image() : base.image(), labels, List.copyOf(env),
                task.command(), base.entrypoint(), base.user(), base.workingDir(), base.stopSignal(), base.stopTimeout(),
                List.of(), base.anonymousVolumes(), NO_HEALTHCHECK, host, first, more, base.externalContainers(), oneShot(base.create()));
    }

    /** The service's create fields, without a fixed MAC address (the colour's own container may hold it) or a terminal. */
    static ContainerSpec.Create oneShot(ContainerSpec.Create c) {
        return c == null ? null : new ContainerSpec.Create(c.hostname(), c.domainname(), null, c.platform(), null, null);
    }

    /** SOURCE:TARGET[:ro|rw] as the reader checked it. */
    static Bind bind(String v) {
        String[] p = v.split(":");
        boolean ro = p.length > 2 && p[2].equals("ro");
        return new Bind(p[0], new Volume(p[1]), ro ? AccessMode.ro : AccessMode.rw);
    }
}
