package lib.front;

import lib.model.EdgeSettings;
import lib.model.FrontSettings;

import java.time.Duration;
import java.util.List;

/**
 * The managed front's nginx configuration as text: the main file, which changes only with the front's settings
 * (rewritten and reloaded when they do), and the upstream file, which the switch rewrites. Pure, so what nginx is
 * told can be tested without nginx. The main file is built from small parts, one job each (limits, client
 * identity, maintenance, each server), so a new setting is one more part.
 */
public final class NginxConfig {
    public static final String CONF = "/etc/nginx/nginx.conf";
    static final String UPSTREAM_DIR = "/etc/nginx/bgdeploy";
    public static final String UPSTREAM = UPSTREAM_DIR + "/upstream.conf";
    /** The open preview's upstream, or none: written by --preview, promote and abort, never by the switch. */
    public static final String PREVIEW = UPSTREAM_DIR + "/preview.conf";
    /** The cookie that sends a request on the main port to the open preview (a tester on the real host name). */
    public static final String PREVIEW_COOKIE = "bgdeploy-preview";
    /** What the front serves when no colour is live: nothing answers there, so nginx says 502. */
    public static final String NOWHERE = "127.0.0.1:9";
    public static final String TLS_DIR = UPSTREAM_DIR + "/tls";
    public static final String TLS_CERT = TLS_DIR + "/cert.pem";
    public static final String TLS_KEY = TLS_DIR + "/key.pem";
    public static final String MAINTENANCE_DIR = UPSTREAM_DIR + "/maintenance";
    public static final String MAINTENANCE_HTML = MAINTENANCE_DIR + "/page.html";
    public static final String MAINTENANCE_JSON = MAINTENANCE_DIR + "/page.json";
    /**
     * One line per upgraded connection (WebSocket) when it ends: the worker's pid, the time, the status. Opened by
     * nginx's master, so the workers can write it whatever their user; the drain reads it to count the connections
     * it closed on the old colour.
     */
    public static final String UPGRADE_LOG = "/tmp/bgdeploy-upgrades.log";
    /** The container ports the front listens on; the host ports are bound to them. */
    public static final int HTTP_PORT = 80;
    public static final int TLS_PORT = 443;
    public static final int PREVIEW_PORT = 81;
    /** What the preview port answers while no preview is open: one line, 404. */
    public static final String NO_PREVIEW = "no preview is open on this front (deploy.java --preview opens one)";

    private final FrontSettings front;
    private final EdgeSettings edge;

    public NginxConfig(FrontSettings front) {
        this.front = front;
        this.edge = front.edge();
    }

    /** The main file of a front with every default setting. */
    public static String mainConfig() {
        return new NginxConfig(FrontSettings.managedDefaults()).main();
    }

    public String main() {
        return "# Managed by bgdeploy (deploy.java --front managed). Changes by hand are detected and undone.\n"
                + "worker_processes 1;\n"
                + "error_log /dev/stderr warn;\n"
                + "pid /tmp/bgdeploy-front.pid;\n"
                + shutdown()
                + "events { worker_connections 4096; }\n"
                + "http {\n"
                + indent(logs() + connections() + failover() + bodies() + upgrades() + clientIdentity() + maintenanceMaps()
                + "include " + UPSTREAM + ";\n" + previewRouting() + httpServer() + tlsServer() + previewServer())
                + "}\n";
    }

    /**
     * After a reload the old workers finish their requests and exit; an upgraded connection (a WebSocket) never
     * finishes by itself, so past --drain-timeout nginx closes it and the old worker exits.
     */
    String shutdown() {
        Duration drain = front.drain() == null ? FrontSettings.DEFAULT_DRAIN : front.drain();
        return "worker_shutdown_timeout " + Math.max(1, drain.toSeconds()) + "s;\n";
    }

    /** Every answer, one JSON line each, for the deploy's traffic report and `traffic` (see AccessLog); and the upgrades' ends. */
    String logs() {
        return AccessLog.FORMAT + "\n"
                + "access_log " + AccessLog.FILE + " bgdeploy;\n"
                + "log_format bgdeploy_upgrade '$bgdeploy_upstream $msec $status';\n"
                + "map $status $bgdeploy_upgraded { 101 1; default 0; }\n"
                + "access_log " + UPGRADE_LOG + " bgdeploy_upgrade if=$bgdeploy_upgraded;\n";
    }

