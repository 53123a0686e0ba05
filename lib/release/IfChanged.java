package lib.release;

import lib.base.DeployError;
import lib.model.Colour;
import lib.model.HostState;

import com.github.dockerjava.api.DockerClient;

import java.util.Optional;

/**
 * --if-changed, for cron: the registry's digest of IMAGE:TAG, asked once, against the image each host's live colour
 * runs. A run deploys only when some host does not run it yet.
 */
public final class IfChanged {
    private final String image;
    private final String tag;
    private final String digest;
    private final String wanted;

    private IfChanged(String image, String tag, String digest, String wanted) {
        this.image = image;
        this.tag = tag;
        this.digest = digest;
        this.wanted = wanted;
    }

    /** Asks the registry for the tag's digest (the release if one is named, else latest). */
    public static IfChanged ask(String image, String release) {
        if (image == null) throw DeployError.config("--if-changed needs --image REGISTRY/REPO (or image: in deploy.yml) to ask the registry");
        String tag = release != null ? release : "latest";
        RegistryClient.ImageRef ref = RegistryClient.ImageRef.parse(image);
        String remote = new RegistryClient(ref).manifest(tag)
                .orElseThrow(() -> DeployError.config("tag \"" + tag + "\" is not in " + image + "; build and push it first (build.jsh)")).digest();
        return new IfChanged(image, tag, remote, ref.registry() + "/" + ref.repository() + "@" + remote);
    }

    /** Whether the host's live colour already runs that digest. */
    public boolean runs(DockerClient docker, HostState state) {
        Optional<Colour> live = state.live();
        return live.map(c -> state.of(c).containers().stream().anyMatch(ci -> {
            var repoDigests = docker.inspectImageCmd(ci.imageId()).exec().getRepoDigests();
            return repoDigests != null && repoDigests.contains(wanted);
        })).orElse(false);
    }

    public String upToDate(String app, String where) {
        return "up to date: " + app + " already runs " + image + ":" + tag + " (" + digest.substring(0, Math.min(19, digest.length())) + ")"
                + where + "; nothing to do";
    }
}
