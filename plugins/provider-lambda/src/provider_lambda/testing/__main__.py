"""Serve the Lambda emulator until SIGTERM or Ctrl-C: `python -m provider_lambda.testing`.

Prints one JSON line with the provider settings that reach it (base_url, the emulator's own key, ...),
then serves. SIGTERM and SIGINT stop it at once and cleanly: open connections are cut, answers held by
latency are dropped, every thread is joined, and the exit status is 0.
"""

from __future__ import annotations

import json
import signal
import threading

from provider_lambda.testing._double import settings_for
from provider_lambda.testing._server import LambdaEmulator


def main() -> int:
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    with LambdaEmulator() as emulator:
        print(json.dumps(settings_for(emulator)), flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
