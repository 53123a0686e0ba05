package lib.host;

import lib.base.Cancellation;
import lib.model.LiveRecord;

import com.github.dockerjava.api.DockerClient;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** An app's state on its one Docker host, as it always was: {@link RecordStore}, {@link ReleaseHistory}, {@link DeployLock}. */
public final class HostAppState implements AppState {
    private final DockerClient docker;
    private final String app;
    private final String where;

    public HostAppState(DockerClient docker, String app, String where) {
        this.docker = docker;
        this.app = app;
        this.where = where;
    }

    public HostAppState(lib.docker.DockerHost host, String app) {
        this(host.client(), app, "Docker host " + host.describe());
    }

    @Override
    public String describe() {
        return where;
    }

    @Override
    public RecordStore.Read readRecord() {
        return RecordStore.read(docker, app);
    }

    @Override
    public void writeRecord(LiveRecord record) {
        RecordStore.write(docker, app, record);
    }

    @Override
    public void removeRecord() {
        RecordStore.remove(docker, app);
    }

    @Override
    public void appendHistory(ReleaseHistory.Entry entry) {
        new ReleaseHistory(docker, app).append(entry);
    }

    @Override
    public List<ReleaseHistory.Entry> readHistory(PrintWriter warn) {
        return new ReleaseHistory(docker, app).read(warn);
    }

    @Override
    public Lock lock(String purpose, Duration wait, PrintWriter out, Cancellation cancel) {
        return DeployLock.acquire(docker, app, purpose, wait, out, cancel);
    }

    @Override
    public Optional<DeployLock.Holder> lockHolder() {
        return DeployLock.holder(docker, app);
    }

    @Override
    public Optional<DeployLock.Holder> breakLock(boolean force) {
        return DeployLock.breakLock(docker, app, force);
    }

    @Override
    public String unlockCommand() {
        return new DeployLock.ContainerSlot(docker, app).unlockCommand(app);
    }
}
