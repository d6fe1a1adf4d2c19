"""One pooled httpx.Client per provider; every call is paced, authenticated and mapped to the taxonomy."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from provider_core import ErrorCode, ProviderError
from provider_core.author import (
    Deadline,
    DeadlineExceeded,
    SharedBudget,
    decode_json,
    path_segment,
    read_body,
    scrubbed,
)
from provider_lambda._errors import PROVIDER, error_for_response, invalid_spec, unavailable
from provider_lambda._ratelimit import LAUNCH, REQUEST, RateLimiter
from provider_lambda._settings import LambdaSettings

if TYPE_CHECKING:
    import httpx

USER_AGENT = "provider-lambda/0.1 (provider-core)"


def segment(value: str) -> str:
    """A path segment that cannot escape its place in the URL."""
    return path_segment(value, PROVIDER)


class LambdaClient:
    """Sends requests to the Lambda Cloud API and returns the `data` of its success envelope."""

    def __init__(self, settings: LambdaSettings, limiter: RateLimiter | SharedBudget) -> None:
        self._settings = settings
        self._limiter = limiter
        self._http: httpx.Client | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<LambdaClient {self._settings.base_url}>"

    def get(self, path: str) -> Any:
        return self._request("GET", path, None, (REQUEST,))

    def post(self, path: str, body: dict[str, Any], *, launch: bool = False) -> Any:
        return self._request("POST", path, body, (REQUEST, LAUNCH) if launch else (REQUEST,))

    def close(self) -> None:
        with self._lock:
            http, self._http = self._http, None
        if http is not None:
            http.close()

    def _client(self) -> httpx.Client:
        with self._lock:
            if self._http is None:
                if not self._settings.api_key:
                    raise ProviderError(
                        ErrorCode.AUTH_ERROR,
                        "no Lambda API key: set the 'api_key' setting or the LAMBDA_API_KEY variable",
                        provider=PROVIDER,
                    )
                import httpx

                try:
                    self._http = httpx.Client(
                        base_url=self._settings.base_url,
                        timeout=self._settings.timeout,
                        # httpx masks the Authorization header in reprs and logs.
                        headers={
                            "Authorization": f"Bearer {self._settings.api_key}",
                            "Accept": "application/json",
                            "User-Agent": USER_AGENT,
                        },
                    )
                except httpx.InvalidURL as exc:
                    raise self._bad_url(exc) from exc
            return self._http

    def _request(self, method: str, path: str, body: dict[str, Any] | None, buckets: tuple[str, ...]) -> Any:
        http = self._client()
        context = f"{method} {path}"
        # The slot lasts until the answer is in: the next call's pacing counts from it.
        with self._limiter.slot(*buckets):
            response, raw = self._exchange(http, method, path, body, context)
        try:
            payload = decode_json(raw)
        except ValueError:
            payload = None
        if not response.is_success:
            error = error_for_response(
                response.status_code, payload, response.headers.get("Retry-After"), context=context
            )
            # The server's own words are copied into the message: one echoing the key must not leak it.
            raise scrubbed(error, [self._settings.api_key])
        if not isinstance(payload, dict) or "data" not in payload:
            raise unavailable(f"{context}: HTTP {response.status_code} without the documented JSON envelope")
        return payload["data"]

    def _exchange(
        self, http: httpx.Client, method: str, path: str, body: dict[str, Any] | None, context: str
    ) -> tuple[httpx.Response, bytes]:
        """One request and its whole body, every transport failure mapped to the taxonomy."""
        import httpx

        # httpx's timeout bounds each read; the deadline bounds the whole call, so a server trickling its
        # answer cannot hold it for longer than `timeout`.
        deadline = Deadline(self._settings.timeout)
        try:
            with http.stream(method, path, json=body) as response:
                raw = read_body(response.iter_bytes(), deadline)
        except (httpx.InvalidURL, UnicodeError) as exc:
            # Neither is an httpx.HTTPError; the paths are ours and quoted, so the base URL is at fault
            # (UnicodeError: a host name IDNA rejects, which the settings' parse cannot see).
            raise self._bad_url(exc) from exc
        except (httpx.TimeoutException, DeadlineExceeded) as exc:
            raise unavailable(f"{context}: timed out after {self._settings.timeout:g}s") from exc
        except httpx.TransportError as exc:
            raise unavailable(f"{context}: {type(exc).__name__}: could not reach the API") from exc
        except httpx.HTTPError as exc:
            raise unavailable(f"{context}: {type(exc).__name__}") from exc
        except ValueError as exc:  # the body was larger than any answer of the API
            raise unavailable(f"{context}: {exc}") from exc
        return response, raw

    def _bad_url(self, exc: Exception) -> ProviderError:
        return invalid_spec(f"setting 'base_url' {self._settings.base_url!r} is not a usable URL: {exc}")
