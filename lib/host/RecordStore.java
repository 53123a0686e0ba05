package lib.host;

import lib.docker.MarkerImage;
import lib.model.LiveRecord;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Where an app's {@link LiveRecord} lives on its Docker host: the labels of a never-started marker container,
 * {@code <app>-bgdeploy-live}. Replaced by creating the new record under a second name, removing the old one and
 * renaming, so a crash leaves one readable record or the other.
 */
public final class RecordStore {
    private RecordStore() {}

    public static String name(String app) {
        return app + "-bgdeploy-live";
    }

    /** The record, or why the one on the host cannot be trusted (then record is empty and problem says why). */
    public record Read(Optional<LiveRecord> record, Optional<String> problem) {
        static Read none() {
            return new Read(Optional.empty(), Optional.empty());
        }
    }

    public static Read read(DockerClient docker, String app) {
        for (String n : new String[]{name(app), name(app) + "-next"}) {
            try {
                Map<String, String> labels = docker.inspectContainerCmd(n).exec().getConfig().getLabels();
                if (labels == null) continue;
                String problem = LiveRecord.problem(labels, app);
                if (problem != null) return new Read(Optional.empty(), Optional.of(n + " is damaged (" + problem + ")"));
                return new Read(Optional.of(LiveRecord.fromLabels(labels)), Optional.empty());
            } catch (NotFoundException absent) {
                // try the other name: a crash between remove and rename leaves only the new record
            }
        }
        return Read.none();
    }

    public static void write(DockerClient docker, String app, LiveRecord record) {
        String image = MarkerImage.ensure(docker);
        String next = name(app) + "-next";
        removeOne(docker, next);
        Map<String, String> labels = new LinkedHashMap<>(MarkerImage.labels());
        labels.putAll(record.toLabels(app));
        docker.createContainerCmd(image).withName(next).withLabels(labels).withCmd("/live").exec();
        removeOne(docker, name(app));
        try {
            docker.renameContainerCmd(next).withName(name(app)).exec();
        } catch (ConflictException raced) {
            // another writer got there first; both hold the lock-protected truth, so either record is right
        }
    }

    /** Removes the record (both names): the host is then one without a record, judged by its containers. */
    public static void remove(DockerClient docker, String app) {
        removeOne(docker, name(app) + "-next");
        removeOne(docker, name(app));
    }

    private static void removeOne(DockerClient docker, String name) {
        try {
            docker.removeContainerCmd(name).withForce(true).exec();
        } catch (NotFoundException gone) {
            // nothing to replace
        }
    }
}
