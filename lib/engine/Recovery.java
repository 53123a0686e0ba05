package lib.engine;

import lib.model.Colour;
import lib.model.ColourState;
import lib.model.ContainerInfo;
import lib.model.HostState;

import java.util.ArrayList;
import java.util.List;

/**
 * What a run killed between "set aside" and "switch" left behind, decided from the one read of the host: the
 * previous release's containers, renamed out of the way. When their names are free again they go back (restore);
 * when the colour that replaced them went live, they are two releases old and go away (remove); otherwise they
 * stay aside for the deploy to handle. {@link #after} is the host as it will be once the first step has done this.
 */
public record Recovery(List<ContainerInfo> restore, List<ContainerInfo> remove, HostState after) {

    public static Recovery of(HostState s) {
        List<ContainerInfo> restore = new ArrayList<>();
        List<ContainerInfo> remove = new ArrayList<>();
        List<ContainerInfo> stay = new ArrayList<>();
        List<ContainerInfo> blue = new ArrayList<>(s.blue().containers());
        List<ContainerInfo> green = new ArrayList<>(s.green().containers());
        for (ContainerInfo c : s.aside()) {
            String own = HostState.ownName(c.name());
            Colour colour = Colour.BLUE.owns(s.app(), own) ? Colour.BLUE : Colour.GREEN.owns(s.app(), own) ? Colour.GREEN : null;
            boolean taken = blue.stream().anyMatch(x -> x.name().equals(own)) || green.stream().anyMatch(x -> x.name().equals(own));
            if (colour != null && !taken) {
                restore.add(c);
                (colour == Colour.BLUE ? blue : green).add(c.named(own));
            } else if (taken && s.live().isPresent() && s.live().get() == colour) {
                remove.add(c);
            } else {
                stay.add(c);
            }
        }
        HostState after = new HostState(s.app(), new ColourState(Colour.BLUE, blue), new ColourState(Colour.GREEN, green),
                s.record(), s.frontPoints(), stay, s.recordProblem());
        return new Recovery(restore, remove, after);
    }

    public boolean needed() {
        return !restore.isEmpty() || !remove.isEmpty();
    }
}
