"""Build a wheel and an sdist of every distribution in this repository into one wheelhouse directory.

    hatch run wheelhouse [--out DIR]        (default: dist/wheelhouse)

Every distribution is found by its pyproject.toml (core/, plugins/*/, examples/*/). The sdist is built
first and the wheel is built from the unpacked sdist, as `python -m build` does, so a file missing from
the sdist fails here rather than for a user. Builds run without isolation, with the build backend of
this environment (hatch.toml installs `build` and `hatchling`), so no index is needed.

Then, in any fresh virtual environment:  pip install --find-links DIR provider-aws
"""

from __future__ import annotations

import argparse
import sys
import tarfile
import tempfile
from pathlib import Path

from build import BuildBackendException, ProjectBuilder

ROOT = Path(__file__).resolve().parent.parent
PATTERNS = ("core", "plugins/*", "examples/*")


def distributions(root: Path = ROOT) -> list[Path]:
    """The directory of every distribution, core first."""
    return [p.parent for pattern in PATTERNS for p in sorted(root.glob(f"{pattern}/pyproject.toml"))]


def build_one(source: Path, out: Path) -> list[Path]:
    """Build source's sdist into out, then its wheel from that sdist; return both paths."""
    builder = ProjectBuilder(source)
    missing = builder.check_dependencies("sdist")
    if missing:
        raise SystemExit(f"wheelhouse: build requirements missing for {source.name}: {sorted(missing)}")
    sdist = Path(builder.build("sdist", out))
    with tempfile.TemporaryDirectory() as unpacked, tarfile.open(sdist) as archive:
        archive.extractall(unpacked, filter="data")
        (top,) = Path(unpacked).iterdir()
        wheel = Path(ProjectBuilder(top).build("wheel", out))
    return [sdist, wheel]


def build_all(out: Path, root: Path = ROOT) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    # Stale artefacts of an older version would let pip pick a build that no longer matches the source.
    for old in [*out.glob("*.whl"), *out.glob("*.tar.gz")]:
        old.unlink()
    return [path for source in distributions(root) for path in build_one(source, out)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / "dist" / "wheelhouse", help="output directory")
    args = parser.parse_args(argv)
    try:
        built = build_all(args.out.resolve())
    except BuildBackendException as exc:
        print(f"wheelhouse: {exc}", file=sys.stderr)
        return 1
    for path in built:
        print(path)
    print(f"{len(built)} files in {args.out}; install with: pip install --find-links {args.out} provider-aws")
    return 0


if __name__ == "__main__":
    sys.exit(main())
