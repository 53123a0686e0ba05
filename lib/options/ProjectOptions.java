package lib.options;

import lib.docker.HostAddress;
import lib.docker.SwarmSettings;
import lib.engine.RunSettings;
import lib.model.KeepOld;
import lib.base.Style;
import lib.base.DeployError;
import lib.project.Hooks;
import lib.project.Notifier;
import lib.project.ProjectFile;

import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;

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
            if (e.isSwarm()) return; // reached through its managers: see swarm()
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
     * The hosts this run acts on: every host of the environment when it lists several and neither --host nor
     * DOCKER_HOST narrows the run to one; otherwise the one host the options name (call {@link #applyTo} first).
     */
    public java.util.List<HostAddress> hosts(HostOptions base, boolean hostGivenOnCommandLine) {
        String dockerHost = System.getenv("DOCKER_HOST");
        boolean narrowed = hostGivenOnCommandLine || dockerHost != null && !dockerHost.isBlank();
        // A command that has no Swarm path must not fall back to one Docker host: that would treat a manager as a host.
        environment().filter(ProjectFile.Environment::isSwarm).ifPresent(e -> {
            throw DeployError.config(loaded.file() + ": environments." + e.name() + " runs on Docker Swarm (engine: swarm), which this command"
                    + " does not support; use an environment with host: or hosts:");
        });
        java.util.List<HostAddress> fleet = narrowed ? java.util.List.of() : environment().filter(e -> e.hosts().size() > 1)
                .map(e -> e.hosts().stream().map(h -> new HostAddress(h.host(), loaded.file() + ": environments." + e.name() + ".hosts",
                        h.tlsVerify(), h.certPath(), base.insecure)).toList())
                .orElse(java.util.List.of());
        return fleet.isEmpty() ? java.util.List.of(base.address()) : fleet;
    }

    /**
     * The Swarm this run acts on when its environment has {@code engine: swarm}, else empty (call {@link #applyTo}
     * first). --host or DOCKER_HOST, when set, is the one manager to use instead of the environment's list.
     */
    public Optional<SwarmSettings> swarm(HostOptions base, boolean hostGivenOnCommandLine) {
        return environment().filter(ProjectFile.Environment::isSwarm).map(e -> {
            String dockerHost = System.getenv("DOCKER_HOST");
            boolean narrowed = hostGivenOnCommandLine || dockerHost != null && !dockerHost.isBlank();
            String at = loaded.file() + ": environments." + e.name();
            java.util.List<HostAddress> managers = narrowed ? java.util.List.of(base.address()) : addresses(e.managers(), at + ".managers", base);
            return new SwarmSettings(managers, addresses(e.fronts(), at + ".fronts", base), e.replicas());
        });
    }

    private static java.util.List<HostAddress> addresses(java.util.List<ProjectFile.HostRef> refs, String source, HostOptions base) {
        java.util.List<HostAddress> out = new java.util.ArrayList<>();
        for (int i = 0; i < refs.size(); i++) {
            ProjectFile.HostRef h = refs.get(i);
            out.add(new HostAddress(h.host(), source + "[" + i + "]", h.tlsVerify(), h.certPath(), base.insecure));
        }
        return java.util.List.copyOf(out);
    }

    /**
     * deploy.yml's values for every option the command line did not set: the one place they are merged, for
     * deploy.java and rollback.java alike. deploy is null for rollback.java, which has no --image or --release.
     */
    public void applyDefaults(ParseResult parsed, HostOptions target, HealthOptions health, FrontOptions front, ReleaseOptions up, DeployOptions deploy) {
        applyTo(target, parsed.hasMatchedOption("--host"));
        file().ifPresent(f -> {
            Path dir = f.file().getParent();
            if (!parsed.hasMatchedOption("--file") && f.compose() != null) up.file = dir.resolve(f.compose()).toString();
            if (deploy != null && !parsed.hasMatchedOption("--image") && f.image() != null) deploy.image = f.image();
            if (deploy != null && !parsed.hasMatchedOption("--release") && f.release() != null) deploy.release = f.release();
            health.defaultsFrom(f.health(), f.file(), parsed);
            front.defaultsFrom(f.front(), f.file(), parsed);
        });
    }

    /** The run's settings as options and deploy.yml give them; the host's record settles the rest in the engine. */
    public RunSettings settings(String action, ParseResult parsed, HealthOptions health, ReleaseOptions up, FrontOptions front,
                                KeepOld keepOld, boolean removeOld, PrintWriter out, PrintWriter err) {
        boolean frontGiven = parsed.hasMatchedOption("--front") || file().map(f -> f.front().containsKey("kind")).orElse(false);
        KeepOld keep = removeOld ? KeepOld.REMOVED : keepOld != null ? keepOld : KeepOld.STOPPED;
        return new RunSettings(action, health.gateTimeout(), health.probe(), up.pull(), front.settings(), frontGiven, front.placeGiven(parsed),
                keep, removeOld || keepOld != null, notifier(err), hooks(out), environmentName(),
                file().map(ProjectFile::checks).orElse(java.util.List.of()));
    }

    public Notifier notifier(PrintWriter err) {
        Map<String, String> urls = new LinkedHashMap<>();
        file().ifPresent(f -> f.notifications().forEach((kind, secret) -> {
            try {
                urls.put(kind, secret.resolve(f.file() + ": notify." + kind));
            } catch (DeployError e) {
                err.println(Style.warning() + e.getMessage() + "; not notifying " + kind);
            }
        }));
        return new Notifier(urls, err);
    }

    public Hooks hooks(PrintWriter out) {
        return file().map(f -> new Hooks(f.hooks(), f.hookEnv(), f.file().getParent(), out)).orElse(Hooks.none(out));
    }

    /** deploy.yml's accessories: and colours: (the environment's, where it has its own), with --accessory added. */
    public lib.compose.AccessoryChoice accessories(AccessoryOptions options) {
        var env = environment();
        lib.compose.AccessoryChoice fromFile = file().map(f -> new lib.compose.AccessoryChoice(
                        env.map(ProjectFile.Environment::accessories).orElse(null) != null ? env.get().accessories() : f.accessories(),
                        env.map(ProjectFile.Environment::colours).orElse(null) != null ? env.get().colours() : f.colours()))
                .orElse(lib.compose.AccessoryChoice.NONE);
        return options == null ? fromFile : fromFile.plus(options.accessories);
    }

    public String environmentName() {
        return environment().map(ProjectFile.Environment::name).orElse(null);
    }
}
