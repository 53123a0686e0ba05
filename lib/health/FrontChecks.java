package lib.health;

import lib.base.Durations;
import lib.front.ManagedFront;
import lib.model.SmokeCheck;

import java.util.List;

/**
 * deploy.yml's health.checks on a Swarm: every check from every front, against every task of the new colour that
 * passed the gate, over the overlay (the path traffic will take). The GET is busybox's wget in the front
 * ({@link ManagedFront#fetch}): it shows the first answer's status line and headers, and the body of a 2xx or 3xx
 * (having followed a redirect: the last page's). Of a 4xx or 5xx it shows only the status.
 */
public final class FrontChecks implements LiveCheck {
    static final String USER_AGENT = "bgdeploy-check";

    /** A front and what a failure calls it ("the front on tcp://10.210.0.15:2376"). */
    public record Front(String name, ManagedFront front) {}

    private final List<SmokeCheck> checks;
    private final List<Front> fronts;
    private final List<String> targets;

    /** @param targets the tasks' address:port on the overlay */
    public FrontChecks(List<SmokeCheck> checks, List<Front> fronts, List<String> targets) {
        this.checks = List.copyOf(checks);
        this.fronts = List.copyOf(fronts);
        this.targets = List.copyOf(targets);
    }

    /** null when every check passed from every front against every task; else one line naming the first that failed and its answer. */
    @Override
    public String firstFailure() {
        if (targets.isEmpty()) return "no task of the colour to run the smoke checks against";
        for (SmokeCheck c : checks) {
            for (Front f : fronts) {
                for (String t : targets) {
                    ManagedFront.Fetched got = f.front().fetch("http://" + t + c.path(), c.host(), USER_AGENT, c.timeout(), SmokeChecks.READ_LIMIT);
                    String wrong = judge(c, got);
                    if (wrong != null) return "smoke check " + c.describe() + " failed from " + f.name() + " against task " + t + ": " + wrong;
                }
            }
        }
        return null;
    }

    /** null if the answer is what the check expects; else what happened, in words after the check's name. */
    public static String judge(SmokeCheck c, ManagedFront.Fetched got) {
        // busybox's timeout ends wget with SIGTERM (143); an exec past its own bound has no exit code
        if (got.code() == null || (got.code() == 143 || got.code() == 124) && status(got) == null) {
            return "no answer within " + Durations.describe(c.timeout());
        }
        HttpAnswer a = HttpAnswer.parseWget(got.stderr(), got.stdout());
        if (a == null) {
            String said = lib.base.Text.summarise(String.join("\n", got.stderr().lines().filter(l -> !l.startsWith("Connecting to")).toList()));
            return "no HTTP answer (" + (said.isEmpty() ? "wget exit code " + got.code() : said) + ")";
        }
        String wrong = c.verdict(a.status(), a.headers(), a.body());
        if (wrong == null) return null;
        // busybox wget reads no body of an error answer: "empty body" would be a claim about the release
        if (a.status() >= 400 && a.body().isEmpty()) wrong = wrong.replace(" (empty body)", " (busybox wget shows no body of an error)");
        return "it answered " + wrong;
    }

    private static Integer status(ManagedFront.Fetched got) {
        HttpAnswer a = HttpAnswer.parseWget(got.stderr(), got.stdout());
        return a == null ? null : a.status();
    }
}
