import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * lib/ is built in floors: each package may use only the packages below it, so no cycle can form and each one can
 * be read knowing only its floors. Read from the sources themselves (imports and fully qualified names in code,
 * comments and strings left out), so the rule holds for code written tomorrow. The README's layout table lists the
 * same floors.
 */
class LayersTest {
    /** Lowest first. */
    static final List<String> FLOORS = List.of("base", "model", "docker", "compose", "front", "health", "host", "release", "project",
            "target", "engine", "options", "cli");
    /** Only the command line's floors may know picocli. */
    static final List<String> PICOCLI = List.of("options", "cli");

    static final Pattern LIB_REF = Pattern.compile("\\blib\\.([a-z]+)\\.(?:[A-Z]|\\*)");

    @Test
    void everyPackageUsesOnlyTheFloorsBelowIt() throws IOException {
        Map<String, TreeSet<String>> uses = uses();
        assertEquals(new TreeSet<>(FLOORS), new TreeSet<>(uses.keySet()), "every package of lib/ has its floor in FLOORS (and the README)");
        List<String> wrong = new ArrayList<>();
        uses.forEach((pkg, used) -> used.forEach(u -> {
            if (u.equals("picocli")) {
                if (!PICOCLI.contains(pkg)) wrong.add("lib." + pkg + " uses picocli (only " + PICOCLI + " may)");
            } else if (FLOORS.indexOf(u) >= FLOORS.indexOf(pkg)) {
                wrong.add("lib." + pkg + " uses lib." + u + ", which is not below it");
            }
        }));
        assertTrue(wrong.isEmpty(), String.join("\n", wrong));
    }

    @Test
    void theRuleSeesQualifiedNamesAndIgnoresComments() {
        assertEquals(List.of("host"), refs("var x = lib.host.StopSignals.unhandled(d, t);"));
        assertEquals(List.of(), refs("// see lib.host.RecordStore\n/* lib.cli.Cli */ String s = \"lib.cli.Cli\";"));
        assertEquals(List.of("picocli"), refs("import picocli.CommandLine;"));
        assertEquals(List.of("engine"), refs("import lib.engine.*;"));
    }

    static Map<String, TreeSet<String>> uses() throws IOException {
        Map<String, TreeSet<String>> uses = new TreeMap<>();
        try (Stream<Path> files = Files.walk(Path.of("lib"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String pkg = f.getParent().getFileName().toString();
                TreeSet<String> used = uses.computeIfAbsent(pkg, k -> new TreeSet<>());
                refs(Files.readString(f)).stream().filter(u -> !u.equals(pkg)).forEach(used::add);
            }
        }
        return uses;
    }

    static List<String> refs(String source) {
        String code = source.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\\n]*", " ").replaceAll("\"(?:[^\"\\\\\\n]|\\\\.)*\"", "\"\"");
        List<String> found = new ArrayList<>();
        Matcher m = LIB_REF.matcher(code);
        while (m.find()) found.add(m.group(1));
        if (code.matches("(?s).*\\bpicocli\\.[A-Za-z]+.*")) found.add("picocli");
        return found.stream().distinct().toList();
    }
}
