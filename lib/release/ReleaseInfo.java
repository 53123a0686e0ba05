package lib.release;

import lib.base.Values;
import lib.base.Operator;
import lib.model.Colour;
import lib.model.ColourState;
import lib.base.Labels;
import lib.compose.ComposeProject;

import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** What a deploy calls its release, and the labels that record it on every container of the colour. */
public final class ReleaseInfo {
    private ReleaseInfo() {}

    /** ${DEPLOY_RELEASE}: --release, else the commit hash of the repo holding the Compose file, else unset. */
    public static String releaseVariable(String option, Path composeFile) {
        if (option != null) return option;
        Path dir = composeFile.toAbsolutePath().getParent();
        return dir == null ? null : Git.shortHashIfAny(dir).orElse(null);
    }

    /**
     * The name shown in status: --release, else the commit hash given to the file as ${DEPLOY_RELEASE}, else the
     * first image tag in start order that is not "latest" (dependencies start first, and the app is one).
     */
    public static String releaseLabel(String option, ComposeProject compose, String releaseVariable) {
        if (option != null) return option;
        if (releaseVariable != null) return releaseVariable;
        return compose.startOrder().stream().map(s -> ColourState.tagOf(s.image())).filter(t -> !"latest".equals(t) && Values.isRelease(t))
                .findFirst().orElse("latest");
    }

    /** A release tag named after a commit (build.jsh's hash10, or hash10-dirty), as opposed to a channel like latest. */
    public static boolean isCommit(String tag) {
        return tag.matches("[0-9a-f]{7,40}(-dirty)?");
    }

    /**
     * A channel tag such as latest says nothing about what runs, and two deploys of latest would look alike to
     * rollback.java. When the release is not a commit hash, use the commit the image was built from
     * (org.opencontainers.image.revision, which build.jsh sets), shortened to 10 characters as the tags are.
     */
    public static String fromImages(com.github.dockerjava.api.DockerClient docker, ComposeProject compose, String release) {
        if (isCommit(release)) return release;
        for (ComposeProject.Service s : compose.startOrder()) {
            try {
                var labels = docker.inspectImageCmd(s.image()).exec().getConfig().getLabels();
                String revision = labels == null ? null : labels.get("org.opencontainers.image.revision");
                if (revision != null && revision.matches("[0-9a-f]{10,40}")) return revision.substring(0, 10);
            } catch (com.github.dockerjava.api.exception.NotFoundException notPulled) {
                // not on the host: nothing to learn from it
            }
        }
        return release;
    }

    public static Map<String, String> labels(String app, Colour colour, String release) {
        Map<String, String> l = new LinkedHashMap<>();
        l.put(Labels.APP, app);
        l.put(Labels.COLOUR, colour.id());
        l.put(Labels.RELEASE, release);
        l.put(Labels.DEPLOYED_AT, Instant.now().toString());
        l.put(Labels.DEPLOYED_BY, Operator.name());
        return l;
    }
}
