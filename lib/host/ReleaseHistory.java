package lib.host;

import lib.base.DeployError;
import lib.base.ExitCode;
import lib.base.Labels;
import lib.docker.MarkerImage;
import lib.docker.Tar;
import lib.front.AccessLog;
import lib.front.WatchWindow;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Volume;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which release was live when, who put it there, and how each deploy and rollback ended, kept on the target host so
 * every laptop and CI runner sees the same history. It lives in a volume, {@code <app>-bgdeploy-state}, read and
 * written through a never-started container over the API (docker cp), so it needs no SSH and no shell on the host.
 * Writers hold the deploy lock, so appends never race.
 * <p>
 * The file holds one JSON object per line (JSON escapes tabs and newlines, so no field can break a line) and keeps
 * the newest {@value #KEEP} lines: each append drops the oldest beyond that. A line that cannot be read (a torn
 * write, a hand edit) is skipped with a warning naming its line number; the rest of the history stays readable.
 */
public final class ReleaseHistory {
    static final String FILE = "history.jsonl";
    /** How many lines the file keeps; documented in the README. */
    public static final int KEEP = 500;
    // Absent fields stay absent, so a line without notes reads exactly as the lines older versions wrote.
    static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL);

    /**
     * One deploy or rollback. result: ok, failed or interrupted. reason: why it failed; notes: free text worth
     * keeping even on success (for example "web ignored SIGTERM and was killed after 10s"). Either may be null.
     * traffic: what the managed front's access log counted from the switch to the end of the drain; null behind the
     * passive front, for a run that did not reach its switch, and in lines older versions wrote.
     * tasks: how the release tasks ended ("tasks: migrate ok in 2.1s; ran before_switch tasks"), null when none ran.
     * watch: what the watch window after the switch measured (--watch), null without one; with result
     * failed-after-switch, the window switched back to the previous release.
     * images: each service's image as the release ran it when pinned by digest (on a Swarm: repo:tag@sha256:...),
     * null otherwise; a rollback to the release deploys these bits even if the tag was moved since.
     */
    public record Entry(String at, String action, String release, String colour, String previousRelease,
                        String result, long durationMillis, String by, String reason, String notes, AccessLog.Report traffic,
                        String tasks, WatchWindow.Report watch, Map<String, String> images) {
        /** The mark rollback.java looks for: this deploy ran tasks that may have changed the database's schema. */
        public static final String MIGRATED = "ran before_switch tasks";
        /** The result of a deploy whose watch window switched back to the release before it. */
        public static final String FAILED_AFTER_SWITCH = "failed-after-switch";

        public Entry(String at, String action, String release, String colour, String previousRelease,
                     String result, long durationMillis, String by, String reason, String notes, AccessLog.Report traffic,
                     String tasks, WatchWindow.Report watch) {
            this(at, action, release, colour, previousRelease, result, durationMillis, by, reason, notes, traffic, tasks, watch, null);
        }

        public Entry(String at, String action, String release, String colour, String previousRelease,
                     String result, long durationMillis, String by, String reason, String notes, AccessLog.Report traffic,
                     String tasks) {
            this(at, action, release, colour, previousRelease, result, durationMillis, by, reason, notes, traffic, tasks, null);
        }

        public Entry(String at, String action, String release, String colour, String previousRelease,
                     String result, long durationMillis, String by, String reason, String notes, String tasks) {
            this(at, action, release, colour, previousRelease, result, durationMillis, by, reason, notes, null, tasks);
        }

        public Entry(String at, String action, String release, String colour, String previousRelease,
                     String result, long durationMillis, String by, String reason, String notes) {
            this(at, action, release, colour, previousRelease, result, durationMillis, by, reason, notes, null, null);
        }

        public boolean migrated() {
            return tasks != null && tasks.contains(MIGRATED);
        }

        public Entry(String at, String action, String release, String colour, String previousRelease,
                     String result, long durationMillis, String by, String reason) {
            this(at, action, release, colour, previousRelease, result, durationMillis, by, reason, null);
        }
    }

    private final DockerClient docker;
    private final String app;

    public ReleaseHistory(DockerClient docker, String app) {
        this.docker = docker;
        this.app = app;
    }

    public static String volumeName(String app) {
        return app + "-bgdeploy-state";
    }

    /** The entries, oldest first; each line that cannot be read is skipped with a warning on {@code warn}. */
    public List<Entry> read(PrintWriter warn) {
        String id = container();
        try {
            return parse(text(id), volumeName(app) + "/" + FILE, warn);
        } catch (IOException e) {
            throw new DeployError(ExitCode.DOCKER, "cannot read the release history in volume " + volumeName(app) + ": " + e.getMessage());
        } finally {
            remove(id);
        }
    }

    /** Parses the file's text; {@code where} names the file in warnings. */
    static List<Entry> parse(String text, String where, PrintWriter warn) {
        List<Entry> out = new ArrayList<>();
        String[] lines = text.split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].isBlank()) continue;
            try {
                out.add(entry(lines[i]));
            } catch (IOException | IllegalArgumentException bad) {
                String why = bad instanceof JsonProcessingException j ? j.getOriginalMessage() : bad.getMessage();
                warn.println("warning: skipped line " + (i + 1) + " of the release history " + where + ": "
                        + (why == null ? "unreadable" : why.lines().findFirst().orElse("unreadable")));
            }
        }
        warn.flush();
        return out;
    }

    /** One line; unknown fields are ignored (a newer version may add some), the fields every entry has are required. */
    static Entry entry(String line) throws IOException {
        JsonNode n = JSON.readTree(line);
        if (n == null || !n.isObject()) throw new IllegalArgumentException("not a JSON object");
        for (String required : List.of("at", "action", "result")) {
            if (!n.path(required).isTextual()) throw new IllegalArgumentException("no \"" + required + "\"");
        }
        return new Entry(field(n, "at"), field(n, "action"), field(n, "release"), field(n, "colour"), field(n, "previousRelease"),
                field(n, "result"), n.path("durationMillis").asLong(0), field(n, "by"), field(n, "reason"), field(n, "notes"), traffic(n),
                field(n, "tasks"), watch(n), images(n));
    }

    /** The pinned images if the line has them (service to image); anything else there is dropped, the entry stays. */
    private static Map<String, String> images(JsonNode n) {
        JsonNode i = n.get("images");
        if (i == null || !i.isObject()) return null;
        Map<String, String> out = new java.util.LinkedHashMap<>();
        i.fields().forEachRemaining(e -> {
            if (e.getValue().isTextual()) out.put(e.getKey(), e.getValue().asText());
        });
        return out.isEmpty() ? null : out;
    }

    /** The traffic report if the line has a readable one; a damaged one is dropped, the entry stays. */
    private static AccessLog.Report traffic(JsonNode n) {
        JsonNode t = n.get("traffic");
        if (t == null || !t.isObject()) return null;
        try {
            // A newer version may count more: its extra fields are ignored here.
            return JSON.readerFor(AccessLog.Report.class).without(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).readValue(t);
        } catch (IOException | IllegalArgumentException unreadable) {
            return null;
        }
    }

    /** The watch window's counts if the line has readable ones; a damaged object is dropped, the entry stays. */
    private static WatchWindow.Report watch(JsonNode n) {
        JsonNode w = n.get("watch");
        if (w == null || !w.isObject()) return null;
        try {
            return JSON.readerFor(WatchWindow.Report.class).without(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).readValue(w);
        } catch (IOException | IllegalArgumentException unreadable) {
            return null;
        }
    }

    private static String field(JsonNode n, String name) {
        JsonNode v = n.get(name);
        return v == null || v.isNull() ? null : v.asText();
    }

    /** One entry as one line of JSON, as the file holds it (and a Swarm config's data): {@link #entry} reads it back. */
    public static String encode(Entry e) {
        try {
            return JSON.writeValueAsString(e);
        } catch (JsonProcessingException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** Adds one line and drops the oldest beyond {@link #KEEP}: read and written through the same container. */
    public void append(Entry e) {
        String id = container();
        try {
            String text = appended(text(id), encode(e));
            docker.copyArchiveToContainerCmd(id).withRemotePath("/state")
                    .withTarInputStream(new ByteArrayInputStream(Tar.of(Map.of(FILE, text.getBytes(StandardCharsets.UTF_8))))).exec();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        } finally {
            remove(id);
        }
    }

    /**
     * The file with {@code line} added and pruned to the newest {@link #KEEP} lines, unreadable ones kept as they are,
     * except an unreadable last line without its newline: what a write cut short (a full disk) leaves, which this
     * write repairs instead of carrying forward for every later read to warn about.
     */
    static String appended(String before, String line) {
        List<String> lines = new ArrayList<>(before.lines().filter(l -> !l.isBlank()).toList());
        if (!lines.isEmpty() && !before.endsWith("\n") && !readable(lines.get(lines.size() - 1))) lines.remove(lines.size() - 1);
        lines.add(line);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - KEEP), lines.size())) + "\n";
    }

    private static boolean readable(String line) {
        try {
            entry(line);
            return true;
        } catch (IOException | RuntimeException unreadable) {
            return false;
        }
    }

    /** The file's text as it is in the volume; empty before the first deploy. */
    private String text(String id) throws IOException {
        try (InputStream tar = docker.copyArchiveFromContainerCmd(id, "/state/" + FILE).exec();
             TarArchiveInputStream in = new TarArchiveInputStream(tar)) {
            return in.getNextEntry() == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (NotFoundException noHistoryYet) {
            return "";
        }
    }

    /**
     * The last successful entry whose release differs from the given one: where "rollback" with no argument goes.
     * Lines that cannot be read are skipped with a warning on {@code warn}.
     */
    public Optional<Entry> lastLiveBefore(String currentRelease, PrintWriter warn) {
        return lastLiveBefore(read(warn), currentRelease);
    }

    /** The same over entries read from any store, oldest first. */
    public static Optional<Entry> lastLiveBefore(List<Entry> entries, String currentRelease) {
        List<Entry> ok = entries.stream().filter(x -> "ok".equals(x.result()) && x.release() != null).toList();
        for (int i = ok.size() - 1; i >= 0; i--) {
            if (!ok.get(i).release().equals(currentRelease)) return Optional.of(ok.get(i));
        }
        return Optional.empty();
    }

    /** The images the newest successful run of a release was pinned to, by service; empty when none was recorded. */
    public static Map<String, String> recordedImages(List<Entry> entries, String release) {
        for (int i = entries.size() - 1; i >= 0; i--) {
            Entry e = entries.get(i);
            if ("ok".equals(e.result()) && release.equals(e.release()) && e.images() != null) return e.images();
        }
        return Map.of();
    }

    private String container() {
        String name = app + "-bgdeploy-state-io-" + ProcessHandle.current().pid() + "-" + Thread.currentThread().getId();
        remove(name);
        removeLeftovers();
        Map<String, String> labels = new java.util.LinkedHashMap<>(DeployLock.ownLabels(app, "release history"));
        labels.put(Labels.ROLE, "state");
        try {
            return docker.createContainerCmd(MarkerImage.ensure(docker)).withName(name).withCmd("/state")
                    .withLabels(labels)
                    .withHostConfig(HostConfig.newHostConfig().withBinds(new Bind(volumeName(app), new Volume("/state"))))
                    .exec().getId();
        } catch (ConflictException e) {
            throw new DeployError(ExitCode.DOCKER, "cannot open the release history: container " + name + " exists; remove it with docker rm -f " + name);
        }
    }

    /** A helper lives for a second; one this old was left by a run that died (SIGKILL) elsewhere. */
    static final java.time.Duration LEFTOVER_AGE = java.time.Duration.ofMinutes(10);

    /**
     * Helpers left by runs killed while they read or wrote the history: they hold the state volume (so `docker volume
     * rm` fails) and no later run would remove them. Gone when their process is provably dead on this machine, or old.
     */
    private void removeLeftovers() {
        long now = java.time.Instant.now().getEpochSecond();
        for (var c : docker.listContainersCmd().withShowAll(true).withLabelFilter(Map.of(Labels.ROLE, "state", Labels.APP, app)).exec()) {
            Map<String, String> l = c.getLabels() == null ? Map.of() : c.getLabels();
            boolean dead = l.containsKey(Labels.LOCK_PID) && DeployLock.holderOf(l, c.getId()).stale();
            boolean old = c.getCreated() != null && now - c.getCreated() > LEFTOVER_AGE.toSeconds();
            if (dead || old) remove(c.getId());
        }
    }

    private void remove(String idOrName) {
        try {
            docker.removeContainerCmd(idOrName).withForce(true).exec();
        } catch (NotFoundException gone) {
            // nothing to clean up
        }
    }
}
