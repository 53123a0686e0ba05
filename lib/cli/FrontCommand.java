package lib.cli;

import lib.base.DeployError;
import lib.base.ExitCode;
import lib.docker.DockerHost;
import lib.docker.HostAddress;
import lib.engine.RunSettings;
import lib.front.TlsFiles;
import lib.model.EdgeSettings;
import lib.model.FrontSettings;
import lib.options.FrontOptions;
import lib.options.HostOptions;
import lib.options.ProjectOptions;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

@Command(name = "front", mixinStandardHelpOptions = true,
        description = {"Change the managed front without a deploy.",
                "reload: copies the TLS certificate and key in again (a renewal: from the options, deploy.yml, or the",
                "paths the host recorded) and applies the front settings the options or deploy.yml name",
                "(--front-max-body, timeouts, trusted proxies); one reload, no request lost. A certificate and key",
                "that do not match, an expired certificate or an unreadable file is refused before anything changes.",
                "sync (engine: swarm): rewrites every front's upstream to the live colour's running tasks (after Swarm",
                "rescheduled them, e.g. for a lost node), reloads and confirms each; status says when one differs."},
        footer = ExitCode.HELP_FOOTER)
public class FrontCommand implements Callable<Integer> {
    enum Action { reload, sync }

    @Parameters(index = "0", paramLabel = "reload|sync", description = "reload or sync")
    Action action;

    @Mixin HostOptions target;
    @Mixin FrontOptions front;
    @Mixin ProjectOptions project;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        var parsed = spec.commandLine().getParseResult();
        if (action == Action.sync) {
            var swarm = StatusCommand.swarm(spec, target, project);
            if (swarm.isEmpty()) throw DeployError.config("front sync is for an engine: swarm environment (on one host every deploy and front reload rewrites the front)");
            return SwarmRun.sync(swarm.get(), target.app(), project.environmentName(), out, spec.commandLine().getErr());
        }
        List<HostAddress> hosts = StatusCommand.hosts(spec, target, project);
        project.file().ifPresent(f -> front.defaultsFrom(f.front(), f.file(), parsed));
        Set<String> given = front.placeGiven(parsed);
        EdgeSettings run = front.edge(); // checks a certificate given before anything changes
        for (HostAddress h : hosts) {
            try (DockerHost docker = h.connect(spec.commandLine().getErr())) {
                String[] said = new String[1];
                FrontSettings now = FrontChange.apply(docker, target.app(), "front reload", recorded -> {
                    EdgeSettings edge = RunSettings.edgeFor(run, given, recorded.edge());
                    EdgeSettings.Tls tls = edge.tls();
                    if (tls.on() && !given.contains("tls")) {
                        if (tls.cert() == null || tls.key() == null) {
                            throw DeployError.config("the host recorded no certificate paths; give --front-tls-cert and --front-tls-key");
                        }
                        TlsFiles files = TlsFiles.load(Path.of(tls.cert()), Path.of(tls.key()));
                        edge = edge.withTls(tls.withCertificate(files.fingerprint(), files.notAfter().toString()));
                    }
                    said[0] = edge.tls().on() ? "certificate " + edge.tls().fingerprint() + " (expires " + edge.tls().notAfter() + ")" : null;
                    return recorded.withEdge(edge);
                }, Map.of(), true, "reloaded", null, out);
                out.println("front of " + target.app() + " on " + docker.describe() + " reloaded" + (said[0] == null ? "" : " with " + said[0])
                        + "; max body " + now.edge().maxBody() + (now.edge().maintenance().on() ? "; maintenance is on" : ""));
            }
        }
        return ExitCode.OK;
    }
}
