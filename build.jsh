///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS bgdeploy-lib.java

// A JShell script, as on the design card. lib/ comes in as a jar (bgdeploy-lib.java), so the rules are lib's own:
// one error handler and exit codes (Cli), image names (RegistryClient), the Docker host and its TLS rule (DockerHost),
// registry credentials (RegistryAuth).

import lib.base.Text;
import lib.base.Style;
import lib.cli.Cli;
import lib.options.Converters;
import lib.base.DeployError;
import lib.base.ExitCode;
import lib.docker.DockerHost;
import lib.docker.RegistryAuth;
import lib.release.RegistryClient;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.BuildImageResultCallback;
import com.github.dockerjava.api.model.AuthConfig;
import com.github.dockerjava.api.model.BuildResponseItem;
import com.github.dockerjava.api.model.PushResponseItem;
import lib.release.RegistryClient.ImageRef;

import org.zeroturnaround.exec.ProcessExecutor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.File;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

@Command(name = "build.jsh", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {
                "Build the app's image from the current commit, tag it with the first 10 characters",
                "of the commit hash and latest, and push both, as the CI shell step did:",
                "  1. refuse a dirty work tree (or, with --allow-dirty, tag HASH-dirty and leave latest alone)",
                "  2. check that the registry answers, before spending time on the build",
                "  3. build through the Docker API, honouring .dockerignore, with OCI labels",
                "     org.opencontainers.image.revision, .created and .source, streaming the build log",
                "  4. push REGISTRY/REPO:HASH; only when that succeeded, tag and push REGISTRY/REPO:latest",
                "Registry credentials come from ~/.docker/config.json (docker login); never printed.",
                "",
                "Examples:",
                "  build.jsh --image 127.0.0.1:5000/shop-app",
                "  build.jsh --image registry.example.com/shop-app --context app --build-arg PHP_VERSION=8.3",
                "",
                "Options:"},
        footer = {"", "Exit codes:",
                "  0    built and pushed (or built, with --no-push)",
                "  1    the build or a push failed (the message says which tags moved, locally and in the registry)",
                "  2    bad command line (--image, --host)",
                "  3    not a git work tree, dirty work tree, no Dockerfile",
                "  5    Docker host or registry unreachable or refused (plaintext tcp needs --insecure)",
                "  70   internal error (a bug: rerun with --verbose and report it)",
                "  130  interrupted"})
class Build implements Callable<Integer> {
    @Option(names = "--image", required = true, paramLabel = "REGISTRY/REPO", converter = Converters.Image.class,
            description = "Where to push, e.g. 127.0.0.1:5000/shop-app.")
    ImageRef image;

    @Option(names = "--context", defaultValue = ".", paramLabel = "DIR", description = "Build context, inside the git work tree (default: ${DEFAULT-VALUE}).")
    File context;

    @Option(names = {"-f", "--file"}, paramLabel = "DOCKERFILE", description = "Dockerfile (default: CONTEXT/Dockerfile).")
    File dockerfile;

    @Option(names = "--build-arg", paramLabel = "KEY=VALUE", description = "Build argument; repeatable.")
    Map<String, String> buildArgs = new LinkedHashMap<>();

    @Option(names = "--allow-dirty", description = "Build a work tree with uncommitted changes, tagged HASH-dirty; latest is not moved.")
    boolean allowDirty;

    @Option(names = "--no-push", description = "Build and tag locally only.")
    boolean noPush;

    @Option(names = "--pull", description = "Pull newer base images while building.")
    boolean pull;

    @Option(names = {"-H", "--host"}, paramLabel = "URL", converter = Converters.HostUrl.class,
            description = "Docker host to build on (default: DOCKER_HOST, DOCKER_CONTEXT, the current context, the local socket).")
    String host;

    @Option(names = "--insecure", description = "Allow a plaintext tcp:// Docker API on a non-loopback address.")
    boolean insecure;

    @Option(names = {"-v", "--verbose"}, description = "Print stack traces with errors.")
    boolean verbose;

    @Spec CommandSpec spec;

    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Path ctx = context.toPath().toAbsolutePath().normalize();
        Path file = dockerfile != null ? dockerfile.toPath().toAbsolutePath() : ctx.resolve("Dockerfile");

        String hash = git(ctx, "rev-parse", "--short=10", "HEAD");
        boolean dirty = !git(ctx, "status", "--porcelain").isEmpty();
        if (dirty && !allowDirty) {
            throw DeployError.config(ctx + " has uncommitted changes: commit them, or pass --allow-dirty to build " + hash + "-dirty");
        }
        String tag = dirty ? hash + "-dirty" : hash;
        if (!Files.isRegularFile(file)) throw DeployError.config("no Dockerfile at " + file + "; pass -f DOCKERFILE or --context DIR");
        if (!noPush) checkRegistry();

