package lib.base;

import java.net.InetAddress;

/** Who runs this deploy, as records, history, locks and notifications name them: user@host. */
public final class Operator {
    private Operator() {}

    public static String name() {
        return System.getProperty("user.name", "unknown") + "@" + hostName();
    }

    public static String hostName() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) return env;
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "unknown-host";
        }
    }
}
