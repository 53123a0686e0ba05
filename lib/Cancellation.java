package lib;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ctrl-C and SIGTERM during a deploy: a shutdown hook flips the flag, the deploy notices at its next wait, undoes
 * its own work (the new colour, the lock) and only then lets the JVM exit. The old colour is never touched.
 */
public final class Cancellation {
    /** Cancellations whose deploy has not finished reporting; the error handler releases them after printing. */
    private static final java.util.Set<Cancellation> ACTIVE = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private volatile boolean cancelled;
    private final CountDownLatch finished = new CountDownLatch(1);
    private Thread hook;

    public static Cancellation none() {
        return new Cancellation();
    }

    /** Installs the hook; the hook waits at most {@code cleanupBudget} for the deploy to clean up. */
    public static Cancellation onSignal(Duration cleanupBudget) {
        Cancellation c = new Cancellation();
        c.hook = new Thread(() -> {
            c.cancelled = true;
            try {
                c.finished.await(cleanupBudget.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "bgdeploy-cancel");
        Runtime.getRuntime().addShutdownHook(c.hook);
        ACTIVE.add(c);
        return c;
    }

    public static void doneAll() {
        for (Cancellation c : ACTIVE) c.done();
    }

    public boolean cancelled() {
        return cancelled;
    }

    public void cancel() {
        cancelled = true;
    }

    public void check() {
        if (cancelled) throw new DeployError(ExitCode.INTERRUPTED, "interrupted");
    }

    public void sleep(Duration d) {
        check();
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cancelled = true;
        }
        check();
    }

    /**
     * Called when the deploy has cleaned up and said so; lets a waiting shutdown hook return. A failed deploy
     * leaves this to {@link #doneAll()} in the error handler, so its last line is printed before the JVM exits.
     */
    public void done() {
        ACTIVE.remove(this);
        finished.countDown();
        if (hook != null && !cancelled) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is already exiting; the hook will find the latch open
            }
        }
    }
}
