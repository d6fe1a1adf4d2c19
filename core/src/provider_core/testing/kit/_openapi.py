"""Contract checks of recorded exchanges against an OpenAPI 3 document (openapi-core, jsonschema).

Both libraries are imported when a checker is built, never with the kit: the core does not depend on
them (they come with the `testing` extra).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from provider_core.testing.kit._exchanges import Exchange

if TYPE_CHECKING:
    from openapi_core import OpenAPI
    from openapi_core.testing import MockRequest


class OffContract(AssertionError):
    """An answer with a status the document neither lists for its operation nor allows otherwise."""


class OpenAPIChecker:
    """Validates requests and answers of recorded exchanges against one OpenAPI 3 document.

    `server`: the document's server URL the recorded targets are relative to. `covers`: the path
    prefix the document describes (exchanges elsewhere, a GraphQL endpoint say, are not checked).
    `undocumented`: JSON schemas for answers whose status the operation does not list, keyed by status
    ("500") or class ("5XX"); without it such answers are left to openapi-core, with it a status
    matching no key is an OffContract. The schemas may $ref the document's components.
    """

    def __init__(
        self,
        document: Mapping[str, Any],
        *,
        server: str,
        covers: str = "",
        undocumented: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.document = document
        self.server = server
        self.covers = covers.rstrip("/")
        self.undocumented = undocumented

    @classmethod
    def from_path(cls, path: Path | str, **options: Any) -> OpenAPIChecker:
        return cls(json.loads(Path(path).read_text()), **options)

    @cached_property
    def _api(self) -> OpenAPI:
        from openapi_core import Config, OpenAPI

        # Problem details (RFC 9457) are JSON that openapi-core does not decode by itself.
        config = Config(extra_media_type_deserializers={"application/problem+json": json.loads})
        return OpenAPI.from_dict(dict(self.document), config=config)

    def covered(self, exchanges: Iterable[Exchange]) -> list[Exchange]:
        """The exchanges whose path the document describes."""
        return [e for e in exchanges if e.path == self.covers or e.path.startswith(self.covers + "/")]

    def documented_statuses(self, exchange: Exchange) -> set[int]:
        """The statuses the document lists for the exchange's operation (empty when it has none)."""
        method = exchange.method.lower()
        for template, operations in self.document["paths"].items():
            pattern = re.sub(r"\{[^}/]+\}", "[^/]+", template)
            if re.fullmatch(pattern, exchange.path) and method in operations:
                return {int(code) for code in operations[method]["responses"] if code.isdigit()}
        return set()

    def check_request(self, exchange: Exchange) -> None:
        """Raises openapi-core's error when the request is not one the document allows."""
        self._api.validate_request(self._request(exchange))

    def check_response(self, exchange: Exchange) -> None:
        """Raises when the answer breaks the document; unsent and deliberately off-spec answers pass."""
        from openapi_core.testing import MockResponse

        if exchange.status is None or exchange.off_spec:
            return
        if self.undocumented is not None and exchange.status not in self.documented_statuses(exchange):
            self._check_undocumented(exchange, exchange.status)
            return
        response = MockResponse(
            exchange.response_body,
            status_code=exchange.status,
            headers=dict(exchange.response_headers),
            content_type=exchange.response_content_type or "",
        )
        self._api.validate_response(self._request(exchange), response)

    def check(self, exchanges: Iterable[Exchange], *, requests: bool = True, responses: bool = True) -> int:
        """Checks every covered exchange; returns how many were covered."""
        covered = self.covered(exchanges)
        for exchange in covered:
            if requests:
                self.check_request(exchange)
            if responses:
                self.check_response(exchange)
        return len(covered)

    def _check_undocumented(self, exchange: Exchange, status: int) -> None:
        import jsonschema

        assert self.undocumented is not None
        schema = self.undocumented.get(str(status)) or self.undocumented.get(f"{status // 100}XX")
        if schema is None:
            raise OffContract(f"{exchange.method} {exchange.path} answered an undocumented {status}")
        if (exchange.response_content_type or "").startswith("application/json"):
            # Local $refs resolve against the schema's root: give it the document's components.
            rooted = {**schema, "components": self.document.get("components", {})}
            jsonschema.validate(json.loads(exchange.response_body), rooted)

    def _request(self, exchange: Exchange) -> MockRequest:
        from openapi_core.testing import MockRequest

        content_type = next(
            (v for k, v in exchange.headers.items() if k.lower() == "content-type"), "application/json"
        )
        return MockRequest(
            self.server,
            exchange.method.lower(),
            exchange.path,
            args=dict(parse_qsl(exchange.query)),
            headers=dict(exchange.headers),
            data=exchange.body or None,
            content_type=content_type,
        )
