"""The HTTP API's CORS configuration from template.yaml, applied the way API Gateway applies it:
preflight requests are answered by the gateway itself (no authorizer, no function), and on other
responses the configured CORS headers replace whatever the function returned."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from local.sam_template import load_template


def _cors_configuration(template: dict[str, Any]) -> Any:
    for spec in template["Resources"].values():
        if spec.get("Type") == "AWS::Serverless::HttpApi":
            configuration = (spec.get("Properties") or {}).get("CorsConfiguration")
            # Fn::If [condition, when-true, when-false]: the condition here is "origins configured".
            if isinstance(configuration, dict) and "Fn::If" in configuration:
                configuration = configuration["Fn::If"][1]
            return configuration
    return None


@dataclass(frozen=True)
class CorsPolicy:
    allow_origins: tuple[str, ...]
    allow_credentials: bool
    allow_headers: tuple[str, ...]
    allow_methods: tuple[str, ...]
    expose_headers: tuple[str, ...]
    max_age: int | None

    @classmethod
    def from_template(cls, allowed_origins: str, template: dict[str, Any] | None = None) -> CorsPolicy | None:
        """The template's CORS settings with ``allowed_origins`` (comma-separated) as the origin list;
        None when CORS is off (no configuration, or no origins, as the template's condition says)."""
        configuration = _cors_configuration(template or load_template())
        origins = tuple(origin.strip() for origin in allowed_origins.split(",") if origin.strip())
        if not isinstance(configuration, dict) or not origins:
            return None
        if isinstance(configuration.get("AllowOrigins"), list):
            origins = tuple(configuration["AllowOrigins"])
        return cls(
            allow_origins=origins,
            allow_credentials=bool(configuration.get("AllowCredentials", False)),
            allow_headers=tuple(configuration.get("AllowHeaders") or ()),
            allow_methods=tuple(configuration.get("AllowMethods") or ()),
            expose_headers=tuple(configuration.get("ExposeHeaders") or ()),
            max_age=configuration.get("MaxAge"),
        )

    def _allowed_origin(self, origin: str | None) -> str | None:
        if not origin:
            return None
        if "*" in self.allow_origins:
            return "*"
        return origin if origin in self.allow_origins else None

    @staticmethod
    def is_preflight(method: str, headers: Mapping[str, str]) -> bool:
        return method.upper() == "OPTIONS" and "origin" in headers and "access-control-request-method" in headers

    def preflight_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """Headers of the gateway's 204 answer to a preflight (none for an origin not allowed)."""
        origin = self._allowed_origin(headers.get("origin"))
        if origin is None:
            return {}
        answer = self._common(origin)
        if self.allow_methods:
            answer["access-control-allow-methods"] = ",".join(self.allow_methods)
        if self.allow_headers:
            answer["access-control-allow-headers"] = ",".join(header.lower() for header in self.allow_headers)
        if self.max_age is not None:
            answer["access-control-max-age"] = str(self.max_age)
        return answer

    def apply(
        self, request_headers: Mapping[str, str], response_headers: dict[str, str], preflight: bool = False
    ) -> dict[str, str]:
        """Response headers with the function's own CORS headers replaced by the configured ones; for a
        preflight a route took from the gateway (an ANY route), the configured preflight headers."""
        kept = {name: value for name, value in response_headers.items() if not name.startswith("access-control-")}
        if preflight:
            # Assumption (AWS documents only that integration CORS headers are ignored and the configured
            # ones added): an integration's answer to a preflight carries the gateway's preflight headers.
            return kept | self.preflight_headers(request_headers)
        origin = self._allowed_origin(request_headers.get("origin"))
        if origin is None:
            return kept
        kept |= self._common(origin)
        if self.expose_headers:
            kept["access-control-expose-headers"] = ",".join(header.lower() for header in self.expose_headers)
        return kept

    def _common(self, origin: str) -> dict[str, str]:
        answer = {"access-control-allow-origin": origin, "vary": "origin"}
        if self.allow_credentials:
            answer["access-control-allow-credentials"] = "true"
        return answer
