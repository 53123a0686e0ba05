package lib.front;

/**
 * The managed front's nginx configuration as text: the main file, which never changes between deploys, and the
 * upstream file, which the switch rewrites. Pure, so what nginx is told can be tested without nginx.
 */
public final class NginxConfig {
    public static final String CONF = "/etc/nginx/nginx.conf";
    static final String UPSTREAM_DIR = "/etc/nginx/bgdeploy";
    public static final String UPSTREAM = UPSTREAM_DIR + "/upstream.conf";
    /** What the front serves when no colour is live: nothing answers there, so nginx says 502. */
    public static final String NOWHERE = "127.0.0.1:9";

    private NginxConfig() {}

    public static String mainConfig() {
        return """
                # Managed by bgdeploy (deploy.java --front managed). Changes by hand are detected and undone.
                worker_processes 1;
                error_log /dev/stderr warn;
                pid /tmp/bgdeploy-front.pid;
                events { worker_connections 4096; }
                http {
                    # Every answer, one JSON line each, for the deploy's traffic report and `traffic` (see AccessLog).
                    %s
                    access_log %s bgdeploy;
                    # One request per client connection: a reload closes the old workers' idle keep-alive connections,
                    # and a client that sends on one at that instant gets no answer. With none idle, none is closed.
                    keepalive_timeout 0;
                    client_body_temp_path /tmp/nginx-body;
                    proxy_temp_path /tmp/nginx-proxy;
                    fastcgi_temp_path /tmp/nginx-fastcgi;
                    uwsgi_temp_path /tmp/nginx-uwsgi;
                    scgi_temp_path /tmp/nginx-scgi;
                    include %s;
                    server {
                        listen 80;
                        location / {
                            proxy_pass http://bgdeploy_live;
                            proxy_http_version 1.1;
                            proxy_set_header Connection "";
                            proxy_set_header Host $host;
                            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                            proxy_read_timeout 300s;
                            add_header X-Bgdeploy-Upstream $upstream_addr always;
                        }
                    }
                }
                """.formatted(AccessLog.FORMAT, AccessLog.FILE, UPSTREAM);
    }

    public static String upstreamConfig(String target) {
        return "# Managed by bgdeploy: the live colour.\nupstream bgdeploy_live {\n    server " + target + ";\n    keepalive 16;\n}\n";
    }

    /** The address an upstream file sends traffic to; {@link #NOWHERE} when it names none. */
    public static String currentTarget(String upstreamConf) {
        for (String line : upstreamConf.split("\n")) {
            String l = line.trim();
            if (l.startsWith("server ")) return l.substring(7).replace(";", "").trim();
        }
        return NOWHERE;
    }
}
