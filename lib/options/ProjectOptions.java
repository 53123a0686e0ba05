package lib.options;

import lib.cli.Cli;
import lib.cli.DeployError;
import lib.project.Hooks;
import lib.project.Notifier;
import lib.project.ProjectFile;

import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** --project / --env / --branch: which deploy.yml, and which of its environments this run targets. */
public final class ProjectOptions {
    @Option(names = "--project", paramLabel = "FILE",
            description = "Project file (default: deploy.yml in the current directory, if there is one). Options on the command line win over it.")
    public Path project;

    @Option(names = {"-e", "--env"}, paramLabel = "NAME", description = "Environment from the project file (its Docker host and TLS settings).")
    public String env;

    @Option(names = "--branch", paramLabel = "BRANCH", description = "Pick the environment whose branch is BRANCH (e.g. --branch \"$CI_COMMIT_BRANCH\").")
    public String branch;

    private ProjectFile loaded;
    private boolean tried;

    public Optional<ProjectFile> file() {
        if (!tried) {
            tried = true;
            Path p = project != null ? project : Path.of("deploy.yml");
            if (project != null || Files.exists(p)) loaded = ProjectFile.load(p);
            if (loaded == null && (env != null || branch != null)) {
                throw DeployError.config("--env/--branch need a project file: create deploy.yml or pass --project FILE");
            }
        }
        return Optional.ofNullable(loaded);
    }

    public Optional<ProjectFile.Environment> environment() {
        return file().map(f -> f.environment(env, branch));
    }

    /**
     * The environment's Docker host, unless --host or DOCKER_HOST says otherwise. An environment without a host
     * and without either is an error: falling back to the local socket would deploy production to a laptop.
     */
    public void applyTo(HostOptions target, boolean hostGivenOnCommandLine) {
        file().ifPresent(f -> {
            if (target.app == null) target.app = f.app();
        });
        environment().ifPresent(e -> {
            String dockerHost = System.getenv("DOCKER_HOST");
            if (hostGivenOnCommandLine || dockerHost != null && !dockerHost.isBlank()) return;
            if (e.host() == null) {
                throw DeployError.config(loaded.file() + ": environments." + e.name() + " has no host, so it would deploy to whatever"
                        + " this machine reaches by default; set host: (unix:///var/run/docker.sock for this machine), or pass --host or DOCKER_HOST");
            }
            target.host = e.host();
            target.tlsVerify = e.tlsVerify();
            target.certPath = e.certPath();
        });
    }

    /**
     * Every host of the environment, each as its own HostOptions, when the environment lists several and neither
     * --host nor DOCKER_HOST narrows the deploy to one; otherwise empty (a single-host run).
     */
    public java.util.List<HostOptions> fleet(HostOptions base, boolean hostGivenOnCommandLine) {
        String dockerHost = System.getenv("DOCKER_HOST");
        if (hostGivenOnCommandLine || dockerHost != null && !dockerHost.isBlank()) return java.util.List.of();
        return environment().filter(e -> e.hosts().size() > 1).map(e -> e.hosts().stream().map(h -> {
            HostOptions o = new HostOptions();
            o.app = base.app;
            o.insecure = base.insecure;
            o.host = h.host();
            o.tlsVerify = h.tlsVerify();
            o.certPath = h.certPath();
            return o;
        }).toList()).orElse(java.util.List.of());
    }

    public Notifier notifier(PrintWriter err) {
        Map<String, String> urls = new LinkedHashMap<>();
        file().ifPresent(f -> f.notifications().forEach((kind, secret) -> {
            try {
                urls.put(kind, secret.resolve(f.file() + ": notify." + kind));
            } catch (DeployError e) {
                err.println(Cli.ansi().string("@|yellow warning:|@ ") + e.getMessage() + "; not notifying " + kind);
            }
        }));
        return new Notifier(urls, err);
    }

    public Hooks hooks(PrintWriter out) {
        return file().map(f -> new Hooks(f.hooks(), f.hookEnv(), f.file().getParent(), out)).orElse(Hooks.none(out));
    }

    public String environmentName() {
        return environment().map(ProjectFile.Environment::name).orElse(null);
    }
}
