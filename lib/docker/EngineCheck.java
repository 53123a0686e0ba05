//DEPS org.zeroturnaround:zt-exec:1.12
package lib.docker;

import lib.base.DeployError;
import lib.base.ExitCode;

import org.zeroturnaround.exec.ProcessExecutor;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** For the example and the tests: a local Docker Engine that answers, started by tests/engine-up.sh if needed. */
public final class EngineCheck {
    private EngineCheck() {}

    public static Path projectRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.exists(p.resolve("deploy.java")) && Files.isDirectory(p.resolve("lib"))) return p;
        }
        throw DeployError.config("run this from the bgdeploy checkout (no deploy.java found above " + Path.of("").toAbsolutePath() + ")");
    }

    public static void ensureLocalEngine(PrintWriter out) {
        if (System.getenv("DOCKER_HOST") != null && !System.getenv("DOCKER_HOST").startsWith("unix://")) return;
        if (answers()) return;
        Path script = projectRoot().resolve("tests/engine-up.sh");
        out.println("no Docker Engine answers; starting one with " + script + " (installs docker.io if missing; needs root)");
        out.flush();
        try {
            int rc = new ProcessExecutor().command("bash", script.toString()).redirectOutput(System.out).redirectError(System.err)
                    .timeout(10, TimeUnit.MINUTES).execute().getExitValue();
            if (rc != 0) throw new DeployError(ExitCode.DOCKER, script + " failed (exit " + rc + "); run it as root: sudo bash " + script);
        } catch (DeployError e) {
            throw e;
        } catch (Exception e) {
            throw new DeployError(ExitCode.DOCKER, "cannot run " + script + " (" + e.getMessage() + "); run it as root: sudo bash " + script);
        }
    }

    private static boolean answers() {
        try {
            return new ProcessExecutor().command("docker", "info").readOutput(true).timeout(20, TimeUnit.SECONDS)
                    .execute().getExitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }
}
