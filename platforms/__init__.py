"""Social platform channels: the error vocabulary, the sandbox platform service and its client adapter."""
