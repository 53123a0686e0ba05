package lib.base;

/**
 * The one label namespace of this toolkit, plus the Compose labels we also write so that
 * {@code docker compose -p <app>-green ps} and {@code docker-compose} v1 still see our containers.
 */
public final class Labels {
    public static final String NS = "dev.bgdeploy.";
    public static final String APP = NS + "app";
    public static final String COLOUR = NS + "colour";
    public static final String RELEASE = NS + "release";
    public static final String DEPLOYED_AT = NS + "deployed-at";
    public static final String DEPLOYED_BY = NS + "deployed-by";
    public static final String STOP_GRACE = NS + "stop-grace-seconds";
    public static final String STOP_SIGNAL = NS + "stop-signal";
    /** The Compose file's restart policy, applied only once the colour passed its gate (see ContainerSpec). */
    public static final String RESTART = NS + "restart";
    public static final String ROLE = NS + "role";
    /** A one-shot job (depends_on: condition: service_completed_successfully): exit 0 is its success, not a crash. */
    public static final String ONE_SHOT = NS + "one-shot";
    /**
     * "false" on every container of a colour made behind the managed front without host ports (front.publish_ports
     * false): the front reaches it over its network, so nothing else holds a port it would need.
     */
    public static final String PUBLISH = NS + "publish-ports";
    /** The Compose file's container ports that such a container does not publish ("80/tcp,443/tcp"): what the front and the probe use. */
    public static final String PORTS = NS + "ports";
    public static final String LOCK_PURPOSE = NS + "lock.purpose";
    public static final String LOCK_PID = NS + "lock.pid";
    public static final String LOCK_HOST = NS + "lock.host";
    public static final String LOCK_PID_STARTED = NS + "lock.pid-started";
    public static final String LOCK_PROCESS_SPACE = NS + "lock.process-space";

    /** A Swarm service's replicas while it serves: what a rollback scales a stopped (0) colour back to. */
    public static final String REPLICAS = NS + "replicas";
    /** Swarm's stack label: {@code docker stack ps <app>-<colour>} lists a colour's tasks. */
    public static final String STACK_NAMESPACE = "com.docker.stack.namespace";
    public static final String STACK_IMAGE = "com.docker.stack.image";

    public static final String COMPOSE_PROJECT = "com.docker.compose.project";
    public static final String COMPOSE_SERVICE = "com.docker.compose.service";
    public static final String COMPOSE_NUMBER = "com.docker.compose.container-number";
    public static final String COMPOSE_ONEOFF = "com.docker.compose.oneoff";
    public static final String COMPOSE_WORKING_DIR = "com.docker.compose.project.working_dir";
    public static final String COMPOSE_CONFIG_FILES = "com.docker.compose.project.config_files";
    public static final String COMPOSE_NETWORK = "com.docker.compose.network";
    public static final String COMPOSE_VOLUME = "com.docker.compose.volume";

    private Labels() {}
}
