package lib.compose;

import lib.base.DeployError;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.nio.file.Path;

/**
 * Compose-style variable substitution: {@code $VAR}, {@code ${VAR}}, {@code ${VAR:-default}}, {@code ${VAR-default}},
 * {@code ${VAR:+alt}}, {@code ${VAR+alt}}, {@code ${VAR:?message}}, {@code ${VAR?message}}, nested
 * ({@code ${A:-${B:-x}}}) and {@code $$} for a literal dollar. Unlike Compose, an unset variable with no default is an
 * error in a Compose file: deploying an empty image tag is worse than stopping. In a .env file it is empty, as in
 * Compose (see {@link DotEnv}).
 */
public final class Interpolator {
    private final Function<String, String> lookup;
    private final String where;
    private final boolean unsetIsEmpty;

    public Interpolator(Map<String, String> vars, String where) {
        this(vars::get, where, false);
    }

    Interpolator(Function<String, String> lookup, String where, boolean unsetIsEmpty) {
        this.lookup = lookup;
        this.where = where;
        this.unsetIsEmpty = unsetIsEmpty;
    }

    /** Our per-colour variables win over the process environment, which wins over {@code .env} (as in Compose). */
    public static Map<String, String> variables(Path dotEnv, Map<String, String> processEnv, Map<String, String> ours) {
        Map<String, String> outside = new LinkedHashMap<>(processEnv);
        outside.putAll(ours);
        Map<String, String> all = new LinkedHashMap<>(DotEnv.read(dotEnv, outside::get));
        all.putAll(outside);
        return all;
    }

    /** The same variables, with errors naming key (a path such as services.app.environment.DB_URL) after the file. */
    public Interpolator at(String key) {
        return new Interpolator(lookup, where + ": " + key, unsetIsEmpty);
    }

    /** The same variables, with errors naming another file (an included or extended one). */
    public Interpolator forFile(Path file) {
        return new Interpolator(lookup, file.toString(), unsetIsEmpty);
    }

    /** KEY=VALUE lines, as .env and env_file have them (see {@link DotEnv}); variables inside are left unexpanded. */
    public static Map<String, String> readDotEnv(Path file) {
        return DotEnv.read(file, name -> null);
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
                if (unsetIsEmpty) {
                    out.append('$');
                    break;
                }
                throw DeployError.config(where + ": a lone \"$\" at the end of the value; write $$ for a literal dollar");
            }
            char n = s.charAt(i + 1);
            if (n == '$') {
                out.append('$');
                i += 2;
            } else if (n == '{') {
                int close = closingBrace(s, i + 2);
                if (close < 0) throw DeployError.config(where + ": unclosed \"${\" at character " + (i + 1) + " of the value; close it with }, or write $$ for a literal dollar");
                out.append(expand(s.substring(i + 2, close)));
                i = close + 1;
            } else if (Character.isLetter(n) || n == '_') {
                int end = i + 1;
                while (end < s.length() && (Character.isLetterOrDigit(s.charAt(end)) || s.charAt(end) == '_')) end++;
                out.append(expand(s.substring(i + 1, end)));
                i = end;
            } else if (unsetIsEmpty) {
                out.append('$');
                i++;
            } else {
                throw DeployError.config(where + ": \"$\" at character " + (i + 1) + " of the value starts no variable; write $$ for a literal dollar");
            }
        }
        return out.toString();
    }

    /** The } that closes a ${ whose body starts at from, counting nested ${...} (as in ${A:-${B:-x}}). */
    static int closingBrace(String s, int from) {
        int depth = 0;
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '$' && i + 1 < s.length() && s.charAt(i + 1) == '$') {
                i++;
            } else if (c == '$' && i + 1 < s.length() && s.charAt(i + 1) == '{') {
                depth++;
                i++;
            } else if (c == '}') {
                if (depth == 0) return i;
                depth--;
            }
        }
        return -1;
    }

    private String expand(String expr) {
        int op = indexOfOperator(expr);
        String name = op < 0 ? expr : expr.substring(0, op);
        if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw DeployError.config(where + ": \"${...}\" holds no valid variable name; write ${NAME}, NAME of letters, digits and '_'");
        }
        String value = lookup.apply(name);
        if (op < 0) {
            if (value == null) {
                if (unsetIsEmpty) return "";
                throw DeployError.config(where + ": variable " + name + " is not set; set it in the environment or .env, or write ${" + name + ":-default}");
            }
            return value;
        }
        boolean colon = expr.charAt(op) == ':';
        char kind = expr.charAt(colon ? op + 1 : op);
        String arg = expr.substring(colon ? op + 2 : op + 1);
        boolean missing = value == null || colon && value.isEmpty();
        if (kind == '-') return missing ? apply(arg) : value;
        if (kind == '+') return missing ? "" : apply(arg);
        if (missing) {
            throw DeployError.config(where + ": variable " + name + " is required: " + (arg.isEmpty() ? "set it in the environment or .env" : arg));
        }
        return value;
    }

    private static int indexOfOperator(String expr) {
        for (int i = 0; i < expr.length(); i++) {
            char c = expr.charAt(i);
            if (c == '-' || c == '?' || c == '+') return i;
            if (c == ':' && i + 1 < expr.length() && "-?+".indexOf(expr.charAt(i + 1)) >= 0) return i;
        }
        return -1;
    }
}
