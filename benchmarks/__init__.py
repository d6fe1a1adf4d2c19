"""The figures of issue 12 as ratios taken in one run: `hatch run bench` (see run.py)."""
