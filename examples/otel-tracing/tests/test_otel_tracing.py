"""OpenTelemetry: a span per provider call attempt, with provider, method, outcome and attempt; call and
error metrics. Checked with the SDK's in-memory exporter and reader (a test dependency only)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from provider_core import (
    ErrorCode,
    ListFilter,
    ProviderError,
    ProviderHandle,
    ProviderInstance,
    ProviderRegistry,
    RetryPolicy,
    SpawnOptions,
)
from provider_core.testing import memory
from provider_core_otel import Tracing


class FlakyMemory(memory.MemoryProvider):
    """Throttles its first listing, so the handle's retry makes a second attempt."""

    throttled = False

    def list_instances(self, filter: ListFilter | None = None) -> Sequence[ProviderInstance]:
        if not self.throttled:
            self.throttled = True
            raise ProviderError(ErrorCode.RATE_LIMIT_ERROR, "slow down", provider=self.name)
        return super().list_instances(filter)


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def reader() -> InMemoryMetricReader:
    return InMemoryMetricReader()


@pytest.fixture
def handle(exporter: InMemorySpanExporter, reader: InMemoryMetricReader) -> ProviderHandle:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    registry = ProviderRegistry()
    registry.add(memory.registration(provider=FlakyMemory))
    registry.plugin_manager.register(Tracing(tracer_provider, MeterProvider(metric_readers=[reader])))
    handle = registry.get("memory")
    handle.retry_policy = RetryPolicy(max_attempts=3, base_delay=0.001)
    return handle


def _attributes(spans: Sequence[ReadableSpan]) -> list[dict[str, object]]:
    return [dict(span.attributes or {}) for span in spans]


def test_a_span_per_attempt_with_provider_method_outcome_and_attempt(
    handle: ProviderHandle, exporter: InMemorySpanExporter
) -> None:
    handle.list_instances()
    spans = exporter.get_finished_spans()
    assert [span.name for span in spans] == ["provider_core memory.list_instances"] * 2
    assert _attributes(spans) == [
        {
            "provider_core.provider": "memory",
            "provider_core.method": "list_instances",
            "provider_core.attempt": 1,
            "provider_core.outcome": "RATE_LIMIT_ERROR",
        },
        {
            "provider_core.provider": "memory",
            "provider_core.method": "list_instances",
            "provider_core.attempt": 2,
            "provider_core.outcome": "ok",
        },
    ]
    assert [span.status.status_code for span in spans] == [StatusCode.ERROR, StatusCode.UNSET]


def test_a_failed_call_carries_its_code_and_no_arguments(
    handle: ProviderHandle, exporter: InMemorySpanExporter
) -> None:
    with pytest.raises(ProviderError):
        handle.spawn(SpawnOptions(name="secret-name", instance_type="no-such-type"))
    (span,) = exporter.get_finished_spans()
    assert span.attributes is not None
    assert span.attributes["provider_core.outcome"] == "INVALID_SPEC"
    assert span.status.description == "INVALID_SPEC"
    assert "secret-name" not in str(dict(span.attributes))
    assert not span.events


def test_metrics_count_calls_and_errors(handle: ProviderHandle, reader: InMemoryMetricReader) -> None:
    handle.list_instances()
    instance = handle.spawn(SpawnOptions(name="a", instance_type="mem.small"))
    handle.terminate(instance.id)
    data = reader.get_metrics_data()
    assert data is not None
    points: dict[str, dict[tuple[str, str, str], float]] = {}
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    attrs = point.attributes or {}
                    key = (str(attrs["provider"]), str(attrs["method"]), str(attrs["outcome"]))
                    points.setdefault(metric.name, {})[key] = getattr(
                        point, "value", getattr(point, "count", 0)
                    )
    assert points["provider_core.calls"] == {
        ("memory", "list_instances", "RATE_LIMIT_ERROR"): 1,
        ("memory", "list_instances", "ok"): 1,
        ("memory", "spawn", "ok"): 1,
        ("memory", "terminate", "ok"): 1,
    }
    assert points["provider_core.errors"] == {("memory", "list_instances", "RATE_LIMIT_ERROR"): 1}
    assert points["provider_core.call.duration"][("memory", "spawn", "ok")] == 1


def test_the_entry_point_plugin_is_a_no_op_without_an_sdk() -> None:
    from provider_core_otel import plugin

    registry = ProviderRegistry()
    registry.add(memory.registration())
    registry.plugin_manager.register(plugin)
    assert registry.get("memory").list_instances() == []
