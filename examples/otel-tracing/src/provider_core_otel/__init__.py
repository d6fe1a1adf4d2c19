"""OpenTelemetry for provider-core: a span per provider call, and counters of calls and errors.

Depends on `opentelemetry-api` only. `plugin` (published in the `provider_core.plugins` entry-point group)
uses the global tracer and meter providers, so an application that configures the OpenTelemetry SDK gets
the spans and metrics with no code here; without an SDK, the API's no-op implementations make it free.
"""

from provider_core_otel._tracing import SCOPE, Tracing

plugin = Tracing()

__all__ = ["SCOPE", "Tracing", "plugin"]
