import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The scripts run in this JVM as a test would type them, and the small helpers several test classes share. */
final class Commands {
    private Commands() {}

    static TestApp.Result rollback(TestApp app, String... extra) {
        List<String> args = new ArrayList<>(List.of("--app", app.name, "--probe", "/health.txt"));
        args.addAll(List.of(extra));
        var out = new StringWriter();
        var err = new StringWriter();
        var cl = lib.cli.Cli.commandLine(new rollback());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args.toArray(new String[0]));
        return new TestApp.Result(code, out.toString(), err.toString());
    }

    static String[] concat(String[] a, String... b) {
        String[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    /** Waits until a command's log file (written by a process the test started) holds the line. */
    static boolean waitForLine(Path log, String line, long millis) throws Exception {
        return Poll.until(Duration.ofMillis(millis), () -> Files.exists(log) && Files.readString(log).contains(line));
    }
}
