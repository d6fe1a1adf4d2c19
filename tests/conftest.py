"""Repository-wide test settings."""

from __future__ import annotations

import os
import tempfile

# Tests assert what one attempt does; the handle's default retries have tests of their own
# (tests/provider_core/test_core_retry.py) that set the policy explicitly. Subprocesses inherit this.
os.environ["PROVIDER_CORE_RETRY"] = "off"

# The registration index goes to a folder of this run, not the user's cache; subprocesses inherit it.
os.environ.setdefault("PROVIDER_CORE_INDEX", tempfile.mkdtemp(prefix="provider-core-index-"))
