///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS info.picocli:picocli:4.7.6
//DEPS com.github.docker-java:docker-java-core:3.5.1
//DEPS com.github.docker-java:docker-java-transport-httpclient5:3.5.1
//DEPS org.slf4j:slf4j-nop:1.7.36
//DEPS org.zeroturnaround:zt-exec:1.12

// A JShell script, as on the design card. JShell cannot load lib/'s packaged classes, so the little it shares
// with them (one-line errors, exit codes, the plaintext-tcp rule) is restated here; the numbers match ExitCode.

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.BuildImageResultCallback;
import com.github.dockerjava.api.model.BuildResponseItem;
import com.github.dockerjava.api.model.PushResponseItem;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import org.zeroturnaround.exec.ProcessExecutor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.File;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

class BuildError extends RuntimeException {
    final int code;
    BuildError(int code, String message) { super(message); this.code = code; }
}

@Command(name = "build.jsh", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {
                "Build the app's image from the current commit, tag it with the first 10 characters",
                "of the commit hash and latest, and push both, as the CI shell step did:",
                "  1. refuse a dirty work tree (or, with --allow-dirty, tag HASH-dirty and leave latest alone)",
                "  2. check that the registry answers, before spending time on the build",
                "  3. build through the Docker API, honouring .dockerignore, with OCI labels",
                "     org.opencontainers.image.revision, .created and .source, streaming the build log",
                "  4. push REGISTRY/REPO:HASH; only when that succeeded, push REGISTRY/REPO:latest",
                "Registry credentials come from ~/.docker/config.json (docker login); never printed.",
                "",
                "Examples:",
                "  build.jsh --image 127.0.0.1:5000/shop-app",
                "  build.jsh --image registry.example.com/shop-app --context app --build-arg PHP_VERSION=8.3",
                "",
                "Options:"},
        footer = {"", "Exit codes:",
                "  0    built and pushed",
                "  1    the build or a push failed (latest was not moved)",
                "  2    bad command line",
                "  3    not a git work tree, dirty work tree, no Dockerfile, bad option value",
                "  5    Docker host or registry unreachable or refused (plaintext tcp needs --insecure)"})
class Build implements Callable<Integer> {
    @Option(names = "--image", required = true, paramLabel = "REGISTRY/REPO", description = "Where to push, e.g. 127.0.0.1:5000/shop-app.")
    String image;

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

    @Option(names = {"-H", "--host"}, paramLabel = "URL", description = "Docker host to build on (default: DOCKER_HOST, DOCKER_CONTEXT, the local socket).")
    String host;

    @Option(names = "--insecure", description = "Allow a plaintext tcp:// Docker API on a non-loopback address.")
    boolean insecure;

    @Spec CommandSpec spec;

    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        String[] ref = parseImage(image);
        Path ctx = context.toPath().toAbsolutePath().normalize();
        Path file = dockerfile != null ? dockerfile.toPath().toAbsolutePath() : ctx.resolve("Dockerfile");

        String hash = git(ctx, "rev-parse", "--short=10", "HEAD");
        boolean dirty = !git(ctx, "status", "--porcelain").isEmpty();
        if (dirty && !allowDirty) {
            throw new BuildError(3, ctx + " has uncommitted changes: commit them, or pass --allow-dirty to build " + hash + "-dirty");
        }
        String tag = dirty ? hash + "-dirty" : hash;
        if (!Files.isRegularFile(file)) throw new BuildError(3, "no Dockerfile at " + file + "; pass -f DOCKERFILE or --context DIR");
        if (!noPush) checkRegistry(ref[0]);

