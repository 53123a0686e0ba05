package lib.host;

import lib.base.Cancellation;
import lib.model.LiveRecord;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Where an app's state lives: its live record, its release history and its deploy lock. On one Docker host that is
 * the host itself ({@link HostAppState}: marker containers and a volume); on a Swarm it is the cluster's replicated
 * store ({@link SwarmState}: a service's labels and configs), so a deploy from any machine through any manager sees
 * the same state. The engine and the status, history and unlock commands know only this.
 */
public interface AppState {
    /** Where the state lives, for messages: "Docker host unix:///var/run/docker.sock", "Swarm (manager tcp://...)". */
    String describe();

    /** The record, or why the stored one cannot be trusted. */
    RecordStore.Read readRecord();

    /**
     * Replaces the record. Where the store can tell (a Swarm), a record that another writer replaced since this
     * state last read or wrote it is not overwritten: the write fails instead, so two writers never both win.
     */
    void writeRecord(LiveRecord record);

    /** Removes the record: the app is then judged by what runs, as before its first deploy. */
    void removeRecord();

    /** Adds one entry, dropping the oldest beyond what the store keeps. */
    void appendHistory(ReleaseHistory.Entry entry);

    /** The entries, oldest first; each that cannot be read is skipped with a warning on {@code warn}. */
    List<ReleaseHistory.Entry> readHistory(PrintWriter warn);

    /** The last successful entry whose release differs from the given one: where "rollback" with no argument goes. */
    default Optional<ReleaseHistory.Entry> lastLiveBefore(String currentRelease, PrintWriter warn) {
        return ReleaseHistory.lastLiveBefore(readHistory(warn), currentRelease);
    }

    /** Takes the app's deploy lock, waiting up to {@code wait} for a live holder; exit 4 naming the holder after that. */
    Lock lock(String purpose, Duration wait, PrintWriter out, Cancellation cancel);

    /** Who holds the lock, if anyone. */
    Optional<DeployLock.Holder> lockHolder();

    /** Breaks the lock on purpose (unlock); a holder not provably dead only with {@code force}. Who held it, if anyone. */
    Optional<DeployLock.Holder> breakLock(boolean force);

    /** The status line of the lock: free, held, stale. */
    default String describeLock(java.time.Instant now) {
        return DeployLock.describeForStatus(lockHolder(), now, unlockCommand());
    }

    /** How a user breaks a lock whose holder this machine cannot prove dead. */
    String unlockCommand();

    /** A held deploy lock; released by close (also when someone broke it meanwhile). */
    interface Lock extends AutoCloseable {
        @Override
        void close();
    }
}
