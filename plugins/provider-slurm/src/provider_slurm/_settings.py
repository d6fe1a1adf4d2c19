"""Settings of the Slurm provider, resolved and validated by the core (explicit > environment > default)."""

from __future__ import annotations

from attrs import frozen

from provider_core.author import parsers, setting


@frozen
class SlurmSettings:
    conf: str | None = setting(
        None,
        description="slurm.conf for sbatch, squeue and scancel (unset: what they find themselves)",
        env="SLURM_CONF",
        parse=parsers.text,
        sdk_env=True,
    )
    bin_dir: str | None = setting(
        None, description="directory holding sbatch, squeue, scancel (unset: PATH)", parse=parsers.text
    )
    cluster: str | None = setting(
        None,
        description="the cluster's name; SpawnOptions.region must match it when both are set",
        env="SLURM_CLUSTER",
        parse=parsers.text,
    )
    job_root: str = setting(
        "~/.provider-core/slurm",
        description="per-job roots (JOB_ROOT/JOB_ID) of the bootstrap on the node; ~ is the user's home",
        parse=parsers.text,
    )
    time_limit: str | None = setting(
        None,
        description="sbatch --time of every allocation (unset: the partition's default)",
        parse=parsers.text,
    )
    account: str | None = setting(
        None, description="sbatch --account", env="SLURM_ACCOUNT", parse=parsers.text
    )
    qos: str | None = setting(None, description="sbatch --qos", parse=parsers.text)
    pending_timeout: float = setting(
        0.0,
        description="seconds spawn waits for a pending job to start before cancelling it with CAPACITY_ERROR "
        "(0: return it pending)",
        parse=parsers.seconds,
    )
    command_timeout: float = setting(
        30.0, description="seconds allowed per Slurm command", parse=parsers.positive_seconds
    )
