package lib.compose;

import lib.compose.ComposeProject.Mount;
import lib.compose.ComposeProject.MountKind;
import lib.compose.ComposeProject.Service;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which services look stateful: a database, cache, queue or search index deployed as a colour runs twice, and blue and
 * green each get their own (an empty one for the new colour, or two servers on one data directory). A guess from the
 * image's name and the mounts, so a file is refused before anything changes; colours: in deploy.yml overrides it.
 */
public final class StatefulGuess {
    private StatefulGuess() {}

    /** Why a service looks stateful: what gave it away ("image mariadb:11, data in volume db_data") and what it holds. */
    public record Finding(String service, String evidence, String kind) {}

    /** By the last path component of the image's repository (any registry, any tag). */
    static final Map<String, String> IMAGES = Map.ofEntries(
            db("mysql"), db("mysql-server"), db("mariadb"), db("percona"), db("percona-server"), db("postgres"), db("postgresql"),
            db("postgis"), db("timescaledb"), db("mongo"), db("mongodb"), db("cassandra"), db("couchdb"), db("neo4j"),
            db("clickhouse-server"), db("clickhouse"), db("influxdb"), db("etcd"),
            Map.entry("redis", "cache"), Map.entry("redis-stack", "cache"), Map.entry("redis-stack-server", "cache"),
            Map.entry("valkey", "cache"), Map.entry("keydb", "cache"), Map.entry("memcached", "cache"),
            Map.entry("rabbitmq", "queue"), Map.entry("kafka", "queue"), Map.entry("cp-kafka", "queue"), Map.entry("nats", "queue"),
            Map.entry("zookeeper", "coordination store"), Map.entry("cp-zookeeper", "coordination store"),
            Map.entry("elasticsearch", "search index"), Map.entry("opensearch", "search index"), Map.entry("solr", "search index"),
            Map.entry("meilisearch", "search index"), Map.entry("typesense", "search index"),
            Map.entry("minio", "object store"));

    /** Data directories of the usual images; /bitnami/ holds every Bitnami image's data. */
    static final Map<String, String> DATA_DIRS = Map.ofEntries(
            Map.entry("/var/lib/mysql", "database"), Map.entry("/var/lib/postgresql/data", "database"),
            Map.entry("/var/lib/postgresql", "database"), Map.entry("/data/db", "database"), Map.entry("/var/lib/mongodb", "database"),
            Map.entry("/data/configdb", "database"), Map.entry("/var/lib/cassandra", "database"), Map.entry("/opt/couchdb/data", "database"),
            Map.entry("/var/lib/clickhouse", "database"), Map.entry("/var/lib/influxdb", "database"), Map.entry("/var/lib/influxdb2", "database"),
            Map.entry("/var/lib/neo4j/data", "database"), Map.entry("/usr/share/elasticsearch/data", "search index"),
            Map.entry("/usr/share/opensearch/data", "search index"), Map.entry("/var/solr", "search index"),
            Map.entry("/meili_data", "search index"), Map.entry("/var/lib/redis", "cache"), Map.entry("/var/lib/rabbitmq", "queue"));

    private static Map.Entry<String, String> db(String name) {
        return Map.entry(name, "database");
    }

    /** The repository's last path component: registry, path, tag and digest dropped ("docker.io/bitnami/redis:7" is redis). */
    public static String imageName(String image) {
        String s = image;
        int at = s.indexOf('@');
        if (at >= 0) s = s.substring(0, at);
        int slash = s.lastIndexOf('/');
        int colon = s.lastIndexOf(':');
        if (colon > slash) s = s.substring(0, colon);
        return s.substring(slash + 1).toLowerCase();
    }

    static String dataDirKind(String target) {
        String t = target.length() > 1 && target.endsWith("/") ? target.substring(0, target.length() - 1) : target;
        if (t.equals("/bitnami") || t.startsWith("/bitnami/")) return "data";
        return DATA_DIRS.get(t);
    }

    /** The finding for one service, or empty when it looks stateless. */
    public static Optional<Finding> of(ComposeProject p, Service s) {
        String imageKind = IMAGES.get(imageName(s.image()));
        List<String> evidence = new ArrayList<>();
        if (imageKind != null) evidence.add("image " + s.image());
        List<Mount> data = s.volumes().stream().filter(m -> dataDirKind(m.target()) != null).toList();
        // A known image's data is in its volume wherever it is mounted (redis keeps it in /data): the first named one.
        if (data.isEmpty() && imageKind != null) {
            data = s.volumes().stream().filter(m -> m.kind() == MountKind.NAMED).limit(1).toList();
        }
        data.forEach(m -> evidence.add(describe(p, m)));
        String dirKind = data.isEmpty() ? null : dataDirKind(data.get(0).target());
        if (imageKind == null && data.isEmpty()) return Optional.empty();
        if (imageKind == null) evidence.add(0, "image " + s.image());
        String kind = imageKind != null ? imageKind : dirKind;
        return Optional.of(new Finding(s.name(), String.join(", ", evidence), kind));
    }

    private static String describe(ComposeProject p, Mount m) {
        return switch (m.kind()) {
            case NAMED -> "data in volume " + volumeKey(p, m.source()) + (dataDirKind(m.target()) != null ? "" : " at " + m.target());
            case BIND -> "data in " + m.source() + " at " + m.target();
            case ANONYMOUS -> "data in an anonymous volume at " + m.target();
            case TMPFS -> "data in a tmpfs at " + m.target();
        };
    }

    /** The volume as the file names it (db_data), not as the engine does (shop-blue_db_data). */
    static String volumeKey(ComposeProject p, String engineName) {
        return p.volumes().values().stream().filter(r -> r.name().equals(engineName)).map(ComposeProject.Resource::key).findFirst().orElse(engineName);
    }

    /** The one line that refuses a stateful service left among the colours, and says what to write. */
    public static String refusal(Finding f) {
        String own = switch (f.kind()) {
            case "data" -> "their own copy of its data";
            case "coordination store", "object store", "search index", "queue", "cache" -> "their own " + f.kind();
            default -> "their own database";
        };
        return "service " + f.service() + " (" + f.evidence() + ") would run once per colour: blue and green would each have " + own
                + ". List it under accessories: in deploy.yml (or --accessory " + f.service() + "), or under colours: if that is what you want";
    }
}
