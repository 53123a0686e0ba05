package lib.compose;

import lib.base.DeployError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Compose-style variable substitution: {@code $VAR}, {@code ${VAR}}, {@code ${VAR:-default}}, {@code ${VAR-default}},
 * {@code ${VAR:?message}}, {@code ${VAR?message}} and {@code $$} for a literal dollar. Unlike Compose, an unset
 * variable with no default is an error: deploying an empty image tag is worse than stopping.
 */
public final class Interpolator {
    private final Map<String, String> vars;
    private final String where;

    public Interpolator(Map<String, String> vars, String where) {
        this.vars = vars;
        this.where = where;
    }

    /** Our per-colour variables win over the process environment, which wins over {@code .env} (as in Compose). */
    public static Map<String, String> variables(Path dotEnv, Map<String, String> processEnv, Map<String, String> ours) {
        Map<String, String> all = new LinkedHashMap<>(readDotEnv(dotEnv));
        all.putAll(processEnv);
        all.putAll(ours);
        return all;
    }

    /** The same variables, with errors naming key (a path such as services.app.environment.DB_URL) after the file. */
    public Interpolator at(String key) {
        return new Interpolator(vars, where + ": " + key);
    }

    /**
     * KEY=VALUE lines, as .env and env_file have them. A malformed line is reported by its number only: these files
     * hold passwords, and an error message ends up in CI logs.
     */
    public static Map<String, String> readDotEnv(Path file) {
        Map<String, String> out = new LinkedHashMap<>();
        if (file == null || !Files.isRegularFile(file)) return out;
        ComposeLoader.requireSmall(file);
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw DeployError.config(file + ": cannot read (" + e.getClass().getSimpleName() + ")");
        }
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            if (line.startsWith("export ")) line = line.substring(7).strip();
            int eq = line.indexOf('=');
            String key = eq <= 0 ? "" : line.substring(0, eq).strip();
            if (!key.matches("[A-Za-z_][A-Za-z0-9_.-]*")) {
                throw DeployError.config(file + ":" + (i + 1) + ": not a KEY=VALUE line (KEY: letters, digits, '_', '.', '-'; "
                        + "# starts a comment); the line is not shown, as it may hold a secret");
            }
            String value = line.substring(eq + 1).strip();
            if (value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\"") || value.startsWith("'") && value.endsWith("'"))) {
                value = value.substring(1, value.length() - 1);
            }
            out.put(key, value);
        }
        return out;
    }

    public String apply(String s) {
        if (s.indexOf('$') < 0) return s;
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c != '$') {
                out.append(c);
                i++;
                continue;
            }
            if (i + 1 >= s.length()) {
                throw DeployError.config(where + ": a lone \"$\" at the end of the value; write $$ for a literal dollar");
            }
            char n = s.charAt(i + 1);
            if (n == '$') {
                out.append('$');
                i += 2;
            } else if (n == '{') {
                int close = s.indexOf('}', i + 2);
                if (close < 0) throw DeployError.config(where + ": unclosed \"${\" at character " + (i + 1) + " of the value; close it with }, or write $$ for a literal dollar");
                out.append(expand(s.substring(i + 2, close)));
                i = close + 1;
            } else if (Character.isLetter(n) || n == '_') {
                int end = i + 1;
                while (end < s.length() && (Character.isLetterOrDigit(s.charAt(end)) || s.charAt(end) == '_')) end++;
                out.append(expand(s.substring(i + 1, end)));
                i = end;
            } else {
                throw DeployError.config(where + ": \"$\" at character " + (i + 1) + " of the value starts no variable; write $$ for a literal dollar");
            }
        }
        return out.toString();
    }

    private String expand(String expr) {
        int op = indexOfOperator(expr);
        String name = op < 0 ? expr : expr.substring(0, op);
        if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw DeployError.config(where + ": \"${...}\" holds no valid variable name; write ${NAME}, NAME of letters, digits and '_'");
        }
        String value = vars.get(name);
        if (op < 0) {
            if (value == null) {
                throw DeployError.config(where + ": variable " + name + " is not set; set it in the environment or .env, or write ${" + name + ":-default}");
            }
            return value;
        }
        boolean colon = expr.charAt(op) == ':';
        char kind = expr.charAt(colon ? op + 1 : op);
        String arg = expr.substring(colon ? op + 2 : op + 1);
        boolean missing = value == null || colon && value.isEmpty();
        if (kind == '-') return missing ? apply(arg) : value;
        if (missing) {
            throw DeployError.config(where + ": variable " + name + " is required: " + (arg.isEmpty() ? "set it in the environment or .env" : arg));
        }
        return value;
    }

    private static int indexOfOperator(String expr) {
        for (int i = 0; i < expr.length(); i++) {
            char c = expr.charAt(i);
            if (c == '-' || c == '?') return i;
            if (c == ':' && i + 1 < expr.length() && (expr.charAt(i + 1) == '-' || expr.charAt(i + 1) == '?')) return i;
        }
        return -1;
    }
}
