package lib.docker;

import lib.base.Text;
import lib.base.Cancellation;
import lib.base.DeployError;
import lib.base.ExitCode;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.DockerClientException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.PullResponseItem;

import java.io.PrintWriter;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Pulls a colour's images before anything is stopped or started. On a terminal one status line is redrawn in place;
 * otherwise (CI, cron) only a line per finished layer, so logs stay readable. Credentials come from RegistryAuth,
 * as for tag.java and build.jsh: docker-java alone knows only "auths" and would pull anonymously from a registry
 * behind a credential helper. They are never printed.
 */
public final class ImagePuller {
    public enum Policy { ALWAYS, MISSING, NEVER;
        public static Policy parse(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw DeployError.config("--pull \"" + s + "\" is not one of always, missing, never");
            }
        }
    }

    private final DockerClient docker;
    private final PrintWriter out;
    private final boolean tty;
    private final Map<String, String> env;

    /** env decides where registry credentials come from (RegistryAuth). */
    public ImagePuller(DockerClient docker, PrintWriter out, boolean tty, Map<String, String> env) {
        this.docker = docker;
        this.out = out;
        this.tty = tty;
        this.env = env;
    }

    public void pull(Collection<String> images, Policy policy, Cancellation cancel) {
        for (String image : images) {
            cancel.check();
            boolean present = present(image);
            if (policy == Policy.NEVER || policy == Policy.MISSING && present) {
                if (!present) throw DeployError.failed("image " + image + " is not on the host and --pull=never");
                out.println("  image " + image + " is present");
                continue;
            }
            // The daemon can end a pull's stream with an error item instead of an exception (a layer it failed to
            // register, a registry that dropped the connection): judged by the image being there, tried once more.
            String failed = pullOne(image, cancel);
            if (failed != null || !present(image)) {
                out.println("  the pull of " + image + " did not leave it on the host" + (failed == null ? "" : " (" + failed + ")") + ": pulling it again");
                failed = pullOne(image, cancel);
                if (failed != null || !present(image)) {
                    throw DeployError.failed("cannot pull " + image + ": " + (failed == null ? "the daemon reported the pull done, but the image is not on the host" : failed)
                            + " (check the registry and the Docker host's disk)");
                }
            }
        }
        out.flush();
    }

    private boolean present(String image) {
        try {
            docker.inspectImageCmd(image).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    /** Pulls once; returns the error the daemon's stream ended with, or null. */
    private String pullOne(String image, Cancellation cancel) {
        out.println("  pulling " + image);
        out.flush();
        Map<String, String> layers = new LinkedHashMap<>();
        String[] error = {null};
        try {
            var pull = docker.pullImageCmd(image).withAuthConfig(RegistryAuth.authConfig(RegistryAuth.registryOf(image), env)).exec(new StreamCallback<PullResponseItem>() {
                @Override
                public void onNext(PullResponseItem item) {
                    if (item.getErrorDetail() != null || item.getError() != null) {
                        error[0] = Text.oneLine(item.getErrorDetail() != null && item.getErrorDetail().getMessage() != null
                                ? item.getErrorDetail().getMessage() : item.getError());
                    }
                    progress(item, layers);
                }
            });
            // Polled, so Ctrl-C is honoured within a fraction of a second even while a layer downloads.
            while (!pull.awaitEnd(java.time.Duration.ofMillis(200))) {
                if (cancel.cancelled()) {
                    pull.close();
                    throw new DeployError(ExitCode.INTERRUPTED, "interrupted while pulling " + image);
                }
            }
        } catch (InterruptedException | java.io.IOException e) {
            throw new DeployError(ExitCode.INTERRUPTED, "interrupted while pulling " + image);
        } catch (NotFoundException | DockerClientException e) {
            throw DeployError.failed("cannot pull " + image + ": " + Text.oneLine(e.getMessage())
                    + " (check the image name and tag, the registry, and docker login)");
        } catch (RuntimeException e) {
            throw DeployError.failed("cannot pull " + image + ": " + DockerHost.rootMessage(e)
                    + " (is the registry reachable from the Docker host?)");
        }
        if (tty) out.print("\r\033[K");
        if (error[0] != null) return error[0];
        out.println("  pulled " + image);
        return null;
    }

    private void progress(PullResponseItem item, Map<String, String> layers) {
        if (item.getId() == null || item.getStatus() == null) return;
        layers.put(item.getId(), item.getStatus());
        if (tty) {
            long done = layers.values().stream().filter(s -> s.startsWith("Pull complete") || s.startsWith("Already exists")).count();
            out.print("\r\033[K    " + done + "/" + layers.size() + " layers  " + item.getId() + ": " + item.getStatus()
                    + (item.getProgressDetail() != null && item.getProgressDetail().getTotal() != null && item.getProgressDetail().getTotal() > 0
                    ? " " + (100 * item.getProgressDetail().getCurrent() / item.getProgressDetail().getTotal()) + "%" : ""));
            out.flush();
        } else if (item.getStatus().startsWith("Pull complete") || item.getStatus().startsWith("Already exists")) {
            out.println("    " + item.getId() + ": " + item.getStatus());
        }
    }
}
