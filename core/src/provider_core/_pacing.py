"""When a paced request counts: rate limits count requests as they reach the server, a client only knows
when they left and when their answers came back."""

from __future__ import annotations

# How late a request that took its pacing slot may reach the server: a thread scheduled late or a slow
# socket on a loaded machine takes milliseconds, far less than this.
ARRIVAL_LATENESS = 0.1


def counted_at(sent: float, answered: float | None) -> float:
    """The latest moment a paced request can have reached the server, for spacing the next one from.

    Its answer, when that came back within ARRIVAL_LATENESS of leaving: the server saw the request before
    answering, so a request spaced from this reaches it a full interval later however late either thread
    ran. A slower answer is a slow server, not a late arrival (real launches take seconds): then, and
    while no answer is in, the request counts as reaching the server ARRIVAL_LATENESS after it left.
    """
    latest = sent + ARRIVAL_LATENESS
    return latest if answered is None else min(answered, latest)
