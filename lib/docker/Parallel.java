package lib.docker;

import lib.base.DeployError;
import lib.base.ExitCode;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** Docker calls wait on the daemon, not on the CPU: they run side by side on more threads than cores (the common pool has one on two cores). */
public final class Parallel {
    private Parallel() {}

    public static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "bgdeploy-parallel");
        t.setDaemon(true);
        return t;
    });

    /** Runs every task at once and returns when all are done; the first failure is rethrown as it was. */
    public static void all(List<Runnable> tasks) {
        List<CompletableFuture<Void>> running = tasks.stream().map(t -> CompletableFuture.runAsync(t, POOL)).toList();
        RuntimeException first = null;
        for (CompletableFuture<Void> f : running) {
            try {
                f.get();
            } catch (InterruptedException e) {
                // the calls go on in the daemon; the caller's undo deals with what they leave
                Thread.currentThread().interrupt();
                throw new DeployError(ExitCode.INTERRUPTED, "interrupted");
            } catch (ExecutionException e) {
                if (first == null) first = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            }
        }
        if (first != null) throw first;
    }

    /** A future's value, or what it threw, as if it had run on this thread. */
    public static <T> T join(CompletableFuture<T> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw e;
        }
    }
}
