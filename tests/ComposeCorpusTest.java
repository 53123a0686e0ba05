import lib.base.DeployError;
import lib.base.ExitCode;
import lib.base.Labels;
import lib.compose.ComposeFiles;
import lib.compose.ComposeProject;
import lib.compose.ContainerSpec;
import lib.model.Colour;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Real Compose files (tests/compose-corpus, each trimmed from or written after a published project's file, origin and
 * licence in its header) load as both colours, or are refused with their intended lines (EXPECTED.tsv), all of a
 * file's refusals in one error, one line each; none reaches an internal error.
 */
class ComposeCorpusTest {
    static final Path CORPUS = Path.of("tests/compose-corpus").toAbsolutePath();
    static final Map<Colour, Integer> PORTS = new EnumMap<>(Map.of(Colour.BLUE, 18080, Colour.GREEN, 18081));

    static Map<String, List<String>> expected() throws Exception {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (String line : Files.readAllLines(CORPUS.resolve("EXPECTED.tsv"))) {
            if (line.isBlank() || line.startsWith("#")) continue;
            String[] f = line.split("\t", 2);
            out.computeIfAbsent(f[0], k -> new ArrayList<>()).add(f[1]);
        }
        return out;
    }

    static Map<Colour, ComposeProject> load(String file) {
        return ComposeFiles.loadBoth(CORPUS.resolve(file).toString(), "kcorpus", PORTS, null, Map.of());
    }

    @Test
    void everyFileLoadsOrIsRefusedWithItsIntendedLines() throws Exception {
        var expected = expected();
        assertTrue(expected.size() >= 15, "a corpus of 15-25 files: " + expected.size());
        List<String> wrong = new ArrayList<>();
        for (var e : expected.entrySet()) {
            List<String> want = e.getValue();
            try {
                var both = load(e.getKey());
                if (!want.equals(List.of("loads"))) wrong.add(e.getKey() + ": loaded, but should be refused with " + want);
                assertEquals(both.get(Colour.BLUE).services().keySet(), both.get(Colour.GREEN).services().keySet());
            } catch (DeployError d) {
                String m = d.getMessage();
                if (want.equals(List.of("loads"))) {
                    wrong.add(e.getKey() + ": should load, but: " + m);
                    continue;
                }
                assertEquals(ExitCode.CONFIG, d.exitCode(), m);
                List<String> lines = List.of(m.split("\n"));
                assertEquals(want.size(), lines.size(), e.getKey() + ": one line per refusal:\n" + m);
                for (String w : want) {
                    if (lines.stream().noneMatch(l -> l.contains(w))) wrong.add(e.getKey() + ": no line says \"" + w + "\" in:\n" + m);
                }
            } catch (RuntimeException internal) {
                wrong.add(e.getKey() + ": would be an internal error: " + internal);
            }
        }
        if (!wrong.isEmpty()) fail(String.join("\n", wrong));
    }

    /**
     * As a user checks a file before the first deploy: `deploy.java config` with the file's deploy.yml (its databases
     * listed as accessories) behind the managed front, never connecting to Docker. A file that loads is a model (exit
     * 0) there too; none reaches an internal error.
     */
    @Test
    void everyFileGoesThroughConfigBehindTheManagedFrontWithItsDatabasesAsAccessories() throws Exception {
        List<String> wrong = new ArrayList<>();
        int checked = 0;
        for (var e : expected().entrySet()) {
            Path project = CORPUS.resolve(e.getKey()).getParent().resolve("deploy.yml");
            if (!Files.exists(project)) continue;
            checked++;
            var r = TestApp.run("config", "--project", project.toString(), "--front", "managed", "--host", "tcp://127.0.0.1:1");
            if (r.code() == ExitCode.INTERNAL) wrong.add(e.getKey() + ": internal error: " + r);
            else if (e.getValue().equals(List.of("loads")) && r.code() != 0) wrong.add(e.getKey() + ": config exit " + r.code() + ": " + r.err());
            else if (r.code() == 0 && !r.out().contains("accessories") && Files.readString(project).contains("accessories:")) {
                wrong.add(e.getKey() + ": config names no accessories: " + r.out());
            }
        }
        assertTrue(checked >= 15, "files with a deploy.yml: " + checked);
        if (!wrong.isEmpty()) fail(String.join("\n", wrong));
    }

