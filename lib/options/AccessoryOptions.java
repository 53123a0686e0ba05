package lib.options;

import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** --accessory: services that run once per app, shared by both colours, on top of deploy.yml's accessories: list. */
public final class AccessoryOptions {
    @Option(names = "--accessory", paramLabel = "SERVICE",
            description = "A Compose service that runs once per app, outside the colours, shared by both (a database, cache, queue); repeatable. Adds to accessories: in deploy.yml.")
    public List<String> accessories = new ArrayList<>();
}