    String connections() {
        return """
                # One request per client connection: a reload closes the old workers' idle keep-alive connections,
                # and a client that sends on one at that instant gets no answer. With none idle, none is closed.
                keepalive_timeout 0;
                client_body_temp_path /tmp/nginx-body;
                proxy_temp_path /tmp/nginx-proxy;
                fastcgi_temp_path /tmp/nginx-fastcgi;
                uwsgi_temp_path /tmp/nginx-uwsgi;
                scgi_temp_path /tmp/nginx-scgi;
                """;
    }

    /**
     * A Swarm colour's upstream lists several tasks, and one on a node that is lost stops answering without refusing:
     * a connect gives up after 1 s and the request goes to the next task (nginx then skips the dead one for 10 s, its
     * default fail_timeout). A request already sent to a task is not sent again, so a POST is never repeated. On one
     * host the colour's one address is on the same engine, where a connect takes well under that.
     */
    String failover() {
        return "proxy_connect_timeout 1s;\nproxy_next_upstream error timeout;\n";
    }

    /** Bodies up to front.max_body, streamed to the colour as they arrive rather than spooled whole first. */
    String bodies() {
        return "client_max_body_size " + edge.maxBody() + ";\n"
                + "proxy_request_buffering off;\n"
                + "proxy_read_timeout " + edge.readTimeout().toSeconds() + "s;\n"
                + "proxy_send_timeout " + edge.sendTimeout().toSeconds() + "s;\n";
    }

    /**
     * Upgrade (WebSocket) passes through: Connection says upgrade only when the client asked for one, and stays
     * empty otherwise, which keeps the upstream keep-alive. A client asking for an event stream (EventSource sends
     * Accept: text/event-stream) is answered unbuffered; a response with X-Accel-Buffering: no is, by nginx itself.
     */
    String upgrades() {
        return """
                map $http_upgrade $bgdeploy_connection { default upgrade; '' ''; }
                map $http_accept $bgdeploy_stream { default 0; ~*text/event-stream 1; }
                """;
    }

    /**
     * The client's address and scheme for the app. Only a peer in front.trusted_proxies may say who the client is
     * (X-Forwarded-For, X-Forwarded-Proto); from anyone else those headers are replaced, never passed on.
     */
    String clientIdentity() {
        if (edge.trustedProxies().isEmpty()) return "";
        StringBuilder s = new StringBuilder();
        for (String cidr : edge.trustedProxies()) s.append("set_real_ip_from ").append(cidr).append(";\n");
        s.append("real_ip_header X-Forwarded-For;\nreal_ip_recursive on;\n");
        s.append("geo $realip_remote_addr $bgdeploy_trusted {\n    default 0;\n");
        for (String cidr : edge.trustedProxies()) s.append("    ").append(cidr).append(" 1;\n");
        s.append("}\n");
        s.append("map $http_x_forwarded_for $bgdeploy_xff_chain { '' $realip_remote_addr; default \"$http_x_forwarded_for, $realip_remote_addr\"; }\n");
        s.append("map $bgdeploy_trusted $bgdeploy_xff { 1 $bgdeploy_xff_chain; default $remote_addr; }\n");
        s.append("map $http_x_forwarded_proto $bgdeploy_proto_given { '' $scheme; default $http_x_forwarded_proto; }\n");
        s.append("map $bgdeploy_trusted $bgdeploy_proto { 1 $bgdeploy_proto_given; default $scheme; }\n");
        return s.toString();
    }

    String forwardedFor() {
        return edge.trustedProxies().isEmpty() ? "$remote_addr" : "$bgdeploy_xff";
    }

    String forwardedProto() {
        return edge.trustedProxies().isEmpty() ? "$scheme" : "$bgdeploy_proto";
    }

    /** Who may pass while maintenance is on ($remote_addr: after realip, the client), and which page a client gets. */
    String maintenanceMaps() {
        EdgeSettings.Maintenance m = edge.maintenance();
        if (!m.on()) return "";
        StringBuilder s = new StringBuilder("geo $bgdeploy_open {\n    default 0;\n");
        for (String cidr : m.allow()) s.append("    ").append(cidr).append(" 1;\n");
        s.append("}\n");
        s.append("map $http_accept $bgdeploy_page { default /bgdeploy-maintenance/page.html; ~*application/json /bgdeploy-maintenance/page.json; }\n");
        return s.toString();
    }

