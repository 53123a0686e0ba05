package lib.docker;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/** In-memory tar archives, the unit the Docker API moves files in. */
public final class Tar {
    private Tar() {}

    public static byte[] of(Map<String, byte[]> files) {
        return of(files, java.util.Set.of());
    }

    /** The same, with {@code owner-only} entries readable by their owner (root) alone: mode 0600, for a private key. */
    public static byte[] of(Map<String, byte[]> files, java.util.Set<String> ownerOnly) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            for (var f : files.entrySet()) {
                TarArchiveEntry e = new TarArchiveEntry(f.getKey());
                e.setSize(f.getValue().length);
                if (ownerOnly.contains(f.getKey())) e.setMode(0100600);
                tar.putArchiveEntry(e);
                tar.write(f.getValue());
                tar.closeArchiveEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
