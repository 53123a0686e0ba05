package lib.front;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the front answers while maintenance is on: an HTML page (the user's file, or one made from their message)
 * and the same message as JSON for clients that ask for it. Both go into the front as files, never into a label.
 */
public record MaintenancePage(String html, String json) {
    public static final String DEFAULT_MESSAGE = "We are down for maintenance and will be back shortly.";

    /** @param message the text for both pages (null: the default); @param html the user's own page (null: made from the message) */
    public static MaintenancePage of(String message, String html) {
        String text = message == null || message.isBlank() ? DEFAULT_MESSAGE : message;
        String page = html != null ? html : "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>Maintenance</title>"
                + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>\n"
                + "<body style=\"font-family: sans-serif; max-width: 40em; margin: 4em auto; padding: 0 1em\">\n<h1>Back soon</h1>\n<p>"
                + escapeHtml(text) + "</p>\n</body>\n</html>\n";
        String json = "{\"status\":503,\"maintenance\":true,\"message\":\"" + escapeJson(text) + "\"}\n";
        return new MaintenancePage(page, json);
    }

    public Map<String, String> files() {
        Map<String, String> f = new LinkedHashMap<>();
        f.put(NginxConfig.MAINTENANCE_HTML, html);
        f.put(NginxConfig.MAINTENANCE_JSON, json);
        return f;
    }

    static String escapeHtml(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    static String escapeJson(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.toString();
    }
}
