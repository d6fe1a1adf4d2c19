"""One test-double kit for HTTP API emulators.

An emulator is a WSGI app (`EmulatorApp`: write `respond`, and `admit` for checks that come before any
fault); `serve(app)` runs any WSGI app on a loopback port; `Fault` / `FaultQueue` inject failures;
`Exchange` / `ExchangeLog` record traffic with credentials masked; `OpenAPIChecker` validates recorded
exchanges against a published OpenAPI 3 document. Only the standard library is imported here.
"""

from provider_core.testing.kit._app import EmulatorApp, Reply, Request
from provider_core.testing.kit._exchanges import Exchange, ExchangeLog, redact
from provider_core.testing.kit._faults import Fault, FaultQueue
from provider_core.testing.kit._openapi import OffContract, OpenAPIChecker
from provider_core.testing.kit._serve import DropConnection, Server, serve

__all__ = [
    "DropConnection",
    "EmulatorApp",
    "Exchange",
    "ExchangeLog",
    "Fault",
    "FaultQueue",
    "OffContract",
    "OpenAPIChecker",
    "Reply",
    "Request",
    "Server",
    "redact",
    "serve",
]
