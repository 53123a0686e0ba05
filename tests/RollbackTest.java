import lib.base.DeployError;
import lib.base.ExitCode;

import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** rollback.java's choice of release, as git names commits: in full, or by a unique prefix of 7+ characters. */
class RollbackTest {
    final Set<String> known = new TreeSet<>(Set.of("0123456789", "0123499999", "abcdef1234", "v1"));

    @Test
    void aFullNameOrAUniquePrefixNamesARelease() {
        assertEquals("v1", rollback.resolve("v1", known));
        assertEquals("abcdef1234", rollback.resolve("abcdef1", known));
        assertEquals("0123456789", rollback.resolve("01234567", known));
    }

    @Test
    void anAmbiguousOrTooShortPrefixIsAConfigurationErrorNamingTheCandidates() {
        DeployError two = assertThrows(DeployError.class, () -> rollback.resolve("01234", known));
        assertEquals(ExitCode.CONFIG, two.exitCode());
        assertTrue(two.getMessage().contains("too short to be a prefix"), two.getMessage());
        DeployError ambiguous = assertThrows(DeployError.class, () -> rollback.resolve("0123499", Set.of("0123499999", "0123499000")));
        assertTrue(ambiguous.getMessage().contains("matches 0123499999, 0123499000") || ambiguous.getMessage().contains("matches 0123499000, 0123499999"),
                ambiguous.getMessage());
    }

    @Test
    void aReleaseTheHostNeverRanIsDeployedFromTheComposeFile() {
        assertEquals("fedcba9876", rollback.resolve("fedcba9876", known));
    }
}
