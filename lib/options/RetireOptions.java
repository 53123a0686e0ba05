package lib.options;

import lib.model.KeepOld;
import picocli.CommandLine.Option;

/** What becomes of the colour that served before, once the new one is live; shared by deploy.java and rollback.java. */
public final class RetireOptions {
    @Option(names = "--keep-old", paramLabel = "HOW",
            description = "running | stopped | removed: the previous colour after the switch. Default: running behind the managed front "
                    + "(a warm standby: rollback.java switches back in about a second; it keeps its memory until the next deploy), "
                    + "stopped behind the passive front (rollback.java starts it again).")
    public KeepOld keepOld;
}
