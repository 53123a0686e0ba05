///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS info.picocli:picocli:4.7.6
//SOURCES lib/**.java

import lib.cli.Cli;
import lib.options.Converters;
import lib.base.DeployError;
import lib.base.ExitCode;
import lib.model.Colour;
import lib.host.HostReader;
import lib.model.HostState;
import lib.docker.DockerHost;
import lib.options.HostOptions;
import lib.release.RegistryClient;
import lib.release.ReleaseInfo;

import com.github.dockerjava.api.model.Image;
import lib.release.RegistryClient.ImageRef;

import lib.release.RegistryClient.TagInfo;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;

@Command(name = "tag.java", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        subcommands = {tag.ListTags.class, tag.Point.class, tag.Prune.class},
        description = {
                "Manage an app's release tags in its registry (Docker distribution v2 API).",
                "",
                "Releases are tagged by the first 10 characters of their commit hash (build.jsh);",
                "channels such as latest or production are tags that point at one of them.",
                "",
                "Examples:",
                "  tag.java list  --image 127.0.0.1:5000/shop-app --app shop",
                "  tag.java point --image 127.0.0.1:5000/shop-app 0123456789            # latest -> 0123456789",
                "  tag.java point --image 127.0.0.1:5000/shop-app 0123456789 --channel production",
                "  tag.java prune --image 127.0.0.1:5000/shop-app --keep 10",
                "",
                "Registry credentials come from ~/.docker/config.json (docker login); they are never printed.",
                "Loopback registries are spoken to over http, all others over https."},
        footer = {"", "Exit codes: see each command's --help (tag.java list --help)."})
public class tag implements Runnable {
    @Spec CommandSpec spec;

    public static void main(String... args) {
        System.exit(Cli.commandLine(new tag()).execute(args));
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = {"List releases and channels, and which one is live.",
            "Shows every registry tag with its digest, build time and revision, whether the Docker host",
            "has the image, and (with --app) which release the app's live colour runs."},
            footer = {"", "Exit codes:",
                    "  0    listed",
                    "  2    bad command line (--image, --app, --host)",
                    "  5    registry or Docker host unreachable, refused or answering nonsense"})
    static class ListTags implements Callable<Integer> {
        @Option(names = "--image", required = true, paramLabel = "REGISTRY/REPO", converter = Converters.Image.class, description = "e.g. 127.0.0.1:5000/shop-app")
        ImageRef ref;

        /** --app marks the release the app's live colour runs; the Docker host is asked for its images either way. */
        @Mixin HostOptions target;

