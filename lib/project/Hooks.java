//DEPS org.zeroturnaround:zt-exec:1.12
package lib.project;

import lib.base.Style;
import lib.docker.DockerHost;

import org.zeroturnaround.exec.ProcessExecutor;
import org.zeroturnaround.exec.stream.LogOutputStream;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * pre-deploy, post-deploy and post-rollback commands from deploy.yml. Each runs as an argument array (never
 * through a shell), in the project file's directory, with the release details in DEPLOY_* variables, its output
 * prefixed into ours. A failing pre-deploy hook stops the deploy before anything changes.
 * <p>
 * A hook does not inherit the deploying process's environment: CI runners hold registry passwords and webhook
 * tokens there, and a hook's output lands in the deploy log. It gets DEPLOY_*, the {@link #BASICS} a program needs
 * to run, and the variables deploy.yml names in {@code hooks: env:}.
 */
public final class Hooks {
    static final long TIMEOUT_MINUTES = 10;
    static final List<String> BASICS = List.of("PATH", "HOME", "LANG");

    private final Map<String, List<List<String>>> hooks;
    private final List<String> passed;
    private final Path dir;
    private final PrintWriter out;

    /** @param passed names of the deploying process's variables hooks may see (deploy.yml hooks.env) */
    public Hooks(Map<String, List<List<String>>> hooks, List<String> passed, Path dir, PrintWriter out) {
        this.hooks = hooks;
        this.passed = passed;
        this.dir = dir;
        this.out = out;
    }

    public static Hooks none(PrintWriter out) {
        return new Hooks(Map.of(), List.of(), Path.of("."), out);
    }

    /** The whole environment a hook sees: the basics and the named variables that are set, then DEPLOY_*. */
    static Map<String, String> environment(Map<String, String> inherited, List<String> passed, Map<String, String> deployVars) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String name : BASICS) if (inherited.containsKey(name)) env.put(name, inherited.get(name));
        for (String name : passed) if (inherited.containsKey(name)) env.put(name, inherited.get(name));
        env.putAll(deployVars);
        return env;
    }

    /** zt-exec adds to the inherited environment; a null value removes a variable, so everything else is nulled. */
    private Map<String, String> processEnvironment(Map<String, String> deployVars) {
        Map<String, String> inherited = System.getenv();
        Map<String, String> env = new HashMap<>();
        inherited.keySet().forEach(k -> env.put(k, null));
        env.putAll(environment(inherited, passed, deployVars));
        return env;
    }

    public boolean has(String hook) {
        return !hooks.getOrDefault(hook, List.of()).isEmpty();
    }

    /** Runs the hook's commands in order; returns null when all succeeded, else what failed. */
    public String run(String hook, Map<String, String> env) {
        for (List<String> argv : hooks.getOrDefault(hook, List.of())) {
            Style.step(out, hook + " hook: " + String.join(" ", argv));
            try {
                int code = new ProcessExecutor().command(argv).directory(dir.toFile()).environment(processEnvironment(env))
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
