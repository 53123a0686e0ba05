///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS info.picocli:picocli:4.7.6
//SOURCES ExampleImages.java ../lib/**.java

import lib.cli.Cli;
import lib.base.ExitCode;
import lib.docker.DockerHost;
import lib.docker.EngineCheck;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "example.java", mixinStandardHelpOptions = true,
        description = {"Builds the example shop's images offline (shop-app:VERSION, shop-web:1, and",
                "shop-db:1 and shop-cache:1, stand-ins for MySQL and Redis), so that",
                "deploy.java has something to deploy on a machine with no registry. Brings up a local",
                "Docker Engine first if none answers (tests/engine-up.sh, saying so).",
                "",
                "  ./jbang compose/example.java v1",
                "  ./jbang compose/example.java v2 --start-delay 30   # an app that needs 30 s to start",
                "  ./jbang compose/example.java v3 --crash            # an image that crashes at start",
                ""},
        footer = ExitCode.HELP_FOOTER)
public class example implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "VERSION", description = "Tag of shop-app to build, e.g. v1.")
    String version;

    @Option(names = "--start-delay", paramLabel = "SECONDS", description = "Seconds the app waits before it serves.")
    int startDelay;

    @Option(names = "--crash", description = "The app exits 1 at start.")
    boolean crash;

    @Option(names = "--unhealthy", description = "The app serves, but its health check never passes.")
    boolean unhealthy;

    @Spec CommandSpec spec;

    public static void main(String... args) {
        System.exit(Cli.commandLine(new example()).execute(args));
    }

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        Path here = EngineCheck.projectRoot().resolve("compose");
        EngineCheck.ensureLocalEngine(out);
        try (DockerHost docker = DockerHost.connect(null, false, spec.commandLine().getErr())) {
            var images = new ExampleImages(docker.client(), here);
            out.println("built " + images.web("shop-web:1"));
            out.println("built " + images.store("shop-db:1", 3306, "/var/lib/mysql"));
            out.println("built " + images.store("shop-cache:1", 6379, "/data"));
            out.println("built " + images.app("shop-app", new ExampleImages.Variant(version, startDelay, crash, unhealthy)));
        }
        return ExitCode.OK;
    }
}