        @Spec CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            List<TagInfo> infos = new ArrayList<>(new RegistryClient(ref).infos());
            Set<String> local = new HashSet<>();
            String liveRelease = null;
            String app = target.app;
            try (DockerHost docker = target.connect(spec.commandLine().getErr())) {
                String repo = ref.registry() + "/" + ref.repository() + ":";
                for (Image i : docker.client().listImagesCmd().exec()) {
                    if (i.getRepoTags() == null) continue;
                    for (String rt : i.getRepoTags()) if (rt.startsWith(repo)) local.add(rt.substring(repo.length()));
                }
                if (app != null) {
                    HostState state = HostReader.read(docker.client(), target.app());
                    Optional<Colour> live = state.live();
                    if (live.isPresent()) liveRelease = state.of(live.get()).release();
                }
            }
            Map<String, List<String>> channelsByDigest = new LinkedHashMap<>();
            infos.stream().filter(i -> !ReleaseInfo.isCommit(i.tag())).forEach(i -> channelsByDigest.computeIfAbsent(i.digest(), d -> new ArrayList<>()).add(i.tag()));
            infos.sort(Comparator.comparing(TagInfo::created, Comparator.nullsLast(Comparator.reverseOrder())));
            out.printf("%-14s %-19s %-21s %-12s %-8s %s%n", "tag", "digest", "built", "revision", "on host", "notes");
            for (TagInfo i : infos) {
                List<String> notes = new ArrayList<>();
                if (ReleaseInfo.isCommit(i.tag()) && channelsByDigest.containsKey(i.digest())) notes.add("channels: " + String.join(", ", channelsByDigest.get(i.digest())));
                if (i.tag().equals(liveRelease)) notes.add("LIVE on " + app);
                out.printf("%-14s %-19s %-21s %-12s %-8s %s%n", i.tag(), i.digest().substring(0, Math.min(19, i.digest().length())),
                        i.created() == null ? "?" : i.created().toString().substring(0, 19) + "Z",
                        i.revision() == null ? "-" : i.revision().substring(0, Math.min(10, i.revision().length())),
                        local.contains(i.tag()) ? "yes" : "no", String.join("; ", notes));
            }
            Set<String> inRegistry = new HashSet<>();
            infos.forEach(i -> inRegistry.add(i.tag()));
            for (String t : local) {
                if (inRegistry.contains(t)) continue;
                out.printf("%-14s %-19s %-21s %-12s %-8s %s%n", t, "-", "-", "-", "yes",
                        "only on the host (not pushed)" + (t.equals(liveRelease) ? "; LIVE on " + app : ""));
            }
            if (infos.isEmpty() && local.isEmpty()) out.println("(no tags in " + ref.registry() + "/" + ref.repository() + ")");
            return ExitCode.OK;
        }
    }

    @Command(name = "point", mixinStandardHelpOptions = true, description = {"Point a channel (default: latest) at a release.",
            "Done in the registry, without pulling or pushing any layer; a later deploy of the channel",
            "gets that release."},
            footer = {"", "Exit codes:",
                    "  0    the channel points at the release",
                    "  2    bad command line (--image, RELEASE, --channel; a channel must not look like a release)",
                    "  3    the release is not in the registry",
                    "  5    registry unreachable, refused or answering nonsense"})
    static class Point implements Callable<Integer> {
        @Option(names = "--image", required = true, paramLabel = "REGISTRY/REPO", converter = Converters.Image.class) ImageRef ref;

        @Parameters(index = "0", paramLabel = "RELEASE", converter = Converters.Tag.class, description = "The release tag (commit hash, 10 characters).")
        String release;

        @Option(names = "--channel", defaultValue = "latest", paramLabel = "TAG", converter = Converters.Tag.class, description = "Channel tag to move (default: ${DEFAULT-VALUE}).")
        String channel;

        @Option(names = {"-v", "--verbose"}, description = "Print stack traces with errors.") boolean verbose;

        @Spec CommandSpec spec;

        @Override
        public Integer call() {
            if (ReleaseInfo.isCommit(channel)) throw new DeployError(ExitCode.USAGE, "--channel \"" + channel + "\" looks like a release hash; channels are names such as latest or production");
            new RegistryClient(ref).retag(release, channel);
            spec.commandLine().getOut().println(ref.tagged(channel) + " now points at " + ref.tagged(release));
            return ExitCode.OK;
        }
    }

    @Command(name = "prune", mixinStandardHelpOptions = true, description = {"Delete old releases, keeping the newest N.",
            "Every release a channel points at is kept too, and with --app the releases of the app's live",
            "and stopped colours (what rollback.java returns to). Deletes manifests by digest (the registry",
            "must allow deletes); run the registry's garbage collector afterwards to free the disk."},
            footer = {"", "Exit codes:",
                    "  0    pruned (or, with --dry-run, listed what would go)",
                    "  2    bad command line (--image, --keep, --app, --host)",
                    "  5    registry or Docker host unreachable, refused, answering nonsense, or deletes disabled"})
    static class Prune implements Callable<Integer> {
        @Option(names = "--image", required = true, paramLabel = "REGISTRY/REPO", converter = Converters.Image.class) ImageRef ref;

        @Option(names = "--keep", required = true, paramLabel = "N", converter = Converters.Count.class, description = "How many of the newest releases to keep, 1-1000.")
        int keep;

        /** With --app, also keep what this app's colours run (asks the Docker host). */
        @Mixin HostOptions target;

        @Option(names = "--dry-run", description = "Say what would be deleted, delete nothing.") boolean dryRun;

        @Spec CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            RegistryClient registry = new RegistryClient(ref);
            List<TagInfo> infos = registry.infos();
            Set<String> onHost = new HashSet<>();
            if (target.app != null) {
                try (DockerHost docker = target.connect(spec.commandLine().getErr())) {
                    HostState state = HostReader.read(docker.client(), target.app());
                    for (Colour c : Colour.values()) if (!state.of(c).empty()) onHost.add(state.of(c).release());
                }
            }
            Set<String> protectedDigests = new HashSet<>();
            infos.stream().filter(i -> !ReleaseInfo.isCommit(i.tag()) || onHost.contains(i.tag())).forEach(i -> protectedDigests.add(i.digest()));
            List<TagInfo> releases = infos.stream().filter(i -> ReleaseInfo.isCommit(i.tag()))
                    .sorted(Comparator.comparing(TagInfo::created, Comparator.nullsLast(Comparator.reverseOrder()))).toList();
            releases.stream().limit(keep).forEach(i -> protectedDigests.add(i.digest()));
            int deleted = 0;
            for (TagInfo i : releases.subList(Math.min(keep, releases.size()), releases.size())) {
                if (protectedDigests.contains(i.digest())) {
                    out.println("keep   " + i.tag() + " (a channel, a colour of the app, or a newer release uses its image)");
                    continue;
                }
                out.println((dryRun ? "would delete " : "delete ") + i.tag() + " (" + (i.created() == null ? "?" : i.created()) + ")");
                if (!dryRun) registry.delete(i.digest());
                deleted++;
            }
            out.println((dryRun ? "would delete " : "deleted ") + deleted + " release(s), kept " + Math.min(keep, releases.size()) + " newest");
            return ExitCode.OK;
        }
    }
}
