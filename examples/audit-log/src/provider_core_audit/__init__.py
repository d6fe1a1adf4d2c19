"""An audit log for provider-core: one JSON line per provider call, from one `MethodWrappers` generator.

`plugin` is published in the `provider_core.plugins` entry-point group; it writes to the file named by
PROVIDER_CORE_AUDIT_LOG (read at every call, so it can be switched on and off) and does nothing without it.
"""

from provider_core_audit._log import ENV_VAR, AuditLog

plugin = AuditLog()

__all__ = ["ENV_VAR", "AuditLog", "plugin"]
