package lib.compose;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * Which services of a Compose file run once per app, outside the colours (accessories: databases, caches, queues),
 * and which are deployed blue/green although they look stateful (colours: overrides the guess of {@link StatefulGuess}).
 * Both lists come from deploy.yml and --accessory; the command line adds to the file's list.
 */
public record AccessoryChoice(List<String> accessories, List<String> colours) {
    public static final AccessoryChoice NONE = new AccessoryChoice(List.of(), List.of());

    public AccessoryChoice {
        accessories = List.copyOf(new LinkedHashSet<>(accessories));
        colours = List.copyOf(new LinkedHashSet<>(colours));
    }

    /** This choice with more accessories (--accessory on top of deploy.yml's list). */
    public AccessoryChoice plus(List<String> more) {
        List<String> all = new ArrayList<>(accessories);
        all.addAll(more);
        return new AccessoryChoice(all, colours);
    }
}
