"""Just enough GraphQL for the emulator: parse one operation, check it against a small schema, project.

Supported: one `query` or `mutation` with variable definitions, nested selections, and arguments
whose values are variables or literals (objects, lists, strings, numbers, booleans, null, enums).
Not supported: fragments, aliases, directives, several operations. An unsupported or unknown
construct is answered the way a GraphQL server answers it: an `errors` entry, never a crash.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

# type -> field -> type of the field's value (None for scalars); mirrors RunPod's public GraphQL spec.
SCHEMA: Mapping[str, Mapping[str, str | None]] = {
    "Query": {"pod": "Pod", "gpuTypes": "GpuType"},
    "Mutation": {"podRentInterruptable": "Pod", "podTerminate": None},
    "Pod": {
        name: None
        for name in [
            "id",
            "name",
            "desiredStatus",
            "podType",
            "costPerHr",
            "gpuCount",
            "imageName",
            "env",
            "machineId",
            "dockerArgs",
            "containerDiskInGb",
            "volumeInGb",
            "volumeMountPath",
            "lastStatusChange",
        ]
    }
    | {"machine": "Machine"},
    "Machine": {"podHostId": None, "gpuDisplayName": None},
    "GpuType": {
        name: None
        for name in [
            "id",
            "displayName",
            "memoryInGb",
            "secureCloud",
            "communityCloud",
            "securePrice",
            "communityPrice",
            "secureSpotPrice",
            "communitySpotPrice",
        ]
    }
    | {"lowestPrice": "LowestPrice"},
    "LowestPrice": {"minimumBidPrice": None, "uninterruptablePrice": None, "stockStatus": None},
}


class GraphQLError(Exception):
    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class Field(NamedTuple):
    name: str
    args: dict[str, Any]
    selections: tuple[Field, ...]


class Operation(NamedTuple):
    kind: str  # "query" or "mutation"
    fields: tuple[Field, ...]


# Commas are insignificant in GraphQL, like whitespace and comments.
_IGNORED = re.compile(r"(?:[\s,]+|#[^\n]*)+")
_TOKEN = re.compile(
    r"(?P<punct>\.\.\.|[!$():=@\[\]{}|])|(?P<name>[_A-Za-z][_0-9A-Za-z]*)"
    r'|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(?P<string>"(?:[^"\\\n]|\\.)*")'
)


def _tokens(source: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while True:
        ignored = _IGNORED.match(source, position)
        if ignored:
            position = ignored.end()
        if position >= len(source):
            return tokens
        match = _TOKEN.match(source, position)
        if match is None:
            raise GraphQLError(f"Syntax Error: unexpected character at {position}", "GRAPHQL_PARSE_FAILED")
        kind = match.lastgroup or "punct"
        tokens.append((kind, match.group(kind)))
        position = match.end()


class _Parser:
    def __init__(self, source: str, variables: Mapping[str, Any]) -> None:
        self.tokens = _tokens(source)
        self.at = 0
        self.variables = variables

    def peek(self) -> str | None:
        return self.tokens[self.at][1] if self.at < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.at >= len(self.tokens):
            raise GraphQLError("Syntax Error: unexpected end of document", "GRAPHQL_PARSE_FAILED")
        token = self.tokens[self.at]
        if expected is not None and token[1] != expected:
            raise GraphQLError(
                f'Syntax Error: expected "{expected}", found "{token[1]}"', "GRAPHQL_PARSE_FAILED"
            )
        self.at += 1
        return token

    def name(self) -> str:
        kind, value = self.take()
        if kind != "name":
            raise GraphQLError(f'Syntax Error: expected a name, found "{value}"', "GRAPHQL_PARSE_FAILED")
        return value

    def operation(self) -> Operation:
        kind = "query"
        if self.peek() in ("query", "mutation", "subscription"):
            kind = self.name()
            if kind == "subscription":
                raise GraphQLError("subscriptions are not supported", "GRAPHQL_VALIDATION_FAILED")
            if self.peek() not in ("(", "{"):
                self.name()
            if self.peek() == "(":
                self.variable_definitions()
        fields = self.selection_set()
        if self.at != len(self.tokens):
            raise GraphQLError("only one operation per document is supported", "GRAPHQL_VALIDATION_FAILED")
        return Operation(kind, fields)

    def variable_definitions(self) -> None:
        self.take("(")
        while self.peek() != ")":
            self.take("$")
            variable = self.name()
            self.take(":")
            required = self.type_reference()
            if self.peek() == "=":
                self.take("=")
                self.value()
            elif required and self.variables.get(variable) is None:
                raise GraphQLError(
                    f'Variable "${variable}" of required type was not provided.', "BAD_USER_INPUT"
                )
        self.take(")")

    def type_reference(self) -> bool:
        if self.peek() == "[":
            self.take("[")
            self.type_reference()
            self.take("]")
        else:
            self.name()
        if self.peek() == "!":
            self.take("!")
            return True
        return False

    def selection_set(self) -> tuple[Field, ...]:
        self.take("{")
        fields = []
        while self.peek() != "}":
            if self.peek() in ("...", "@"):
                raise GraphQLError("fragments and directives are not supported", "GRAPHQL_VALIDATION_FAILED")
            name = self.name()
            if self.peek() == ":":
                raise GraphQLError("aliases are not supported", "GRAPHQL_VALIDATION_FAILED")
            args: dict[str, Any] = {}
            if self.peek() == "(":
                self.take("(")
                while self.peek() != ")":
                    key = self.name()
                    self.take(":")
                    args[key] = self.value()
                self.take(")")
            selections = self.selection_set() if self.peek() == "{" else ()
            fields.append(Field(name, args, selections))
        self.take("}")
        if not fields:
            raise GraphQLError("Syntax Error: empty selection set", "GRAPHQL_PARSE_FAILED")
        return tuple(fields)

    def value(self) -> Any:
        kind, token = self.take()
        if token == "$":
            return self.variables.get(self.name())
        if token == "[":
            items = []
            while self.peek() != "]":
                items.append(self.value())
            self.take("]")
            return items
        if token == "{":
            obj = {}
            while self.peek() != "}":
                key = self.name()
                self.take(":")
                obj[key] = self.value()
            self.take("}")
            return obj
        if kind == "number":
            return float(token) if any(c in token for c in ".eE") else int(token)
        if kind == "string":
            return json.loads(token)
        if kind == "name":
            return {"true": True, "false": False, "null": None}.get(token, token)
        raise GraphQLError(f'Syntax Error: unexpected "{token}"', "GRAPHQL_PARSE_FAILED")


def parse(source: str, variables: Mapping[str, Any]) -> Operation:
    """Parse and validate an operation against SCHEMA; raises GraphQLError."""
    operation = _Parser(source, variables).operation()
    _check(operation.fields, "Query" if operation.kind == "query" else "Mutation")
    return operation


def _check(fields: tuple[Field, ...], type_name: str) -> None:
    known = SCHEMA[type_name]
    for field in fields:
        if field.name not in known:
            raise GraphQLError(
                f'Cannot query field "{field.name}" on type "{type_name}".', "GRAPHQL_VALIDATION_FAILED"
            )
        child = known[field.name]
        if child is None and field.selections:
            raise GraphQLError(
                f'Field "{field.name}" must not have a selection.', "GRAPHQL_VALIDATION_FAILED"
            )
        if child is not None:
            if not field.selections:
                raise GraphQLError(
                    f'Field "{field.name}" must have a selection.', "GRAPHQL_VALIDATION_FAILED"
                )
            _check(field.selections, child)


def project(value: Any, selections: tuple[Field, ...]) -> Any:
    """Keep only the selected fields of value (objects, lists of objects, or scalars)."""
    if not selections or value is None:
        return value
    if isinstance(value, list):
        return [project(item, selections) for item in value]
    return {field.name: project(value.get(field.name), field.selections) for field in selections}
