package lib.docker;

import java.io.PrintWriter;

/**
 * Where a Docker host is and how to reach it, as the command line, DOCKER_HOST or deploy.yml said: the URL (null for
 * the environment's default), where it came from (for error messages), and its TLS settings.
 *
 * @param tlsVerify null when nothing but DOCKER_TLS_VERIFY decides
 */
public record HostAddress(String url, String source, Boolean tlsVerify, String certPath, boolean insecure) {
    public DockerHost connect(PrintWriter err) {
        return DockerHost.connect(url, source, tlsVerify, certPath, insecure, err);
    }
}
