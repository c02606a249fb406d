"""The platform registry: one profile per platform, read by the domain, and lean to import (its
factories load the adapter modules, httpx and boto3 only when called)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from connections.domain.connection_config import CONFIG_KEYS
from connections.domain.platforms import Platform
from connections.profiles.registry import PROFILES, profile_of

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("httpx", "boto3", "botocore")


def modules_after(statement: str) -> list[str]:
    script = (
        f"import json, sys; sys.path[:0] = [{str(ROOT / 'layers' / 'shared')!r}];"
        f"{statement};"
        "print(json.dumps(sorted(sys.modules)))"
    )
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=environment
    )
    return json.loads(completed.stdout)


def test_every_platform_has_one_profile() -> None:
    assert set(PROFILES) == set(Platform)
    assert all(profile.platform is platform for platform, profile in PROFILES.items())
    assert profile_of("tradedesk") is PROFILES[Platform.TRADEDESK]


def test_each_platform_key_is_declared_by_its_profile_alone() -> None:
    for profile in PROFILES.values():
        for key in profile.config_keys:
            assert CONFIG_KEYS[key].platforms == frozenset({profile.platform}), key


def test_importing_the_registry_loads_no_adapter_nor_http_or_aws_package() -> None:
    loaded = modules_after("import connections.profiles.registry, connections.domain.connection_config")
    assert "connections.profiles.registry" in loaded
    assert [name for name in loaded if name.startswith("connections.adapters")] == []
    assert [name for name in loaded if name.split(".")[0] in HEAVY] == []


def test_a_factory_loads_its_adapter_when_called() -> None:
    adapter = "connections.adapters.platforms.tradedesk"
    statement = (
        "from connections.profiles.registry import profile_of;"
        "from connections.adapters.platforms.token_cache import TokenCache;"
        f"assert {adapter!r} not in sys.modules;"
        "builder = type('Builder', (), {'http': None, 'tokens': TokenCache()})();"
        "profile_of('tradedesk').auth(builder, {}, {'api_key': 'k' * 16})"
    )
    assert adapter in modules_after(statement)
