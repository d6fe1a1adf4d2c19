"""Provider workflows, `fn(ctx: WorkflowContext[AWSProvider], ...)`: the handle binds ctx
(`handle.workflows["multi_az_probe"](options)`). Every instance they create, read or destroy goes through
ctx (the handle's hook path), so wrappers, spawn_tags and the core's rules see it.

The registration names them by path: discovery imports neither the implementations nor the provider.
"""

from provider_core.author import lazy_exports

WORKFLOWS: dict[str, str] = {
    "multi_az_probe": "provider_aws.workflows._probe:multi_az_probe",
    "spot_fleet": "provider_aws.workflows._fleet:spot_fleet",
    "warm_volumes": "provider_aws.workflows._warm:warm_volumes",
    "hibernate": "provider_aws.workflows._power:hibernate",
    "resume": "provider_aws.workflows._power:resume",
}
_RESULTS = {
    "FleetResult": "provider_aws.workflows._fleet:FleetResult",
    "ProbeResult": "provider_aws.workflows._probe:ProbeResult",
    "WarmSpawn": "provider_aws.workflows._warm:WarmSpawn",
    "WarmVolumePool": "provider_aws.workflows._warm:WarmVolumePool",
}
__getattr__ = lazy_exports(__name__, {**WORKFLOWS, **_RESULTS})

__all__ = ["WORKFLOWS", *WORKFLOWS, *_RESULTS]
