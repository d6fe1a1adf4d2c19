"""The HTTP side: REST v2 and GraphQL over one httpx client, rate limited, every failure mapped.

httpx is imported only when the first client is built (or a URL setting is checked), so discovery never
loads it. The API key travels in the Authorization header only; it is scrubbed from every error message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from provider_core import ErrorCode, ProviderError
from provider_core.author import (
    Deadline,
    DeadlineExceeded,
    decode_json,
    parse_retry_after,
    path_segment,
    read_body,
)
from provider_runpod._errors import PROVIDER, graphql_error, http_error, transport_error
from provider_runpod._ratelimit import RateLimiter

if TYPE_CHECKING:
    import httpx


def pod_path(pod_id: str, suffix: str = "") -> str:
    """A pod's path with its id escaped, so no id can reach another endpoint."""
    return f"/pods/{path_segment(pod_id, PROVIDER)}{suffix}"


class RunPodClient:
    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        graphql_url: str,
        timeout: float,
        limiter: RateLimiter,
    ) -> None:
        import httpx

        self._key = api_key
        self._timeout = timeout
        self._base_url = base_url.rstrip("/")
        self._graphql_url = graphql_url
        self._limiter = limiter
        self._http: httpx.Client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            # REST v2 answers errors as application/problem+json.
            headers={"Accept": "application/json, application/problem+json", "User-Agent": "provider-runpod"},
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"<RunPodClient {self._base_url} graphql={self._graphql_url}>"

    def close(self) -> None:
        self._http.close()

    def rest(self, method: str, path: str, *, what: str, json: Any = None) -> Any:
        """Call REST v2; returns the parsed body, or None for 204. Raises ProviderError."""
        response = self._send(method, self._base_url + path, what=what, json=json)
        if response.status_code == 204:
            return None
        body = _json_or_none(response)
        if 200 <= response.status_code < 300:
            if body is None:
                raise ProviderError(
                    ErrorCode.UNAVAILABLE, f"{what}: the answer was not JSON", provider=PROVIDER
                )
            return body
        raise self._error(response, body, what)

    def graphql(self, query: str, variables: Mapping[str, Any], *, what: str) -> Mapping[str, Any]:
        """Run one GraphQL operation; returns its `data`. Errors inside HTTP 200 are mapped too."""
        payload = {"query": query, "variables": dict(variables)}
        response = self._send("POST", self._graphql_url, what=what, json=payload)
        body = _json_or_none(response)
        errors = body.get("errors") if isinstance(body, Mapping) else None
        if not 200 <= response.status_code < 300:
            if isinstance(errors, list) and errors:
                message = str(errors[0].get("message", "")) if isinstance(errors[0], Mapping) else ""
                body = {"detail": message}
            raise self._error(response, body, what)
        if not isinstance(body, Mapping):
            raise ProviderError(ErrorCode.UNAVAILABLE, f"{what}: the answer was not JSON", provider=PROVIDER)
        if errors:
            raise graphql_error(list(errors), what=what, secret=self._key)
        data = body.get("data")
        if not isinstance(data, Mapping):
            raise ProviderError(ErrorCode.UNAVAILABLE, f"{what}: the answer had no data", provider=PROVIDER)
        return data

    def _send(self, method: str, url: str, *, what: str, json: Any) -> _Answer:
        import httpx

        sent = self._limiter.acquire()
        headers = {"Authorization": f"Bearer {self._key}"}
        # httpx's timeout bounds each read; the deadline bounds the whole call, so a server trickling its
        # answer cannot hold it for longer than `timeout`.
        deadline = Deadline(self._timeout)
        try:
            with self._http.stream(method, url, json=json, headers=headers) as response:
                raw = read_body(response.iter_bytes(), deadline)
        except (httpx.HTTPError, httpx.InvalidURL, DeadlineExceeded, ValueError) as exc:
            # ValueError: a body larger than any answer of the API.
            raise transport_error(exc, what=what, secret=self._key) from exc
        finally:
            self._limiter.answered(sent)  # a failed request may have reached the server too
        self._limiter.observe(response.headers, response.status_code)
        return _Answer(response.status_code, response.headers, raw)

    def _error(self, response: _Answer, body: Any, what: str) -> ProviderError:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        return http_error(response.status_code, body, what=what, retry_after=retry_after, secret=self._key)


class _Answer(NamedTuple):
    status_code: int
    headers: httpx.Headers
    content: bytes


def _json_or_none(response: _Answer) -> Any:
    try:
        return decode_json(response.content)
    except ValueError:
        return None
