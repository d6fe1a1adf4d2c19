"""The SDK access: a boto3 session, one client per (service, region) built once and shared across threads,
and every SDK failure translated through the error table."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from typing import TYPE_CHECKING, Any, TypeVar, cast

from provider_aws._errors import PROVIDER, map_error
from provider_core import ErrorCode, ProviderError

if TYPE_CHECKING:
    from boto3.session import Session
    from mypy_boto3_ec2 import EC2Client

    from provider_aws._settings import AWSSettings

T = TypeVar("T")


_loader: Any = None
_loader_lock = threading.Lock()


def _shared_loader() -> Any:
    """One botocore data loader per process: it caches the parsed EC2 model (megabytes of JSON), which a
    fresh session would otherwise parse again for every provider built."""
    global _loader
    with _loader_lock:
        if _loader is None:
            from botocore.loaders import create_loader

            _loader = create_loader()
        return _loader


class Ec2Access:
    """Everything that talks to EC2; any SDK failure leaves here as a ProviderError."""

    def __init__(self, settings: AWSSettings) -> None:
        import boto3
        import botocore.session
        from botocore.config import Config

        # botocore reads only AWS_DEFAULT_REGION; AWS_REGION is what the other AWS SDKs (and the `region`
        # setting) use, so it is honoured here and, as in those SDKs, wins over AWS_DEFAULT_REGION.
        region = settings.region or os.environ.get("AWS_REGION", "").strip() or None
        try:
            core_session = botocore.session.Session()
            core_session.register_component("data_loader", _shared_loader())
            # Only explicit settings are passed: None leaves each to boto3's own configuration chain.
            self._session: Session = boto3.session.Session(
                aws_access_key_id=settings.aws_access_key_id,
                aws_secret_access_key=settings.aws_secret_access_key,
                aws_session_token=settings.aws_session_token,
                profile_name=settings.profile,
                region_name=region,
                botocore_session=core_session,
            )
        except Exception as exc:
            raise map_error(exc) from exc
        self.default_region: str = region or self._session.region_name or "us-east-1"
        self.endpoint_url = settings.endpoint_url
        # No SDK retries: the core's taxonomy-driven retry() decides, so an error surfaces once, mapped.
        self._config = Config(
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            retries={"total_max_attempts": 1, "mode": "standard"},
            user_agent_extra="provider-core-aws",
        )
        # botocore's timeouts bound each connect and each read; a server trickling its answer would still
        # hold a call for minutes. Each call runs on a worker and the caller waits at most this long.
        self.call_deadline = settings.connect_timeout + settings.read_timeout
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._calls: ThreadPoolExecutor | None = None
        self._known_regions: frozenset[str] | None = None

    @property
    def session(self) -> Session:
        """The boto3 session: its credentials and region are boto3's chain plus the explicit settings."""
        return self._session

    def client(self, region: str, service: str = "ec2") -> Any:
        key = (service, region)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                try:
                    # Session.client is not thread-safe, hence the lock; the clients themselves are.
                    client = self._session.client(
                        service,  # type: ignore[call-overload]
                        region_name=region,
                        endpoint_url=self.endpoint_url,
                        config=self._config,
                    )
                except Exception as exc:
                    raise map_error(exc) from exc
                self._clients[key] = client
            return client

    def ec2(self, region: str) -> EC2Client:
        return cast("EC2Client", self.client(region))

    def call(self, region: str, fn: Callable[[EC2Client], T]) -> T:
        """Run fn with the region's EC2 client, translating every failure; UNAVAILABLE past the deadline."""
        client = self.ec2(region)
        with self._lock:
            if self._calls is None:
                self._calls = ThreadPoolExecutor(max_workers=32, thread_name_prefix="provider-aws-call")
            calls = self._calls
        future = calls.submit(fn, client)
        try:
            return future.result(timeout=self.call_deadline)
        except FuturesTimeout:
            # The abandoned request ends with its own read timeout; its outcome is unknown, as with any
            # timeout, which is what UNAVAILABLE tells a caller.
            raise ProviderError(
                ErrorCode.UNAVAILABLE, f"EC2 did not answer within {self.call_deadline:g}s", provider=PROVIDER
            ) from None
        except ProviderError:
            raise
        except Exception as exc:
            raise map_error(exc) from exc

    def pages(self, region: str, operation: str, key: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every item under key across NextToken pages of a Describe* call, 1000 at a time."""
        token: str | None = None
        while True:
            page_params = dict(params, MaxResults=1000)
            if token:
                page_params["NextToken"] = token
            page: dict[str, Any] = self.call(
                region,
                lambda c, p=page_params: getattr(c, operation)(**p),  # type: ignore[misc]
            )
            yield from page.get(key) or ()
            token = page.get("NextToken")
            if not token:
                return

    def each_region(self, regions: Sequence[str], fn: Callable[[str], T]) -> list[T]:
        """fn for every region, concurrently when there is more than one; the first failure is raised."""
        if len(regions) <= 1:
            return [fn(region) for region in regions]
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="provider-aws")
            pool = self._pool
        return list(pool.map(fn, regions))

    def check_region(self, region: str) -> str:
        """Reject names that are not AWS regions before they turn into DNS failures."""
        if self._known_regions is None:
            names: set[str] = set()
            for partition in self._session.get_available_partitions():
                names.update(self._session.get_available_regions("ec2", partition_name=partition))
            self._known_regions = frozenset(names)
        if region not in self._known_regions:
            raise ProviderError(ErrorCode.INVALID_SPEC, f"unknown AWS region '{region}'", provider=PROVIDER)
        return region

    def close(self) -> None:
        with self._lock:
            pools = [self._pool, self._calls]
            self._pool = self._calls = None
            clients = list(self._clients.values())
            self._clients.clear()
        for pool in pools:
            if pool is not None:
                # A call abandoned at its deadline may still be reading: closing does not wait for it.
                pool.shutdown(wait=pool is not pools[1], cancel_futures=True)
        for client in clients:
            client.close()
