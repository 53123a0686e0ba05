package lib.target;

import lib.docker.DockerHost;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Swarm's tasks and nodes as the manager reports them, read through the Engine API directly: docker-java's task
 * model leaves out a task's addresses on its networks, which is what the fronts send traffic to.
 */
public final class SwarmTasks {
    static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One task. state is Swarm's (new, pending, assigned, accepted, preparing, starting, running, complete, failed,
     * rejected, shutdown, orphaned); err is the scheduler's or the runtime's reason; addresses by network name.
     */
    public record Task(String id, String serviceId, int slot, String nodeId, String desired, String state, String message, String err,
                Instant since, Map<String, String> addresses, String containerId, Integer exitCode) {
        public boolean wanted() {
            return "running".equals(desired);
        }

        public boolean running() {
            return "running".equals(state);
        }

        /** A one-shot's end: it exited 0 (complete) or not (failed), was rejected, or was shut down. */
        public boolean ended() {
            return List.of("complete", "failed", "rejected", "shutdown", "orphaned", "remove").contains(state);
        }

        /** Whether its container may still run (being stopped, it stays "running" until it exited). */
        public boolean active() {
            return List.of("assigned", "accepted", "preparing", "ready", "starting", "running").contains(state);
        }

        public boolean failed() {
            return "failed".equals(state) || "rejected".equals(state);
        }

        /** What Swarm says about it, in its words: "failed: task: non-zero exit (1)", "pending: no suitable node (...)". */
        public String said() {
            String why = err != null && !err.isBlank() ? err : message;
            return state + (why == null || why.isBlank() ? "" : ": " + why);
        }
    }

    record Node(String id, String hostname, boolean ready) {}

    private SwarmTasks() {}

    public static List<Task> of(DockerHost manager, Collection<String> serviceIds) {
        if (serviceIds.isEmpty()) return List.of();
        Map<String, Map<String, Boolean>> filter = Map.of("service", toTrue(serviceIds));
        return parse(manager.get("/tasks?filters=" + encode(filter)));
    }

    public static List<Task> parse(byte[] json) {
        List<Task> out = new ArrayList<>();
        try {
            for (JsonNode t : JSON.readTree(json)) {
                JsonNode st = t.path("Status");
                Map<String, String> addresses = new LinkedHashMap<>();
                for (JsonNode a : t.path("NetworksAttachments")) {
                    String net = a.path("Network").path("Spec").path("Name").asText();
                    JsonNode first = a.path("Addresses").path(0);
                    if (!first.isMissingNode()) addresses.put(net, first.asText().replaceFirst("/\\d+$", ""));
                }
                Instant since = null;
                try {
                    since = Instant.parse(st.path("Timestamp").asText());
                } catch (RuntimeException unparsable) {
                    // a task without a timestamp yet: it counts from when we first saw it
                }
                out.add(new Task(t.path("ID").asText(), t.path("ServiceID").asText(), t.path("Slot").asInt(), text(t.path("NodeID")),
                        t.path("DesiredState").asText(), st.path("State").asText(), text(st.path("Message")), text(st.path("Err")), since,
                        addresses, text(st.path("ContainerStatus").path("ContainerID")),
                        st.path("ContainerStatus").path("ExitCode").isInt() ? st.path("ContainerStatus").path("ExitCode").asInt() : null));
            }
        } catch (java.io.IOException e) {
            throw new lib.base.DeployError(lib.base.ExitCode.DOCKER, "the Swarm manager's task list is not JSON (" + e.getMessage() + ")");
        }
        return out;
    }

    static Map<String, Node> nodes(DockerHost manager) {
        Map<String, Node> out = new LinkedHashMap<>();
        try {
            for (JsonNode n : JSON.readTree(manager.get("/nodes"))) {
                boolean ready = "ready".equals(n.path("Status").path("State").asText()) && !"drain".equals(n.path("Spec").path("Availability").asText());
                out.put(n.path("ID").asText(), new Node(n.path("ID").asText(), n.path("Description").path("Hostname").asText(), ready));
            }
        } catch (java.io.IOException e) {
            throw new lib.base.DeployError(lib.base.ExitCode.DOCKER, "the Swarm manager's node list is not JSON (" + e.getMessage() + ")");
        }
        return out;
    }

    /** A task's (or a service's) last log lines, from the node that ran it, through the manager. */
    static List<String> log(DockerHost manager, String kind, String id, int lines) {
        byte[] raw = manager.get("/" + kind + "/" + id + "/logs?stdout=1&stderr=1&tail=" + lines);
        List<String> out = new ArrayList<>();
        for (String l : demultiplex(raw).split("\n")) if (!l.isBlank()) out.add(l);
        return out.size() > lines ? out.subList(out.size() - lines, out.size()) : out;
    }

    /** The Engine's log stream without a TTY: frames of an 8-byte header (stream, 0, 0, 0, size) and the payload. */
    public static String demultiplex(byte[] raw) {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        int i = 0;
        while (i + 8 <= raw.length && raw[i] <= 2 && raw[i + 1] == 0 && raw[i + 2] == 0 && raw[i + 3] == 0) {
            int size = ((raw[i + 4] & 0xff) << 24) | ((raw[i + 5] & 0xff) << 16) | ((raw[i + 6] & 0xff) << 8) | (raw[i + 7] & 0xff);
            int end = Math.min(raw.length, i + 8 + size);
            text.write(raw, i + 8, end - i - 8);
            i = end;
        }
        if (i == 0) return new String(raw, StandardCharsets.UTF_8); // a TTY's stream: plain text
        return text.toString(StandardCharsets.UTF_8);
    }

    private static Map<String, Boolean> toTrue(Collection<String> values) {
        Map<String, Boolean> m = new LinkedHashMap<>();
        values.forEach(v -> m.put(v, true));
        return m;
    }

    static String encode(Object filter) {
        try {
            return URLEncoder.encode(JSON.writeValueAsString(filter), StandardCharsets.UTF_8);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String text(JsonNode n) {
        return n.isMissingNode() || n.isNull() ? null : n.asText();
    }
}
