package lib.project;

import lib.base.Text;
import lib.host.ReleaseHistory.Entry;

import java.util.List;
import java.util.Optional;

/**
 * A rollback does not roll the database back: going to a release older than one whose deploy ran before_switch tasks
 * (migrations) leaves the old code on the newer schema. The history marks such deploys ({@link Entry#migrated()}).
 */
public final class SchemaWarning {
    private SchemaWarning() {}

    /** The warning for a rollback to {@code wanted}, if a release deployed after it last served ran migrations. */
    public static Optional<String> forRollback(List<Entry> history, String wanted) {
        int since = -1;
        for (int i = 0; i < history.size(); i++) {
            Entry e = history.get(i);
            if ("ok".equals(e.result()) && wanted != null && wanted.equals(e.release())) since = i;
        }
        List<String> migrated = new java.util.ArrayList<>();
        for (int i = since + 1; i < history.size(); i++) {
            Entry e = history.get(i);
            if ("ok".equals(e.result()) && e.migrated() && e.release() != null && !e.release().equals(wanted) && !migrated.contains(e.release())) {
                migrated.add(e.release());
            }
        }
        if (migrated.isEmpty()) return Optional.empty();
        return Optional.of("the database schema is not rolled back: release " + String.join(", ", migrated.stream().map(Text::printable).toList())
                + " ran migrations (before_switch tasks) after release " + Text.printable(wanted) + " last served; check that "
                + Text.printable(wanted) + " works with the newer schema, or restore a backup");
    }
}
