"""A real one-node Slurm cluster in a temporary directory: munged, slurmctld and slurmd from the
distribution's packages, with their own ports, sockets and state, so nothing can reach a real cluster.

Debian's slurm-wlm 22.05 and munge; the daemons run as the current user (root in CI containers).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path

from attrs import frozen

DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "squeue", "scancel", "sinfo")
INSTALL_HINT = "install Debian's packages: apt-get install -y slurm-wlm munge"
NODE = "pcnode1"
# What the fake node offers: CPUs and memory are declared, not detected (SlurmdParameters=config_overrides).
CPUS = 16
MEMORY_MB = 16384
GPUS = 2
GPU_TYPE = "a100"
PARTITIONS = ("debug", "gpu")
START_TIMEOUT = 30.0

SLURM_CONF = """\
ClusterName={cluster}
SlurmctldHost={hostname}(127.0.0.1)
MailProg=/bin/true
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser={user}
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={root}/munge/munge.socket
StateSaveLocation={root}/ctld
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SlurmdParameters=config_overrides
ReturnToService=2
MinJobAge=600
SchedulerParameters=sched_interval=1
GresTypes=gpu
NodeName={node} NodeAddr=127.0.0.1 NodeHostname={hostname} State=UNKNOWN \
  CPUs={cpus} RealMemory={memory} Gres=gpu:{gpu_type}:{gpus}
PartitionName=debug Nodes={node} Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes={node} MaxTime=INFINITE State=UP
"""
# Empty files stand in for the GPUs' device files: slurmd only needs them to exist.
GRES_CONF = "NodeName={node} Name=gpu Type={gpu_type} File={root}/dev/gpu[0-{last_gpu}]\n"


class SlurmUnavailable(RuntimeError):
    """The binaries are missing or the daemons did not start; the message says why and what to do."""


@frozen
class Cluster:
    root: Path
    conf: Path
    cluster: str

    def env(self) -> dict[str, str]:
        return {"SLURM_CONF": str(self.conf)}

    def log(self, daemon: str) -> str:
        path = self.root / "log" / f"{daemon}.log"
        return path.read_text(errors="replace") if path.exists() else ""


def missing_binaries() -> list[str]:
    return [name for name in (*DAEMONS, *CLIENTS) if shutil.which(name) is None]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _user() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


def _write_config(root: Path, cluster: str) -> Path:
    for sub in ("munge", "ctld", "spool", "log", "dev"):
        (root / sub).mkdir(mode=0o700)
    for index in range(GPUS):
        (root / "dev" / f"gpu{index}").touch()
    key = root / "munge" / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o400)
    values = {
        "cluster": cluster,
        "node": NODE,
        "hostname": socket.gethostname().split(".")[0],
        "ctld_port": _free_port(),
        "slurmd_port": _free_port(),
        "user": _user(),
        "root": root,
        "cpus": CPUS,
        "memory": MEMORY_MB,
        "gpus": GPUS,
        "last_gpu": GPUS - 1,
        "gpu_type": GPU_TYPE,
    }
    conf = root / "slurm.conf"
    conf.write_text(SLURM_CONF.format(**values))
    (root / "gres.conf").write_text(GRES_CONF.format(**values))
    return conf


def _wait(what: str, ready: Callable[[], bool], cluster: Cluster, daemon: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not ready():
        if time.monotonic() > deadline:
            tail = "\n".join(cluster.log(daemon).splitlines()[-15:])
            raise SlurmUnavailable(f"{what} within {START_TIMEOUT:g}s; {daemon} log:\n{tail}")
        time.sleep(0.2)


def _node_idle(cluster: Cluster) -> bool:
    done = subprocess.run(
        ["sinfo", "--noheader", "--nodes", NODE, "--format", "%t"],
        env={**os.environ, **cluster.env()},
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return done.returncode == 0 and done.stdout.strip() in {"idle", "mix", "alloc"}


def _daemon(stack: ExitStack, argv: list[str], env: Mapping[str, str], log: Path) -> None:
    handle = log.open("ab")
    process = subprocess.Popen(argv, env=env, stdout=handle, stderr=subprocess.STDOUT)
    stack.callback(handle.close)
    stack.callback(_stop, process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def running_cluster(cluster_name: str = "pctest") -> Iterator[Cluster]:
    """Start munged, slurmctld and slurmd on 127.0.0.1 and stop them (and every job) on exit."""
    missing = missing_binaries()
    if missing:
        raise SlurmUnavailable(f"Slurm is not installed (missing {', '.join(missing)}): {INSTALL_HINT}")
    with tempfile.TemporaryDirectory(prefix="pc-slurm-") as tmp, ExitStack() as stack:
        root = Path(tmp)
        root.chmod(0o755)  # jobs run as the submitting user and read their files below here
        conf = _write_config(root, cluster_name)
        cluster = Cluster(root, conf, cluster_name)
        env = {**os.environ, **cluster.env()}
        logs = root / "log"
        socket_path = root / "munge" / "munge.socket"
        _daemon(
            stack,
            [
                "munged",
                "--foreground",
                "--force",
                f"--socket={socket_path}",
                f"--key-file={root / 'munge' / 'munge.key'}",
                f"--log-file={logs / 'munged.log'}",
                f"--pid-file={root / 'munge' / 'munged.pid'}",
                f"--seed-file={root / 'munge' / 'munged.seed'}",
            ],
            env,
            logs / "munged.out",
        )
        _wait("munged did not open its socket", socket_path.exists, cluster, "munged")
        _daemon(stack, ["slurmctld", "-D", "-c", "-i"], env, logs / "slurmctld.out")
        _daemon(stack, ["slurmd", "-D", "-N", NODE], env, logs / "slurmd.out")
        _wait("the node did not come up", lambda: _node_idle(cluster), cluster, "slurmd")
        yield cluster
