import java.time.Duration;

/** The one way tests wait for something to happen: a condition checked every 20 ms until it holds or the time is up. */
final class Poll {
    interface Condition {
        boolean holds() throws Exception;
    }

    private Poll() {}

    /** True as soon as the condition holds; false when it still does not after {@code timeout}. */
    static boolean until(Duration timeout, Condition condition) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (condition.holds()) return true;
            if (System.nanoTime() > end) return false;
            Thread.sleep(20);
        }
    }
}
