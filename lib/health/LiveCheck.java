package lib.health;

/**
 * What the watch window asks of the new colour every second after the switch: null while it answers as it should,
 * else the first thing that failed. The health probe is one ({@link #probe}); deploy.yml's smoke checks
 * ({@link SmokeChecks#firstFailure}) are another, and {@link #all} asks them in turn.
 */
public interface LiveCheck extends AutoCloseable {
    String firstFailure();

    @Override
    default void close() {}

    /** The gate's probe asked once more each time (built with one success needed). */
    static LiveCheck probe(HealthGate.Probe p) {
        return new LiveCheck() {
            @Override
            public String firstFailure() {
                return p.check();
            }

            @Override
            public void close() {
                p.close();
            }
        };
    }

    /** The first failure of several checks, asked in order: the probe, then the smoke checks. */
    static LiveCheck all(java.util.List<LiveCheck> checks) {
        return new LiveCheck() {
            @Override
            public String firstFailure() {
                for (LiveCheck c : checks) {
                    String f = c.firstFailure();
                    if (f != null) return f;
                }
                return null;
            }

            @Override
            public void close() {
                checks.forEach(LiveCheck::close);
            }
        };
    }
}
