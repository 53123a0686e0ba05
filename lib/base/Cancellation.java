package lib.base;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ctrl-C and SIGTERM during a deploy. The JVM runs shutdown hooks on a signal and halts when they return, so the
 * hook here flips the flag, wakes the main thread, and then holds the JVM until the command has undone its work,
 * released the lock and printed its last line ({@link #exit(int)}); it then halts with the command's own exit code
 * (130 when interrupted), whichever signal arrived. Past the switch the engine {@link #defer()}s: the flag is still
 * set, but waits no longer throw, so the retire-and-record steps finish quickly instead of being undone.
 */
public final class Cancellation implements AutoCloseable {
    private static final Cancellation NONE = new Cancellation(null);
    private static volatile Cancellation current;

    private final Thread main;
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile boolean cancelled;
    private volatile boolean deferred;
    private volatile int exitCode = ExitCode.INTERRUPTED;
    private Thread hook;

    private Cancellation(Thread main) {
        this.main = main;
    }

    /** For work that must never be cut short (and for --dry-run): never cancelled. */
    public static Cancellation none() {
        return NONE;
    }

    /** Installs the hook; on a signal it waits at most {@code cleanupBudget} for the command to finish. */
    public static Cancellation onSignal(Duration cleanupBudget) {
        Cancellation c = new Cancellation(Thread.currentThread());
        c.hook = new Thread(() -> {
            c.cancelled = true;
            if (!c.deferred) c.main.interrupt();
            try {
                c.finished.await(cleanupBudget.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
            Runtime.getRuntime().halt(c.exitCode);
        }, "bgdeploy-signal");
        Runtime.getRuntime().addShutdownHook(c.hook);
        current = c;
        return c;
    }

    /**
     * The scripts' main: hands the exit code to a waiting hook (which halts with it) or exits normally. Called only
     * after the command returned, so the lock is released and the last line printed before the JVM goes.
     */
    public static void exit(int code) {
        Cancellation c = current;
        if (c != null) {
            c.exitCode = code;
            c.finished.countDown();
        }
        System.exit(code);
    }

    public boolean cancelled() {
        return cancelled;
    }

    /** Past the switch: an interrupt no longer undoes anything; the remaining steps just stop waiting. */
    public void defer() {
        deferred = true;
        // A signal's wake-up call must not break the steps that finish the deploy; it still counts as the signal.
        if (Thread.interrupted() && Thread.currentThread() == main) cancelled = true;
    }

    public void check() {
        if (Thread.currentThread() == main && Thread.interrupted()) cancelled = true;
        if (cancelled && !deferred) throw new DeployError(ExitCode.INTERRUPTED, "interrupted");
    }

    /** Sleeps unless cancelled; returns false when cancelled (after the switch) so a wait loop can stop. */
    public boolean sleep(Duration d) {
        check();
        if (cancelled) return false;
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            cancelled = true;
        }
        check();
        return !cancelled;
    }

    /**
     * The command is over: take the hook away so an in-process caller keeps its JVM. After a real signal the JVM is
     * already shutting down, the hook cannot be removed, and it waits for {@link #exit(int)}; an interrupt that came
     * from anywhere else (a test, a library) leaves no hook behind to halt the JVM later with 130.
     */
    @Override
    public void close() {
        if (hook == null) return;
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            return; // a signal arrived: the hook waits for exit()
        }
        if (current == this) current = null;
    }
}
