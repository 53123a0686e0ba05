package lib;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * A one-file image, imported over the API, to create marker containers from (the deploy lock) on a host that
 * cannot pull anything. Its containers are only ever created, never started.
 */
public final class MarkerImage {
    public static final String REF = "bgdeploy/marker:1";

    private MarkerImage() {}

    public static String ensure(DockerClient docker) {
        try {
            docker.inspectImageCmd(REF).exec();
            return REF;
        } catch (NotFoundException missing) {
            docker.createImageCmd("bgdeploy/marker", new ByteArrayInputStream(tar())).withTag("1").exec();
            return REF;
        }
    }

    public static Map<String, String> labels() {
        return Map.of(Labels.ROLE, "marker");
    }

    private static byte[] tar() {
        try (ByteArrayOutputStream bytes = new ByteArrayOutputStream();
             TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            byte[] readme = "marker image of bgdeploy; its containers are never started\n".getBytes();
            TarArchiveEntry e = new TarArchiveEntry("README");
            e.setSize(readme.length);
            tar.putArchiveEntry(e);
            tar.write(readme);
            tar.closeArchiveEntry();
            tar.finish();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
