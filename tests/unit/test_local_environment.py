"""What the local runner sets for the functions (``serve``, ``invoke`` and ``trigger-sync`` all use
``local_overrides``): the safety switch and the browser origins, with the shell's values winning."""

from __future__ import annotations

import pytest

from local import dev_keys
from local.dev_stack import DevPorts, local_overrides

PORTS = DevPorts(api=3000, moto=5000)


def test_private_targets_are_allowed_by_default_locally() -> None:
    assert local_overrides(PORTS, {})["CONNECTIONS_ALLOW_PRIVATE_TARGETS"] == "1"


@pytest.mark.parametrize("value", ["0", "", "1"])
def test_an_explicit_safety_switch_from_the_shell_wins(value: str) -> None:
    environment = local_overrides(PORTS, {"CONNECTIONS_ALLOW_PRIVATE_TARGETS": value})

    assert environment["CONNECTIONS_ALLOW_PRIVATE_TARGETS"] == value


def test_functions_get_the_local_servers_origins() -> None:
    assert local_overrides(PORTS, {})["ALLOWED_ORIGINS"] == dev_keys.AUTHORIZED_PARTY
    chosen = {"ALLOWED_ORIGINS": "https://app.example.com,http://localhost:5173"}
    assert local_overrides(PORTS, chosen)["ALLOWED_ORIGINS"] == chosen["ALLOWED_ORIGINS"]
    assert local_overrides(PORTS, {"ALLOWED_ORIGINS": ""})["ALLOWED_ORIGINS"] == ""
