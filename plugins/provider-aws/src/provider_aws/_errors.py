"""EC2 error codes and botocore failures mapped to the provider-core taxonomy (one table, one function)."""

from __future__ import annotations

from provider_core import ErrorCode, ProviderError
from provider_core.author import parse_retry_after

PROVIDER = "aws"

# Exact EC2 error codes. A code ending in '*' matches every code with that prefix.
EC2_ERRORS: dict[str, ErrorCode] = {
    "InsufficientInstanceCapacity": ErrorCode.CAPACITY_ERROR,
    "InsufficientHostCapacity": ErrorCode.CAPACITY_ERROR,
    "InsufficientCapacity": ErrorCode.CAPACITY_ERROR,
    # EC2 answers Unsupported when the instance type is not offered in the requested AZ.
    "Unsupported": ErrorCode.CAPACITY_ERROR,
    "RequestLimitExceeded": ErrorCode.RATE_LIMIT_ERROR,
    "Throttling": ErrorCode.RATE_LIMIT_ERROR,
    "AuthFailure": ErrorCode.AUTH_ERROR,
    "UnauthorizedOperation": ErrorCode.AUTH_ERROR,
    "ExpiredToken": ErrorCode.AUTH_ERROR,
    "InvalidClientTokenId": ErrorCode.AUTH_ERROR,
    "InstanceLimitExceeded": ErrorCode.QUOTA_EXCEEDED,
    "VcpuLimitExceeded": ErrorCode.QUOTA_EXCEEDED,
    "MaxSpotInstanceCountExceeded": ErrorCode.QUOTA_EXCEEDED,
    "VolumeLimitExceeded": ErrorCode.QUOTA_EXCEEDED,
    "SnapshotLimitExceeded": ErrorCode.QUOTA_EXCEEDED,
    "InvalidParameterValue": ErrorCode.INVALID_SPEC,
    "InvalidParameterCombination": ErrorCode.INVALID_SPEC,
    "InvalidAMIID.*": ErrorCode.INVALID_SPEC,
    "InvalidInstanceType": ErrorCode.INVALID_SPEC,
    "IdempotentParameterMismatch": ErrorCode.INVALID_SPEC,
    # Surfaces only when the terminated instance cannot be described any more (spawn returns it otherwise).
    "IdempotentInstanceTerminated": ErrorCode.INVALID_SPEC,
    "UnsupportedHibernationConfiguration": ErrorCode.INVALID_SPEC,
    "InvalidInstanceID.NotFound": ErrorCode.NOT_FOUND,
    "InvalidInstanceID.Malformed": ErrorCode.NOT_FOUND,
    "InvalidSnapshot.NotFound": ErrorCode.NOT_FOUND,
    "InvalidSpotInstanceRequestID.NotFound": ErrorCode.NOT_FOUND,
    "InvalidVolume.NotFound": ErrorCode.NOT_FOUND,
    "InternalError": ErrorCode.UNAVAILABLE,
    "InternalFailure": ErrorCode.UNAVAILABLE,
    "ServiceUnavailable": ErrorCode.UNAVAILABLE,
    "Unavailable": ErrorCode.UNAVAILABLE,
}

# botocore exception class names (matched along the MRO, so subclasses map too).
BOTOCORE_ERRORS: dict[str, ErrorCode] = {
    "EndpointConnectionError": ErrorCode.UNAVAILABLE,
    "ConnectionClosedError": ErrorCode.UNAVAILABLE,
    "ConnectTimeoutError": ErrorCode.UNAVAILABLE,
    "ReadTimeoutError": ErrorCode.UNAVAILABLE,
    "HTTPClientError": ErrorCode.UNAVAILABLE,
    # A 5xx page that is not EC2 XML (a proxy or load balancer answering) fails to parse.
    "ResponseParserError": ErrorCode.UNAVAILABLE,
    "NoCredentialsError": ErrorCode.AUTH_ERROR,
    "PartialCredentialsError": ErrorCode.AUTH_ERROR,
    "ProfileNotFound": ErrorCode.AUTH_ERROR,
    "TokenRetrievalError": ErrorCode.AUTH_ERROR,
    "SSOError": ErrorCode.AUTH_ERROR,
    "NoRegionError": ErrorCode.INVALID_SPEC,
    "ParamValidationError": ErrorCode.INVALID_SPEC,
}


def code_for(error_code: str, http_status: int | None = None) -> ErrorCode:
    """The taxonomy code of an EC2 error code (and HTTP status, for codes the table does not name)."""
    if error_code in EC2_ERRORS:
        return EC2_ERRORS[error_code]
    for pattern, mapped in EC2_ERRORS.items():
        if pattern.endswith("*") and error_code.startswith(pattern[:-1]):
            return mapped
    if error_code.endswith(".NotFound"):
        return ErrorCode.NOT_FOUND
    if error_code.endswith(".Malformed"):
        return ErrorCode.INVALID_SPEC
    # TagLimitExceeded, RouteLimitExceeded, ...: an account or resource limit (RequestLimitExceeded, the
    # throttle, is named in the table).
    if error_code.endswith("LimitExceeded"):
        return ErrorCode.QUOTA_EXCEEDED
    if http_status in (401, 403):
        return ErrorCode.AUTH_ERROR
    # EC2 refused the request for a reason the table does not name: the request, not the server, is at
    # fault. Anything else from the server (5xx, or no status at all) is the server's failure.
    if http_status is not None and 400 <= http_status < 500:
        return ErrorCode.INVALID_SPEC
    return ErrorCode.UNAVAILABLE


def map_error(exc: BaseException, *, provider: str = PROVIDER) -> ProviderError:
    """Turn any boto3/botocore failure into a ProviderError (chained to the original)."""
    if isinstance(exc, ProviderError):
        return exc
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        error = response.get("Error") or {}
        meta = response.get("ResponseMetadata") or {}
        aws_code = str(error.get("Code") or "Unknown")
        status = meta.get("HTTPStatusCode")
        code = code_for(aws_code, status if isinstance(status, int) else None)
        operation = getattr(exc, "operation_name", "call")
        message = f"{operation}: {aws_code}: {error.get('Message') or 'no message'}"
        mapped = ProviderError(code, message, provider=provider, retry_after=_retry_after(meta))
    else:
        names = [cls.__name__ for cls in type(exc).__mro__]
        code = next((BOTOCORE_ERRORS[n] for n in names if n in BOTOCORE_ERRORS), ErrorCode.INTERNAL)
        mapped = ProviderError(code, f"{type(exc).__name__}: {exc}", provider=provider)
    mapped.__cause__ = exc
    return mapped


def aws_code(error: BaseException) -> str | None:
    """The EC2 error code behind a mapped ProviderError (or a ClientError), when there is one."""
    cause = error.__cause__ if isinstance(error, ProviderError) else error
    response = getattr(cause, "response", None)
    if isinstance(response, dict):
        code = (response.get("Error") or {}).get("Code")
        return str(code) if code else None
    return None


def _retry_after(meta: dict[str, object]) -> float | None:
    headers = meta.get("HTTPHeaders")
    return parse_retry_after(headers.get("retry-after")) if isinstance(headers, dict) else None