        DefaultDockerClientConfig config = dockerConfig();
        try (DockerClient docker = DockerClientImpl.getInstance(config, new ApacheDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost()).sslConfig(config.getSSLConfig())
                .connectionTimeout(Duration.ofSeconds(5)).responseTimeout(Duration.ofMinutes(30)).build())) {
            ping(docker, config);
            String repo = ref[0] + "/" + ref[1];
            step(out, "build " + repo + ":" + tag + " from " + file);
            String imageId = build(docker, ctx, file, repo + ":" + tag, labels(ctx, git(ctx, "rev-parse", "HEAD")), out);
            if (!dirty) docker.tagImageCmd(imageId, repo, "latest").exec();
            if (noPush) {
                out.println("built " + repo + ":" + tag + (dirty ? "" : " and :latest") + " (not pushed: --no-push)");
                return 0;
            }
            step(out, "push " + repo + ":" + tag);
            push(docker, config, repo, tag, out);
            if (dirty) {
                out.println("pushed " + repo + ":" + tag + "; latest not moved (dirty build)");
                return 0;
            }
            step(out, "push " + repo + ":latest");
            push(docker, config, repo, "latest", out);
            out.println(CommandLine.Help.Ansi.AUTO.string("@|bold,green pushed|@ ") + repo + ":" + tag + " and :latest");
            return 0;
        }
    }

    static String[] parseImage(String image) {
        int slash = image.indexOf('/');
        if (slash < 0 || image.substring(slash + 1).contains(":") || image.contains("@")) {
            throw new BuildError(3, "--image \"" + image + "\" must be REGISTRY/REPO without a tag, e.g. 127.0.0.1:5000/shop-app");
        }
        return new String[]{image.substring(0, slash), image.substring(slash + 1)};
    }

    String git(Path dir, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("git", "-C", dir.toString()));
        cmd.addAll(List.of(args));
        var r = new ProcessExecutor().command(cmd).readOutput(true).timeout(30, TimeUnit.SECONDS).execute();
        if (r.getExitValue() != 0) throw new BuildError(3, dir + " is not a git work tree with a commit; run build.jsh in the app's repository (or pass --context)");
        return r.outputUTF8().trim();
    }

    Map<String, String> labels(Path ctx, String revision) throws Exception {
        Map<String, String> l = new LinkedHashMap<>();
        l.put("org.opencontainers.image.revision", revision);
        l.put("org.opencontainers.image.created", Instant.now().toString());
        var origin = new ProcessExecutor().command("git", "-C", ctx.toString(), "remote", "get-url", "origin").readOutput(true).execute();
        // A remote URL may carry a token (https://user:token@host/...): strip credentials before it goes into a label.
        if (origin.getExitValue() == 0) l.put("org.opencontainers.image.source", origin.outputUTF8().trim().replaceFirst("//[^/@]*@", "//"));
        return l;
    }

    void checkRegistry(String registry) {
        boolean loopback = registry.startsWith("127.") || registry.startsWith("localhost") || registry.startsWith("[::1]");
        URI uri = URI.create((loopback ? "http://" : "https://") + registry + "/v2/");
        try {
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()
                    .send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.discarding());
        } catch (Exception e) {
            throw new BuildError(5, "registry " + registry + " is unreachable (" + e.getClass().getSimpleName() + " on " + uri + "); nothing was built or pushed");
        }
    }

    DefaultDockerClientConfig dockerConfig() {
        var b = DefaultDockerClientConfig.createDefaultConfigBuilder();
        if (host != null) b.withDockerHost(host);
        DefaultDockerClientConfig c = b.build();
        URI h = c.getDockerHost();
        boolean loopback = h.getHost() == null || h.getHost().equals("localhost") || h.getHost().startsWith("127.") || h.getHost().equals("::1");
        if ("tcp".equals(h.getScheme()) && c.getSSLConfig() == null && !loopback) {
            if (!insecure) throw new BuildError(5, "refusing plaintext Docker API at " + h + ": use TLS (DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=DIR) or pass --insecure");
            spec.commandLine().getErr().println("warning: plaintext Docker API at " + h + " (--insecure)");
        }
        return c;
    }

    void ping(DockerClient docker, DefaultDockerClientConfig config) {
        try {
            docker.pingCmd().exec();
        } catch (RuntimeException e) {
            throw new BuildError(5, "Docker host " + config.getDockerHost() + " does not answer; is dockerd running?");
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
            throw new BuildError(1, "build failed: " + e.getMessage().replaceAll("\\s*\\R\\s*", " ") + "; nothing was tagged or pushed");
        }
    }

    void push(DockerClient docker, DefaultDockerClientConfig config, String repo, String tag, PrintWriter out) {
        boolean tty = System.console() != null;
        try {
            docker.pushImageCmd(repo).withTag(tag).withAuthConfig(config.effectiveAuthConfig(repo + ":" + tag))
                    .exec(new ResultCallback.Adapter<PushResponseItem>() {
                        @Override
                        public void onNext(PushResponseItem item) {
                            if (item.getErrorDetail() != null) {
                                throw new BuildError(1, "push of " + repo + ":" + tag + " failed: " + item.getErrorDetail().getMessage());
                            }
                            if (item.getId() == null || item.getStatus() == null) return;
                            if (tty) out.print("\r\033[K    " + item.getId() + ": " + item.getStatus());
                            else if (item.getStatus().startsWith("Pushed") || item.getStatus().startsWith("Layer already exists")) out.println("    " + item.getId() + ": " + item.getStatus());
                            out.flush();
                        }
                    }).awaitCompletion();
            if (tty) out.println();
        } catch (BuildError e) {
            throw new BuildError(1, e.getMessage() + (tag.equals("latest") ? "" : "; latest was not moved"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BuildError(130, "interrupted while pushing " + repo + ":" + tag);
        } catch (RuntimeException e) {
            throw new BuildError(1, "push of " + repo + ":" + tag + " failed: " + e.getMessage().replaceAll("\\s*\\R\\s*", " ")
                    + (tag.equals("latest") ? "" : "; latest was not moved"));
        }
    }

    static void step(PrintWriter out, String text) {
        out.println("==> " + text);
        out.flush();
    }
}

CommandLine cl = new CommandLine(new Build());
cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
    boolean color = System.console() != null && (System.getenv("NO_COLOR") == null || System.getenv("NO_COLOR").isEmpty());
    String prefix = (color ? CommandLine.Help.Ansi.ON : CommandLine.Help.Ansi.OFF).string("@|bold,red error:|@ ");
    if (ex instanceof BuildError b) {
        cmd.getErr().println(prefix + b.getMessage());
        return b.code;
    }
    cmd.getErr().println(prefix + "internal error: " + ex);
    return 70;
});
System.exit(cl.execute(args));
