"""The Slurm commands (sbatch, squeue, scancel, sacct) as the provider's API: every failure is mapped
to the taxonomy, and nothing the commands print reaches the core unparsed."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from provider_core import ErrorCode, ProviderError
from provider_slurm._errors import error_from_output, unavailable
from provider_slurm._settings import SlurmSettings

ACCOUNTING_DISABLED = "accounting storage is disabled"


class SlurmClient:
    def __init__(self, settings: SlurmSettings) -> None:
        self._settings = settings
        # None until sacct was tried once: a cluster without slurmdbd says so, and is not asked again.
        self._accounting: bool | None = None

    def __repr__(self) -> str:
        return f"<SlurmClient conf={self._settings.conf}>"

    def submit(self, arguments: Sequence[str], script: str) -> str:
        """sbatch the script (read from stdin) and return the job id."""
        out = self._run("sbatch", ["--parsable", *arguments], stdin=script)
        # --parsable prints "JOBID" or "JOBID;CLUSTER".
        job_id = out.strip().split(";")[0]
        if not job_id.isdigit():
            raise unavailable(f"sbatch answered without a job id: {out.strip()[:200]!r}")
        return job_id

    def cancel(self, job_id: str) -> None:
        self._run("scancel", [job_id])

    def jobs(self) -> list[dict[str, Any]]:
        """Every job the controller still holds (22.05's squeue --json ignores job filters)."""
        return _jobs(self._json("squeue", ["--json"]))

    def accounted(self, job_id: str) -> dict[str, Any] | None:
        """The accounting record of a finished job, or None (no record, or no accounting on this cluster)."""
        if self._accounting is False:
            return None
        try:
            data = self._json("sacct", ["--json", "--jobs", job_id])
        except ProviderError as exc:
            if ACCOUNTING_DISABLED in exc.message.lower():
                self._accounting = False
                return None
            raise
        self._accounting = True
        return next((job for job in _jobs(data) if str(job.get("job_id")) == job_id), None)

    def _json(self, command: str, arguments: list[str]) -> Any:
        out = self._run(command, arguments)
        try:
            return json.loads(out)
        except ValueError as exc:
            raise unavailable(f"{command} --json printed no JSON ({exc})") from exc

    def _run(self, command: str, arguments: list[str], stdin: str | None = None) -> str:
        settings = self._settings
        executable = str(Path(settings.bin_dir) / command) if settings.bin_dir else command
        env = dict(os.environ)
        if settings.conf:
            env["SLURM_CONF"] = settings.conf
        context = f"{command} {' '.join(arguments[:1])}".strip()
        try:
            done = subprocess.run(
                [executable, *arguments],
                input=stdin,
                env=env,
                capture_output=True,
                text=True,
                timeout=settings.command_timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise unavailable(f"{context}: no answer within {settings.command_timeout:g}s") from exc
        except FileNotFoundError as exc:
            raise unavailable(
                f"{command} is not installed here (set 'bin_dir', or install Slurm's clients)"
            ) from exc
        except OSError as exc:
            raise unavailable(f"{context}: {type(exc).__name__}: {exc.strerror}") from exc
        if done.returncode != 0:
            error = error_from_output(context, done.stderr or done.stdout)
            if error.code is ErrorCode.NOT_FOUND and command == "scancel":
                return ""  # cancelling a job the controller forgot is done
            raise error
        return done.stdout


def _jobs(data: Any) -> list[dict[str, Any]]:
    jobs = data.get("jobs") if isinstance(data, dict) else None
    if not isinstance(jobs, list):
        raise unavailable("Slurm answered JSON without a 'jobs' list")
    return [job for job in jobs if isinstance(job, dict)]
