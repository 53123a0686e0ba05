package lib.host;

import lib.base.Cancellation;
import lib.base.DeployError;
import lib.base.ExitCode;
import lib.base.Labels;
import lib.base.Text;
import lib.docker.Digest;
import lib.docker.DockerHost;
import lib.docker.SwarmManagers;
import lib.docker.MarkerImage;
import lib.model.LiveRecord;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.ContainerSpec;
import com.github.dockerjava.api.model.Service;
import com.github.dockerjava.api.model.ServiceModeConfig;
import com.github.dockerjava.api.model.ServiceReplicatedModeOptions;
import com.github.dockerjava.api.model.ServiceSpec;
import com.github.dockerjava.api.model.TaskSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An app's state on a Docker Swarm, in the cluster's replicated (Raft) store rather than on one node, so a deploy from
 * any machine through any manager sees the same lock, record and history, and losing a node loses none of it:
 * <ul>
 * <li>the <b>lock</b>: a config named {@code <app>-bgdeploy-lock}. Swarm creates a name at most once in the cluster,
 * so of two deploys through two managers one gets it and the other a conflict; its labels are the holder's, as
 * {@link DeployLock}'s container's are, and the same rules decide (exit 4 naming the holder, --wait-lock, a holder of
 * this machine whose process is gone is broken).</li>
 * <li>the <b>live record</b>: the labels of a service {@code <app>-bgdeploy-record} with no replicas (it never runs a
 * task), replaced by updating the service with the version last read: Swarm refuses an update made against an older
 * version, so of two writers that read the same record only one wins, and the other fails instead of overwriting.</li>
 * <li>the <b>history</b>: one config per entry, {@code <app>-bgdeploy-history-<time>-<random>}, its data the entry's
 * JSON line as {@link ReleaseHistory} writes it, labelled with the app; read back in the order Swarm stored them,
 * pruned to the newest {@value #KEEP}.</li>
 * </ul>
 * Names longer than Swarm allows (63 characters for a service, 64 for a config) are shortened with a hash of the full
 * name; everything is found by its labels. Labels hold only what the per-host store's labels hold: no secret.
 */
public final class SwarmState implements AppState {
    /**
     * Fewer than a host's {@link ReleaseHistory#KEEP}: every entry is an object of the Raft store, which every manager
     * holds in memory and replicates, and the whole history comes back in one list call on each rollback and each
     * history command. A few hundred small configs cost the cluster little; a rollback target is always recent.
     */
    public static final int KEEP = 200;
    public static final int SERVICE_NAME_MAX = 63;
    public static final int CONFIG_NAME_MAX = 64;
    public static final String HISTORY_ROLE = "history";
    /** The role of a config that keeps the specs of a colour's services set aside during a deploy (SwarmColours.setAside). */
    public static final String ASIDE_ROLE = "aside";
    static final String HISTORY_AT = Labels.NS + "history.at";
    private static final DateTimeFormatter SORTABLE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssSSS'Z'").withZone(ZoneOffset.UTC);
    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Null for a state bound to one manager; else the managers to go on with when the one answering is lost. */
    private final SwarmManagers managers;
    private final DockerHost fixed;
    private final String app;
    private final String environment;
    private final PrintWriter notes;
    /** The record service's version this state last read or wrote; null before the first read. */
    private Long recordVersion;
    private boolean recordRead;

    /** environment: the deploy.yml environment, for the unlock command this state advises; null when unknown. */
    public SwarmState(DockerHost manager, String app, String environment) {
        this.managers = null;
        this.fixed = manager;
        this.app = app;
        this.environment = environment;
        this.notes = new PrintWriter(java.io.Writer.nullWriter());
    }

    public SwarmState(DockerHost manager, String app) {
        this(manager, app, null);
    }

    /**
     * The same through whichever of the managers answers: when the one answering is lost mid-run (it stops answering
     * within the Docker call bound), the call is made once more through the next that answers, with a note on
     * {@code notes}; none left is exit 5. Each call is safe to repeat: a write whose answer was lost is recognised as
     * this state's own when it is found stored.
     */
    public SwarmState(SwarmManagers managers, String app, String environment, PrintWriter notes) {
        this.managers = managers;
        this.fixed = null;
        this.app = app;
        this.environment = environment;
        this.notes = notes;
    }

    @Override
    public String describe() {
        DockerHost m = manager();
        return m == null ? "Swarm (no manager answering)" : "Swarm (manager " + m.describe() + ")";
    }

    /** Calls repeated through another manager so far: a conflict after one may be our own first try, whose answer was lost. */
    private int failovers() {
        return managers == null ? 0 : managers.failovers();
    }

    private DockerHost manager() {
        return managers == null ? fixed : managers.host();
    }

    /** One call to the Swarm, repeated once through the next manager when the one answering is lost (SwarmManagers.call). */
    private <T> T call(String what, java.util.function.Function<DockerHost, T> op) {
        return managers == null ? op.apply(fixed) : managers.call(what, notes, op);
    }

    private void run(String what, java.util.function.Consumer<DockerClient> op) {
        call(what, m -> {
            op.accept(m.client());
            return null;
        });
    }

    // ---- names

    public static String lockName(String app) {
        return fit(app + "-bgdeploy-lock", CONFIG_NAME_MAX);
    }

    public static String recordName(String app) {
        return fit(app + "-bgdeploy-record", SERVICE_NAME_MAX);
    }

    /** One set-aside of a colour's services: unique by the suffix, found by its labels. */
    public static String asideName(String app, lib.model.Colour colour, String suffix) {
        String tail = "-" + colour.id() + "-" + suffix;
        return fit(app + "-bgdeploy-aside", CONFIG_NAME_MAX - tail.length()) + tail;
    }

    /** Sortable by time to the millisecond as `docker config ls` lists them, unique by the random part. */
    public static String historyName(String app, Instant at, String random) {
        String suffix = "-" + SORTABLE.format(at) + "-" + random;
        return fit(app + "-bgdeploy-history", CONFIG_NAME_MAX - suffix.length()) + suffix;
    }

    /** The name as it is when it fits, else its start and 8 hex digits of its hash: still one name per app. */
    public static String fit(String name, int max) {
        if (name.length() <= max) return name;
        String head = name.substring(0, max - 9).replaceAll("[-_.]+$", "");
        return head + "-" + Digest.sha256Hex(name.getBytes(StandardCharsets.UTF_8)).substring(0, 8);
    }

    static String random(int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) b.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        return b.toString();
    }

    // ---- the lock

    private final DeployLock.Slot slot = new DeployLock.Slot() {
        @Override
        public Optional<String> create(Map<String, String> labels) {
            int failoversBefore = failovers();
            return call("taking the deploy lock", m -> {
                try {
                    return Optional.of(m.client().createConfigCmd().withName(lockName(app)).withLabels(labels)
                            .withData(("deploy lock of app " + app + "; its labels say who holds it\n").getBytes(StandardCharsets.UTF_8)).exec().getId());
                } catch (ConflictException held) {
                    // Ours when, on the try repeated through the next manager, its labels are ours to the nanosecond: a
                    // create whose answer the lost manager never sent.
                    if (failovers() == failoversBefore) return Optional.<String>empty();
                    JsonNode c = m.getJson(configPath(lockName(app)));
                    Stored s = c == null ? null : Stored.of(c);
                    return s != null && s.labels().equals(labels) ? Optional.of(s.id()) : Optional.<String>empty();
                }
            });
        }

        @Override
        public Optional<DeployLock.Holder> holder() {
            JsonNode c = call("reading the deploy lock", m -> m.getJson(configPath(lockName(app))));
            if (c == null) return Optional.empty();
            Stored s = Stored.of(c);
            return Optional.of(DeployLock.holderOf(s.labels(), s.id()));
        }

        @Override
        public boolean remove(String id) {
            return call("releasing the deploy lock", m -> {
                try {
                    m.client().removeConfigCmd(id).exec();
                    return true;
                } catch (NotFoundException gone) {
                    return false;
                }
            });
        }

        @Override
        public String where() {
            return "the Swarm (docker config ls --filter name=" + lockName(app) + " on a manager)";
        }

        @Override
        public String unlockCommand(String app) {
            return SwarmState.this.unlockCommand();
        }
    };

    private static String configPath(String name) {
        return "/configs/" + URLEncoder.encode(name, StandardCharsets.UTF_8);
    }

    @Override
    public Lock lock(String purpose, Duration wait, PrintWriter out, Cancellation cancel) {
        return DeployLock.acquire(slot, app, purpose, wait, out, cancel);
    }

    @Override
    public Optional<DeployLock.Holder> lockHolder() {
        return slot.holder();
    }

    @Override
    public Optional<DeployLock.Holder> breakLock(boolean force) {
        return DeployLock.breakLock(slot, app, force);
    }

    @Override
    public String unlockCommand() {
        return "deploy.java unlock --env " + (environment == null ? "ENVIRONMENT" : environment) + " --app " + app + " --force";
    }

    // ---- the live record

    @Override
    public synchronized RecordStore.Read readRecord() {
        Service s = inspectRecord();
        recordRead = true;
        recordVersion = s == null ? null : version(s);
        if (s == null) return RecordStore.Read.none();
        Map<String, String> labels = labels(s);
        String problem = LiveRecord.problem(labels, app);
        if (problem != null) return new RecordStore.Read(Optional.empty(), Optional.of("service " + recordName(app) + " is damaged (" + problem + ")"));
        return new RecordStore.Read(Optional.of(LiveRecord.fromLabels(labels)), Optional.empty());
    }

    /**
     * Writes against the version this state last read or wrote. Without an earlier read it writes against the version
     * it finds (still one atomic step: a writer in between makes it fail). Another writer's record is never overwritten:
     * the write fails with exit 4 naming what the record now says.
     */
    @Override
    public synchronized void writeRecord(LiveRecord record) {
        Map<String, String> labels = new LinkedHashMap<>(record.toLabels(app));
        Service current = inspectRecord();
        int failoversBefore = failovers();
        Long stored = current == null ? null : version(current);
        Optional<String> lost = conflict(recordRead, recordVersion, stored);
        if (lost.isPresent()) throw lostTo(lost.get(), current);
        try {
            if (current == null) {
                run("creating the live record", d -> d.createServiceCmd(recordSpec(app, labels)).exec());
            } else {
                run("writing the live record", d -> d.updateServiceCmd(current.getId(), recordSpec(app, labels)).withVersion(stored).exec());
            }
        } catch (ConflictException raced) {
            if (!ownLostAnswer(failoversBefore, labels)) throw lostTo("another writer created it first", inspectRecord());
        } catch (DockerException e) {
            if (!outOfSequence(e.getMessage())) throw e;
            if (!ownLostAnswer(failoversBefore, labels)) throw lostTo("another writer replaced it first", inspectRecord());
        }
        settle(labels);
    }

    /**
     * A conflict on the try repeated through the next manager, with exactly our labels stored: the first try's write
     * landed and its answer was lost with the manager. Only then: identical labels from another writer still lose.
     */
    private boolean ownLostAnswer(int failoversBefore, Map<String, String> labels) {
        if (failovers() == failoversBefore) return false;
        Service now = inspectRecord();
        return now != null && labels.equals(labels(now));
    }

    /** Reads back what was written: a writer right after ours would otherwise be overwritten by our next write against its version. */
    private void settle(Map<String, String> written) {
        Service after = inspectRecord();
        recordRead = true;
        recordVersion = after != null && written.equals(labels(after)) ? version(after) : Long.valueOf(-1); // -1: never stored, so the next write fails
    }

    @Override
    public synchronized void removeRecord() {
        run("removing the live record", d -> {
            try {
                d.removeServiceCmd(recordName(app)).exec();
            } catch (NotFoundException gone) {
                // no record: nothing to remove
            }
        });
        recordRead = true;
        recordVersion = null;
    }

    /**
     * Whether a write must not go ahead (and why): the record was written, created or removed since this state read
     * it. Pure, so the rule is tested without a Swarm; Swarm's own version check covers the moment between the
     * read here and the update.
     *
     * @param read       whether this state read (or wrote) the record before
     * @param readAt     the version it saw then, null when there was no record
     * @param storedAt   the version stored now, null when there is none
     */
    public static Optional<String> conflict(boolean read, Long readAt, Long storedAt) {
        if (!read || Objects.equals(readAt, storedAt)) return Optional.empty();
        if (readAt == null) return Optional.of("another writer created it since this run read it");
        if (storedAt == null) return Optional.of("someone removed it since this run read it");
        return Optional.of("another writer replaced it since this run read it");
    }

    /** Swarm's word for an update made against an older version than the stored one. */
    public static boolean outOfSequence(String message) {
        return message != null && message.contains("update out of sequence");
    }

    private DeployError lostTo(String why, Service now) {
        String by = "";
        if (now != null && now.getSpec() != null && now.getSpec().getLabels() != null) {
            LiveRecord theirs = LiveRecord.fromLabels(now.getSpec().getLabels());
            by = theirs.by() == null ? "" : " (it now says " + theirs.liveColour().map(Object::toString).orElse("no colour") + " live, release "
                    + Text.printable(theirs.release()) + ", by " + Text.printable(theirs.by()) + (theirs.since() == null ? "" : " at " + theirs.since()) + ")";
        }
        return new DeployError(ExitCode.LOCKED, "the live record of " + app + " (service " + recordName(app) + ") was not written: " + why + by
                + "; another deploy ran while this one held the lock (was it broken with unlock --force?); run again to deploy on top of it");
    }

    /** A service that never runs a task: replicated with 0 replicas, of the marker image no node needs to have. */
    public static ServiceSpec recordSpec(String app, Map<String, String> labels) {
        return new ServiceSpec().withName(recordName(app)).withLabels(labels)
                .withMode(new ServiceModeConfig().withReplicated(new ServiceReplicatedModeOptions().withReplicas(0)))
                .withTaskTemplate(new TaskSpec().withContainerSpec(new ContainerSpec().withImage(MarkerImage.REF)
                        .withCommand(List.of("/live")).withLabels(MarkerImage.labels())));
    }

    private Service inspectRecord() {
        return call("reading the live record", m -> {
            try {
                return m.client().inspectServiceCmd(recordName(app)).exec();
            } catch (NotFoundException none) {
                return null;
            }
        });
    }

    private static Map<String, String> labels(Service s) {
        return s.getSpec() == null || s.getSpec().getLabels() == null ? Map.of() : s.getSpec().getLabels();
    }

    private static Long version(Service s) {
        return s.getVersion() == null ? null : s.getVersion().getIndex();
    }

    // ---- the history

    @Override
    public void appendHistory(ReleaseHistory.Entry entry) {
        Instant now = Instant.now();
        String name = historyName(app, now, random(6));
        byte[] data = ReleaseHistory.encode(entry).getBytes(StandardCharsets.UTF_8);
        run("adding to the release history", d -> {
            try {
                d.createConfigCmd().withName(name).withLabels(historyLabels(app, now)).withData(data).exec();
            } catch (ConflictException alreadyThere) {
                // the name is random: only this append made it, through a manager lost before it answered
            }
        });
        for (Stored old : beyondKeep(historyConfigs(), KEEP)) {
            run("pruning the release history", d -> {
                try {
                    d.removeConfigCmd(old.id()).exec();
                } catch (NotFoundException gone) {
                    // pruned by another run
                }
            });
        }
    }

    @Override
    public List<ReleaseHistory.Entry> readHistory(PrintWriter warn) {
        return entries(historyConfigs(), warn);
    }

    public static Map<String, String> historyLabels(String app, Instant at) {
        Map<String, String> l = new LinkedHashMap<>();
        l.put(Labels.APP, app);
        l.put(Labels.ROLE, HISTORY_ROLE);
        l.put(HISTORY_AT, at.toString());
        return l;
    }

    /** The app's history configs, in the order Swarm stored them (oldest first). */
    private List<Stored> historyConfigs() {
        return configs(call("reading the release history", m -> m.getJson(configsPath(app, HISTORY_ROLE))), app, HISTORY_ROLE);
    }

    /** The API path that lists an app's configs of one role (the history's entries, the set-aside specs). */
    public static String configsPath(String app, String role) {
        String filters = "{\"label\":[\"" + Labels.APP + "=" + app + "\",\"" + Labels.ROLE + "=" + role + "\"]}";
        return "/configs?filters=" + URLEncoder.encode(filters, StandardCharsets.UTF_8);
    }

    /** That listing's configs, {@link #ordered}; none for no answer. */
    public static List<Stored> configs(JsonNode list, String app, String role) {
        List<Stored> out = new ArrayList<>();
        if (list != null) list.forEach(c -> out.add(Stored.of(c)));
        return ordered(out, app, role);
    }

    /**
     * Oldest first by the store's own version (the Raft index at creation, one sequence for the whole cluster), not by
     * a time: the entries come from machines whose clocks disagree. Configs of another app or role (a label filter is
     * exact, but the list is taken as it comes) are left out.
     */
    public static List<Stored> ordered(List<Stored> configs, String app, String role) {
        return configs.stream().filter(c -> app.equals(c.labels().get(Labels.APP)) && role.equals(c.labels().get(Labels.ROLE)))
                .sorted(Comparator.comparingLong(Stored::index).thenComparing(Stored::name)).toList();
    }

    /** The oldest entries beyond the newest {@code keep}: what an append removes. */
    public static List<Stored> beyondKeep(List<Stored> ordered, int keep) {
        return ordered.subList(0, Math.max(0, ordered.size() - keep));
    }

    /** Each config's entry; one that cannot be read is skipped with a warning naming it, the rest stay readable. */
    public static List<ReleaseHistory.Entry> entries(List<Stored> ordered, PrintWriter warn) {
        List<ReleaseHistory.Entry> out = new ArrayList<>();
        for (Stored c : ordered) {
            try {
                out.add(ReleaseHistory.entry(c.data()));
            } catch (IOException | IllegalArgumentException bad) {
                String why = bad instanceof JsonProcessingException j ? j.getOriginalMessage() : bad.getMessage();
                warn.println("warning: skipped config " + Text.printable(c.name()) + " of the release history: "
                        + (why == null ? "unreadable" : why.lines().findFirst().orElse("unreadable")));
            }
        }
        warn.flush();
        return out;
    }

    /** A config as the Engine API lists it: docker-java's model drops its labels and data, so they are read here. */
    public record Stored(String id, String name, long index, Map<String, String> labels, String data) {
        public static Stored of(JsonNode c) {
            Map<String, String> labels = new LinkedHashMap<>();
            c.path("Spec").path("Labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
            String data;
            try {
                data = new String(Base64.getDecoder().decode(c.path("Spec").path("Data").asText("")), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException notBase64) {
                data = "";
            }
            return new Stored(c.path("ID").asText(), c.path("Spec").path("Name").asText(), c.path("Version").path("Index").asLong(0), labels, data);
        }
    }
}
