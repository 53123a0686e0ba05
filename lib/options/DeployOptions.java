package lib.options;

import lib.options.Converters;

import lib.model.Strategy;
import picocli.CommandLine.Option;

/** deploy.java's own options (rollback.java shares {@link ReleaseOptions}, not these). */
public final class DeployOptions {
    @Option(names = "--strategy", paramLabel = "NAME", defaultValue = "blue-green", converter = Converters.Strategy.class,
            description = "blue-green (default): start the new colour, then retire the old one. recreate: stop the old colour first (a short outage, as the plain shell script), restart it if the new one fails.")
    public Strategy strategy = Strategy.BLUE_GREEN;

    @Option(names = "--dry-run", description = "Print the plan (live colour, target, images, containers) and change nothing.")
    public boolean dryRun;

    @Option(names = "--release", paramLabel = "ID", converter = Converters.Release.class,
            description = "Release name recorded on the containers and offered as $${DEPLOY_RELEASE} (default: the commit hash of the git repository holding the Compose file, else the image tag); 1-128 printable ASCII characters without spaces.")
    public String release;

    @Option(names = "--image", paramLabel = "REGISTRY/REPO",
            description = "The app's image in its registry, for --if-changed (default: image: in the project file).")
    public String image;

    @Option(names = "--if-changed", description = "For cron: deploy only when the registry's digest of --image:--release (default tag: latest) differs from what the live colour runs; otherwise print one line and exit 0.")
    public boolean ifChanged;

    @Option(names = "--watch", paramLabel = "DURATION", converter = Converters.Watch.class,
            description = "After the switch, keep the old colour running for DURATION (e.g. 2m) and watch the new one every second (the front's"
                    + " access log, and the probe): over 5%% errors (5xx, upstream errors) among at least 20 of its requests in 10 s, or 3 failed"
                    + " probes in a row, switch back to the old colour at once and exit 1 (thresholds: deploy.yml watch:). Needs the managed"
                    + " front. Default: deploy.yml's watch:, else off; off turns it off.")
    public java.time.Duration watch;

    @Option(names = "--remove-old", description = "Remove the old colour after the switch (the same as --keep-old removed): frees its disk and memory, and a rollback must deploy again.")
    public boolean removeOld;

}
