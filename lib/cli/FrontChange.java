package lib.cli;

import lib.base.Cancellation;
import lib.base.DeployError;
import lib.base.ExitCode;
import lib.base.Operator;
import lib.base.Style;
import lib.docker.DockerHost;
import lib.front.ManagedFront;
import lib.host.DeployLock;
import lib.host.RecordStore;
import lib.host.ReleaseHistory;
import lib.model.FrontSettings;
import lib.model.LiveRecord;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A change to the managed front alone (maintenance on/off, front reload), under the app's deploy lock so no deploy
 * interleaves: the new settings rendered and reloaded (one reload, no request lost), then recorded on the host with
 * the front's other settings, and written to the history.
 */
final class FrontChange {
    private FrontChange() {}

    /** @return the settings now recorded */
    static FrontSettings apply(DockerHost docker, String app, String action, UnaryOperator<FrontSettings> change, Map<String, String> files,
                               boolean copyTls, String result, String notes, PrintWriter out) {
        try (DeployLock lock = DeployLock.acquire(docker.client(), app, action + " on " + docker.describe(), Duration.ZERO,
                new PrintWriter(java.io.Writer.nullWriter()), Cancellation.none())) {
            RecordStore.Read read = RecordStore.read(docker.client(), app);
            LiveRecord record = read.record().orElseThrow(() -> DeployError.config(app + " has no record on " + docker.describe()
                    + "; deploy it with --front managed first"));
            if (!record.front().managed()) {
                throw DeployError.config(app + " runs behind the passive front; " + action + " needs the managed front (deploy with --front managed)");
            }
            FrontSettings now = change.apply(record.front());
            long started = System.currentTimeMillis();
            new ManagedFront(docker.client(), app, now, out).apply(files, copyTls);
            RecordStore.write(docker.client(), app, record.withFront(now));
            try {
                new ReleaseHistory(docker.client(), app).append(new ReleaseHistory.Entry(Instant.now().toString(), action,
                        record.release(), record.liveColour().map(c -> c.id()).orElse(null), null, result,
                        System.currentTimeMillis() - started, Operator.name(), null, notes));
            } catch (RuntimeException e) {
                out.println(Style.warning() + "could not record the history: " + lib.base.Text.oneLine(e.getMessage()));
            }
            return now;
        } catch (DeployError e) {
            if (e.exitCode() == ExitCode.LOCKED) {
                throw new DeployError(ExitCode.LOCKED, "a deploy of " + app + " holds its lock; " + action + " waits for none: try again when it is done");
            }
            throw e;
        }
    }
}
