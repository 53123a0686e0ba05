package lib;

/** Exit codes shared by every script; documented in each --help footer and the README. */
public final class ExitCode {
    public static final int OK = 0;
    /** The new release was rejected (pull, start or health gate failed); the old colour still serves. */
    public static final int DEPLOY_FAILED = 1;
    /** Bad command line (picocli's own code). */
    public static final int USAGE = 2;
    /** Bad Compose file, .env or other configuration. */
    public static final int CONFIG = 3;
    /** Another deploy holds the lock for this app. */
    public static final int LOCKED = 4;
    /** Docker host or registry unreachable, refused (plaintext tcp), or an API call failed. */
    public static final int DOCKER = 5;
    /** A bug: please report it with the --verbose output. */
    public static final int INTERNAL = 70;
    /** Interrupted (Ctrl-C / SIGTERM); the old colour still serves and the lock is released. */
    public static final int INTERRUPTED = 130;

    public static final String HELP_FOOTER = "%n"
            + "Exit codes:%n"
            + "  0    done (or nothing to do)%n"
            + "  1    deploy failed: the new colour was rejected, the old colour still serves%n"
            + "  2    bad command line%n"
            + "  3    bad configuration (Compose file, .env, option value)%n"
            + "  4    another deploy holds the lock for this app%n"
            + "  5    Docker host or registry unreachable or refused (plaintext tcp needs --insecure)%n"
            + "  70   internal error (a bug: rerun with --verbose and report it)%n"
            + "  130  interrupted; the old colour still serves and the lock is released";

    private ExitCode() {}
}
