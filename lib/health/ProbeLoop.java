package lib.health;

import lib.base.Text;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The host-side probe as one exec that loops (see HostProbe): the command to run, and what each line it prints says.
 * The script is a constant; the GET and its settings come in as arguments, never spliced into it.
 */
public final class ProbeLoop {
    private ProbeLoop() {}

    public static final Duration INTERVAL = Duration.ofMillis(20);
    static final String PREFIX = "bgdeploy-probe ";

    /**
     * $1 tries, $2 successes in a row to stop at, $3 wget|curl, then the GET. Prints "bgdeploy-probe EXIT OUTPUT" per
     * try; 20 ms apart while waiting, 10 ms between successes (they prove stability, not patience). A sleep without
     * fractions waits 1 s and counts as 50 tries, so the loop still ends within about the gate's timeout.
     */
    static final String SCRIPT = """
            set -f; n=$1; need=$2; tool=$3; shift 3; i=0; ok=0
            while [ "$i" -lt "$n" ]; do
              i=$((i+1)); o=$("$@" 2>&1); c=$?
              good=0; if [ "$c" = 0 ]; then case "$tool$o" in wget*|curl2*) good=1;; esac; fi
              if [ "$good" = 1 ]; then ok=$((ok+1)); else ok=0; fi
              printf 'bgdeploy-probe %s' "$c"; printf ' %s' $o; printf '\\n'
              [ "$ok" -ge "$need" ] && exit 0
              if [ "$good" = 1 ]; then t=0.01; else t=0.02; fi
              sleep "$t" 2>/dev/null || { sleep 1; i=$((i+49)); }
            done
            """;

    /** As many tries as fit in the gate's timeout: a loop nobody reads any more ends by itself. */
    public static List<String> command(Duration timeout, int successes, boolean curl, List<String> get) {
        long tries = Math.max(1, timeout.toMillis() / INTERVAL.toMillis() + 1);
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", SCRIPT, "bgdeploy-probe", String.valueOf(tries),
                String.valueOf(Math.max(1, successes)), curl ? "curl" : "wget"));
        cmd.addAll(get);
        return cmd;
    }

    /** One try: a 2xx answer, or what was said instead. */
    public record Answer(boolean good, String said) {}

    /** null for a line that is not one of the loop's. curl prints the status code; wget exits non-zero on no 2xx. */
    public static Answer parse(String line, boolean curl) {
        if (!line.startsWith(PREFIX)) return null;
        String[] codeAndSaid = line.substring(PREFIX.length()).split(" ", 2);
        String said = codeAndSaid.length > 1 ? codeAndSaid[1].strip() : "";
        boolean exited0 = codeAndSaid[0].equals("0");
        if (exited0 && (!curl || said.startsWith("2"))) return new Answer(true, said);
        return new Answer(false, exited0 ? "it answered " + said : said.isEmpty() ? "exit code " + codeAndSaid[0] : Text.oneLine(said));
    }
}
