"""The brand-consistency engine: pure functions over text, no I/O and no Temporal (see brand/README.md)."""
