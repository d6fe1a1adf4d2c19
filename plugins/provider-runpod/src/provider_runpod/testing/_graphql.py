"""The GraphQL endpoint on graphql-core: the part of RunPod's public schema the emulator implements.

Errors are answered the way RunPod's (Apollo) server answers them: a document that does not parse,
does not validate or whose variables do not fit the schema gets HTTP 400 with one `errors` entry per
problem and an `extensions.code`; a refused operation gets HTTP 200 with its field null and the error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLSyntaxError,
    build_schema,
    execute_sync,
    parse,
    validate,
)

from provider_runpod.testing._state import Account, Refusal

SCHEMA = build_schema(
    """
    scalar Void

    type Query {
      pod(input: PodFilter!): Pod
      gpuTypes(input: GpuTypeFilter): [GpuType!]
    }

    type Mutation {
      podRentInterruptable(input: PodRentInterruptableInput!): Pod
      podTerminate(input: PodTerminateInput!): Void
    }

    input PodFilter { podId: String! }
    input PodTerminateInput { podId: String! }
    input GpuTypeFilter { id: String }
    input GpuLowestPriceInput {
      gpuCount: Int!
      dataCenterId: String
      secureCloud: Boolean
      minDisk: Int
      minMemoryInGb: Int
      minVcpuCount: Int
      supportPublicIp: Boolean
    }
    input EnvironmentVariableInput { key: String!, value: String! }
    enum CloudTypeEnum { ALL SECURE COMMUNITY }

    input PodRentInterruptableInput {
      bidPerGpu: Float!
      gpuCount: Int!
      gpuTypeId: String!
      cloudType: CloudTypeEnum
      containerDiskInGb: Int
      countryCode: String
      dataCenterId: String
      dockerArgs: String
      env: [EnvironmentVariableInput]
      imageName: String
      minDisk: Int
      minDownload: Int
      minMemoryInGb: Int
      minUpload: Int
      minVcpuCount: Int
      name: String
      networkVolumeId: String
      port: Int
      ports: String
      startJupyter: Boolean
      startSsh: Boolean
      stopAfter: String
      supportPublicIp: Boolean
      templateId: String
      terminateAfter: String
      volumeInGb: Int
      volumeKey: String
      volumeMountPath: String
      allowedCudaVersions: [String]
    }

    type Pod {
      id: String!
      name: String
      desiredStatus: String
      podType: String
      costPerHr: Float
      gpuCount: Int
      imageName: String
      env: [String]
      machineId: String
      dockerArgs: String
      containerDiskInGb: Int
      volumeInGb: Float
      volumeMountPath: String
      lastStatusChange: String
      machine: Machine
    }
    type Machine { podHostId: String, gpuDisplayName: String }

    type GpuType {
      id: String!
      displayName: String
      memoryInGb: Int
      secureCloud: Boolean
      communityCloud: Boolean
      securePrice: Float
      communityPrice: Float
      secureSpotPrice: Float
      communitySpotPrice: Float
      lowestPrice(input: GpuLowestPriceInput): LowestPrice
    }
    type LowestPrice { minimumBidPrice: Float, uninterruptablePrice: Float, stockStatus: String }
    """
)


def _refusals_as_errors(resolve: Callable[..., Any]) -> Callable[..., Any]:
    """A resolver whose Refusal becomes a GraphQL error carrying RunPod's extensions.code."""

    def resolver(*args: Any, **kwargs: Any) -> Any:
        try:
            return resolve(*args, **kwargs)
        except Refusal as refusal:
            extensions = {"code": refusal.code} if refusal.code else None
            raise GraphQLError(refusal.message, extensions=extensions) from refusal

    return resolver


def _root(account: Account) -> dict[str, Any]:
    """Root resolvers: graphql-core calls a callable root value with (info, **arguments)."""

    def terminate(info: object, input: dict[str, Any]) -> None:
        account.terminate_spot(input["podId"])

    def gpu_types(info: object, input: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return [
            {**gpu, "lowestPrice": _lowest_price(account, gpu["id"])}
            for gpu in account.gpu_types((input or {}).get("id"))
        ]

    return {
        "pod": lambda info, input: account.graphql_pod(input["podId"]),
        "gpuTypes": gpu_types,
        "podRentInterruptable": _refusals_as_errors(lambda info, input: account.rent_spot(input)),
        "podTerminate": _refusals_as_errors(terminate),
    }


def _lowest_price(account: Account, gpu_id: str) -> Callable[..., dict[str, Any]]:
    def resolve(info: object, input: dict[str, Any] | None = None) -> dict[str, Any]:
        given = input or {}
        if "dataCenterId" in given and given["dataCenterId"] is None:
            # An explicit null data center is reported by a public client to price as "no capacity
            # anywhere"; an absent one means any data center.
            return {"minimumBidPrice": None, "uninterruptablePrice": None, "stockStatus": None}
        return account.lowest_price(gpu_id, given.get("gpuCount", 1))

    return resolve


def _rejected(code: str, errors: list[GraphQLError]) -> tuple[int, dict[str, Any]]:
    formatted = [{**error.formatted, "extensions": {"code": code}} for error in errors]
    return 400, {"errors": formatted}


def answer(account: Account, payload: Any) -> tuple[int, dict[str, Any]]:
    """The HTTP status and JSON body for one GraphQL POST body ({query, variables, operationName})."""
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        error = GraphQLError("POST body must carry a query")
        return _rejected("BAD_REQUEST", [error])
    try:
        document = parse(payload["query"])
    except GraphQLSyntaxError as exc:
        return _rejected("GRAPHQL_PARSE_FAILED", [exc])
    invalid = validate(SCHEMA, document)
    if invalid:
        return _rejected("GRAPHQL_VALIDATION_FAILED", invalid)
    result = execute_sync(
        SCHEMA,
        document,
        root_value=_root(account),
        variable_values=payload.get("variables") or {},
        operation_name=payload.get("operationName"),
    )
    if result.data is None:
        # Nothing ran: the variables did not fit their types, or the operation could not be chosen.
        return _rejected("BAD_USER_INPUT", list(result.errors or ()))
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [error.formatted for error in result.errors]
    return 200, body
