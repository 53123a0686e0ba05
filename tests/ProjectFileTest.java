import lib.DeployError;
import lib.ProjectFile;
import lib.RegistryClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** deploy.yml and image names: pure parsing, no Docker. */
class ProjectFileTest {
    final Path dir;

    ProjectFileTest() throws Exception {
        dir = Files.createTempDirectory("project-test");
    }

    @AfterEach
    void clean() {
        ExampleImages.deleteTree(dir);
    }

    ProjectFile load(String yaml) throws Exception {
        Files.writeString(dir.resolve("deploy.yml"), yaml);
        return ProjectFile.load(dir.resolve("deploy.yml"));
    }

    String error(String yaml) {
        return assertThrows(DeployError.class, () -> load(yaml)).getMessage();
    }

    @Test
    void readsEnvironmentsHooksAndPicksByBranch() throws Exception {
        var f = load("""
                app: shop
                environments:
                  staging: {host: "unix:///var/run/docker.sock", branch: master}
                  production: {host: "tcp://web1:2376", tls_verify: true, cert_path: /etc/certs, branch: production}
                hooks:
                  pre-deploy:
                    - bin/migrate --check "dry run"
                    - [echo, "$DEPLOY_RELEASE"]
                """);
        assertEquals("staging", f.environment(null, "master").name());
        assertEquals(true, f.environment("production", null).tlsVerify());
        assertNull(f.environment(null, null));
        assertEquals(List.of(List.of("bin/migrate", "--check", "dry run"), List.of("echo", "$DEPLOY_RELEASE")), f.hooks().get("pre-deploy"));
        assertTrue(assertThrows(DeployError.class, () -> f.environment("qa", null)).getMessage().contains("no environment \"qa\"; defined: staging, production"));
    }

    @Test
    void unknownKeysAndPlainSecretsAreErrors() {
        assertTrue(error("app: shop\nregion: eu\n").contains("unsupported key \"region\""));
        assertTrue(error("environments:\n  staging: {hostname: x}\n").contains("unsupported key \"environments.staging.hostname\""));
        assertTrue(error("hooks:\n  pre-build: [true]\n").contains("unsupported hook \"pre-build\""));
        assertTrue(error("notify:\n  webhook: {url_env: A, url_file: /b}\n").contains("needs exactly one of url_env or url_file"));
        String secret = error("notify:\n  webhook:\n    url: https://example.invalid/hook?token=s3cret\n");
        assertTrue(secret.contains("would put a secret in the file") && !secret.contains("s3cret"), secret);
    }

    @Test
    void imageNamesMustNameTheirRegistryAndNoTag() {
        assertEquals(new RegistryClient.ImageRef("127.0.0.1:5000", "shop-app"), RegistryClient.ImageRef.parse("127.0.0.1:5000/shop-app"));
        assertEquals(new RegistryClient.ImageRef("registry.example.com", "team/shop"), RegistryClient.ImageRef.parse("registry.example.com/team/shop"));
        assertThrows(DeployError.class, () -> RegistryClient.ImageRef.parse("shop-app"));
        assertThrows(DeployError.class, () -> RegistryClient.ImageRef.parse("team/shop"));
        assertThrows(DeployError.class, () -> RegistryClient.ImageRef.parse("127.0.0.1:5000/shop-app:latest"));
    }

    @Test
    void rollbackMatchesReleasesByPrefixLikeGit() {
        assertTrue(rollback.sameRelease("0123456789", "0123456"));
        assertTrue(rollback.sameRelease("0123456", "0123456789"));
        assertTrue(!rollback.sameRelease("012345", "0123456789"), "6 characters are too few to name a commit");
        assertTrue(!rollback.sameRelease("v1", "v10"));
    }
}
