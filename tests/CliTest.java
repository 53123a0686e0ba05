import lib.base.Text;
import lib.cli.Cli;
import lib.base.DeployError;
import lib.base.ExitCode;

import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.InternalServerErrorException;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Help.Ansi;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ConnectException;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one exception handler, fed exceptions directly: exit code, one line, no secret. No Docker needed. */
class CliTest {
    record Reported(int code, String err) {}

    static Reported report(Throwable t) {
        StringWriter sink = new StringWriter();
        int code = Cli.report(t, new PrintWriter(sink, true), Ansi.OFF, false);
        return new Reported(code, sink.toString());
    }

    static void assertOneLine(Reported r) {
        assertEquals(1, r.err().lines().count(), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
    }

    @Test
    void aDeployErrorKeepsItsCodeAndMessage() {
        Reported r = report(new RuntimeException("wrapped", new DeployError(ExitCode.LOCKED, "shop is locked by ci")));
        assertEquals(ExitCode.LOCKED, r.code());
        assertEquals("error: shop is locked by ci\n", r.err());
    }

    /** A Compose file's refusals are one DeployError of several lines: each is printed as its own error line. */
    @Test
    void everyLineOfAConfigErrorIsPrinted() {
        Reported r = report(DeployError.config("f.yml: service \"a\": key \"post_start\" is not supported\nf.yml: service \"b\": bad port \"0:80\""));
        assertEquals(ExitCode.CONFIG, r.code());
        assertEquals("error: f.yml: service \"a\": key \"post_start\" is not supported\nerror: f.yml: service \"b\": bad port \"0:80\"\n", r.err());
    }

    @Test
    void aDockerErrorBodyIsSummarisedAndItsCredentialsRemoved() {
        String body = "{\"message\":\"pull access denied, Authorization: Basic dXNlcjpodW50ZXIy password=hunter2 at https://bob:hunter2@reg.example.com/v2/\"}\n"
                + "second line with token=abc\n" + "x".repeat(500);
        Reported r = report(new InternalServerErrorException(body));
        assertEquals(ExitCode.DOCKER, r.code());
        assertOneLine(r);
        for (String secret : new String[]{"dXNlcjpodW50ZXIy", "hunter2", "bob:", "abc", "second line"}) {
            assertFalse(r.err().contains(secret), secret + " shown: " + r.err());
        }
        assertTrue(r.err().startsWith("error: Docker API error: "), r.err());
        assertTrue(r.err().length() < 300, "summarised: " + r.err().length() + " characters");
    }

    @Test
    void aLostDaemonConnectionIsExitFiveInOneLine() {
        Reported r = report(new RuntimeException(new java.io.UncheckedIOException(new ConnectException("Connection refused"))));
        assertEquals(ExitCode.DOCKER, r.code());
        assertOneLine(r);
        assertTrue(r.err().contains("lost the connection to the Docker host (ConnectException: Connection refused)"), r.err());
    }

    @Test
    void anythingElseIsABugReportedAsSeventyWithoutSecrets() {
        Reported r = report(new IllegalStateException("boom with Bearer eyJhbGciOi.secret\nand more"));
        assertEquals(ExitCode.INTERNAL, r.code());
        assertOneLine(r);
        assertFalse(r.err().contains("eyJhbGciOi"), r.err());
        assertTrue(r.err().contains("internal error: java.lang.IllegalStateException: boom with Bearer ***"), r.err());
    }

    @Test
    void verbosePrintsTheStackTrace() {
        StringWriter sink = new StringWriter();
        Cli.report(new DockerException("x", 500), new PrintWriter(sink, true), Ansi.OFF, true);
        assertTrue(sink.toString().contains("\tat "), sink.toString());
    }

    @Test
    void redactsWhatLooksLikeACredential() {
        Function<String, String> r = Text::redact;
        assertEquals("Authorization: Basic ***", r.apply("Authorization: Basic dXNlcjpwYXNz"));
        assertEquals("Bearer ***", r.apply("Bearer abc.def-ghi"));
        assertEquals("tcp://***@web1:2376", r.apply("tcp://user:pass@web1:2376"));
        assertEquals("ssh://deploy@web1", r.apply("ssh://deploy@web1"), "a login name alone is not a secret");
        assertEquals("{\"password\": \"***\"}", r.apply("{\"password\": \"s3cret\"}"));
        assertEquals("url?access_token=***&x=1", r.apply("url?access_token=s3cret&x=1"));
        assertEquals("unauthorized: authentication required", r.apply("unauthorized: authentication required"));
    }

    @Test
    void summaryIsTheFirstNonEmptyLineCutAtTheLimit() {
        assertEquals("first", Text.summarise("\n\n  first  \nsecond"));
        assertEquals(203, Text.summarise("y".repeat(1000)).length());
        assertEquals("", Text.summarise(null));
    }
}
