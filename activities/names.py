"""Activity names, the only part of the activities that workflows import (keeps the sandbox light)."""

CHECK_BRAND = "check_brand"
STORE_REVISION = "store_revision"
RECORD_TRANSITIONS = "record_transitions"
PUBLISH = "publish"
COLLECT_METRICS = "collect_metrics"
NOTIFY = "notify"
