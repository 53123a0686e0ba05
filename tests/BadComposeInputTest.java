class BadComposeInputTest {
}
