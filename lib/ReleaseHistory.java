package lib;

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
 */
public final class ReleaseHistory {
    static final String FILE = "history.jsonl";
    static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    /** One deploy or rollback. result: ok, failed or interrupted. */
    public record Entry(String at, String action, String release, String colour, String previousRelease,
                        String result, long durationMillis, String by, String reason) {}

    private final DockerClient docker;
    private final String app;

    public ReleaseHistory(DockerClient docker, String app) {
        this.docker = docker;
        this.app = app;
    }

    public static String volumeName(String app) {
        return app + "-bgdeploy-state";
    }

    public List<Entry> read() {
        String id = container();
        try {
            List<Entry> out = new ArrayList<>();
            for (String line : text(id).split("\n")) {
                if (!line.isBlank()) out.add(JSON.readValue(line, Entry.class));
            }
            return out;
        } catch (IOException e) {
            throw new DeployError(ExitCode.DOCKER, "cannot read the release history in volume " + volumeName(app) + ": " + e.getMessage());
        } finally {
            remove(id);
        }
    }

    /** Adds one line to the file: read and written through the same container. */
    public void append(Entry e) {
        String id = container();
        try {
            String before = text(id);
            String text = before + (before.isEmpty() || before.endsWith("\n") ? "" : "\n") + JSON.writeValueAsString(e) + "\n";
            docker.copyArchiveToContainerCmd(id).withRemotePath("/state")
                    .withTarInputStream(new ByteArrayInputStream(Tar.of(Map.of(FILE, text.getBytes(StandardCharsets.UTF_8))))).exec();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        } finally {
            remove(id);
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

    /** The last successful entry whose release differs from the given one: where "rollback" with no argument goes. */
    public Optional<Entry> lastLiveBefore(String currentRelease) {
        List<Entry> ok = read().stream().filter(x -> "ok".equals(x.result())).toList();
        for (int i = ok.size() - 1; i >= 0; i--) {
            if (!ok.get(i).release().equals(currentRelease)) return Optional.of(ok.get(i));
        }
        return Optional.empty();
    }

    private String container() {
        String name = app + "-bgdeploy-state-io-" + ProcessHandle.current().pid() + "-" + Thread.currentThread().getId();
        remove(name);
        try {
            return docker.createContainerCmd(MarkerImage.ensure(docker)).withName(name).withCmd("/state")
                    .withLabels(Map.of(Labels.ROLE, "state", Labels.APP, app))
                    .withHostConfig(HostConfig.newHostConfig().withBinds(new Bind(volumeName(app), new Volume("/state"))))
                    .exec().getId();
        } catch (ConflictException e) {
            throw new DeployError(ExitCode.DOCKER, "cannot open the release history: container " + name + " exists; remove it with docker rm -f " + name);
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
