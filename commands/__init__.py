"""Sub-commands of the `postgate` command, one module per group."""
