package lib.cli;

import lib.model.Colour;
import lib.model.HostState;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** status: where each singleton service runs; two colours at once is what the next deploy or rollback settles. */
final class SingletonStatus {
    private SingletonStatus() {}

    static List<String> lines(HostState state, Set<String> singletons) {
        List<String> out = new ArrayList<>();
        for (String s : new java.util.TreeSet<>(singletons)) {
            List<String> where = new ArrayList<>();
            for (Colour c : Colour.values()) {
                if (state.of(c).containers().stream().anyMatch(x -> x.service().equals(s) && x.running())) where.add(c.toString());
            }
            out.add("  singleton " + s + ": " + switch (where.size()) {
                case 0 -> "runs nowhere" + state.live().map(c -> " (" + c + " is live: the next deploy or rollback starts its " + s + ")").orElse("");
                case 1 -> "runs in " + where.get(0);
                default -> "runs in " + String.join(" and ", where) + " at once: the next deploy or rollback stops the one that is not live";
            });
        }
        return out;
    }
}