    /**
     * Which upstream a request on the main ports goes to: the live colour, or the open preview for a request that
     * carries the preview cookie. The preview's own file says whether one is open, so opening and closing a preview
     * rewrites that small file and never this one.
     */
    String previewRouting() {
        // nginx's $cookie_NAME finds no cookie whose name holds a dash (it does not map _ to -, as $http_ does), so
        // the Cookie header itself is matched: the cookie as a whole name=value pair, among others or alone.
        return "include " + PREVIEW + ";\n"
                + "map $http_cookie $bgdeploy_preview_cookie { \"~(^|;)\\s*" + PREVIEW_COOKIE + "=1\\s*(;|$)\" 1; default 0; }\n"
                + "map \"$bgdeploy_preview_cookie:$bgdeploy_preview_open\" $bgdeploy_pick { \"1:1\" bgdeploy_preview; default bgdeploy_live; }\n";
    }

    /**
     * The preview port: the open preview for everyone, plain HTTP (TLS is the main port's: there the cookie reaches
     * the preview on the real host name), or a one-line 404 while none is open. The front publishes it from its
     * creation on, so opening a preview never recreates a front that serves.
     */
    String previewServer() {
        return "server {\n    listen " + PREVIEW_PORT + ";\n"
                + "    error_page 404 @bgdeploy_no_preview;\n"
                + "    location @bgdeploy_no_preview {\n"
                + "        default_type text/plain;\n"
                + "        return 404 \"" + NO_PREVIEW + "\\n\";\n"
                + "    }\n"
                + indent(serverBody(front.previewPort(), "bgdeploy_preview", "if ($bgdeploy_preview_open = 0) { return 404; }\n")) + "}\n";
    }

    String httpServer() {
        EdgeSettings.Tls tls = edge.tls();
        if (tls.on() && tls.redirect()) {
            String port = tls.port() == 443 ? "" : ":" + tls.port();
            return "server {\n    listen " + HTTP_PORT + ";\n    location / {\n        return 301 https://$host" + port + "$request_uri;\n    }\n}\n";
        }
        return "server {\n    listen " + HTTP_PORT + ";\n" + indent(serverBody(front.port())) + "}\n";
    }

    /** HTTPS with HTTP/2, TLS 1.2 and 1.3 only, from the files ManagedFront copies in. */
    String tlsServer() {
        EdgeSettings.Tls tls = edge.tls();
        if (!tls.on()) return "";
        return "server {\n    listen " + TLS_PORT + " ssl http2;\n"
                + "    ssl_certificate " + TLS_CERT + ";\n"
                + "    ssl_certificate_key " + TLS_KEY + ";\n"
                + "    ssl_protocols TLSv1.2 TLSv1.3;\n"
                + "    ssl_prefer_server_ciphers off;\n"
                + "    ssl_session_cache shared:bgdeploy_tls:10m;\n"
                + "    ssl_session_timeout 1d;\n"
                // HTTP/2 multiplexes over one connection and nginx closes it at once with keep-alive off; at a
                // reload an HTTP/2 connection ends with GOAWAY, which tells the client what to retry.
                + "    keepalive_timeout 75s;\n"
                + indent(serverBody(tls.port())) + "}\n";
    }

    /** What both servers do: the error pages, the proxy to the live colour, the unbuffered variant for streams. */
    String serverBody(int publicPort) {
        return serverBody(publicPort, "$bgdeploy_pick", "");
    }

    /** The same for an upstream (a name, or a variable naming one) behind one more gate. */
    String serverBody(int publicPort, String upstream, String gate) {
        // Every error_page at this level: one in a location would hide all of the server's there.
        return "error_page 418 = @bgdeploy_stream;\n" + tooLarge() + maintenancePage()
                + "location / {\n" + indent(maintenanceGate() + gate
                + "if ($bgdeploy_stream) { return 418; }\n"
                + proxy(publicPort, upstream)) + "}\n"
                + "location @bgdeploy_stream {\n" + indent("proxy_buffering off;\n" + proxy(publicPort, upstream)) + "}\n";
    }

    String proxy(int publicPort, String upstream) {
        return "proxy_pass http://" + upstream + ";\n"
                + "proxy_http_version 1.1;\n"
                + "proxy_set_header Upgrade $http_upgrade;\n"
                + "proxy_set_header Connection $bgdeploy_connection;\n"
                + "proxy_set_header Host $host;\n"
                + "proxy_set_header X-Forwarded-For " + forwardedFor() + ";\n"
                + "proxy_set_header X-Forwarded-Proto " + forwardedProto() + ";\n"
                + "proxy_set_header X-Forwarded-Host $host;\n"
                + "proxy_set_header X-Forwarded-Port " + publicPort + ";\n"
                + "proxy_set_header X-Real-IP $remote_addr;\n"
                + "add_header X-Bgdeploy-Upstream $upstream_addr always;\n";
    }

