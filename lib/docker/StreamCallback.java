package lib.docker;

import com.github.dockerjava.api.async.ResultCallback;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A streamed Docker call (a pull, a log follow, an exec's output) that can be polled without being ended.
 * docker-java's {@code awaitCompletion(timeout)} closes the stream when it returns, finished or not: a pull polled
 * with it every 200 ms is cut at the first poll (the daemon then abandons it, and the image never arrives), a log
 * follow checked with it ends at the check.
 */
public class StreamCallback<T> extends ResultCallback.Adapter<T> {
    private final CountDownLatch ended = new CountDownLatch(1);

    @Override
    public void onComplete() {
        try {
            super.onComplete();
        } finally {
            ended.countDown();
        }
    }

    @Override
    public void onError(Throwable throwable) {
        try {
            super.onError(throwable);
        } finally {
            ended.countDown();
        }
    }

    @Override
    public void close() throws IOException {
        try {
            super.close();
        } finally {
            ended.countDown();
        }
    }

    /** The stream ended: completed, failed or closed. Asking never ends it. */
    public boolean ended() {
        return ended.getCount() == 0;
    }

    /**
     * Waits up to {@code bound} for the stream to end, leaving it open if it has not; once it has, the error it ended
     * with (if any) is thrown, as docker-java's awaitCompletion does.
     */
    public boolean awaitEnd(Duration bound) throws InterruptedException {
        if (!ended.await(bound.toMillis(), TimeUnit.MILLISECONDS)) return false;
        awaitCompletion();
        return true;
    }
}