    @Test
    void everyFileNamesItsOriginAndLicence() throws Exception {
        for (String file : expected().keySet()) {
            String head = Files.readString(CORPUS.resolve(file)).lines().limit(3).reduce("", (a, b) -> a + b + "\n");
            assertTrue(head.startsWith("# Origin: ") && head.matches("(?s).*(licen|CC0|GPL|MIT|Apache|BUSL).*"),
                    file + " starts with its origin and licence: " + head);
        }
    }

    /** immich reaches Postgres by its container_name: the name resolves in the colour, as an alias. */
    @Test
    void containerNamesStillResolveAndDotEnvReadsAsCompose() {
        ComposeProject p = load("immich/compose.yml").get(Colour.GREEN);
        var server = p.services().get("immich-server");
        assertEquals("immich_postgres", server.environment().get("DB_HOSTNAME"));
        assertEquals("postgres", server.environment().get("DB_PASSWORD"), ".env's inline comment is not part of the value");
        assertEquals("immich_postgres", p.services().get("database").containerName());
        var db = ContainerSpec.of(p, p.services().get("database"), "kcorpus-green", Map.of(Labels.APP, "kcorpus"));
        assertEquals("kcorpus-green-database-1", db.name());
        assertTrue(db.network().aliases().contains("immich_postgres"), db.network().aliases().toString());
        assertTrue(p.notices().stream().anyMatch(n -> n.contains("top-level name \"immich\" is ignored")), p.notices().toString());

        var lean = load("leantime/compose.yml").get(Colour.BLUE).services().get("leantime");
        assertEquals("mysql_leantime", lean.environment().get("LEAN_DB_HOST"));
        assertEquals("change me # not a comment inside quotes", lean.environment().get("LEAN_SESSION_PASSWORD"));
        var mm = load("mattermost/compose.yml".replace("mattermost", "n8n")).get(Colour.BLUE).services().get("n8n");
        assertEquals("changeUser", mm.environment().get("DB_POSTGRESDB_USER"));
    }

    @Test
    void theShapesAreReadAsTheirFilesMeanThem() {
        var presta = load("prestashop/compose.yml").get(Colour.BLUE).services().get("prestashop");
        assertEquals("no", presta.environment().get("PS_DEV_MODE"), "YAML 1.2: unquoted no is a string");
        assertEquals("off", presta.environment().get("PS_DEMO_MODE"));
        assertEquals(Map.of("mysql", "some-mysql"), presta.links());

        var profiles = load("profiles/compose.yml").get(Colour.BLUE);
        assertEquals(Set.of("backend", "db"), profiles.services().keySet(), "services of inactive profiles are left out");

        var jobs = load("init-jobs/compose.yml").get(Colour.BLUE);
        assertEquals(Set.of("migrator"), jobs.oneShots());
        assertEquals(List.of("plane-db", "migrator", "api", "web"), jobs.startOrder().stream().map(ComposeProject.Service::name).toList());

        var sentry = load("sentry/compose.yml").get(Colour.BLUE);
        var web = sentry.services().get("web");
        assertEquals("unless-stopped", web.restart(), "merged from the x-restart-policy anchor");
        assertEquals("service_healthy", web.dependsOn().get("kafka"));
        assertEquals(30_000_000_000L, sentry.services().get("redis").healthcheck().intervalNanos());
        assertTrue(sentry.volumes().get("sentry-data").external());

        var secrets = load("secrets/compose.yml").get(Colour.BLUE).services().get("wordpress");
        assertTrue(secrets.volumes().stream().anyMatch(m -> m.target().equals("/run/secrets/db_password") && m.readOnly()));
        assertTrue(secrets.volumes().stream().anyMatch(m -> m.target().equals("/usr/local/etc/php/conf.d/uploads.ini")));

        var paper = load("selinux/compose.yml").get(Colour.BLUE).services().get("webserver");
        assertEquals("z", paper.volumes().get(0).selinux());

        var mastodon = load("mastodon/compose.yml").get(Colour.BLUE);
        assertEquals(256L << 20, mastodon.services().get("db").run().shmSize());
        assertTrue(mastodon.networks().get("internal_network").internal());
        assertTrue(mastodon.notices().stream().anyMatch(n -> n.contains("service \"web\": \"build\" is ignored")));

        var split = load("include-split/compose.yml").get(Colour.BLUE);
        assertEquals(CORPUS.resolve("include-split/infra/initdb").toString(), split.services().get("db").volumes().get(0).source(),
                "an included file's paths are relative to it");
        assertFalse(split.volumes().isEmpty());
    }
}
