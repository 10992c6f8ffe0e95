"""The brand-consistency engine: pure functions over text, no I/O and no Temporal."""

from brand.basic import check

__all__ = ["check"]
