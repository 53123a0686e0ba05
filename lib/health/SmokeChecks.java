package lib.health;

import lib.base.DeployError;
import lib.base.Labels;
import lib.base.Text;
import lib.docker.DockerHost;
import lib.model.ColourState;
import lib.model.SmokeCheck;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * deploy.yml's health.checks run against one colour, where its probe runs: on the Docker host's side (the default),
 * as an exec in the container the probe would reach, or from this machine (--probe-from local). The container and
 * port are the probe's (a published port, or behind the managed front the unpublished one).
 *
 * <p>A check must see the status, headers and body of one answer without following a redirect. curl -i does that;
 * busybox wget cannot (it always follows, and shows nothing of a 4xx but its status), so without curl the request
 * is written by the container's shell to nc, as raw HTTP/1.0 (no chunked body to decode); wget is the last resort,
 * judged on the first answer it shows. An image with none of them (a FROM-scratch nginx) is checked from a sibling
 * container of its Compose project over their network, as the probe is.
 *
 * <p>The runner is found once; every later {@link #firstFailure} is one exec per check and prints nothing, so a
 * caller may repeat it every second.
 */
public final class SmokeChecks {
    /** What the exec may add to a check's own timeout: the exec's four API calls. */
    static final Duration EXEC_MARGIN = Duration.ofSeconds(3);
    /** The answer's head beside its body: more than this is not an answer to read. */
    static final int READ_LIMIT = SmokeCheck.BODY_LIMIT + 64 * 1024;
    private static final String USER_AGENT = "bgdeploy-check";

    /**
     * $1 address, $2 port, $3 path, $4 Host header, $5 seconds the answer may take. Values come as arguments, never
     * spliced into the script; the path and host were checked on load (no spaces or CR/LF). The request goes through
     * a fifo held open until nc ends: nc closing its side at the end of the request would read as the client giving
     * up to an nginx that proxies the page, which then drops the answer (499). busybox nc's -w bounds only the
     * connect, so a watchdog ends an answer that never ends. An image with nowhere to make the fifo counts as one
     * without nc (exit 127), and the next tool is tried.
     */
    static final String NC_SCRIPT = """
            command -v nc >/dev/null 2>&1 || exit 127
            f=
            for d in "${TMPDIR:-/tmp}" /tmp /dev/shm; do
              if mkfifo "$d/bgdeploy-check.$$" 2>/dev/null; then f="$d/bgdeploy-check.$$"; break; fi
            done
            [ -n "$f" ] || exit 127
            nc -w "$5" "$1" "$2" <"$f" & n=$!
            exec 3>"$f"
            rm -f "$f"
            (sleep "$5"; kill "$n") >/dev/null 2>&1 & w=$!
            printf 'GET %s HTTP/1.0\\r\\nHost: %s\\r\\nUser-Agent: bgdeploy-check\\r\\nAccept: */*\\r\\nConnection: close\\r\\n\\r\\n' "$3" "$4" >&3
            wait "$n"; c=$?
            kill "$w" 2>/dev/null
            exit "$c"
            """;

    enum Tool { CURL, NC, WGET }

    /** Where the GETs run: the container, the address:port it reaches the checked one on, and with which tool. */
    private record Runner(String containerId, String name, String address, int port, Tool tool) {}

    private record Exec(long exitCode, String stdout, String stderr) {
        boolean toolMissing() {
            return exitCode == 126 || exitCode == 127 || stdout.contains("executable file not found") || stderr.contains("executable file not found");
        }

        String said() {
            String s = Text.oneLine(Text.summarise(stderr + " " + stdout));
            return s.isEmpty() ? "exit code " + exitCode : s;
        }
    }

    private final List<SmokeCheck> checks;
    private final DockerClient docker;
    private final Probes.Target target;
    private final PrintWriter out;
    /** null: from the Docker host's side; else the address this machine reaches the port on. */
    private final InetSocketAddress local;
    private Runner runner;

    private SmokeChecks(List<SmokeCheck> checks, DockerClient docker, Probes.Target target, InetSocketAddress local, PrintWriter out) {
        this.checks = List.copyOf(checks);
        this.docker = docker;
        this.target = target;
        this.local = local;
        this.out = out;
    }

    /** The checks against a colour: its containers as read after its gate. Nothing runs until {@link #firstFailure}. */
    public static SmokeChecks against(Probes.Settings probe, List<SmokeCheck> checks, ColourState colour, DockerHost docker, PrintWriter out) {
        Probes.Target t = Probes.target(probe, colour, docker.client(), docker);
        if (t == null) {
            throw DeployError.config("health.checks need a port to send their GETs to, but no container of " + colour.colour()
                    + (probe.service() != null ? " of service " + probe.service() : "") + " publishes one (or names one for the managed front)");
        }
        InetSocketAddress local = null;
        if (!probe.fromHost()) {
            String host = t.hostPort() != 0 ? t.host() : Probes.networkAddress(docker.client(), t.container().id());
            if (host == null) throw DeployError.config(t.container().name() + " has no network address for the smoke checks to reach from this machine; run them with --probe-from host");
            local = new InetSocketAddress(host, t.hostPort() != 0 ? t.hostPort() : t.containerPort());
            out.println("  smoke checks run from this machine, against " + host + ":" + local.getPort());
        }
        return new SmokeChecks(checks, docker.client(), t, local, out);
    }

    /** null when every check passed; else one line naming the first check that failed and what was answered. */
    public String firstFailure() {
        for (SmokeCheck c : checks) {
            String wrong = run(c);
            if (wrong != null) return "smoke check " + c.describe() + " failed: " + wrong;
        }
        return null;
    }

    /** null if the check passed, else what happened instead. */
    private String run(SmokeCheck c) {
        if (local != null) return judgeLocal(c, fromHere(c));
        try {
            if (runner == null) {
                Exec[] first = new Exec[1];
                runner = runnerFor(docker.inspectContainerCmd(target.container().id()).exec(), c, first);
                return judge(c, runner, first[0]);
            }
            return judge(c, runner, exec(runner.containerId(), command(runner, c), c.timeout()));
        } catch (NotFoundException | ConflictException gone) {
            runner = null;
            return "the container " + target.container().name() + " is gone or not running";
        }
    }

    private String judge(SmokeCheck c, Runner r, Exec e) {
        if (e == null) return "no answer within " + lib.base.Durations.describe(c.timeout()) + " (GET run in " + r.name() + ")";
        HttpAnswer a = r.tool() == Tool.WGET ? HttpAnswer.parseWget(e.stderr(), e.stdout()) : HttpAnswer.parseRaw(e.stdout());
        if (a == null) return "no HTTP answer (" + e.said() + ")";
        return judge(c, a);
    }

    private static String judge(SmokeCheck c, HttpAnswer a) {
        String wrong = c.verdict(a.status(), a.headers(), a.body());
        return wrong == null ? null : "it answered " + wrong;
    }

    /** The container the probe reaches if it has a tool, else a sibling of its Compose project that has one. */
    private Runner runnerFor(InspectContainerResponse checked, SmokeCheck c, Exec[] first) {
        String name = checked.getName().replaceFirst("^/", "");
        Runner own = withTool(checked.getId(), name, "127.0.0.1", c, first);
        if (own != null) {
            out.println("  smoke checks run in " + name + " on the Docker host, with " + own.tool().name().toLowerCase());
            return own;
        }
        String project = checked.getConfig().getLabels() == null ? null : checked.getConfig().getLabels().get(Labels.COMPOSE_PROJECT);
        if (project != null) {
            for (Container sibling : docker.listContainersCmd().withStatusFilter(List.of("running"))
                    .withLabelFilter(Map.of(Labels.COMPOSE_PROJECT, project)).exec()) {
                String ip = HostProbe.sharedNetworkIp(checked, sibling);
                if (sibling.getId().equals(checked.getId()) || ip == null) continue;
                String siblingName = sibling.getNames()[0].replaceFirst("^/", "");
                Runner r = withTool(sibling.getId(), siblingName, ip, c, first);
                if (r != null) {
                    out.println("  smoke checks run in " + siblingName + " on the Docker host, with " + r.tool().name().toLowerCase()
                            + " (" + name + " has neither curl, nc nor wget)");
                    return r;
                }
            }
        }
        throw DeployError.config(name + " has neither curl, nc (with a shell) nor wget for the smoke checks, nor has any other container of its project:"
                + " add one to its image, or run the checks from this machine with --probe-from local");
    }

    /** The first tool the container has, found by running the check with it (that answer is the check's); null if it has none. */
    private Runner withTool(String containerId, String name, String address, SmokeCheck c, Exec[] first) {
        for (Tool tool : Tool.values()) {
            Runner r = new Runner(containerId, name, address, target.containerPort(), tool);
            Exec e = exec(containerId, command(r, c), c.timeout());
            if (e == null || !e.toolMissing()) {
                first[0] = e;
                return r;
            }
        }
        return null;
    }

    /** The GET as an argv for the runner's tool: never a shell string built from the check. */
    static List<String> command(Runner r, SmokeCheck c) {
        String url = "http://" + r.address() + ":" + r.port() + c.path();
        String seconds = String.valueOf(Math.max(1, (c.timeout().toMillis() + 999) / 1000));
        List<String> cmd = new ArrayList<>();
        switch (r.tool()) {
            case CURL -> {
                cmd.addAll(List.of("curl", "-sS", "-i", "-m", seconds, "-A", USER_AGENT));
                if (c.host() != null) cmd.addAll(List.of("-H", "Host: " + c.host()));
                cmd.add(url);
            }
            case NC -> cmd.addAll(List.of("sh", "-c", NC_SCRIPT, "bgdeploy-check", r.address(), String.valueOf(r.port()), c.path(),
                    c.host() != null ? c.host() : r.address() + ":" + r.port(), seconds));
            case WGET -> {
                // No -T: busybox 1.35's wget crashes with it; the exec's own timeout bounds the wait.
                cmd.addAll(List.of("wget", "-S", "-O", "-", "-U", USER_AGENT));
                if (c.host() != null) cmd.addAll(List.of("--header", "Host: " + c.host()));
                cmd.add(url);
            }
        }
        return cmd;
    }

    /** --probe-from local: the same raw HTTP/1.0 request from this machine. */
    private HttpAnswer fromHere(SmokeCheck c) {
        int millis = (int) Math.min(Integer.MAX_VALUE, c.timeout().toMillis());
        try (Socket s = new Socket()) {
            s.connect(local, millis);
            s.setSoTimeout(millis);
            String host = c.host() != null ? c.host() : local.getHostString() + ":" + local.getPort();
            OutputStream o = s.getOutputStream();
            o.write(("GET " + c.path() + " HTTP/1.0\r\nHost: " + host + "\r\nUser-Agent: " + USER_AGENT + "\r\nAccept: */*\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            o.flush();
            InputStream in = s.getInputStream();
            return HttpAnswer.parseRaw(new String(in.readNBytes(READ_LIMIT), StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new HttpAnswer(0, Map.of(), "");
        }
    }

    private String judgeLocal(SmokeCheck c, HttpAnswer a) {
        if (a == null) return "no HTTP answer from " + local;
        if (a.status() == 0) return "no answer from " + local + " within " + lib.base.Durations.describe(c.timeout());
        return judge(c, a);
    }

    /** Runs a command in a container, keeping at most READ_LIMIT bytes of its output; null when it did not end within the check's timeout. */
    private Exec exec(String containerId, List<String> command, Duration timeout) {
        String id = docker.execCreateCmd(containerId).withCmd(command.toArray(String[]::new))
                .withAttachStdout(true).withAttachStderr(true).exec().getId();
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        try (var done = docker.execStartCmd(id).exec(new ResultCallback.Adapter<Frame>() {
            @Override
            public void onNext(Frame f) {
                ByteArrayOutputStream to = f.getStreamType() == StreamType.STDERR ? stderr : stdout;
                synchronized (to) {
                    int room = READ_LIMIT - to.size();
                    if (room > 0) to.write(f.getPayload(), 0, Math.min(room, f.getPayload().length));
                }
                // A body past the limit is not read to its end: closing the stream ends the exec's output.
                if (stdout.size() >= READ_LIMIT) {
                    try {
                        close();
                    } catch (IOException closing) {
                        // what was read is the answer
                    }
                }
            }
        })) {
            if (!done.awaitCompletion(timeout.plus(EXEC_MARGIN).toMillis(), TimeUnit.MILLISECONDS)) return null;
        } catch (InterruptedException e) {
            // the step's next wait sees the interrupt and cancels the deploy
            Thread.currentThread().interrupt();
            return null;
        } catch (IOException closing) {
            // the answer is in already; closing the stream cannot change it
        }
        Long code = docker.inspectExecCmd(id).exec().getExitCodeLong();
        synchronized (stdout) {
            synchronized (stderr) {
                return new Exec(code == null ? -1 : code, stdout.toString(StandardCharsets.UTF_8), stderr.toString(StandardCharsets.UTF_8));
            }
        }
    }
}
