"""Read template.yaml: its resources, the HTTP routes of its functions, and the table definition."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = PROJECT_ROOT / "template.yaml"


class _CloudFormationLoader(yaml.SafeLoader):
    """The project's one YAML loader for CloudFormation: short tags (!Ref, !GetAtt, !Sub, ...) become
    their long forms, as CloudFormation and the SAM translator read them."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    name = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CloudFormationLoader.add_multi_constructor("!", _tag)


@cache
def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The template as plain data (short tags become their long forms); shared, so callers copy before changing it."""
    with path.open() as handle:
        return yaml.load(handle, Loader=_CloudFormationLoader)  # noqa: S506 - a SafeLoader subclass


@dataclass(frozen=True)
class HttpRoute:
    method: str
    path: str
    function_id: str
    code_dir: Path
    handler: str

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"


def functions(template: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Every AWS::Serverless::Function resource by logical id."""
    resources = (template or load_template())["Resources"]
    return {name: spec for name, spec in resources.items() if spec.get("Type") == "AWS::Serverless::Function"}


def http_routes(template: dict[str, Any] | None = None) -> list[HttpRoute]:
    """The HttpApi events of every function."""
    routes = []
    for function_id, spec in functions(template).items():
        properties = spec.get("Properties", {})
        for event in (properties.get("Events") or {}).values():
            if event.get("Type") != "HttpApi":
                continue
            routes.append(
                HttpRoute(
                    method=event["Properties"]["Method"].upper(),
                    path=event["Properties"]["Path"],
                    function_id=function_id,
                    code_dir=PROJECT_ROOT / properties["CodeUri"],
                    handler=properties.get("Handler", "app.lambda_handler"),
                )
            )
    return routes


def table_definition(logical_id: str = "ConnectionsTable", template: dict[str, Any] | None = None) -> dict[str, Any]:
    """create_table arguments for the template's table (keys and indexes exactly as deployed)."""
    properties = (template or load_template())["Resources"][logical_id]["Properties"]
    definition: dict[str, Any] = {
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "KeySchema": properties["KeySchema"],
        "BillingMode": properties.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if properties.get("GlobalSecondaryIndexes"):
        definition["GlobalSecondaryIndexes"] = properties["GlobalSecondaryIndexes"]
    return definition


def ttl_attribute(logical_id: str = "ConnectionsTable", template: dict[str, Any] | None = None) -> str | None:
    properties = (template or load_template())["Resources"][logical_id]["Properties"]
    return (properties.get("TimeToLiveSpecification") or {}).get("AttributeName")
