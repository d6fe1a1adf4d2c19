"""What RunInstances needs: validated instance types, default images, and the parameters of a launch."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from provider_aws._errors import PROVIDER
from provider_aws._types import tag_list
from provider_core import ErrorCode, ProviderError, SpawnOptions

if TYPE_CHECKING:
    from provider_aws._client import Ec2Access
    from provider_aws._settings import AWSSettings

T = TypeVar("T")

# Public SSM parameters AWS keeps pointing at the latest Amazon Linux 2023 image, per architecture.
DEFAULT_IMAGE_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{arch}"


def invalid(message: str) -> ProviderError:
    return ProviderError(ErrorCode.INVALID_SPEC, message, provider=PROVIDER)


class _Invalid(NamedTuple):
    message: str


class Catalog:
    """Per-region facts that rarely change, looked up once (moto and EC2 alike accept any type name at launch,
    so the type is checked against DescribeInstanceTypes first)."""

    def __init__(self, access: Ec2Access) -> None:
        self._access = access
        self._cache: dict[tuple[str, ...], Any] = {}
        self._lock = threading.Lock()

    def _cached(self, key: tuple[str, ...], load: Callable[[], T]) -> T:
        """load() once per key; an INVALID_SPEC answer is remembered too (transient failures are not)."""
        with self._lock:
            found = self._cache.get(key)
        if found is None:
            try:
                found = load()
            except ProviderError as exc:
                if exc.code is not ErrorCode.INVALID_SPEC:
                    raise
                found = _Invalid(exc.message)
            with self._lock:
                self._cache[key] = found
        if isinstance(found, _Invalid):
            raise invalid(found.message)
        return found

    def instance_type(self, region: str, instance_type: str) -> dict[str, Any]:
        def load() -> dict[str, Any]:
            found = self._access.call(
                region,
                lambda c: c.describe_instance_types(InstanceTypes=[instance_type]),  # type: ignore[list-item]
            )
            types = found.get("InstanceTypes") or []
            if not types:
                raise invalid(f"instance type '{instance_type}' is not offered in {region}")
            return dict(types[0])

        return self._cached(("type", region, instance_type), load)

    def offered_zones(self, region: str, instance_type: str) -> frozenset[str]:
        def load() -> frozenset[str]:
            offers = self._access.pages(
                region,
                "describe_instance_type_offerings",
                "InstanceTypeOfferings",
                LocationType="availability-zone",
                Filters=[{"Name": "instance-type", "Values": [instance_type]}],
            )
            return frozenset(str(o["Location"]) for o in offers)

        return self._cached(("zones", region, instance_type), load)

    def default_image(self, region: str, arch: str) -> str:
        name = DEFAULT_IMAGE_PARAMETER.format(arch=arch)

        def load() -> str:
            ssm = self._access.client(region, "ssm")
            try:
                return str(ssm.get_parameter(Name=name)["Parameter"]["Value"])
            except Exception as exc:
                raise invalid(f"no image given and the default ({name}) is unavailable in {region}") from exc

        return self._cached(("image", region, arch), load)

    def root_device(self, region: str, image_id: str) -> tuple[str, int | None]:
        """The image's root device name and its volume size in GiB (when the image says)."""

        def load() -> tuple[str, int | None]:
            images = self._access.call(region, lambda c: c.describe_images(ImageIds=[image_id]))["Images"]
            if not images or "RootDeviceName" not in images[0]:
                raise invalid(f"image '{image_id}' not found in {region}")
            device = str(images[0]["RootDeviceName"])
            sizes = [
                m["Ebs"].get("VolumeSize")
                for m in images[0].get("BlockDeviceMappings") or ()
                if m.get("DeviceName") == device and "Ebs" in m
            ]
            return device, int(sizes[0]) if sizes and sizes[0] else None

        return self._cached(("root", region, image_id), load)


def architecture(info: dict[str, Any]) -> str:
    supported = (info.get("ProcessorInfo") or {}).get("SupportedArchitectures") or ["x86_64"]
    return "arm64" if "x86_64" not in supported and "arm64" in supported else "x86_64"


