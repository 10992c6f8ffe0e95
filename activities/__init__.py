"""Every side effect of the lifecycle: database writes, platform calls. One module per concern."""
