"""The console script without the `cli` extra: one line saying how to get it, exit code 2, no traceback.
(tests/packaging checks the same in a venv where click is really absent.)"""

from __future__ import annotations

import subprocess
import sys

# A None entry in sys.modules makes `import click` fail as it does when click is not installed.
WITHOUT_CLICK = (
    "import sys; sys.modules['click'] = None; from provider_core.cli import main; sys.exit(main(['list']))"
)


def test_providers_without_click_says_how_to_install_it() -> None:
    done = subprocess.run([sys.executable, "-c", WITHOUT_CLICK], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "providers: error: the command line needs the 'cli' extra (click is not installed); "
        "install it with: pip install 'provider-core[cli]'"
    )
    assert done.stdout == ""
