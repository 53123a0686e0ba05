package lib.base;


import java.util.ArrayList;
import java.util.List;

/** Splits a Compose string command into argv the way Compose does (POSIX shlex), without ever running a shell. */
public final class ShellWords {
    private ShellWords() {}

    public static List<String> split(String s, String where) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote == '\'') {
                if (c == '\'') quote = 0; else cur.append(c);
            } else if (quote == '"') {
                if (c == '"') quote = 0;
                else if (c == '\\' && i + 1 < s.length() && "\"\\$`".indexOf(s.charAt(i + 1)) >= 0) cur.append(s.charAt(++i));
                else cur.append(c);
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    out.add(cur.toString());
                    cur.setLength(0);
                    inWord = false;
                }
            } else {
                inWord = true;
                if (c == '\'' || c == '"') quote = c;
                else if (c == '\\' && i + 1 < s.length()) cur.append(s.charAt(++i));
                else cur.append(c);
            }
        }
        // the command is not shown: after interpolation it may hold a password from .env
        if (quote != 0) throw DeployError.config(where + ": unclosed " + quote + " quote in the command (not shown, as it may hold a secret); close it, or write the command as a list");
        if (inWord) out.add(cur.toString());
        return out;
    }
}
