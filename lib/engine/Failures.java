package lib.engine;

import lib.base.Text;
import lib.base.Cancellation;
import lib.base.DeployError;
import lib.base.ExitCode;

import com.github.dockerjava.api.exception.DockerException;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.SocketTimeoutException;

/**
 * Turns whatever a step threw into the one-line failure the user sees. The distinction that matters: the Docker API
 * answered and refused something (the release is bad: exit 1, undo and keep the old colour), or the daemon could
 * not be reached (exit 5: nothing more can be done on that host until it answers).
 */
public final class Failures {
    private Failures() {}

    public static DeployError classify(Throwable e, Cancellation cancel) {
        if (e instanceof DeployError d) return d;
        if (cancel.cancelled() || has(e, InterruptedException.class) || has(e, InterruptedIOException.class) && !has(e, SocketTimeoutException.class)) {
            return new DeployError(ExitCode.INTERRUPTED, "interrupted");
        }
        DockerException api = find(e, DockerException.class);
        if (api != null) {
            return new DeployError(ExitCode.DEPLOY_FAILED, "the Docker API refused: " + Text.summarise(api.getMessage()), e);
        }
        if (has(e, SocketTimeoutException.class)) {
            return new DeployError(ExitCode.DOCKER, "the Docker daemon stopped answering (a call timed out); is it frozen or overloaded?", e);
        }
        if (has(e, IOException.class) || has(e, UncheckedIOException.class)) {
            return new DeployError(ExitCode.DOCKER, "lost the Docker daemon: " + Text.summarise(root(e).toString()), e);
        }
        return new DeployError(ExitCode.DEPLOY_FAILED, "unexpected failure: " + Text.summarise(root(e).toString()), e);
    }


    static boolean has(Throwable t, Class<? extends Throwable> type) {
        return find(t, type) != null;
    }

    static <T extends Throwable> T find(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) return type.cast(c);
        }
        return null;
    }

    static Throwable root(Throwable e) {
        Throwable r = e;
        while (r.getCause() != null && r.getCause() != r) r = r.getCause();
        return r;
    }
}
