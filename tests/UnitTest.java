import lib.base.Values;
import lib.base.DeployError;
import lib.base.Durations;
import lib.model.Colour;
import lib.model.ColourState;
import lib.model.ContainerInfo;
import lib.model.HostState;
import lib.base.Labels;
import lib.compose.Interpolator;
import lib.health.ProbeLoop;
import lib.base.ShellWords;
import lib.base.Home;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Fast tests of the pure logic: no Docker needed. */
class UnitTest {

    // --- colour decisions -----------------------------------------------------------------------

    static ContainerInfo container(String state, Instant deployedAt, String release) {
        return new ContainerInfo("id" + Math.random(), "x", "web", "app:" + release, "sha", state, null, deployedAt, deployedAt, null,
                Map.of(Labels.DEPLOYED_AT, deployedAt.toString(), Labels.RELEASE, release, Labels.APP, "shop"));
    }

    static HostState host(List<ContainerInfo> blue, List<ContainerInfo> green) {
        return new HostState("shop", new ColourState(Colour.BLUE, blue), new ColourState(Colour.GREEN, green));
    }

    final Instant t1 = Instant.parse("2026-01-01T10:00:00Z");
    final Instant t2 = Instant.parse("2026-01-01T11:00:00Z");

    @Test
    void nothingDeployedTargetsBlue() {
        HostState s = host(List.of(), List.of());
        assertEquals(HostState.Situation.NOTHING_DEPLOYED, s.situation());
        assertTrue(s.live().isEmpty());
        assertEquals(Colour.BLUE, s.target());
    }

    @Test
    void oneLiveColourTargetsTheOther() {
        HostState s = host(List.of(), List.of(container("running", t1, "v1")));
        assertEquals(Colour.GREEN, s.live().orElseThrow());
        assertEquals(Colour.BLUE, s.target());
    }

    @Test
    void bothRunningKeepsTheOlderUnlessItIsHalfStopped() {
        HostState s = host(List.of(container("running", t2, "v2")), List.of(container("running", t1, "v1")));
        assertEquals(HostState.Situation.BOTH_RUNNING, s.situation());
        assertEquals(Colour.GREEN, s.live().orElseThrow());
        assertEquals(Colour.BLUE, s.target());

        HostState retiring = host(List.of(container("running", t2, "v2")),
                List.of(container("running", t1, "v1"), container("exited", t1, "v1")));
        assertEquals(Colour.BLUE, retiring.live().orElseThrow(), "green was being retired, so blue had passed its gate");
    }

    @Test
    void noneRunningTargetsTheEmptyColourOrTheOlderStoppedOne() {
        assertEquals(Colour.GREEN, host(List.of(container("exited", t1, "v1")), List.of()).target());
        assertEquals(Colour.BLUE, host(List.of(container("exited", t1, "v1")), List.of(container("exited", t2, "v2"))).target());
        assertEquals(HostState.Situation.NONE_RUNNING, host(List.of(container("exited", t1, "v1")), List.of()).situation());
    }

    @Test
    void releaseFallsBackToTheImageTag() {
        var c = new ContainerInfo("id", "shop-blue_web_1", "web", "registry:5000/shop-app:0123456789", "sha", "running", null, t1, t1, null, Map.of());
        assertEquals("0123456789", new ColourState(Colour.BLUE, List.of(c)).release());
        var untagged = new ContainerInfo("id", "shop-blue_web_1", "web", "shop-app", "sha", "running", null, t1, t1, null, Map.of());
        assertEquals("latest", new ColourState(Colour.BLUE, List.of(untagged)).release());
    }

    // --- interpolation ----------------------------------------------------------------------------

    final Interpolator in = new Interpolator(Map.of("TAG", "v2", "EMPTY", ""), "f.yml");

    @Test
    void interpolatesLikeCompose() {
        assertEquals("app:v2", in.apply("app:${TAG}"));
        assertEquals("app:v2", in.apply("app:$TAG"));
        assertEquals("x", in.apply("${NOPE:-x}"));
        assertEquals("x", in.apply("${EMPTY:-x}"));
        assertEquals("", in.apply("${EMPTY-x}"));
        assertEquals("$5 and $TAG", in.apply("$$5 and $$TAG"));
        assertEquals("v2", in.apply("${TAG:?needed}"));
    }

