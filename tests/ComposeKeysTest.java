class ComposeKeysTest {}
