//DEPS org.zeroturnaround:zt-exec:1.12
package lib.release;

import lib.base.DeployError;
import lib.base.ExitCode;

import org.zeroturnaround.exec.ProcessExecutor;
import org.zeroturnaround.exec.ProcessResult;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** The git facts a release is named by. Always argument arrays: nothing here goes through a shell. */
public final class Git {
    private Git() {}

    /** The first 10 characters of HEAD's hash, as the shell pipeline tagged images. */
    public static String shortHash(Path dir) {
        return run(dir, "git", "rev-parse", "--short=10", "HEAD");
    }

    /** The short hash when dir is inside a git work tree with a commit; empty otherwise (no error: it is optional). */
    public static java.util.Optional<String> shortHashIfAny(Path dir) {
        try {
            return java.util.Optional.of(shortHash(dir));
        } catch (DeployError notARepo) {
            return java.util.Optional.empty();
        }
    }

    static String run(Path dir, String... argv) {
        try {
            ProcessResult r = new ProcessExecutor().command(argv).directory(dir.toFile()).readOutput(true)
                    .redirectErrorStream(false).timeout(30, TimeUnit.SECONDS).execute();
            if (r.getExitValue() != 0) {
                throw DeployError.config(dir + " is not a git work tree with a commit (" + String.join(" ", argv) + " failed); run inside the app's repository or pass --release");
            }
            return r.outputUTF8().trim();
        } catch (java.io.IOException e) {
            throw DeployError.config("cannot run git (" + e.getMessage() + "); install git or pass --release");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DeployError(ExitCode.INTERRUPTED, "interrupted while running git");
        } catch (java.util.concurrent.TimeoutException e) {
            throw DeployError.config("git did not answer within 30s in " + dir);
        }
    }
}
