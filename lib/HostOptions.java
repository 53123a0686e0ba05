package lib;

import picocli.CommandLine.Option;

import java.io.PrintWriter;

/** The options every script shares to reach an app on a Docker host. */
public final class HostOptions {
    @Option(names = {"-a", "--app"}, paramLabel = "NAME",
            description = "App name; its Compose projects are NAME-blue and NAME-green (as in the shell scripts).")
    public String app;

    @Option(names = {"-H", "--host"}, paramLabel = "URL",
            description = "Docker host, e.g. unix:///var/run/docker.sock or tcp://host:2376 (default: DOCKER_HOST, DOCKER_CONTEXT, then the local socket). TLS follows DOCKER_TLS_VERIFY and DOCKER_CERT_PATH.")
    public String host;

    @Option(names = "--insecure", description = "Allow a plaintext tcp:// Docker API on a non-loopback address (anyone on the path can control that host).")
    public boolean insecure;

    @Option(names = {"-v", "--verbose"}, description = "Print stack traces with errors.")
    public boolean verbose;

    /** Set from a deploy.yml environment, when neither --host nor DOCKER_HOST chose the host. */
    public Boolean tlsVerify;
    public String certPath;

    public String app() {
        return validApp(app);
    }

    public static String validApp(String app) {
        if (app == null) throw DeployError.config("missing --app NAME (the app whose projects are NAME-blue and NAME-green)");
        if (!app.matches("[a-z0-9][a-z0-9_-]{0,62}")) {
            throw DeployError.config("--app \"" + app + "\" is not a valid name: use lowercase letters, digits, '-' and '_'");
        }
        return app;
    }

    public DockerHost connect(PrintWriter err) {
        return DockerHost.connect(host, tlsVerify, certPath, insecure, err);
    }
}
