package lib.base;

import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The rules for option values, shared by the command line (picocli converters: a bad value is exit 2 naming the
 * option) and deploy.yml (the same rule, exit 3 naming the file and key). Each rule throws IllegalArgumentException
 * with a message that reads well after either "Invalid value for option '--x': " or "deploy.yml: health.timeout: ".
 */
public final class Values {
    private Values() {}

    public static Duration timeout(String s) {
        return Durations.parse(s, Durations.MAX_TIMEOUT);
    }

    /** A timeout that must leave time to do something: zero would fail every gate at once. */
    public static Duration positiveTimeout(String s) {
        Duration d = timeout(s);
        if (d.isZero()) throw new IllegalArgumentException("\"" + s.trim() + "\" leaves no time; write e.g. 30s, 2m");
        return d;
    }

    public static int port(String s) {
        BigInteger p = integer(s, "a port");
        if (!within(p, 1, 65535)) throw new IllegalArgumentException(Text.printable(p.toString()) + " is not a port; use 1-65535");
        return p.intValue();
    }

    /** How many of something: at least one, and few enough that a typo cannot mean "forever". */
    public static int count(String s) {
        BigInteger n = integer(s, "a count");
        if (!within(n, 1, 1000)) throw new IllegalArgumentException(Text.printable(n.toString()) + " is out of range; use 1-1000");
        return n.intValue();
    }

    /** The longest release ID: a git hash is 40 characters, a tag at most 128, and a name fits one line of output. */
    public static final int RELEASE_MAX = 128;

    /**
     * A release ID: 1-128 printable ASCII characters without spaces. It is printed in every line about the release,
     * stored in labels and the history, and may become an image tag through ${DEPLOY_RELEASE}: a newline would forge
     * lines of output, an escape sequence would repaint the terminal, and a long one would flood every line.
     */
    public static String release(String s) {
        if (s != null && s.length() > RELEASE_MAX) {
            throw new IllegalArgumentException("a release ID of " + s.length() + " characters is too long; " + RELEASE_RULE);
        }
        if (!isRelease(s)) throw new IllegalArgumentException("\"" + Text.printable(s == null ? "" : s) + "\" is not a release ID; " + RELEASE_RULE);
        return s;
    }

    public static final String RELEASE_RULE = "use 1-" + RELEASE_MAX + " printable ASCII characters without spaces, e.g. v1.2.3 or a commit hash";

    public static boolean isRelease(String s) {
        return s != null && s.matches("[!-~]{1," + RELEASE_MAX + "}");
    }

    /** A DNS label: the managed front's nginx resolves a colour's container by its name. */
    public static final int MAX_DNS_LABEL = 63;
    /** Room for the shortest container name, {@code <app>-green-X-1}; each service's own is checked when its file loads. */
    public static final int MAX_APP = MAX_DNS_LABEL - "-green-x-1".length();

    /**
     * Container names are {@code <app>-<colour>-<service>-1}, and containers are found by that prefix: an app name
     * with a colour segment after its first would make them read two ways (app shop's service green-web and app
     * shop-blue's service web are both shop-blue-green-web-1), so one app could take or remove another's.
     */
    public static String app(String s) {
        if (!s.matches("[a-z0-9][a-z0-9_-]*")) {
            throw new IllegalArgumentException("\"" + Text.printable(s) + "\" is not a valid app name; use lowercase letters, digits, '-' and '_'");
        }
        if (s.length() > MAX_APP) {
            throw new IllegalArgumentException("\"" + Text.printable(s) + "\" is " + s.length() + " characters; an app name is at most " + MAX_APP
                    + ", so that its container names (<app>-green-<service>-1) fit DNS's " + MAX_DNS_LABEL + "-character label");
        }
        if (s.matches(".*[-_](blue|green)([-_].*)?")) {
            throw new IllegalArgumentException("\"" + s + "\" has a -blue or -green segment, so its container names could be another app's"
                    + " (app shop's service green-web and app shop-blue's service web are both shop-blue-green-web-1); rename it, e.g. without the colour");
        }
        return s;
    }

    /**
     * A path and query as RFC 3986 spells them (unreserved, sub-delims, ':', '@', '/', '?', %XX): what the probe on this
     * machine can make a URI of and what wget or curl on the Docker host sends as typed. A space would fail every gate
     * try after the containers are up, and a '#' starts a fragment no server sees.
     */
    public static String probePath(String s) {
        if (s == null || !s.matches("/([A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})*")) {
            throw new IllegalArgumentException("\"" + Text.printable(s) + "\" is not a URL path; write e.g. /health (starting with '/', no spaces, '#' or"
                    + " control characters; %-encode others, e.g. %20 for a space)");
        }
        return s;
    }

