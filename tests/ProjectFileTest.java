import lib.base.DeployError;
import lib.base.ExitCode;
import lib.options.HostOptions;
import lib.options.ProjectOptions;
import lib.project.Hooks;
import lib.project.ProjectFile;
import lib.release.RegistryClient;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** deploy.yml, its hooks, and image names: no Docker. */
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
    void aHostIsCheckedOnLoadByTheRuleOfHost() {
        String f = dir.resolve("deploy.yml") + ": ";
        String[][] cases = {
                {"{prod: {host: \"ftp://x\"}}", "environments.prod.host: \"ftp://x\" uses ftp://, which is not a Docker host scheme"},
                {"{prod: {host: \"tcp://web1:2376/v1\"}}", "environments.prod.host: \"tcp://web1:2376/v1\" has a path or query"},
                {"{prod: {host: \"tcp://127.0.0.1:99999\"}}", "environments.prod.host: \"tcp://127.0.0.1:99999\" has port 99999; use 1-65535"},
                {"{prod: {hosts: [{host: \"tcp://127.0.0.1:65536\"}]}}", "environments.prod.hosts[0].host: \"tcp://127.0.0.1:65536\" has port 65536; use 1-65535"},
                {"{prod: {hosts: [\"ssh://root@web1\", \"unix:///\"]}}", "environments.prod.hosts[1].host: \"unix:///\" names no socket"},
        };
        for (String[] c : cases) {
            DeployError e = assertThrows(DeployError.class, () -> load("environments: " + c[0]), c[0]);
            assertEquals(ExitCode.CONFIG, e.exitCode(), e.getMessage());
            assertTrue(e.getMessage().startsWith(f + c[1]), e.getMessage());
        }
        String secret = error("environments: {prod: {host: \"ftp://deploy:s3cret@web1\"}}");
        assertTrue(!secret.contains("s3cret") && !secret.contains("\n"), secret);
        String token = error("environments: {prod: {hosts: [\"tcp://T0KEN9@[::1\"]}}");
        assertTrue(!token.contains("T0KEN9") && token.contains("environments.prod.hosts[0].host: \"tcp://***@[::1\" is not a URL"), token);
    }

    @Test
    void everyValueIsTypeCheckedWithTheKeyPathAndTheFix() {
        String f = dir.resolve("deploy.yml") + ": ";
        assertEquals(f + "front.port: \"abc\" is not a port; write a whole number", error("front: {port: abc}"));
        assertEquals(f + "front.target_port: 70000 is not a port; use 1-65535", error("front: {target_port: 70000}"));
        assertEquals(f + "health.successes: \"many\" is not a count; write a whole number", error("health: {successes: many}"));
        assertTrue(error("health: {successes: 0}").startsWith(f + "health.successes: 0 is out of range; use 1-1000"));
        assertTrue(error("health: {timeout: 2562048h2562048h}").startsWith(f + "health.timeout: \"2562048h2562048h\" is longer than 24h"));
        assertTrue(error("health: {timeout: soon}").startsWith(f + "health.timeout: \"soon\" is not a duration"));
        assertTrue(error("health: {probe: \"/a b\"}").startsWith(f + "health.probe: \"/a b\" is not a URL path"));
        assertEquals(f + "hooks.pre-deploy[0]: is an empty command; write a program and its arguments, e.g. [bin/migrate, --check] or \"bin/migrate --check\"",
                error("hooks: {pre-deploy: [[]]}"));
        assertTrue(error("hooks: {pre-deploy: \"\"}").startsWith(f + "hooks.pre-deploy[0]: is an empty command"));
        assertTrue(error("hooks: {post-deploy: [\"\"]}").startsWith(f + "hooks.post-deploy[0]: is an empty command"));
        assertTrue(error("hooks: {pre-deploy: [[echo, {a: b}]]}").startsWith(f + "hooks.pre-deploy[0]: must be a single value, got a mapping"));
        assertTrue(error("hooks: {env: SECRET}").startsWith(f + "hooks.env: must be a list of variable names"));
        assertTrue(error("health: []").startsWith(f + "health: must be a mapping (key: value), got a list"));
        assertTrue(error("environments: {prod: x}").startsWith(f + "environments.prod: must be a mapping"));
        assertTrue(error("environments: {1: {host: \"unix:///x\"}}").startsWith(f + "environments: key 1 must be a name"));
        assertTrue(error("environments: {prod: {host: \"web1:2376\"}}").startsWith(f + "environments.prod.host: \"web1:2376\" uses web1://, which is not a Docker host scheme"));
        assertTrue(error("environments: {prod: {host: \"tcp://x:2376\", tls_verify: \"\"}}").startsWith(f + "environments.prod.tls_verify: must be true or false"));
        assertTrue(error("front: {kind: active}").startsWith(f + "front.kind: \"active\" is not one of managed, passive"));
        assertTrue(error("app: Shop").startsWith(f + "app: \"Shop\" is not a valid app name"));
        assertTrue(error("app: [shop]").startsWith(f + "app: must be a single value, got a list"));
    }

    @Test
    void tlsVerifyReadsLikeDockerTlsVerify() throws Exception {
        for (String on : List.of("true", "1", "\"yes\"", "\"on\"", "\"TRUE\"", "\"anything\"")) {
            assertEquals(true, load("environments: {p: {host: \"tcp://x:2376\", tls_verify: " + on + "}}").environment("p", null).tlsVerify(), on);
        }
        for (String off : List.of("false", "0", "\"no\"", "\"off\"", "\"False\"")) {
            assertEquals(false, load("environments: {p: {host: \"tcp://x:2376\", tls_verify: " + off + "}}").environment("p", null).tlsVerify(), off);
        }
        assertNull(load("environments: {p: {host: \"tcp://x:2376\"}}").environment("p", null).tlsVerify(), "unset: DOCKER_TLS_VERIFY decides");
    }

    @Test
    void anEnvironmentWithoutAHostIsAnErrorNotTheLocalSocket() throws Exception {
        assumeTrue(System.getenv("DOCKER_HOST") == null || System.getenv("DOCKER_HOST").isBlank(), "DOCKER_HOST would choose the host");
        Files.writeString(dir.resolve("deploy.yml"), "app: inhostless\nenvironments:\n  production: {branch: production}\n");
        var options = new ProjectOptions();
        options.project = dir.resolve("deploy.yml");
        options.env = "production";
        var e = assertThrows(DeployError.class, () -> options.applyTo(new HostOptions(), false));
        assertEquals(dir.resolve("deploy.yml") + ": environments.production has no host, so it would deploy to whatever this machine reaches"
                + " by default; set host: (unix:///var/run/docker.sock for this machine), or pass --host or DOCKER_HOST", e.getMessage());
        var target = new HostOptions();
        target.host = "unix:///var/run/docker.sock";
        options.applyTo(target, true);
        assertEquals("inhostless", target.app, "--host given: the environment's missing host does not matter");

        var r = TestApp.run("--project", dir.resolve("deploy.yml").toString(), "--env", "production", "--release", "v1");
        assertEquals(ExitCode.CONFIG, r.code(), r.toString());
        assertEquals(1, r.err().lines().count(), r.toString());
    }

    @Test
    void hooksSeeDeployVariablesAndNamedOnesButNotTheDeployingProcesssEnvironment() throws Exception {
        Map<String, String> inherited = System.getenv();
        List<String> others = inherited.keySet().stream().filter(k -> !List.of("PATH", "HOME", "LANG").contains(k)).sorted().toList();
        assertTrue(others.size() >= 2, "the test needs variables of this process to stand for secrets: " + inherited.keySet());
        String named = others.get(0);
        var out = new StringWriter();
        var hooks = new Hooks(Map.of("pre-deploy", List.of(List.of("printenv"))), List.of(named), dir, new PrintWriter(out, true));
        assertNull(hooks.run("pre-deploy", Map.of("DEPLOY_RELEASE", "v7")));
        List<String> seen = out.toString().lines().filter(l -> l.startsWith("  | ")).map(l -> l.substring(4).split("=", 2)[0]).toList();
        assertTrue(seen.contains("DEPLOY_RELEASE") && seen.contains("PATH"), out.toString());
        assertTrue(seen.contains(named), "hooks.env passes " + named + ": " + out);
        var expected = new java.util.TreeSet<>(List.of("DEPLOY_RELEASE", named));
        List.of("PATH", "HOME", "LANG").stream().filter(inherited::containsKey).forEach(expected::add);
        assertEquals(expected, new java.util.TreeSet<>(seen), "exactly these reach the hook; not " + others.subList(1, others.size()));
    }

    @Test
    void hooksEnvIsReadFromTheProjectFile() throws Exception {
        var f = load("hooks:\n  env: [DATABASE_URL, RAILS_ENV]\n  pre-deploy: [[bin/migrate]]\n  post-deploy: []\n");
        assertEquals(List.of("DATABASE_URL", "RAILS_ENV"), f.hookEnv());
        assertEquals(List.of(), f.hooks().get("post-deploy"));
        assertTrue(error("hooks:\n  env: [\"A-B\"]\n").contains("hooks.env: \"A-B\" is not a variable name"));
    }

    @Test
    void theExampleProjectFileLoads() {
        var f = ProjectFile.load(TestHost.root().resolve("compose/deploy.yml"));
        assertEquals(List.of("RAILS_ENV"), f.hookEnv());
        assertEquals(true, f.environment("production", null).tlsVerify());
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

    @Test
    void anOversizedProjectFileIsRefusedBeforeParsing() throws Exception {
        Path f = dir.resolve("deploy.yml");
        Files.writeString(f, "app: shop\n" + "# padding\n".repeat(300_000));
        DeployError e = assertThrows(DeployError.class, () -> ProjectFile.load(f));
        assertEquals(ExitCode.CONFIG, e.exitCode());
        assertTrue(e.getMessage().startsWith(f + ": is " + Files.size(f) + " bytes, over the limit of 1048576 (1 MiB)"), e.getMessage());
    }

    @Test
    void theAppNameInDeployYmlFollowsTheRuleOfApp() throws Exception {
        Path f = dir.resolve("deploy.yml");
        Files.writeString(f, "app: shop-blue\n");
        DeployError e = assertThrows(DeployError.class, () -> ProjectFile.load(f));
        assertTrue(e.getMessage().startsWith(f + ": app: \"shop-blue\" has a -blue or -green segment"), e.getMessage());
        Files.writeString(f, "app: " + "a".repeat(54) + "\n");
        assertTrue(assertThrows(DeployError.class, () -> ProjectFile.load(f)).getMessage().contains("at most 53"));
    }

    @Test
    void aSwarmEnvironmentNamesItsManagersFrontsAndReplicas() throws Exception {
        assumeTrue(System.getenv("DOCKER_HOST") == null || System.getenv("DOCKER_HOST").isBlank(), "DOCKER_HOST would choose the manager");
        var f = load("""
                app: shop
                environments:
                  staging: {host: "unix:///var/run/docker.sock"}
                  production:
                    branch: production
                    engine: swarm
                    managers:
                      - host: ssh://deploy@mgr1.example.com
                      - host: tcp://mgr2.example.com:2376
                        tls_verify: true
                        cert_path: /etc/mgr2
                    fronts:
                      - ssh://deploy@web1.example.com
                      - host: ssh://deploy@web2.example.com
                    replicas: 4
                """);
        var e = f.environment("production", null);
        assertTrue(e.isSwarm());
        assertEquals("swarm", e.engine());
        assertNull(e.host());
        assertEquals(List.of(), e.hosts());
        assertEquals(List.of(new ProjectFile.HostRef("ssh://deploy@mgr1.example.com", null, null), new ProjectFile.HostRef("tcp://mgr2.example.com:2376", true, "/etc/mgr2")),
                e.managers());
        assertEquals(List.of("ssh://deploy@web1.example.com", "ssh://deploy@web2.example.com"), e.fronts().stream().map(ProjectFile.HostRef::host).toList());
        assertEquals(4, e.replicas());
        var staging = f.environment("staging", null);
        assertEquals("docker", staging.engine());
        assertTrue(!staging.isSwarm() && staging.managers().isEmpty() && staging.fronts().isEmpty());

        var options = new ProjectOptions();
        options.project = dir.resolve("deploy.yml");
        options.env = "production";
        var target = new HostOptions();
        options.applyTo(target, false);
        assertNull(target.host, "a Swarm environment has no host of its own");
        var swarm = options.swarm(target, false).orElseThrow();
        assertEquals(List.of("ssh://deploy@mgr1.example.com", "tcp://mgr2.example.com:2376"), swarm.managers().stream().map(lib.docker.HostAddress::url).toList());
        assertEquals(dir.resolve("deploy.yml") + ": environments.production.managers[1]", swarm.managers().get(1).source());
        assertEquals(true, swarm.managers().get(1).tlsVerify());
        assertEquals(2, swarm.fronts().size());
        assertEquals(4, swarm.replicas());
        DeployError noSwarmPath = assertThrows(DeployError.class, () -> options.hosts(target, false));
        assertTrue(noSwarmPath.getMessage().contains("environments.production runs on Docker Swarm (engine: swarm), which this command does not support"), noSwarmPath.getMessage());
        target.host = "tcp://10.0.0.9:2376";
        assertEquals(List.of("tcp://10.0.0.9:2376"), options.swarm(target, true).orElseThrow().managers().stream().map(lib.docker.HostAddress::url).toList(),
                "--host names the one manager to use");
        assertEquals(1, load("environments: {p: {engine: swarm, managers: [\"unix:///x\"], fronts: [\"unix:///y\"]}}").environment("p", null).replicas(),
                "replicas default to 1");
        options.env = "staging";
        assertTrue(options.swarm(new HostOptions(), false).isEmpty());
    }

    @Test
    void aSwarmEnvironmentIsCheckedOnLoadWithTheKeyPath() {
        String f = dir.resolve("deploy.yml") + ": ";
        String ok = "managers: [\"tcp://m1:2376\"], fronts: [\"ssh://w1\"]";
        String[][] cases = {
                {"{p: {engine: kubernetes}}", "environments.p.engine: \"kubernetes\" is not an engine; write docker"},
                {"{p: {engine: swarm, host: \"tcp://m1:2376\", " + ok + "}}", "environments.p.host: does not apply with engine: swarm; list the managers under managers:"},
                {"{p: {engine: swarm, hosts: [\"tcp://m1:2376\"], " + ok + "}}", "environments.p.hosts: does not apply with engine: swarm"},
                {"{p: {engine: swarm, tls_verify: true, " + ok + "}}", "environments.p.tls_verify: does not apply with engine: swarm"},
                {"{p: {engine: swarm, fronts: [\"ssh://w1\"]}}", "environments.p: has engine: swarm but no managers:"},
                {"{p: {engine: swarm, managers: [\"tcp://m1:2376\"]}}", "environments.p: has engine: swarm but no fronts:"},
                {"{p: {engine: swarm, managers: [], fronts: [\"ssh://w1\"]}}", "environments.p.managers: must be a list of Swarm managers"},
                {"{p: {engine: swarm, managers: \"tcp://m1:2376\", fronts: [\"ssh://w1\"]}}", "environments.p.managers: must be a list of Swarm managers"},
                {"{p: {engine: swarm, managers: [\"tcp://m1:2376\", \"tcp://m1:2376\"], fronts: [\"ssh://w1\"]}}", "environments.p.managers: names a host twice"},
                {"{p: {engine: swarm, managers: [{host: \"ftp://m1\"}], fronts: [\"ssh://w1\"]}}", "environments.p.managers[0].host: \"ftp://m1\" uses ftp://"},
                {"{p: {engine: swarm, managers: [{tls_verify: true}], fronts: [\"ssh://w1\"]}}", "environments.p.managers[0]: has no host:"},
                {"{p: {engine: swarm, managers: [{host: \"tcp://m1\", port: 1}], fronts: [\"ssh://w1\"]}}", "unsupported key \"environments.p.managers[0].port\""},
                {"{p: {engine: swarm, " + ok.replace("ssh://w1", "unix:///") + "}}", "environments.p.fronts[0].host: \"unix:///\" names no socket"},
                {"{p: {engine: swarm, replicas: 0, " + ok + "}}", "environments.p.replicas: 0 is out of range"},
                {"{p: {engine: swarm, replicas: many, " + ok + "}}", "environments.p.replicas: \"many\" is not a count"},
                {"{p: {host: \"tcp://m1:2376\", replicas: 2}}", "environments.p.replicas: is for a Docker Swarm; add engine: swarm"},
                {"{p: {host: \"tcp://m1:2376\", managers: [\"tcp://m1:2376\"]}}", "environments.p.managers: is for a Docker Swarm"},
                {"{p: {engine: docker, fronts: [\"ssh://w1\"]}}", "environments.p.fronts: is for a Docker Swarm"},
        };
        for (String[] c : cases) {
            DeployError e = assertThrows(DeployError.class, () -> load("environments: " + c[0]), c[0]);
            assertEquals(ExitCode.CONFIG, e.exitCode(), e.getMessage());
            assertTrue(e.getMessage().startsWith(f + c[1]), c[0] + " -> " + e.getMessage());
            assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        }
    }
}
