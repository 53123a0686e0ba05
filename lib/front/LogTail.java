package lib.front;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The managed front's access log read as it grows, from a byte offset: each call returns the complete lines written
 * since the last one, so a watch that reads every second pays for the new lines only. In the front by `tail -c +N`
 * (nginx's images have it); a front image without tail is read by a copy of the file, which costs the file's size
 * (at most {@link AccessLog#ROTATE_BYTES} plus what a deploy adds) per read.
 */
public final class LogTail {
    private final ManagedFront front;
    private long offset;
    private boolean copy;

    private LogTail(ManagedFront front, long offset) {
        this.front = front;
        this.offset = offset;
    }

    /** Starting back bytes before the log's end (a line cut there is skipped by the parser): the lines of a switch just made. */
    public static LogTail fromEnd(ManagedFront front, long back) {
        return new LogTail(front, Math.max(0, front.logSize() - back));
    }

    /** The complete lines since the last call (a line nginx is still writing waits for the next). */
    public String next() {
        byte[] bytes = copy ? null : front.logFrom(offset);
        if (bytes == null) {
            copy = true;
            bytes = front.logCopyFrom(offset);
        }
        return take(bytes);
    }

    /** Whether reads go by copy (the front has no tail): for the line that says what a read costs. */
    public boolean byCopy() {
        return copy;
    }

    String take(byte[] bytes) {
        int end = bytes.length;
        while (end > 0 && bytes[end - 1] != '\n') end--;
        offset += end;
        return new String(Arrays.copyOf(bytes, end), StandardCharsets.UTF_8);
    }
}
