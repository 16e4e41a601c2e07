"""CloudFormation YAML as the local stack reads it: short-form tags and intrinsic functions.

The loader turns `!Ref X`, `!Sub "..."`, `!GetAtt X.Arn` and the other short forms into their
long forms (`{"Ref": "X"}`, `{"Fn::Sub": "..."}`, …). The resolver then evaluates those against
parameter values and the local physical names of the stack's resources, the way CloudFormation
would once the stack exists.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class TemplateError(Exception):
    """The template cannot be read or resolved locally; the message says where."""


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader plus CloudFormation's short-form tags."""


def _construct_short_form(loader: _CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_short_form)


def load_yaml(text: str) -> dict[str, Any]:
    document = yaml.load(text, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass
    if not isinstance(document, dict):
        raise TemplateError("the template is not a YAML mapping")
    return document


def load_template_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TemplateError(f"cannot read {path}: {exc}") from exc
    try:
        return load_yaml(text)
    except yaml.YAMLError as exc:
        raise TemplateError(f"{path} is not valid YAML: {exc}") from exc


@dataclass(frozen=True)
class StackContext:
    """Where the stack "is": pseudo parameters and the local endpoints some refs point at."""

    region: str = "us-east-1"
    account_id: str = "123456789012"
    stack_name: str = "atelier-local"
    name_prefix: str = "atelier-local"
    aws_endpoint_url: str | None = None
    api_url: str = "http://127.0.0.1:3000"


class _NoValue:
    """`AWS::NoValue`: the property it stands for is removed."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def parameter_values(
    template: Mapping[str, Any], overrides: Mapping[str, str]
) -> dict[str, str | list[str]]:
    """Each parameter's value: the override when given, else its Default. A parameter with
    neither is left out and only fails when something refers to it."""
    values: dict[str, str | list[str]] = {}
    for name, spec in (template.get("Parameters") or {}).items():
        if name in overrides:
            raw: Any = overrides[name]
        elif isinstance(spec, dict) and "Default" in spec:
            raw = spec["Default"]
        else:
            continue
        kind = str(spec.get("Type", "String")) if isinstance(spec, dict) else "String"
        if kind == "CommaDelimitedList" or kind.startswith("List<"):
            items = raw if isinstance(raw, list) else str(raw).split(",")
            values[name] = [scalar_text(item).strip() for item in items]
        else:
            values[name] = scalar_text(raw)
    return values


def scalar_text(value: Any) -> str:
    """A YAML scalar as CloudFormation passes it on: always a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Resolver:
    """Evaluates intrinsic functions against the local stack.

    Physical names are `<prefix>-<LogicalId>` (lowercase for buckets), except that a function's
    `FunctionName` and a log group's `LogGroupName` are honoured since other resources derive
    from them.
    """

    def __init__(
        self,
        template: Mapping[str, Any],
        context: StackContext,
        parameters: Mapping[str, str | list[str]],
    ) -> None:
        self._resources: Mapping[str, Any] = template.get("Resources") or {}
        self._conditions: Mapping[str, Any] = template.get("Conditions") or {}
        self._mappings: Mapping[str, Any] = template.get("Mappings") or {}
        self._declared_parameters = set((template.get("Parameters") or {}).keys())
        self._parameters = parameters
        self.context = context
        self._in_progress: set[str] = set()
        self._condition_cache: dict[str, bool] = {}

    # ------------------------------------------------------------------ resources

    def resource_type(self, logical_id: str) -> str:
        resource = self._resources.get(logical_id)
        if not isinstance(resource, dict):
            raise TemplateError(f"no resource named {logical_id!r}")
        return str(resource.get("Type", ""))

    def resource_properties(self, logical_id: str) -> dict[str, Any]:
        self.resource_type(logical_id)
        properties = self._resources[logical_id].get("Properties") or {}
        return dict(properties)

    def physical_name(self, logical_id: str) -> str:
        kind = self.resource_type(logical_id)
        default = f"{self.context.name_prefix}-{logical_id}"
        declared = {
            "AWS::Serverless::Function": "FunctionName",
            "AWS::Lambda::Function": "FunctionName",
            "AWS::Logs::LogGroup": "LogGroupName",
        }.get(kind)
        if declared is not None:
            properties = self.resource_properties(logical_id)
            if declared in properties:
                return str(self._resolve_guarded(logical_id, properties[declared]))
        if kind == "AWS::S3::Bucket":
            return default.lower()
        if kind == "AWS::SQS::Queue":
            fifo = self.resource_properties(logical_id).get("FifoQueue")
            return f"{default}.fifo" if fifo in (True, "true") else default
        return default

    def ref(self, name: str) -> Any:
        pseudo = self._pseudo_parameter(name)
        if pseudo is not None:
            return pseudo
        if name in self._declared_parameters:
            if name not in self._parameters:
                raise TemplateError(f"parameter {name!r} has no Default and no override")
            return self._parameters[name]
        kind = self.resource_type(name)
        ctx = self.context
        physical = self.physical_name(name)
        if kind == "AWS::SQS::Queue":
            return self.get_att(name, "QueueUrl")
        if kind == "AWS::Serverless::HttpApi":
            return "local"
        if kind == "AWS::Cognito::UserPool":
            return f"{ctx.region}_{name}"
        if kind in ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"):
            return f"arn:aws:lambda:{ctx.region}:{ctx.account_id}:layer:{physical}:1"
        if kind == "AWS::SES::EmailIdentity":
            identity = self.resource_properties(name).get("EmailIdentity", physical)
            return str(self._resolve_guarded(name, identity))
        return physical

    def get_att(self, logical_id: str, attribute: str) -> Any:
        kind = self.resource_type(logical_id)
        ctx = self.context
        name = self.physical_name(logical_id)
        region, account = ctx.region, ctx.account_id
        attributes: dict[str, str] = {}
        if kind == "AWS::DynamoDB::Table":
            arn = f"arn:aws:dynamodb:{region}:{account}:table/{name}"
            attributes = {"Arn": arn, "StreamArn": f"{arn}/stream/local"}
        elif kind == "AWS::S3::Bucket":
            attributes = {
                "Arn": f"arn:aws:s3:::{name}",
                "DomainName": f"{name}.s3.amazonaws.com",
                "RegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
            }
        elif kind == "AWS::SQS::Queue":
            base = ctx.aws_endpoint_url or f"https://sqs.{region}.amazonaws.com"
            attributes = {
                "Arn": f"arn:aws:sqs:{region}:{account}:{name}",
                "QueueName": name,
                "QueueUrl": f"{base.rstrip('/')}/{account}/{name}",
            }
        elif kind == "AWS::Events::EventBus":
            attributes = {
                "Arn": f"arn:aws:events:{region}:{account}:event-bus/{name}",
                "Name": name,
            }
        elif kind in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
            attributes = {"Arn": f"arn:aws:lambda:{region}:{account}:function:{name}"}
        elif kind == "AWS::Serverless::HttpApi":
            attributes = {"ApiEndpoint": ctx.api_url, "ApiId": "local"}
        elif kind == "AWS::Cognito::UserPool":
            pool_id = f"{region}_{logical_id}"
            attributes = {
                "Arn": f"arn:aws:cognito-idp:{region}:{account}:userpool/{pool_id}",
                "ProviderName": f"cognito-idp.{region}.amazonaws.com/{pool_id}",
                "ProviderURL": f"https://cognito-idp.{region}.amazonaws.com/{pool_id}",
            }
        if attribute in attributes:
            return attributes[attribute]
        if attribute == "Arn":
            service = kind.split("::")[1].lower() if kind.count("::") == 2 else "local"
            return f"arn:aws:{service}:{region}:{account}:{logical_id.lower()}/{name}"
        return f"{name}.{attribute}"

    # ------------------------------------------------------------------ evaluation

    def resolve(self, value: Any) -> Any:
        """Evaluate every intrinsic function inside `value` (dicts and lists walked deeply)."""
        if isinstance(value, list):
            items = [self.resolve(item) for item in value]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            handler = self._functions().get(key)
            if handler is not None:
                return handler(argument)
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def resolve_text(self, value: Any) -> str:
        """Resolve to a string, as an environment variable's value must be."""
        resolved = self.resolve(value)
        if isinstance(resolved, list | dict):
            raise TemplateError(f"expected a string, got {resolved!r}")
        return scalar_text(resolved)

    def condition(self, name: str) -> bool:
        if name not in self._condition_cache:
            if name not in self._conditions:
                raise TemplateError(f"no condition named {name!r}")
            self._condition_cache[name] = bool(self._evaluate_condition(self._conditions[name]))
        return self._condition_cache[name]

    def _resolve_guarded(self, logical_id: str, value: Any) -> Any:
        if logical_id in self._in_progress:
            raise TemplateError(f"{logical_id} refers to itself")
        self._in_progress.add(logical_id)
        try:
            return self.resolve(value)
        finally:
            self._in_progress.discard(logical_id)

    def _functions(self) -> dict[str, Callable[[Any], Any]]:
        return {
            "Ref": lambda argument: self.ref(str(argument)),
            "Fn::GetAtt": self._fn_get_att,
            "Fn::Sub": self._fn_sub,
            "Fn::Join": self._fn_join,
            "Fn::Select": self._fn_select,
            "Fn::Split": self._fn_split,
            "Fn::If": self._fn_if,
            "Fn::FindInMap": self._fn_find_in_map,
            "Fn::Base64": lambda argument: base64.b64encode(
                self.resolve_text(argument).encode()
            ).decode(),
            "Fn::GetAZs": lambda _argument: [f"{self.context.region}{z}" for z in "abc"],
            "Fn::ImportValue": self._fn_unsupported("Fn::ImportValue"),
            "Fn::Equals": self._evaluate_condition_function("Fn::Equals"),
            "Fn::Not": self._evaluate_condition_function("Fn::Not"),
            "Fn::And": self._evaluate_condition_function("Fn::And"),
            "Fn::Or": self._evaluate_condition_function("Fn::Or"),
            "Condition": lambda argument: self.condition(str(argument)),
        }

    def _pseudo_parameter(self, name: str) -> Any:
        ctx = self.context
        pseudo: dict[str, Any] = {
            "AWS::Region": ctx.region,
            "AWS::AccountId": ctx.account_id,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": ctx.stack_name,
            "AWS::StackId": (
                f"arn:aws:cloudformation:{ctx.region}:{ctx.account_id}:stack/{ctx.stack_name}/local"
            ),
            "AWS::NoValue": NO_VALUE,
            "AWS::NotificationARNs": [],
        }
        return pseudo.get(name)

    def _fn_get_att(self, argument: Any) -> Any:
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        if not isinstance(argument, list) or len(argument) != 2:
            raise TemplateError(f"malformed Fn::GetAtt: {argument!r}")
        logical_id, attribute = (self.resolve_text(part) for part in argument)
        return self.get_att(logical_id, attribute)

    def _fn_sub(self, argument: Any) -> str:
        variables: dict[str, Any] = {}
        if isinstance(argument, list):
            if len(argument) != 2 or not isinstance(argument[1], dict):
                raise TemplateError(f"malformed Fn::Sub: {argument!r}")
            text, variables = str(argument[0]), dict(argument[1])
        else:
            text = str(argument)

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return self.resolve_text(variables[name])
            if "." in name and self._pseudo_parameter(name) is None:
                logical_id, attribute = name.split(".", 1)
                return scalar_text(self.get_att(logical_id, attribute))
            return self.resolve_text({"Ref": name})

        return _SUB_VARIABLE.sub(substitute, text)

    def _fn_join(self, argument: Any) -> str:
        if not isinstance(argument, list) or len(argument) != 2:
            raise TemplateError(f"malformed Fn::Join: {argument!r}")
        delimiter = self.resolve_text(argument[0])
        items = self.resolve(argument[1])
        if not isinstance(items, list):
            raise TemplateError(f"Fn::Join needs a list, got {items!r}")
        return delimiter.join(scalar_text(item) for item in items)

    def _fn_select(self, argument: Any) -> Any:
        if not isinstance(argument, list) or len(argument) != 2:
            raise TemplateError(f"malformed Fn::Select: {argument!r}")
        index = int(self.resolve_text(argument[0]))
        items = self.resolve(argument[1])
        if not isinstance(items, list) or not 0 <= index < len(items):
            raise TemplateError(f"Fn::Select index {index} out of {items!r}")
        return items[index]

    def _fn_split(self, argument: Any) -> list[str]:
        if not isinstance(argument, list) or len(argument) != 2:
            raise TemplateError(f"malformed Fn::Split: {argument!r}")
        return self.resolve_text(argument[1]).split(self.resolve_text(argument[0]))

    def _fn_if(self, argument: Any) -> Any:
        if not isinstance(argument, list) or len(argument) != 3:
            raise TemplateError(f"malformed Fn::If: {argument!r}")
        chosen = argument[1] if self.condition(str(argument[0])) else argument[2]
        return self.resolve(chosen)

    def _fn_find_in_map(self, argument: Any) -> Any:
        if not isinstance(argument, list) or len(argument) != 3:
            raise TemplateError(f"malformed Fn::FindInMap: {argument!r}")
        map_name, top, second = (self.resolve_text(part) for part in argument)
        try:
            return self.resolve(self._mappings[map_name][top][second])
        except (KeyError, TypeError) as exc:
            raise TemplateError(f"Fn::FindInMap {map_name}/{top}/{second} not found") from exc

    @staticmethod
    def _fn_unsupported(name: str) -> Callable[[Any], Any]:
        def fail(argument: Any) -> Any:
            raise TemplateError(f"{name} is not supported by the local stack ({argument!r})")

        return fail

    def _evaluate_condition_function(self, name: str) -> Callable[[Any], bool]:
        return lambda argument: self._evaluate_condition({name: argument})

    def _evaluate_condition(self, expression: Any) -> bool:
        if isinstance(expression, bool):
            return expression
        if not isinstance(expression, dict) or len(expression) != 1:
            raise TemplateError(f"malformed condition: {expression!r}")
        ((key, argument),) = expression.items()
        if key == "Condition":
            return self.condition(str(argument))
        if key == "Fn::Equals":
            left, right = (self.resolve(part) for part in argument)
            return scalar_text(left) == scalar_text(right)
        if key == "Fn::Not":
            return not self._evaluate_condition(argument[0])
        if key == "Fn::And":
            return all(self._evaluate_condition(part) for part in argument)
        if key == "Fn::Or":
            return any(self._evaluate_condition(part) for part in argument)
        raise TemplateError(f"unsupported condition function {key}")