    @Test
    void unsetVariableIsAnErrorNamingFileAndVariable() {
        DeployError e = assertThrows(DeployError.class, () -> in.apply("app:${NOPE}"));
        assertEquals("f.yml: variable NOPE is not set; set it in the environment or .env, or write ${NOPE:-default}", e.getMessage());
        e = assertThrows(DeployError.class, () -> in.apply("${NOPE:?pass --release}"));
        assertTrue(e.getMessage().endsWith("variable NOPE is required: pass --release"), e.getMessage());
        assertThrows(DeployError.class, () -> in.apply("cost: $"));
        assertThrows(DeployError.class, () -> in.apply("${TAG"));
    }

    // --- durations, shell words -------------------------------------------------------------------

    @Test
    void parsesGoDurations() {
        assertEquals(90_000_000_000L, Durations.parseNanos("1m30s", "x"));
        assertEquals(500_000_000L, Durations.parseNanos("500ms", "x"));
        assertEquals(10_000_000_000L, Durations.parseNanos("10", "x"));
        DeployError e = assertThrows(DeployError.class, () -> Durations.parseNanos("10 sec", "f.yml: stop_grace_period"));
        assertTrue(e.getMessage().startsWith("f.yml: stop_grace_period: \"10 sec\" is not a duration"), e.getMessage());
    }

    @Test
    void durationsAreExactAndBounded() {
        assertEquals(java.time.Duration.ofHours(24), Durations.parse("24h", Durations.MAX_TIMEOUT));
        assertEquals(java.time.Duration.ofMillis(1500), Durations.parse("1.5s", Durations.MAX_TIMEOUT));
        for (String tooLong : List.of("2562048h2562048h", "99999999999h", "24h1ns", "86401")) {
            var e = assertThrows(IllegalArgumentException.class, () -> Durations.parse(tooLong, Durations.MAX_TIMEOUT));
            assertTrue(e.getMessage().endsWith("is longer than 24h; write e.g. 30s, 2m, 1h"), e.getMessage());
        }
        for (String bad : List.of("", "-1s", "1d", "s", "1s ", "9999999999999h", "1.s")) {
            assertThrows(IllegalArgumentException.class, () -> Durations.parse(bad.equals("1s ") ? "1s x" : bad, Durations.MAX_TIMEOUT), bad);
        }
        DeployError e = assertThrows(DeployError.class, () -> Durations.parseNanos("2562048h2562048h", "f.yml: stop_grace_period"));
        assertTrue(e.getMessage().startsWith("f.yml: stop_grace_period: \"2562048h2562048h\" is longer than"), e.getMessage());
        for (String d : List.of("90s", "2m", "1h", "1500ms", "7ns", "0ms")) {
            assertEquals(Durations.parse(d, Durations.MAX_TIMEOUT), Durations.parse(Durations.describe(Durations.parse(d, Durations.MAX_TIMEOUT)), Durations.MAX_TIMEOUT), d);
        }
    }

