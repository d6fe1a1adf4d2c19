"""The emulator as a process (`python -m provider_lambda.testing`) stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import httpx


def test_sigterm_stops_the_served_emulator_cleanly() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "provider_lambda.testing"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        settings = json.loads(process.stdout.readline())
        headers = {"Authorization": f"Bearer {settings['api_key']}"}
        # A kept-alive connection stays open while the signal arrives: the stop must cut it.
        with httpx.Client(base_url=settings["base_url"], headers=headers) as client:
            assert client.get("/instances").status_code == 200
            process.send_signal(signal.SIGTERM)
            # A safety net, not a speed goal: without the handler the process dies by the signal.
            assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
