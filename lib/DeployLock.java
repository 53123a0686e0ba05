package lib;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;

import java.io.PrintWriter;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A per-app lock on the target host: a never-started container with a fixed name. The engine creates a name at
 * most once, so two deploys from two laptops cannot both hold it. Its labels say who holds it, since when and why.
 */
public final class DeployLock implements AutoCloseable {
    /** A deploy holding the lock longer than this is probably dead; we say so, but breaking it stays explicit. */
    static final Duration STALE_AFTER = Duration.ofMinutes(30);

    private final DockerClient docker;
    private final String containerId;
    private boolean released;

    private DeployLock(DockerClient docker, String containerId) {
        this.docker = docker;
        this.containerId = containerId;
    }

    public record Holder(String who, Instant since, String purpose, String pid) {
        String describe(Instant now) {
            Duration age = Duration.between(since, now);
            return who + " (pid " + pid + ") since " + since + " (" + human(age) + " ago) for: " + purpose;
        }

        boolean stale(Instant now) {
            if (Duration.between(since, now).compareTo(STALE_AFTER) > 0) return true;
            // Same machine and the process is gone: certainly dead.
            return who.endsWith("@" + hostName()) && pid.matches("\\d+")
                    && ProcessHandle.of(Long.parseLong(pid)).isEmpty();
        }
    }

    public static String name(String app) {
        return app + "-bgdeploy-lock";
    }

    public static DeployLock acquire(DockerClient docker, String app, String purpose, Duration wait, PrintWriter out, Cancellation cancel) {
        String image = MarkerImage.ensure(docker);
        Instant deadline = Instant.now().plus(wait);
        boolean announced = false;
        while (true) {
            Map<String, String> labels = new LinkedHashMap<>(MarkerImage.labels());
            labels.put(Labels.ROLE, "lock");
            labels.put(Labels.APP, app);
            labels.put(Labels.DEPLOYED_BY, whoAmI());
            labels.put(Labels.DEPLOYED_AT, Instant.now().toString());
            labels.put(Labels.LOCK_PURPOSE, purpose);
            labels.put(Labels.LOCK_PID, String.valueOf(ProcessHandle.current().pid()));
            try {
                String id = docker.createContainerCmd(image).withName(name(app)).withLabels(labels)
                        .withCmd("/lock").exec().getId();
                return new DeployLock(docker, id);
            } catch (ConflictException held) {
                Optional<Holder> holder = holder(docker, app);
                if (holder.isEmpty()) continue; // released between our create and inspect: try again
                Instant now = Instant.now();
                if (now.isAfter(deadline)) {
                    Holder h = holder.get();
                    throw new DeployError(ExitCode.LOCKED, "app " + app + " is locked by " + h.describe(now)
                            + (h.stale(now) ? "; it looks stale: if that deploy is dead, run: deploy.java unlock --app " + app
                            : "; wait with --wait-lock DURATION, or if that deploy is dead run: deploy.java unlock --app " + app));
                }
                if (!announced) {
                    out.println("waiting for the deploy lock, held by " + holder.get().describe(now));
                    out.flush();
                    announced = true;
                }
                cancel.sleep(Duration.ofMillis(500));
            }
        }
    }

    public static Optional<Holder> holder(DockerClient docker, String app) {
        try {
            Map<String, String> l = docker.inspectContainerCmd(name(app)).exec().getConfig().getLabels();
            return Optional.of(new Holder(l.getOrDefault(Labels.DEPLOYED_BY, "?"),
                    Instant.parse(l.getOrDefault(Labels.DEPLOYED_AT, Instant.EPOCH.toString())),
                    l.getOrDefault(Labels.LOCK_PURPOSE, "?"), l.getOrDefault(Labels.LOCK_PID, "?")));
        } catch (NotFoundException e) {
            return Optional.empty();
        }
    }

    /** Breaks the lock on purpose (the user ran unlock). Returns who held it, if anyone. */
    public static Optional<Holder> breakLock(DockerClient docker, String app) {
        Optional<Holder> h = holder(docker, app);
        try {
            docker.removeContainerCmd(name(app)).withForce(true).exec();
        } catch (NotFoundException gone) {
            return Optional.empty();
        }
        return h;
    }

    @Override
    public synchronized void close() {
        if (released) return;
        try {
            docker.removeContainerCmd(containerId).withForce(true).exec();
        } catch (NotFoundException alreadyBroken) {
            // someone ran unlock while we held it; nothing left to release
        }
        released = true;
    }

    public static String whoAmI() {
        return System.getProperty("user.name", "unknown") + "@" + hostName();
    }

    static String hostName() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) return env;
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "unknown-host";
        }
    }

    static String human(Duration d) {
        long s = d.toSeconds();
        if (s < 120) return s + "s";
        if (s < 7200) return (s / 60) + "m";
        return (s / 3600) + "h";
    }
}