        try (DockerHost docker = DockerHost.connect(host, insecure, spec.commandLine().getErr())) {
            String repo = image.registry() + "/" + image.repository();
            Style.step(out, "build " + repo + ":" + tag + " from " + file + " on " + docker.describe());
            String imageId = build(docker.client(), ctx, file, repo + ":" + tag, labels(ctx, git(ctx, "rev-parse", "HEAD")), out);
            if (noPush) {
                if (!dirty) docker.client().tagImageCmd(imageId, repo, "latest").exec();
                out.println("built " + repo + ":" + tag + (dirty ? "" : " and :latest") + " (not pushed: --no-push)");
                return ExitCode.OK;
            }
            Style.step(out, "push " + repo + ":" + tag);
            push(docker.client(), repo, tag, out, "; :latest was not moved, neither on this Docker host nor in the registry");
            if (dirty) {
                out.println("pushed " + repo + ":" + tag + "; latest not moved (dirty build)");
                return ExitCode.OK;
            }
            // Only now: a failed push of the release must leave latest where it was, here and in the registry.
            docker.client().tagImageCmd(imageId, repo, "latest").exec();
            Style.step(out, "push " + repo + ":latest");
            push(docker.client(), repo, "latest", out, "; " + repo + ":" + tag + " is pushed, and :latest points at it on this Docker host"
                    + " but not in the registry (tag.java point --image " + repo + " " + tag + " moves it there)");
            out.println(Style.success("pushed") + " " + repo + ":" + tag + " and :latest");
            return ExitCode.OK;
        }
    }

    String git(Path dir, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("git", "-C", dir.toString()));
        cmd.addAll(List.of(args));
        var r = new ProcessExecutor().command(cmd).readOutput(true).redirectErrorStream(false).timeout(30, TimeUnit.SECONDS).execute();
        if (r.getExitValue() != 0) throw DeployError.config(dir + " is not a git work tree with a commit; run build.jsh in the app's repository (or pass --context)");
        return r.outputUTF8().trim();
    }

    Map<String, String> labels(Path ctx, String revision) throws Exception {
        Map<String, String> l = new LinkedHashMap<>();
        l.put("org.opencontainers.image.revision", revision);
        l.put("org.opencontainers.image.created", Instant.now().toString());
        var origin = new ProcessExecutor().command("git", "-C", ctx.toString(), "remote", "get-url", "origin").readOutput(true)
                .redirectErrorStream(false).timeout(30, TimeUnit.SECONDS).execute();
        // A remote URL may carry a token (https://user:token@host/...): strip credentials before it goes into a label.
        if (origin.getExitValue() == 0) l.put("org.opencontainers.image.source", origin.outputUTF8().trim().replaceFirst("//[^/@]*@", "//"));
        return l;
    }

    /** Before the build: the registry answers and takes our credentials (RegistryClient bounds every request). */
    void checkRegistry() {
        try {
            new RegistryClient(image).tags();
        } catch (DeployError e) {
            throw new DeployError(e.exitCode(), e.getMessage() + "; nothing was built or pushed");
        }
    }

    String build(DockerClient docker, Path ctx, Path file, String tagged, Map<String, String> labels, PrintWriter out) {
        var cmd = docker.buildImageCmd().withBaseDirectory(ctx.toFile()).withDockerfile(file.toFile())
                .withTags(Set.of(tagged)).withLabels(labels).withPull(pull);
        buildArgs.forEach(cmd::withBuildArg);
        try {
            return cmd.exec(new BuildImageResultCallback() {
                @Override
                public void onNext(BuildResponseItem item) {
                    if (item.getStream() != null && !item.getStream().isBlank()) {
                        out.print("  | " + item.getStream().stripTrailing().replace("\n", "\n  | ") + "\n");
                        out.flush();
                    }
                    super.onNext(item);
                }
            }).awaitImageId(30, TimeUnit.MINUTES);
        } catch (RuntimeException e) {
            throw DeployError.failed("build failed: " + Text.summarise(e.getMessage()) + "; nothing was tagged or pushed");
        }
    }

    /** afterFailure says what a failure of this push leaves behind. */
    void push(DockerClient docker, String repo, String tag, PrintWriter out, String afterFailure) {
        boolean tty = System.console() != null;
        AuthConfig auth = RegistryAuth.authConfig(image.registry(), System.getenv());
        AtomicReference<String> failure = new AtomicReference<>();
        try {
            docker.pushImageCmd(repo).withTag(tag).withAuthConfig(auth).exec(new ResultCallback.Adapter<PushResponseItem>() {
                @Override
                public void onNext(PushResponseItem item) {
                    if (item.getErrorDetail() != null) {
                        failure.compareAndSet(null, item.getErrorDetail().getMessage());
                        return;
                    }
                    if (item.getId() == null || item.getStatus() == null) return;
                    if (tty) out.print("\r\033[K    " + item.getId() + ": " + item.getStatus());
                    else if (item.getStatus().startsWith("Pushed") || item.getStatus().startsWith("Layer already exists")) out.println("    " + item.getId() + ": " + item.getStatus());
                    out.flush();
                }
            }).awaitCompletion();
            if (tty) out.println();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DeployError(ExitCode.INTERRUPTED, "interrupted while pushing " + repo + ":" + tag + afterFailure);
        } catch (RuntimeException e) {
            failure.compareAndSet(null, e.getMessage());
        }
        if (failure.get() != null) throw DeployError.failed("push of " + repo + ":" + tag + " failed: " + Text.summarise(failure.get()) + afterFailure);
    }
}

System.exit(Cli.commandLine(new Build()).execute(args));
