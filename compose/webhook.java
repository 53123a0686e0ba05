///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+

import com.sun.net.httpserver.HttpServer;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * A webhook receiver for trying notifications locally: listens on 127.0.0.1:PORT (default 9999), prints every
 * request body it gets, answers 200. Stop it with Ctrl-C.
 */
public class webhook {
    public static void main(String... args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 9999;
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.createContext("/", ex -> {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            System.out.println(ex.getRequestMethod() + " " + ex.getRequestURI() + " " + body);
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        server.start();
        System.out.println("listening on http://127.0.0.1:" + port + "/");
    }
}
