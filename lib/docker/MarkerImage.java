package lib.docker;

import lib.base.Labels;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A one-file image, loaded over the API, to create marker containers from (the deploy lock) on a host that
 * cannot pull anything. Its containers are only ever created, never started.
 */
public final class MarkerImage {
    public static final String REF = "bgdeploy/marker:1";

    private MarkerImage() {}

    public static String ensure(DockerClient docker) {
        try {
            docker.inspectImageCmd(REF).exec();
        } catch (NotFoundException missing) {
            // docker load of a hand-made image archive; POST /images/create (docker import) mangles request bodies
            // in docker-java's httpclient5 transport.
            docker.loadImageCmd(new ByteArrayInputStream(imageArchive())).exec();
        }
        return REF;
    }

    public static Map<String, String> labels() {
        return Map.of(Labels.ROLE, "marker");
    }

    /** A docker-save archive: manifest.json, the image config, one layer holding a README. */
    static byte[] imageArchive() {
        byte[] layer = Tar.of(Map.of("README", "marker image of bgdeploy; its containers are never started\n".getBytes(StandardCharsets.UTF_8)));
        String diffId = "sha256:" + Digest.sha256Hex(layer);
        String config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"/lock\"],\"Labels\":{\"" + Labels.ROLE
                + "\":\"marker\"}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + diffId + "\"]}}";
        String manifest = "[{\"Config\":\"config.json\",\"RepoTags\":[\"" + REF + "\"],\"Layers\":[\"layer.tar\"]}]";
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("config.json", config.getBytes(StandardCharsets.UTF_8));
        files.put("layer.tar", layer);
        files.put("manifest.json", manifest.getBytes(StandardCharsets.UTF_8));
        return Tar.of(files);
    }
}
