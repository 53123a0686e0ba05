//DEPS org.zeroturnaround:zt-exec:1.12
package lib;

import org.zeroturnaround.exec.ProcessExecutor;
import org.zeroturnaround.exec.stream.LogOutputStream;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * pre-deploy, post-deploy and post-rollback commands from deploy.yml. Each runs as an argument array (never
 * through a shell), in the project file's directory, with the release details in DEPLOY_* variables, its output
 * prefixed into ours. A failing pre-deploy hook stops the deploy before anything changes.
 */
public final class Hooks {
    static final long TIMEOUT_MINUTES = 10;

    private final Map<String, List<List<String>>> hooks;
    private final Path dir;
    private final PrintWriter out;

    public Hooks(Map<String, List<List<String>>> hooks, Path dir, PrintWriter out) {
        this.hooks = hooks;
        this.dir = dir;
        this.out = out;
    }

    public static Hooks none(PrintWriter out) {
        return new Hooks(Map.of(), Path.of("."), out);
    }

    /** Runs the hook's commands in order; returns null when all succeeded, else what failed. */
    public String run(String hook, Map<String, String> env) {
        for (List<String> argv : hooks.getOrDefault(hook, List.of())) {
            Cli.step(out, hook + " hook: " + String.join(" ", argv));
            try {
                int code = new ProcessExecutor().command(argv).directory(dir.toFile()).environment(env)
                        .redirectOutput(new LogOutputStream() {
                            @Override
                            protected void processLine(String line) {
                                out.println("  | " + line);
                                out.flush();
                            }
                        }).redirectErrorStream(true).timeout(TIMEOUT_MINUTES, TimeUnit.MINUTES).execute().getExitValue();
                if (code != 0) return hook + " hook " + argv.get(0) + " exited with code " + code;
            } catch (java.util.concurrent.TimeoutException e) {
                return hook + " hook " + argv.get(0) + " did not finish within " + TIMEOUT_MINUTES + " minutes";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return hook + " hook " + argv.get(0) + " was interrupted";
            } catch (Exception e) {
                return hook + " hook " + argv.get(0) + " could not run (" + DockerHost.rootMessage(e) + ")";
            }
        }
        return null;
    }
}
