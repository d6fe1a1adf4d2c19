"""The tracing wrapper: one span per attempt of a provider call (every retry goes through the hooks again,
so each attempt is its own span, numbered by `provider_core.hooks.current_attempt()`)."""

from __future__ import annotations

import os
import time
from collections.abc import Generator, Mapping
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from provider_core.hooks import MethodWrappers, current_attempt, observe_outcome

SCOPE = "provider_core_otel"


ACTIVATING_ENV = (
    "PROVIDER_CORE_OTEL",
    "OTEL_SERVICE_NAME",
    "OTEL_TRACES_EXPORTER",
    "OTEL_METRICS_EXPORTER",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
)


class Tracing(MethodWrappers):
    """Span `provider_core NAME.METHOD` with attributes provider_core.provider, .method, .outcome (ok or
    the ErrorCode) and .attempt; counters provider_core.calls and provider_core.errors, and the histogram
    provider_core.call.duration (seconds), each with provider, method and outcome attributes.

    Arguments and results are not recorded: options carry bootstrap scripts with instance tokens.
    """

    def __init__(
        self,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
    ) -> None:
        super().__init__(self._around)
        # Without explicit providers these are the API's proxies, which follow the global providers
        # an application sets later, so the entry-point plugin works whenever the SDK is configured.
        self._tracer = trace.get_tracer(SCOPE, tracer_provider=tracer_provider)
        meter = metrics.get_meter(SCOPE, meter_provider=meter_provider)
        self._calls = meter.create_counter("provider_core.calls", unit="{call}", description="provider calls")
        self._errors = meter.create_counter(
            "provider_core.errors", unit="{call}", description="provider calls that raised"
        )
        self._duration = meter.create_histogram(
            "provider_core.call.duration", unit="s", description="provider call duration"
        )

    def provider_core_active(self) -> bool:
        """Discovery registers the published plugin when the application exports telemetry (the usual OTel
        variables, or PROVIDER_CORE_OTEL=1); otherwise it would cost every call and record nothing."""
        return any(os.environ.get(name, "").strip() for name in ACTIVATING_ENV)

    def _around(self, provider: str, method: str, arguments: Mapping[str, Any]) -> Generator[None, Any, Any]:
        attributes: dict[str, str | int] = {
            "provider_core.provider": provider,
            "provider_core.method": method,
            "provider_core.attempt": current_attempt(),
        }
        started = time.perf_counter()
        with self._tracer.start_as_current_span(
            f"provider_core {provider}.{method}",
            kind=SpanKind.CLIENT,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            def finish(outcome: str) -> None:
                span.set_attribute("provider_core.outcome", outcome)
                labels = {"provider": provider, "method": method, "outcome": outcome}
                self._calls.add(1, labels)
                if outcome != "ok":
                    # The code only: messages may name resources, and the taxonomy is what alerts need.
                    span.set_status(Status(StatusCode.ERROR, outcome))
                    self._errors.add(1, labels)
                self._duration.record(time.perf_counter() - started, labels)

            return (yield from observe_outcome(finish))
