package lib.compose;

import lib.base.DeployError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * .env and env_file as Compose reads them (compose-go's dotenv): {@code KEY=VALUE} lines, {@code export } allowed,
 * {@code #} comment lines, an unquoted value ends at {@code " #"} (an inline comment) and is trimmed; a single-quoted
 * value is literal; a double-quoted one takes escapes ({@code \n}, {@code \t}, {@code \r}, {@code \"}, {@code \\});
 * quoted values may span lines; {@code ${VAR}} in unquoted and double-quoted values is expanded from the environment
 * first, then from the lines above (unset is empty, as in Compose); a bare {@code KEY} line takes KEY from the
 * environment. A malformed line is reported by its number only: these files hold passwords, and an error message
 * ends up in CI logs.
 */
public final class DotEnv {
    private DotEnv() {}

    /** @param outside the environment the file is read in (null when a name is unset); null for none */
    public static Map<String, String> read(Path file, Function<String, String> outside) {
        Map<String, String> out = new LinkedHashMap<>();
        if (file == null || !Files.isRegularFile(file)) return out;
        ComposeLoader.requireSmall(file);
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw DeployError.config(file + ": cannot read (" + e.getClass().getSimpleName() + ")");
        }
        return parse(text, file.toString(), outside == null ? n -> null : outside, true);
    }

    /** @param expand false for env_file's format: raw, where values are taken as written */
    static Map<String, String> parse(String text, String where, Function<String, String> outside, boolean expand) {
        Map<String, String> out = new LinkedHashMap<>();
        Function<String, String> lookup = n -> {
            String v = outside.apply(n);
            return v != null ? v : out.get(n);
        };
        int i = 0;
        int line = 1;
        int n = text.length();
        while (i < n) {
            char c = text.charAt(i);
            if (c == '\n') {
                line++;
                i++;
                continue;
            }
            if (Character.isWhitespace(c)) {
                i++;
                continue;
            }
            int eol = text.indexOf('\n', i);
            if (eol < 0) eol = n;
            if (c == '#') {
                i = eol;
                continue;
            }
            if (text.startsWith("export ", i) || text.startsWith("export\t", i)) {
                i += 7;
                while (i < eol && (text.charAt(i) == ' ' || text.charAt(i) == '\t')) i++;
            }
            int eq = text.indexOf('=', i);
            String key = (eq < 0 || eq > eol ? text.substring(i, eol) : text.substring(i, eq)).strip();
            if (!key.matches("[A-Za-z_][A-Za-z0-9_.-]*")) throw bad(where, line);
            if (eq < 0 || eq > eol) {
                // a bare KEY: inherited from the environment, as in Compose
                String v = outside.apply(key);
                if (v != null) out.put(key, v);
                i = eol;
                continue;
            }
            i = eq + 1;
            while (i < eol && (text.charAt(i) == ' ' || text.charAt(i) == '\t')) i++;
            String value;
            if (i < n && (text.charAt(i) == '\'' || text.charAt(i) == '"')) {
                char q = text.charAt(i);
                int close = i + 1;
                while (close < n && !(text.charAt(close) == q && text.charAt(close - 1) != '\\')) close++;
                if (close >= n) {
                    throw DeployError.config(where + ":" + line + ": the value's " + (q == '"' ? "double" : "single")
                            + " quote is never closed; close it (the value is not shown, as it may hold a secret)");
                }
                String body = text.substring(i + 1, close);
                for (int k = i; k < close; k++) if (text.charAt(k) == '\n') line++;
                if (q == '"') {
                    body = escapes(body);
                    if (expand) body = new Interpolator(lookup, where + ":" + line, true).apply(body);
                }
                value = body;
                int rest = text.indexOf('\n', close);
                i = rest < 0 ? n : rest;
            } else {
                String raw = text.substring(i, eol);
                int hash = inlineComment(raw);
                if (hash >= 0) raw = raw.substring(0, hash);
                raw = raw.strip();
                value = expand ? new Interpolator(lookup, where + ":" + line, true).apply(raw) : raw;
                i = eol;
            }
            out.put(key, value);
        }
        return out;
    }

    /** Where " #" starts a comment in an unquoted value; a # inside a word (pass#word) is part of it. */
    static int inlineComment(String raw) {
        for (int k = 0; k < raw.length(); k++) {
            if (raw.charAt(k) == '#' && (k == 0 || Character.isWhitespace(raw.charAt(k - 1)))) return k;
        }
        return -1;
    }

    private static String escapes(String s) {
        if (s.indexOf('\\') < 0) return s;
        StringBuilder b = new StringBuilder();
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if (c != '\\' || k + 1 >= s.length()) {
                b.append(c);
                continue;
            }
            char e = s.charAt(++k);
            switch (e) {
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case '$' -> b.append("$$"); // a literal dollar, not a variable
                default -> b.append(e);
            }
        }
        return b.toString();
    }

    private static DeployError bad(String where, int line) {
        return DeployError.config(where + ":" + line + ": not a KEY=VALUE line (KEY: letters, digits, '_', '.', '-'; "
                + "# starts a comment); the line is not shown, as it may hold a secret");
    }
}
