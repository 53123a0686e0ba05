import org.junit.jupiter.api.Test;
class AccessoriesTest {
}
