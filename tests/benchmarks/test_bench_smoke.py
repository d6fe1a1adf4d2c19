"""Every benchmark runs at a tiny size, so none rots; the sizes that judge the goals run in
`hatch run bench`."""

from __future__ import annotations

import pytest

from benchmarks import run
from benchmarks._common import SMOKE, Figure


@pytest.mark.parametrize("name", sorted(run.BENCHMARKS))
def test_each_benchmark_runs_at_smoke_size(name: str) -> None:
    figures = run.BENCHMARKS[name](SMOKE)
    assert figures
    for figure in figures:
        assert figure.ratio >= 0
        assert figure.command.startswith("hatch run bench")


def test_only_a_judged_run_calls_a_figure_missed() -> None:
    over = Figure("f", 2.0, "floor", 3.0, "detail", "hatch run bench --only listing")
    assert "MISSED" in run.table([over], judged=True)
    assert "not judged" in run.table([over], judged=False)
    assert "MISSED" not in run.table([over], judged=False)