def gpu_count(info: dict[str, Any]) -> int:
    return sum(int(g.get("Count", 0)) for g in (info.get("GpuInfo") or {}).get("Gpus") or ())


def run_params(catalog: Catalog, defaults: AWSSettings, options: SpawnOptions, region: str) -> dict[str, Any]:
    """RunInstances parameters for options (tags, user data, spot, token, zone, network, disks); options.tags
    already carry the core's management tags."""
    info = catalog.instance_type(region, options.instance_type)
    if options.gpu_count is not None and gpu_count(info) < options.gpu_count:
        raise invalid(
            f"{options.instance_type} has {gpu_count(info)} GPU(s), {options.gpu_count} were asked for"
        )
    if len(options.ssh_key_names) > 1:
        raise invalid("EC2 attaches one key pair per instance; give at most one ssh key name")
    image = options.image or defaults.image or catalog.default_image(region, architecture(info))
    tags = tag_list({**options.tags, "Name": options.name})
    # Tagged at creation, so nothing RunInstances makes can exist without the management tag.
    tagged = ("instance", "volume", "spot-instances-request") if options.spot else ("instance", "volume")
    params: dict[str, Any] = {
        "ImageId": image,
        "InstanceType": options.instance_type,
        "MinCount": 1,
        "MaxCount": 1,
        "TagSpecifications": [{"ResourceType": kind, "Tags": tags} for kind in tagged],
    }
    if options.bootstrap is not None:
        params["UserData"] = options.bootstrap.content  # boto3 base64-encodes RunInstances UserData
    key_name = options.ssh_key_names[0] if options.ssh_key_names else defaults.ssh_key_name
    if key_name:
        params["KeyName"] = key_name
    if options.zone:
        params["Placement"] = {"AvailabilityZone": options.zone}
    _network(params, options, defaults)
    # EC2 hibernates a spot instance only with InstanceInterruptionBehavior=hibernate, which needs a
    # persistent spot request: terminating its instance reopens the request and launches another, unseen
    # by the core. So spot launches are one-time, terminated on interruption, and never hibernation-ready.
    hibernation = defaults.hibernation and not options.spot
    if options.disk_gb is not None or hibernation:
        device, image_size = catalog.root_device(region, image)
        ebs: dict[str, Any] = {"DeleteOnTermination": True}
        size = options.disk_gb or image_size
        if size is not None:
            ebs["VolumeSize"] = size
        if hibernation:
            ebs["Encrypted"] = True  # EC2 hibernates only onto an encrypted root volume
            params["HibernationOptions"] = {"Configured": True}
        params["BlockDeviceMappings"] = [{"DeviceName": device, "Ebs": ebs}]
    if options.spot:
        spot: dict[str, Any] = {"SpotInstanceType": "one-time", "InstanceInterruptionBehavior": "terminate"}
        if options.max_price_per_hour is not None:
            spot["MaxPrice"] = f"{options.max_price_per_hour:.6f}"
        params["InstanceMarketOptions"] = {"MarketType": "spot", "SpotOptions": spot}
    if options.idempotency_key:
        # EC2's own idempotency: the same token with the same parameters returns the same instance.
        params["ClientToken"] = options.idempotency_key
    return params


def _network(params: dict[str, Any], options: SpawnOptions, defaults: AWSSettings) -> None:
    network = options.network
    if network is None:
        if defaults.subnet_id and "Placement" not in params:
            params["SubnetId"] = defaults.subnet_id
        if defaults.security_group_ids:
            params["SecurityGroupIds"] = list(defaults.security_group_ids)
        return
    interface: dict[str, Any] = {
        "DeviceIndex": 0,
        "AssociatePublicIpAddress": network.assign_public_ip,
        "DeleteOnTermination": True,
    }
    subnet = network.subnet_id or defaults.subnet_id
    if subnet:
        interface["SubnetId"] = subnet
    groups = network.security_group_ids or defaults.security_group_ids
    if groups:
        interface["Groups"] = list(groups)
    params["NetworkInterfaces"] = [interface]
