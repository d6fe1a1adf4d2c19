"""Who may serve a provider name: one distribution, or the one the user pinned; never the first on sys.path.

A package earlier on sys.path publishing an entry point named `aws` must not receive the AWS credentials,
so a name claimed by two distributions is unusable until one of them is pinned. Standard library only:
the listing path (`providers list`) uses this without importing attrs or importlib.metadata.
"""

from __future__ import annotations

PIN_ENV = "PROVIDER_CORE_PIN"  # "aws=provider-aws,lambda=provider-lambda": the distribution serving a name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping


def parse_pins(text: str) -> dict[str, str]:
    pins: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, distribution = item.partition("=")
        if not sep or not name.strip() or not distribution.strip():
            raise ValueError(f"{PIN_ENV} expects NAME=DISTRIBUTION[,...], got {item!r}")
        pins[name.strip()] = distribution.strip()
    return pins


def normalize(distribution: str) -> str:
    """PEP 503 normalisation, so a pin of `Provider_AWS` names the distribution `provider-aws`."""
    # Without `re`: importing it costs the listing path a tenth of an interpreter start.
    name = distribution.lower().replace("_", "-").replace(".", "-")
    while "--" in name:
        name = name.replace("--", "-")
    return name


class Claims:
    """The distributions publishing each name, and which one (if any) may serve it."""

    def __init__(self, claims: Iterable[tuple[str, str, str]], pins: Mapping[str, str]) -> None:
        # name -> [(normalised distribution, "distribution version")], one entry per distribution.
        self._by_name: dict[str, list[tuple[str, str]]] = {}
        for name, distribution, version in claims:
            claimants = self._by_name.setdefault(name, [])
            if all(key != normalize(distribution) for key, _ in claimants):
                claimants.append((normalize(distribution), f"{distribution} {version}"))
        self._pins = {name: normalize(dist) for name, dist in pins.items()}
        self._raw_pins = dict(pins)

    def chosen(self, name: str, distribution: str) -> bool:
        """Whether this distribution's entry point for name is the one to load."""
        claimants = self._by_name.get(name, [])
        pin = self._pins.get(name)
        if pin is not None:
            return normalize(distribution) == pin
        return len(claimants) == 1

    def refused(self) -> dict[str, str]:
        """Names that no distribution may serve, with the reason (conflicts without a pin, bad pins)."""
        refused = {}
        for name, claimants in sorted(self._by_name.items()):
            pin = self._pins.get(name)
            sources = " and ".join(source for _, source in claimants)
            if pin is not None and all(key != pin for key, _ in claimants):
                refused[name] = (
                    f"pinned to {self._raw_pins[name]}, which does not publish it (published by {sources})"
                )
            elif pin is None and len(claimants) > 1:
                refused[name] = (
                    f"claimed by {sources}: unusable until one is pinned "
                    f"({PIN_ENV}={name}=DISTRIBUTION or discover(pins={{{name!r}: DISTRIBUTION}}))"
                )
        for name in sorted(set(self._pins) - set(self._by_name)):
            refused[name] = f"pinned to {self._raw_pins[name]}, but no installed distribution publishes it"
        return refused

    def conflicts(self) -> dict[str, dict[str, object]]:
        """Names claimed by more than one distribution: who claims them and which one is pinned."""
        return {
            name: {
                "distributions": [source for _, source in claimants],
                "pinned": self._raw_pins.get(name),
            }
            for name, claimants in sorted(self._by_name.items())
            if len(claimants) > 1
        }
