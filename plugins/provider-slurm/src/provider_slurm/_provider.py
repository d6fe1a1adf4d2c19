"""SlurmProvider: an instance is a Slurm allocation (a batch job holding a node, or part of one).

spawn submits it with sbatch, terminate cancels it with scancel, list and get read squeue (and sacct,
where the cluster keeps accounting). The batch script runs the bootstrap as the submitting user under a
per-job root and then holds the allocation until it is cancelled or reaches its time limit.
"""

from __future__ import annotations

import base64
import os
import shlex
import time
from collections.abc import Sequence

from provider_core import (
    BootstrapConfig,
    BootstrapFormat,
    BootstrapScript,
    ErrorCode,
    InstanceStatus,
    ListFilter,
    ProviderError,
    ProviderSnapshot,
    SpawnOptions,
)
from provider_core.author import Provider, TagAndList
from provider_slurm._client import SlurmClient
from provider_slurm._errors import PROVIDER, invalid_spec
from provider_slurm._settings import SlurmSettings
from provider_slurm._types import (
    LIMIT_REASON,
    NEVER_REASONS,
    Shape,
    SlurmInstance,
    comment_for,
    instance_from_job,
    parse_instance_type,
)

POLL_INTERVAL = 1.0

# Runs on the compute node. The bootstrap's failure does not end the allocation (a VM whose cloud-init
# failed keeps running too); its output is in $PROVIDER_CORE_ROOT/bootstrap.log.
BATCH_SCRIPT = """\
#!/bin/bash
# provider-slurm allocation: the bootstrap under a per-job root, then hold the allocation.
job_root={job_root}
job_root="${{job_root/#\\~/$HOME}}"
export PROVIDER_CORE_ROOT="$job_root/$SLURM_JOB_ID"
mkdir -p "$PROVIDER_CORE_ROOT" && chmod 700 "$PROVIDER_CORE_ROOT" && cd "$PROVIDER_CORE_ROOT" || exit 1
{bootstrap}exec sleep infinity
"""
RUN_BOOTSTRAP = """\
printf %s {encoded} | base64 -d > bootstrap.sh
bash ./bootstrap.sh > bootstrap.log 2>&1 || echo "bootstrap exited with status $?" >> bootstrap.log
"""


class SlurmProvider(Provider[SlurmInstance, ProviderSnapshot]):
    name = PROVIDER
    # A batch job runs a shell script; there is no cloud-init on a compute node.
    bootstrap_formats = (BootstrapFormat.SHELL,)

    def __init__(self, settings: SlurmSettings) -> None:
        self.settings = settings
        self._client = SlurmClient(settings)
        # Slurm has no client token: the key is a tag in the job's comment, looked up before submitting.
        self._once_per_key = TagAndList.over(self.list_instances)

    def __repr__(self) -> str:
        return f"<SlurmProvider conf={self.settings.conf} cluster={self.settings.cluster}>"

    def spawn(self, options: SpawnOptions) -> SlurmInstance:
        shape = parse_instance_type(options.instance_type, options.gpu_count)
        arguments = self._arguments(options, shape)
        script = BATCH_SCRIPT.format(
            job_root=shlex.quote(self.settings.job_root),
            bootstrap=RUN_BOOTSTRAP.format(
                encoded=base64.b64encode(options.bootstrap.content.encode()).decode()
            )
            if options.bootstrap
            else "",
        )
        return self._once_per_key(options.idempotency_key, lambda: self._submit(options, arguments, script))

    def terminate(self, provider_id: str) -> None:
        self._client.cancel(provider_id)

    def list_instances(self, filter: ListFilter | None = None) -> Sequence[SlurmInstance]:
        uid = os.getuid()
        # Jobs of other users are never ours, whatever their comment says.
        return [instance_from_job(job) for job in self._client.jobs() if job.get("user_id", uid) == uid]

    def get_instance(self, provider_id: str) -> SlurmInstance | None:
        found = next((i for i in self.list_instances() if i.id == provider_id), None)
        if found is None and provider_id.isdigit():
            # Gone from the controller (MinJobAge): only accounting remembers how it ended, if it is kept.
            job = self._client.accounted(provider_id)
            found = instance_from_job(job) if job is not None else None
        return found

    def generate_bootstrap(self, config: BootstrapConfig) -> BootstrapScript:
        if config.hostname:
            # The node is shared with other jobs and its name belongs to the cluster.
            raise invalid_spec(
                "a Slurm allocation keeps the node's hostname; leave BootstrapConfig.hostname unset"
            )
        return super().generate_bootstrap(config)

    def close(self) -> None:
        """Nothing to release: every call is a short-lived command."""

    # -- helpers ---------------------------------------------------------------------------------

    def _arguments(self, options: SpawnOptions, shape: Shape) -> list[str]:
        settings = self.settings
        if options.region and settings.cluster and options.region != settings.cluster:
            raise invalid_spec(
                f"this provider submits to cluster {settings.cluster!r}, not {options.region!r}"
            )
        if options.image:
            raise invalid_spec(
                "a Slurm allocation runs on the node's own system; leave SpawnOptions.image unset"
            )
        if options.ssh_key_names:
            raise invalid_spec("Slurm allocations take no SSH keys; the bootstrap can install them")
        arguments = [
            f"--job-name={options.name}",
            f"--comment={comment_for(options.instance_type, options.tags)}",
            *shape.sbatch_arguments(),
            # Nothing of the caller's environment (credentials included) reaches the job.
            "--export=NONE",
            "--output=/dev/null",
            "--chdir=/tmp",
        ]
        if options.disk_gb is not None:
            arguments.append(f"--tmp={options.disk_gb}G")
        for flag, value in (
            ("--time", settings.time_limit),
            ("--account", settings.account),
            ("--qos", settings.qos),
        ):
            if value:
                arguments.append(f"{flag}={value}")
        return arguments

    def _submit(self, options: SpawnOptions, arguments: list[str], script: str) -> SlurmInstance:
        job_id = self._client.submit(arguments, script)
        submitted = SlurmInstance(
            id=job_id,
            status=InstanceStatus.PENDING,
            provider=PROVIDER,
            name=options.name,
            instance_type=options.instance_type,
            region=self.settings.cluster,
            tags=options.tags,
            job_state="PENDING",
        )
        if self.settings.pending_timeout <= 0:
            return submitted
        return self._wait_until_started(job_id) or submitted

    def _wait_until_started(self, job_id: str) -> SlurmInstance | None:
        """Wait for the job to leave PENDING; cancel it when it cannot, with the error saying why."""
        deadline = time.monotonic() + self.settings.pending_timeout
        while True:
            job = self.get_instance(job_id)
            if job is None or (job.job_state != "PENDING" and job.status is not InstanceStatus.ERROR):
                return job
            reason = job.state_reason or ""
            if reason in NEVER_REASONS:
                self._cancel_with(job_id, ErrorCode.INVALID_SPEC, f"Slurm can never start it ({reason})")
            if LIMIT_REASON.match(reason):
                self._cancel_with(
                    job_id, ErrorCode.QUOTA_EXCEEDED, f"held by a QOS or association limit ({reason})"
                )
            if time.monotonic() >= deadline:
                self._cancel_with(
                    job_id,
                    ErrorCode.CAPACITY_ERROR,
                    f"still pending after {self.settings.pending_timeout:g}s ({reason or 'no reason given'})",
                )
            time.sleep(POLL_INTERVAL)

    def _cancel_with(self, job_id: str, code: ErrorCode, why: str) -> None:
        self._client.cancel(job_id)
        raise ProviderError(code, f"job {job_id} cancelled: {why}", provider=PROVIDER)