    @Test
    void optionRulesSharedByTheCommandLineAndDeployYml() {
        assertEquals(65535, Values.port("65535"));
        assertThrows(IllegalArgumentException.class, () -> Values.port("99999999999"));
        assertThrows(IllegalArgumentException.class, () -> Values.count("0"));
        assertEquals(lib.model.Strategy.BLUE_GREEN, Values.choice(lib.model.Strategy.class, "blue-green"));
        assertThrows(IllegalArgumentException.class, () -> Values.choice(lib.model.Strategy.class, "BLUE_GREEN"));
        DeployError e = assertThrows(DeployError.class, () -> Values.fromFile(java.nio.file.Path.of("deploy.yml"), "front.port", "x", Values::port));
        assertEquals("deploy.yml: front.port: \"x\" is not a port; write a whole number", e.getMessage());
        assertEquals(3, e.exitCode());
        // A whole number out of range is out of range, however many digits: the message says the range, not "write a number".
        assertEquals("2000000000 is out of range; use 1-1000", assertThrows(IllegalArgumentException.class, () -> Values.count("2000000000")).getMessage());
        assertEquals("99999999999 is not a port; use 1-65535", assertThrows(IllegalArgumentException.class, () -> Values.port("99999999999")).getMessage());
        assertEquals("-99999999999 is not a port; use 1-65535", assertThrows(IllegalArgumentException.class, () -> Values.port("-99999999999")).getMessage());
        assertEquals(8080, Values.port(" 008080 "));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Values.count("9".repeat(100_000))).getMessage().length() < 300);
    }

    @Test
    void releaseIdsAreOneTo128PrintableAsciiCharactersWithoutSpaces() {
        for (String ok : List.of("v1", "0123456789", "1.2.3+build.7", "release/2024-01_rc~1", "x".repeat(128))) assertEquals(ok, Values.release(ok));
        for (String bad : List.of("", " ", "v1 x", "v1\nFORGED", "v1\t", "v1\u001b[31m", "caf\u00e9", "\u202ev1", "x".repeat(129), "x".repeat(100_000))) {
            var e = assertThrows(IllegalArgumentException.class, () -> Values.release(bad), bad);
            assertTrue(e.getMessage().contains("1-128 printable ASCII characters"), e.getMessage());
            assertTrue(e.getMessage().length() < 400 && e.getMessage().chars().noneMatch(Character::isISOControl), e.getMessage());
            assertFalse(Values.isRelease(bad));
        }
        // What the host says is printed without its control characters and bounded, whatever wrote it.
        assertEquals("v1?FORGED??", lib.base.Text.printable("v1\nFORGED\u001b\u202e"));
        assertEquals(lib.base.Text.LIMIT + 3, lib.base.Text.printable("x".repeat(100_000)).length());
        var out = new java.io.StringWriter();
        lib.cli.StatusView.history(new java.io.PrintWriter(out), List.of(new lib.host.ReleaseHistory.Entry("2026-01-01T00:00:00Z", "deploy",
                "v1\ngreen LIVE running release FORGED", "green", "v0\r\u001b[2J", "ok", 1000, "ci\n@x", "r\u0007", "n\u001b")));
        assertEquals(2, out.toString().lines().count(), out.toString());
        assertTrue(out.toString().chars().noneMatch(ch -> ch != '\n' && Character.isISOControl(ch)), out.toString());
    }

    @Test
    void sshHintsAreCommandsSshRunsWithThePortAsDashP() {
        var web1 = lib.docker.SshTunnel.Target.of(java.net.URI.create("ssh://root@web1:2222"));
        String failed = lib.docker.SshTunnel.explainLogin(web1, "kex_exchange_identification: read: Connection reset by peer\n");
        assertTrue(failed.contains("`ssh -p 2222 root@web1 docker version`") && failed.startsWith("ssh to root@web1:2222 failed"), failed);
        String unknownKey = lib.docker.SshTunnel.explainLogin(web1, "Host key verification failed.\n");
        assertTrue(unknownKey.contains("log in once with ssh -p 2222 root@web1 and answer yes"), unknownKey);
        var plain = lib.docker.SshTunnel.Target.of(java.net.URI.create("ssh://web1"));
        assertTrue(lib.docker.SshTunnel.explainLogin(plain, "boom\n").contains("`ssh web1 docker version`"));
        // A port out of range never gets as far as a hint.
        var e = assertThrows(IllegalArgumentException.class, () -> lib.docker.DockerHost.parseUrl("ssh://root@web1:99999"));
        assertTrue(e.getMessage().endsWith("has port 99999; use 1-65535"), e.getMessage());
    }

    @Test
    void homeAndDockerConfigFollowTheEnvironmentLikeTheDockerCli() {
        java.nio.file.Path userHome = java.nio.file.Path.of(System.getProperty("user.home"));
        assertEquals(java.nio.file.Path.of("/srv/ci"), Home.home(Map.of("HOME", "/srv/ci")));
        assertEquals(userHome, Home.home(Map.of()), "no HOME: the password database's home");
        assertEquals(userHome, Home.home(Map.of("HOME", " ")));
        assertEquals(java.nio.file.Path.of("/srv/ci/.docker"), Home.dockerConfigDir(Map.of("HOME", "/srv/ci")));
        assertEquals(java.nio.file.Path.of("/etc/dk"), Home.dockerConfigDir(Map.of("HOME", "/srv/ci", "DOCKER_CONFIG", "/etc/dk")));
        assertEquals(java.nio.file.Path.of("/srv/ci/.docker"), Home.dockerConfigDir(Map.of("HOME", "/srv/ci", "DOCKER_CONFIG", "")), "empty is unset, as for the docker CLI");
        assertEquals(userHome.resolve(".docker"), Home.dockerConfigDir(Map.of()));
    }

    @Test
    void splitsCommandsWithoutAShell() {
        assertEquals(List.of("sh", "-c", "echo 'hi there'; exit 1"), ShellWords.split("sh -c \"echo 'hi there'; exit 1\"", "x"));
        assertEquals(List.of("a b", "c"), ShellWords.split("'a b' c", "x"));
        assertEquals(List.of("$(rm -rf /)"), ShellWords.split("'$(rm -rf /)'", "x"));
        assertThrows(DeployError.class, () -> ShellWords.split("echo 'oops", "x"));
    }

    @Test
    void stopSignalMaskReadsLikePs() {
        assertEquals(15, lib.host.StopSignals.number("SIGTERM"));
        assertEquals(3, lib.host.StopSignals.number("quit"));
        assertEquals(-1, lib.host.StopSignals.number("SIGNOPE"));
        assertTrue(lib.host.StopSignals.catches("0000000000004000", 15), "bit 14 is SIGTERM");
        assertFalse(lib.host.StopSignals.catches("0000000000000004", 15), "only SIGQUIT caught");
        assertTrue(lib.host.StopSignals.catches("0000000000000004", 3));
        assertTrue(lib.host.StopSignals.catches("-", 15), "unreadable is unknown, never a warning");
    }

    @Test
    void aProbePathIsAUrlPathAndQueryOrAnErrorSayingHowToWriteIt() {
        for (String ok : new String[]{"/", "/health", "/health.txt?full=1&x=%20y", "/a/b;v=1/~me/!$'()*+,:@-._"}) {
            assertEquals(ok, Values.probePath(ok));
        }
        for (String bad : new String[]{"/a b", "health", "", "/a#top", "/a\tb", "/a\u007fb", "/%zz", "/a\"b", "/<x>", "/\u00e9"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> Values.probePath(bad), bad);
            assertTrue(e.getMessage().contains("is not a URL path; write e.g. /health"), e.getMessage());
        }
        // What passes is what both probes can send: LocalProbe builds a URI from it, HostProbe hands it to wget or curl.
        assertEquals("/a%20b", java.net.URI.create("http://h:1" + Values.probePath("/a%20b?q=1")).getRawPath());
    }

    /** docker top's rows with StopSignals.PS: pid, ppid, caught, ignored, comm. */
    static List<String[]> ps(String... rows) {
        return java.util.Arrays.stream(rows).map(r -> r.trim().split("\\s+", 5)).toList();
    }

    @Test
    void anInitThatForwardsSignalsIsJudgedByTheProcessItRuns() {
        // init: true on the fixture app, as this host's ps lists it: tini waits for signals without a handler.
        var fixture = ps("3119 3097 0000000000000000 0000000000300000 docker-init",
                "3193 3119 0000000000014002 0000000000000004 sh",
                "3195 3193 0000000000000001 0000000000010006 httpd");
        assertEquals(java.util.Optional.empty(), lib.host.StopSignals.ignorer(fixture, 3119, 15));
        // Under an init, a child that neither catches nor ignores SIGTERM dies of it (PID 1 alone is spared the default).
        var httpd = ps("10 1 0000000000000000 0000000000000000 docker-init", "11 10 0000000000000001 0000000000000000 httpd");
        assertEquals(java.util.Optional.empty(), lib.host.StopSignals.ignorer(httpd, 10, 15));
        var ignoring = ps("10 1 0000000000000000 0000000000000000 tini", "11 10 0000000000000000 0000000000004000 node",
                "40 10 0000000000000000 0000000000004000 orphan");
        assertEquals(java.util.Optional.of(new lib.host.StopSignals.Ignorer("node", "tini")), lib.host.StopSignals.ignorer(ignoring, 10, 15));
        // SIGWINCH's default is to ignore it: a child must catch it.
        assertEquals(java.util.Optional.of(new lib.host.StopSignals.Ignorer("httpd", "dumb-init")), lib.host.StopSignals.ignorer(
                ps("10 1 0000000000000000 0000000000000000 dumb-init", "11 10 0000000000000001 0000000000000000 httpd"), 10, 28));
        assertEquals(java.util.Optional.empty(), lib.host.StopSignals.ignorer(ps("10 1 0 0 docker-init"), 10, 15), "no child: unknown");
    }

    @Test
    void pidOneMustCatchItsStopSignal() {
        var shell = ps("20 1 0000000000000000 0000000000000000 sh", "21 20 0000000000004000 0000000000000000 nginx");
        assertEquals(java.util.Optional.of(new lib.host.StopSignals.Ignorer("sh", null)), lib.host.StopSignals.ignorer(shell, 20, 15));
        assertEquals(java.util.Optional.empty(), lib.host.StopSignals.ignorer(ps("20 1 0000000000004000 0 nginx"), 20, 15));
        assertEquals(java.util.Optional.empty(), lib.host.StopSignals.ignorer(ps("20 1 - - sh"), 20, 15), "unreadable: no warning");
        assertEquals(java.util.Optional.empty(), lib.host.StopSignals.ignorer(shell, 99, 15), "PID 1 not listed: unknown");
        assertEquals(java.util.Optional.empty(), lib.host.StopSignals.ignorer(ps("20 1 0000000000000000"), 20, 15), "short row");
    }

    // --- the probe loop (run by a real sh here, with stand-ins for wget and curl) ------------------------------

    static List<ProbeLoop.Answer> loop(int tries, int successes, boolean curl, String... get) throws Exception {
        List<String> cmd = ProbeLoop.command(java.time.Duration.ofMillis(20L * (tries - 1)), successes, curl, List.of(get));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertTrue(p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS), "the loop ends by itself");
        return new String(p.getInputStream().readAllBytes()).lines().map(l -> ProbeLoop.parse(l, curl)).toList();
    }

    @Test
    void theProbeLoopStopsAtTheSuccessesItNeedsOrWhenItsTriesRunOut() throws Exception {
        var ok = loop(50, 3, false, "true");
        assertEquals(3, ok.size(), "stops after 3 successes: " + ok);
        assertTrue(ok.stream().allMatch(ProbeLoop.Answer::good));

        var refused = loop(5, 3, false, "sh", "-c", "echo 'wget: can'\\''t connect to remote host: Connection refused'; exit 1");
        assertEquals(5, refused.size(), "gives up after its tries: " + refused);
        assertEquals("wget: can't connect to remote host: Connection refused", refused.get(0).said());
        assertFalse(refused.get(0).good());

        var curl500 = loop(3, 1, true, "echo", "500");
        assertEquals(new ProbeLoop.Answer(false, "it answered 500"), curl500.get(0));
        assertEquals(List.of(new ProbeLoop.Answer(true, "204")), loop(3, 1, true, "echo", "204"));

        // Output with glob characters and several lines comes back as one line, unexpanded.
        var odd = loop(1, 1, false, "sh", "-c", "printf '* a\\n  b\\n'; exit 8");
        assertEquals(new ProbeLoop.Answer(false, "* a b"), odd.get(0));
        assertEquals(null, ProbeLoop.parse("some other line", false));
    }

    /** Every container name is <app>-<colour>-<service>-1: the app name must leave room for it and read one way. */
    @Test
    void appNamesLeaveRoomForContainerNamesAndCannotBeReadAsAnotherApps() {
        String longest = "a".repeat(53);
        assertEquals(longest, Values.app(longest));
        String tooLong = assertThrows(IllegalArgumentException.class, () -> Values.app(longest + "b")).getMessage();
        assertTrue(tooLong.contains("is 54 characters; an app name is at most 53") && tooLong.contains("63-character"), tooLong);
        for (String ok : List.of("blue-shop", "green", "shop-bluebird", "shopgreen", "bluegreen-x")) assertEquals(ok, Values.app(ok));
        for (String bad : List.of("shop-blue", "shop-green", "shop-blue-x", "shop_green", "a-green_b")) {
            String e = assertThrows(IllegalArgumentException.class, () -> Values.app(bad), bad).getMessage();
            assertTrue(e.contains("-blue or -green") && e.contains("shop-blue-green-web-1"), e);
        }
    }
}
