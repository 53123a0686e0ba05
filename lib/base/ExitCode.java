package lib.base;

/** Exit codes shared by every script; documented in each --help footer and the README. */
public final class ExitCode {
    public static final int OK = 0;
    /** The new release was rejected (pull, start or health gate failed); the old colour still serves. */
    public static final int DEPLOY_FAILED = 1;
    /** Bad command line: an unknown option, a bad option value (one line naming the option), a missing --app. */
    public static final int USAGE = 2;
    /** Bad Compose file, .env, deploy.yml value (named by file and key) or other configuration. */
    public static final int CONFIG = 3;
    /** Another deploy holds the lock for this app. */
    public static final int LOCKED = 4;
    /**
     * Docker host or registry unreachable, refused (plaintext tcp), answering nonsense, or an API call failed; also
     * Docker host settings from the environment that cannot be used (DOCKER_HOST with an unknown scheme, a missing
     * context, TLS without its certificates, an ssh:// host ssh cannot reach).
     */
    public static final int DOCKER = 5;
    /** A preview is open (deploy.java --preview): promote it or abort it first, or pass --replace-preview. */
    public static final int PREVIEW_OPEN = 6;
    /** A bug: please report it with the --verbose output. */
    public static final int INTERNAL = 70;
    /** Interrupted (Ctrl-C / SIGTERM); the old colour still serves and the lock is released. */
    public static final int INTERRUPTED = 130;

    public static final String HELP_FOOTER = "%n"
            + "Exit codes:%n"
            + "  0    done (or nothing to do)%n"
            + "  1    deploy failed: the new colour was rejected, the old colour still serves%n"
            + "  2    bad command line (unknown option, bad option value, missing --app)%n"
            + "  3    bad configuration (Compose file, .env, deploy.yml value)%n"
            + "  4    another deploy holds the lock for this app%n"
            + "  5    Docker host or registry unreachable or refused: plaintext tcp%n"
            + "       needs --insecure; a missing context, TLS without certificates%n"
            + "       or an unknown scheme is an error, never a fall-back%n"
            + "  6    a preview is open: deploy.java promote or abort it first%n"
            + "       (or --replace-preview); nothing was changed%n"
            + "  70   internal error (a bug: rerun with --verbose and report it)%n"
            + "  130  interrupted; the old colour still serves and the lock is released";

    private ExitCode() {}
}
