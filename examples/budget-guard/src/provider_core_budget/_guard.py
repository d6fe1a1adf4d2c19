"""The guard wraps the two methods that create instances; a veto raised before `yield` means the provider
never sees the call (pluggy runs wrappers outside the provider's implementation)."""

from __future__ import annotations

import json
import os
from collections.abc import Generator, Mapping
from pathlib import Path
from typing import Any

import cattrs
from attrs import field, frozen

from provider_core import ErrorCode, ProviderError, SpawnOptions
from provider_core.hooks import MethodWrappers

ENV_VAR = "PROVIDER_CORE_BUDGET"
# Prices for any provider live under this key of the table; a provider's own entry wins.
ANY_PROVIDER = "*"


@frozen
class Budget:
    """The most an instance may cost per hour, and what instance types cost.

    `prices` maps provider name (or "*") to instance type to price per hour. A spot spawn is priced at
    its `max_price_per_hour` (the most it can cost); any other spawn at its table price. A spawn with no
    price is allowed unless `deny_unpriced`.
    """

    max_price_per_hour: float = field()
    prices: Mapping[str, Mapping[str, float]] = field(factory=dict)
    deny_unpriced: bool = False

    @max_price_per_hour.validator
    def _positive(self, _attribute: object, value: float) -> None:
        if not value > 0:
            raise ValueError(f"max_price_per_hour must be > 0, got {value!r}")

    def price(self, provider: str, options: SpawnOptions, spot_cap: float | None = None) -> float | None:
        cap = spot_cap if spot_cap is not None else options.max_price_per_hour
        if cap is not None:
            return cap
        for key in (provider, ANY_PROVIDER):
            table = self.prices.get(key, {})
            if options.instance_type in table:
                return table[options.instance_type]
        return None

    @classmethod
    def from_env_value(cls, value: str) -> Budget:
        """Parse PROVIDER_CORE_BUDGET: a JSON object, or `@PATH` naming a file holding one."""
        text = Path(value[1:]).expanduser().read_text(encoding="utf-8") if value.startswith("@") else value
        return cattrs.structure(json.loads(text), cls)


class BudgetGuard(MethodWrappers):
    """Vetoes `spawn` and `request_spot_instance` above the budget; without a budget it reads ENV_VAR."""

    def __init__(self, budget: Budget | None = None) -> None:
        super().__init__(self._around, methods=("spawn", "request_spot_instance"))
        self._budget = budget

    def provider_core_active(self) -> bool:
        """Discovery registers the published plugin only when a budget is configured."""
        return self._budget is not None or bool(os.environ.get(ENV_VAR, "").strip())

    def _around(self, provider: str, method: str, arguments: Mapping[str, Any]) -> Generator[None, Any, Any]:
        budget = self._budget if self._budget is not None else _from_env(provider)
        if budget is not None:
            options: SpawnOptions = arguments["options"]
            price = budget.price(provider, options, arguments.get("max_price_per_hour"))
            if price is None and budget.deny_unpriced:
                raise ProviderError(
                    ErrorCode.QUOTA_EXCEEDED,
                    f"no price known for {options.instance_type}; the budget denies unpriced spawns",
                    provider=provider,
                )
            if price is not None and price > budget.max_price_per_hour:
                raise ProviderError(
                    ErrorCode.QUOTA_EXCEEDED,
                    f"{options.instance_type} at ${price:g}/h is above the budget of "
                    f"${budget.max_price_per_hour:g}/h",
                    provider=provider,
                )
        return (yield)


def _from_env(provider: str) -> Budget | None:
    value = os.environ.get(ENV_VAR, "").strip()
    if not value:
        return None
    try:
        return Budget.from_env_value(value)
    except (OSError, ValueError, cattrs.BaseValidationError) as exc:
        # A guard that cannot read its budget must not let spawns through unchecked.
        raise ProviderError(
            ErrorCode.INVALID_SPEC, f"{ENV_VAR} is not a valid budget: {exc}", provider=provider
        ) from None