    /** A body over front.max_body: nginx's 413, with a body that says which limit. */
    String tooLarge() {
        return "error_page 413 @bgdeploy_too_large;\n"
                + "location @bgdeploy_too_large {\n"
                + "    default_type text/plain;\n"
                + "    return 413 \"413 Request Entity Too Large: the body is over the front's limit of " + edge.maxBody()
                + " (front.max_body)\\n\";\n"
                + "}\n";
    }

    String maintenanceGate() {
        return edge.maintenance().on() ? "if ($bgdeploy_open = 0) { return 503; }\n" : "";
    }

    String maintenancePage() {
        EdgeSettings.Maintenance m = edge.maintenance();
        if (!m.on()) return "";
        return "error_page 503 $bgdeploy_page;\n"
                + "location ^~ /bgdeploy-maintenance/ {\n"
                + "    internal;\n"
                + "    alias " + MAINTENANCE_DIR + "/;\n"
                + "    types { text/html html; application/json json; }\n"
                + "    charset utf-8;\n"
                + "    etag off;\n"
                + "    if_modified_since off;\n"
                + "    charset_types application/json;\n"
                + "    add_header Retry-After " + m.retryAfterSeconds() + " always;\n"
                + "    add_header Cache-Control \"no-store\" always;\n"
                + "}\n";
    }

    private static String indent(String block) {
        StringBuilder s = new StringBuilder();
        for (String line : block.split("\n", -1)) {
            if (!line.isEmpty()) s.append("    ").append(line);
            s.append("\n");
        }
        return s.substring(0, s.length() - 1);
    }

    /**
     * The live colour's upstream, and its address as a variable: the workers of each configuration log the colour
     * they served (docker top's pids are the host's, nginx's $pid the container's, so pids cannot tell them apart).
     */
    public static String upstreamConfig(String target) {
        StringBuilder servers = new StringBuilder();
        for (String server : target.split(",")) servers.append("    server ").append(server).append(";\n");
        return "# Managed by bgdeploy: the live colour.\nupstream bgdeploy_live {\n" + servers + "    keepalive 16;\n}\n"
                + "map $pid $bgdeploy_upstream { default \"" + target + "\"; }\n";
    }

    /**
     * The preview file: the previewed colour's address, or none (null). Without a preview its upstream names
     * {@link #NOWHERE}, which nothing routes to, as nginx needs every upstream the main file names to exist.
     */
    public static String previewConfig(String target) {
        return "# Managed by bgdeploy: the open preview (deploy.java --preview), or none.\nupstream bgdeploy_preview {\n    server "
                + (target == null ? NOWHERE : target) + ";\n    keepalive 4;\n}\n"
                + "map $pid $bgdeploy_preview_open { default " + (target == null ? 0 : 1) + "; }\n";
    }

    /** The address a preview file routes to, or empty when it says no preview is open. */
    public static java.util.Optional<String> previewTarget(String previewConf) {
        if (!previewConf.contains("$bgdeploy_preview_open { default 1; }")) return java.util.Optional.empty();
        return java.util.Optional.of(currentTarget(previewConf)).filter(t -> !t.equals(NOWHERE));
    }

    /** A target of several addresses (a Swarm colour's tasks), one server each: {@code 10.0.1.5:80,10.0.1.6:80}. */
    public static String targetOf(java.util.Collection<String> addresses) {
        return String.join(",", new java.util.TreeSet<>(addresses));
    }

    /** The address an upstream file sends traffic to; {@link #NOWHERE} when it names none. */
    public static String currentTarget(String upstreamConf) {
        java.util.List<String> servers = new java.util.ArrayList<>();
        for (String line : upstreamConf.split("\n")) {
            String l = line.trim();
            if (l.startsWith("server ")) servers.add(l.substring(7).replace(";", "").trim());
        }
        return servers.isEmpty() ? NOWHERE : String.join(",", servers);
    }

    /** How many upgraded connections to {@code target} the log's lines say ended: those the drain's timeout closed. */
    public static int closedUpgrades(String logSinceDrain, String target) {
        int n = 0;
        for (String line : logSinceDrain.split("\n")) {
            String[] f = line.trim().split(" ");
            if (f.length == 3 && (target == null || f[0].equals(target)) && f[2].equals("101")) n++;
        }
        return n;
    }
}
