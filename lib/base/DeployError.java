package lib.base;

/** A failure meant for the user: a one-line message that says what to do, and the exit code it maps to. */
public class DeployError extends RuntimeException {
    private final int exitCode;

    public DeployError(int exitCode, String message) {
        this(exitCode, message, null);
    }

    public DeployError(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }

    public static DeployError config(String message) {
        return new DeployError(ExitCode.CONFIG, message);
    }

    public static DeployError failed(String message) {
        return new DeployError(ExitCode.DEPLOY_FAILED, message);
    }
}
