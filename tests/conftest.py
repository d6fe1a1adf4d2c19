"""Repository-wide test settings."""

from __future__ import annotations

import os

# Tests assert what one attempt does; the handle's default retries have tests of their own
# (tests/provider_core/test_core_retry.py) that set the policy explicitly. Subprocesses inherit this.
os.environ["PROVIDER_CORE_RETRY"] = "off"