    /** Any number of digits: a whole number too large for an int is still a number, and its message is the range. */
    private static BigInteger integer(String s, String what) {
        String t = s == null ? "" : s.trim();
        if (!t.matches("-?\\d+")) throw new IllegalArgumentException("\"" + Text.printable(t) + "\" is not " + what + "; write a whole number");
        return new BigInteger(t);
    }

    private static boolean within(BigInteger n, int min, int max) {
        return n.compareTo(BigInteger.valueOf(min)) >= 0 && n.compareTo(BigInteger.valueOf(max)) <= 0;
    }

    /** Enum values spelled as on the command line: lowercase, '-' for '_' (blue-green). */
    public static String spelling(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static <E extends Enum<E>> E choice(Class<E> type, String s) {
        Map<String, E> byName = Arrays.stream(type.getEnumConstants()).collect(Collectors.toMap(Values::spelling, Function.identity()));
        E e = byName.get(s == null ? "" : s.trim());
        if (e == null) {
            throw new IllegalArgumentException("\"" + Text.printable(s) + "\" is not one of " + String.join(", ", byName.keySet().stream().sorted().toList()));
        }
        return e;
    }

    /** A value from deploy.yml through the same rule as its option; the error names the file and the key. */
    public static <T> T fromFile(Path file, String key, String value, Function<String, T> rule) {
        try {
            return rule.apply(value);
        } catch (IllegalArgumentException e) {
            throw DeployError.config(file + ": " + key + ": " + e.getMessage());
        }
    }


    /**
     * A body size as nginx reads it: a number with an optional k, m or g, "0" for no limit; returned in nginx's
     * spelling (lower case), capped at 64g so a typo cannot mean "anything at all".
     */
    public static String size(String s) {
        String v = s == null ? "" : s.trim().toLowerCase(Locale.ROOT);
        if (!v.matches("\\d{1,12}[kmg]?")) {
            throw new IllegalArgumentException("\"" + Text.printable(s) + "\" is not a size; write e.g. 64m, 512k, 1g, or 0 for no limit");
        }
        BigInteger n = new BigInteger(v.replaceAll("[kmg]$", ""));
        BigInteger unit = BigInteger.valueOf(v.endsWith("g") ? 1L << 30 : v.endsWith("m") ? 1L << 20 : v.endsWith("k") ? 1L << 10 : 1);
        if (n.multiply(unit).compareTo(BigInteger.valueOf(64L << 30)) > 0) throw new IllegalArgumentException(v + " is over 64g; use 0 for no limit");
        return n + v.replaceAll("^\\d+", "");
    }

    /**
     * An IPv4 or IPv6 address or CIDR block, checked strictly since it is written into nginx's configuration:
     * returned as given (trimmed), with nothing but digits, hex, dots, colons and one slash.
     */
    public static String cidr(String s) {
        String v = s == null ? "" : s.trim();
        String[] parts = v.split("/", -1);
        String why = "\"" + Text.printable(v) + "\" is not an address or CIDR block; write e.g. 10.0.0.0/8, 203.0.113.7 or 2001:db8::/32";
        if (parts.length > 2 || parts[0].isEmpty()) throw new IllegalArgumentException(why);
        boolean v4 = parts[0].matches("(\\d{1,3}\\.){3}\\d{1,3}");
        boolean v6 = !v4 && parts[0].matches("[0-9a-fA-F:]*:[0-9a-fA-F:]*") && parts[0].length() <= 39;
        if (v4) {
            for (String octet : parts[0].split("\\.")) if (Integer.parseInt(octet) > 255) throw new IllegalArgumentException(why);
        }
        if (!v4 && !v6) throw new IllegalArgumentException(why);
        if (parts.length == 2) {
            if (!parts[1].matches("\\d{1,3}") || Integer.parseInt(parts[1]) > (v4 ? 32 : 128)) throw new IllegalArgumentException(why);
        }
        if (v6) {
            try {
                java.net.InetAddress.getByName(parts[0]); // a literal: no lookup
            } catch (java.net.UnknownHostException e) {
                throw new IllegalArgumentException(why);
            }
        }
        return v;
    }
}
