package lib.cli;

import lib.compose.AccessoryChoice;
import lib.compose.AccessorySplit;
import lib.compose.AccessorySplit.Split;
import lib.compose.ComposeFiles;
import lib.compose.ComposeProject;
import lib.model.Colour;
import lib.options.AccessoryOptions;
import lib.options.DeployOptions;
import lib.options.FrontOptions;
import lib.options.HealthOptions;
import lib.options.HostOptions;
import lib.options.ProjectOptions;
import lib.options.ReleaseOptions;
import lib.release.ReleaseInfo;

import picocli.CommandLine.ParseResult;

import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;

/**
 * The Compose model a deploy works from, as deploy.java, {@code config} and {@code accessory up} resolve it alike:
 * options merged with deploy.yml, both colours' files loaded, the accessories split off (and stateful-looking services
 * refused), then the colours checked for running side by side. No Docker connection.
 *
 * @param colours the colour part of each colour's file (what the colour brings up)
 * @param splits  each colour's file split into that colour part and its accessories
 */
public record ComposeModel(String app, String pattern, String releaseVar, Map<Colour, ComposeProject> colours, Map<Colour, Split> splits) {

    public static ComposeModel load(ParseResult parsed, HostOptions target, HealthOptions health, FrontOptions front, ProjectOptions project,
                                    ReleaseOptions up, DeployOptions options, AccessoryOptions accessories) {
        return load(parsed, target, health, front, project, up, options, accessories, false);
    }

    /** @param swarm the colours run as Swarm services: the files are read as a Swarm reads them (see ComposeLoader.loadForSwarm) */
    public static ComposeModel load(ParseResult parsed, HostOptions target, HealthOptions health, FrontOptions front, ProjectOptions project,
                                    ReleaseOptions up, DeployOptions options, AccessoryOptions accessories, boolean swarm) {
        project.applyDefaults(parsed, target, health, front, up, options);
        String app = target.app();
        String pattern = ComposeFiles.pattern(up.file, Path.of(""));
        String releaseVar = ReleaseInfo.releaseVariable(options.release, ComposeFiles.fileFor(pattern, Colour.BLUE));
        return of(app, pattern, releaseVar, project.accessories(accessories), front, up, swarm);
    }

    /** The same for a release already chosen (rollback.java's slow path), with options already merged with deploy.yml. */
    public static ComposeModel of(String app, String pattern, String releaseVar, AccessoryChoice choice, FrontOptions front, ReleaseOptions up) {
        return of(app, pattern, releaseVar, choice, front, up, false);
    }

    public static ComposeModel of(String app, String pattern, String releaseVar, AccessoryChoice choice, FrontOptions front, ReleaseOptions up, boolean swarm) {
        Map<Colour, ComposeProject> loaded = ComposeFiles.loadEach(pattern, app, up.ports(), releaseVar, System.getenv(), up.profiles(), swarm);
        Map<Colour, Split> splits = new EnumMap<>(Colour.class);
        Map<Colour, ComposeProject> colours = new EnumMap<>(Colour.class);
        for (Colour c : Colour.values()) {
            Split s = AccessorySplit.split(loaded.get(c), app, c.project(app), choice);
            splits.put(c, s);
            colours.put(c, s.colours());
        }
        sameForBoth(splits);
        ComposeFiles.check(colours, app);
        front.checkPorts(colours, up.ports());
        return new ComposeModel(app, pattern, releaseVar, colours, splits);
    }

    /**
     * An accessory runs once for both colours, so both colours' files must describe it alike: one that uses
     * ${DEPLOY_COLOUR} or ${DEPLOY_PORT} (or differs between per-colour files) would be reported as changed on every
     * other deploy.
     */
    static void sameForBoth(Map<Colour, Split> splits) {
        java.util.List<String> problems = new java.util.ArrayList<>();
        for (var a : splits.get(Colour.BLUE).accessories()) {
            var g = splits.get(Colour.GREEN).accessory(a.service());
            if (g.isPresent() && !g.get().hash().equals(a.hash())) {
                problems.add(splits.get(Colour.BLUE).colours().file() + ": accessory " + a.service() + " is defined differently for blue and green"
                        + " (${DEPLOY_COLOUR} or ${DEPLOY_PORT} in it, or per-colour files that differ); it runs once for both, so define it the same");
            }
        }
        if (!problems.isEmpty()) throw lib.base.DeployError.config(String.join("\n", problems));
    }

    public Split split(Colour c) {
        return splits.get(c);
    }
}
