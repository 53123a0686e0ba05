package lib.options;

import lib.base.Values;
import lib.options.Converters;
import lib.base.DeployError;
import lib.base.ExitCode;
import lib.docker.DockerHost;
import lib.docker.HostAddress;

import picocli.CommandLine.Option;

import java.io.PrintWriter;

/** The options every script shares to reach an app on a Docker host. */
public final class HostOptions {
    @Option(names = {"-a", "--app"}, paramLabel = "NAME", converter = Converters.App.class,
            description = "App name; its Compose projects are NAME-blue and NAME-green (as in the shell scripts).")
    public String app;

    public String host;
    private boolean hostOnCommandLine;

    @Option(names = "--insecure", description = "Allow a plaintext tcp:// Docker API on a non-loopback address (anyone on the path can control that host).")
    public boolean insecure;

    @Option(names = {"-v", "--verbose"}, description = "Print stack traces with errors.")
    public boolean verbose;

    /** Set from a deploy.yml environment, when neither --host nor DOCKER_HOST chose the host. */
    public Boolean tlsVerify;
    public String certPath;

    @Option(names = {"-H", "--host"}, paramLabel = "URL", converter = Converters.HostUrl.class,
            description = "Docker host, e.g. unix:///var/run/docker.sock, ssh://user@host (your ssh config and agent; the host key must be known) or tcp://host:2376 (default: DOCKER_HOST, DOCKER_CONTEXT, the current context, then the local socket). TLS follows DOCKER_TLS_VERIFY and DOCKER_CERT_PATH.")
    void host(String url) {
        host = url;
        hostOnCommandLine = url != null;
    }

    public String app() {
        if (app == null) throw new DeployError(ExitCode.USAGE, "missing --app NAME (the app whose projects are NAME-blue and NAME-green), or app: in deploy.yml");
        try {
            return Values.app(app);
        } catch (IllegalArgumentException e) {
            throw DeployError.config("app in the project file: " + e.getMessage());
        }
    }

    public HostAddress address() {
        return new HostAddress(host, hostOnCommandLine ? "--host" : "the project file's host", tlsVerify, certPath, insecure);
    }

    public DockerHost connect(PrintWriter err) {
        return address().connect(err);
    }
}
