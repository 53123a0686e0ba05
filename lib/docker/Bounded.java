package lib.docker;

import lib.base.DeployError;
import lib.base.ExitCode;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * A Docker call that may legitimately wait long (a graceful stop) gets a bound that fits it: past the bound the
 * daemon is taken as frozen. The call's thread is abandoned, not killed; the daemon finishes the work on its own.
 */
public final class Bounded {
    private Bounded() {}

    /** Daemon threads: an abandoned call never keeps the JVM alive. */
    private static final java.util.concurrent.ExecutorService POOL = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "bgdeploy-bounded");
        t.setDaemon(true);
        return t;
    });

    public static <T> T call(Duration bound, String what, Supplier<T> call) {
        FutureTask<T> task = new FutureTask<>(call::get);
        POOL.execute(task);
        try {
            return task.get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            task.cancel(true);
            throw new DeployError(ExitCode.DOCKER, "the Docker daemon did not answer within " + bound.toSeconds() + "s while " + what
                    + "; is it frozen or overloaded?");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DeployError(ExitCode.INTERRUPTED, "interrupted while " + what);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException(e.getCause());
        }
    }

    public static void run(Duration bound, String what, Runnable call) {
        call(bound, what, () -> {
            call.run();
            return null;
        });
    }
}
