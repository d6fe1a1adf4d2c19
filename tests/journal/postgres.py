"""A real PostgreSQL server for the tests: initdb and pg_ctl on a temp directory, a unix socket only.

Debian puts the server binaries under /usr/lib/postgresql/<version>/bin (not on PATH); initdb refuses to
run as root, so under root (CI) the server runs as the unprivileged `postgres` user the package creates.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HOW_TO_GET = (
    "install PostgreSQL's server (Debian: apt-get install postgresql) to run the journal's PostgreSQL tests"
)


def server_bin() -> Path | None:
    """The newest installed server's bin directory."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    pwd.getpwnam("postgres")  # KeyError: the package that creates the user is not installed
    return ["runuser", "-u", "postgres", "--", *argv]


@contextmanager
def postgres_server(bin_dir: Path) -> Iterator[str]:
    """Start a private server; yield a libpq URL for its `postgres` database; stop and remove it."""
    root = Path(tempfile.mkdtemp(prefix="pc-journal-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        for path in (root, sock):
            os.chown(path, user.pw_uid, user.pw_gid)
    owner = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name

    def run(*argv: str) -> None:
        command = _as_server_user([str(bin_dir / argv[0]), *argv[1:]])
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    try:
        run("initdb", "-D", str(data), "-U", owner, "--auth=trust", "-E", "UTF8", "--no-sync")
        options = f"-c listen_addresses='' -c unix_socket_directories={sock} -c fsync=off -p 5432"
        run("pg_ctl", "-D", str(data), "-o", options, "-w", "-t", "60", "-l", str(root / "log"), "start")
        try:
            yield f"postgresql:///postgres?host={sock}&port=5432&user={owner}"
        finally:
            run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def fresh_database(admin_url: str) -> str:
    """A new empty database on the server; its URL."""
    import psycopg

    name = f"j_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return admin_url.replace("postgresql:///postgres?", f"postgresql:///{name}?")
