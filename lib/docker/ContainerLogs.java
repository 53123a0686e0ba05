package lib.docker;

import lib.base.Text;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Frame;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The last lines a container wrote, for the "why did it fail" part of an error report. */
public final class ContainerLogs {
    private ContainerLogs() {}

    public static List<String> tail(DockerClient docker, String containerId, int lines) {
        List<String> out = new ArrayList<>();
        try {
            docker.logContainerCmd(containerId).withStdOut(true).withStdErr(true).withTail(lines)
                    .exec(new ResultCallback.Adapter<Frame>() {
                        @Override
                        public void onNext(Frame frame) {
                            for (String l : new String(frame.getPayload()).split("\\R")) {
                                if (!l.isBlank()) out.add(l);
                            }
                        }
                    }).awaitCompletion(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            out.add("(logs unavailable: " + Text.oneLine(e.getMessage()) + ")");
        }
        return out.size() > lines ? out.subList(out.size() - lines, out.size()) : out;
    }
}
