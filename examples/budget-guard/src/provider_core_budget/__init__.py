"""A budget guard for provider-core: vetoes spawns above a price per hour with QUOTA_EXCEEDED.

`plugin` is published in the `provider_core.plugins` entry-point group; it reads its budget from
PROVIDER_CORE_BUDGET (inline JSON or `@/path/budget.json`, read at every spawn) and allows everything
without it. In code, register `BudgetGuard(Budget(...))` on a registry's plugin manager instead.
"""

from provider_core_budget._guard import ENV_VAR, Budget, BudgetGuard

plugin = BudgetGuard()

__all__ = ["ENV_VAR", "Budget", "BudgetGuard", "plugin"]
