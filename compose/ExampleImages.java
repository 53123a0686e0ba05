//DEPS org.zeroturnaround:zt-exec:1.12
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.BuildImageResultCallback;
import org.zeroturnaround.exec.ProcessExecutor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds the example's images with no registry: the app from the host's busybox-static, the colour's nginx from the
 * host's nginx binary and the libraries ldd names. Used by compose/example.java, the tests and the benchmark.
 */
public final class ExampleImages {
    private final DockerClient docker;
    private final Path composeDir;

    public ExampleImages(DockerClient docker, Path composeDir) {
        this.docker = docker;
        this.composeDir = composeDir;
    }

    /** Variants of the app; the defaults are a healthy app that is ready at once. */
    public record Variant(String version, int startDelaySeconds, boolean crash, boolean unhealthy) {
        public static Variant of(String version) {
            return new Variant(version, 0, false, false);
        }
    }

    public String app(String repository, Variant v) {
        String tag = repository + ":" + v.version();
        Path ctx = tempDir("app");
        try {
            copyTree(composeDir.resolve("app"), ctx);
            Files.copy(requireHostFile("/bin/busybox", "busybox-static"), ctx.resolve("busybox"), StandardCopyOption.REPLACE_EXISTING);
            build(ctx, tag, Map.of("VERSION", v.version(), "START_DELAY", String.valueOf(v.startDelaySeconds()),
                    "CRASH", v.crash() ? "1" : "0", "UNHEALTHY", v.unhealthy() ? "1" : "0"));
            return tag;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            deleteTree(ctx);
        }
    }

    /**
     * The example's stand-in for a database or cache ({@code compose/store}): a key-value store over HTTP on port,
     * with its data in a volume at dataDir (the real one's data directory, e.g. /var/lib/mysql or /data).
     */
    public String store(String tag, int port, String dataDir) {
        Path ctx = tempDir("store");
        try {
            copyTree(composeDir.resolve("store"), ctx);
            Files.copy(requireHostFile("/bin/busybox", "busybox-static"), ctx.resolve("busybox"), StandardCopyOption.REPLACE_EXISTING);
            build(ctx, tag, Map.of("PORT", String.valueOf(port), "DATA", dataDir));
            return tag;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            deleteTree(ctx);
        }
    }

    public String web(String tag) {
        Path ctx = tempDir("web");
        try {
            Path root = ctx.resolve("root");
            Path nginx = requireHostFile("/usr/sbin/nginx", "nginx");
            for (String f : libraries(nginx)) copyInto(root, Path.of(f));
            copyInto(root, nginx);
            copyInto(root, requireHostFile("/etc/nginx/mime.types", "nginx"));
            Files.createDirectories(root.resolve("etc/nginx"));
            Files.copy(composeDir.resolve("web/nginx.conf"), root.resolve("etc/nginx/nginx.conf"), StandardCopyOption.REPLACE_EXISTING);
            Files.writeString(Files.createDirectories(root.resolve("etc")).resolve("passwd"), "root:x:0:0:root:/root:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
            Files.writeString(root.resolve("etc/group"), "root:x:0:\nnogroup:x:65534:\n");
            for (String d : new String[]{"var/lib/nginx/body", "var/lib/nginx/proxy", "var/lib/nginx/fastcgi", "var/lib/nginx/uwsgi",
                    "var/lib/nginx/scgi", "var/log/nginx", "run", "tmp", "www"}) {
                Files.createDirectories(root.resolve(d));
                Files.writeString(root.resolve(d).resolve(".keep"), "");
            }
            Files.copy(composeDir.resolve("web/Dockerfile"), ctx.resolve("Dockerfile"));
            build(ctx, tag, Map.of());
            return tag;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            deleteTree(ctx);
        }
    }

    private void build(Path ctx, String tag, Map<String, String> args) {
        var cmd = docker.buildImageCmd(ctx.toFile()).withTags(Set.of(tag)).withPull(false);
        args.forEach(cmd::withBuildArg);
        cmd.exec(new BuildImageResultCallback()).awaitImageId(5, TimeUnit.MINUTES);
    }

    static Set<String> libraries(Path binary) {
        String out;
        try {
            out = new ProcessExecutor().command("ldd", binary.toString()).readOutput(true).exitValueNormal()
                    .timeout(30, TimeUnit.SECONDS).execute().outputUTF8();
        } catch (Exception e) {
            throw new IllegalStateException("ldd " + binary + " failed: " + e.getMessage(), e);
        }
        Set<String> libs = new LinkedHashSet<>();
        Matcher m = Pattern.compile("(/\\S+)").matcher(out);
        while (m.find()) libs.add(m.group(1));
        return libs;
    }

    private static void copyInto(Path root, Path file) throws IOException {
        Path target = root.resolve(file.toString().substring(1));
        Files.createDirectories(target.getParent());
        Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING); // follows symlinks: the image gets real files
    }

    private static Path requireHostFile(String path, String debianPackage) {
        Path p = Path.of(path);
        if (!Files.exists(p)) {
            throw new IllegalStateException(path + " is missing; install it with: apt-get install -y " + debianPackage);
        }
        return p;
    }

    private static Path tempDir(String prefix) {
        try {
            return Files.createTempDirectory("bgdeploy-" + prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void copyTree(Path from, Path to) {
        try (var walk = Files.walk(from)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteTree(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp dir left behind loses nothing
        }
    }
}
