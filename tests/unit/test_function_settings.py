"""Every function checks its settings at init: imported with the environment template.yaml gives it, its
handler loads; without a variable it needs, the import fails with a message naming that variable."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from types import ModuleType

import pytest

from connections import settings as settings_module
from connections.settings import MissingSettings, Settings, require_settings
from local.dev_stack import template_environment
from local.provision import LocalResources
from local.sam_template import PROJECT_ROOT, functions

RESOURCES = LocalResources(
    table_name="connections-settings-test",
    key_arn="arn:aws:kms:us-east-1:123456789012:key/settings-test",
    sync_page_queue_url="http://127.0.0.1:1/123456789012/pages",
    sync_page_dead_letter_queue_url="http://127.0.0.1:1/123456789012/pages-dlq",
    schedule_group="connections-local-syncs",
    scheduler_role_arn="arn:aws:iam::123456789012:role/scheduler",
    scheduled_sync_function_arn="arn:aws:lambda:us-east-1:123456789012:function:scheduled-sync",
    scheduled_sync_failure_queue_url="http://127.0.0.1:1/123456789012/failures",
)
SETTING_VARIABLES = {
    "TABLE_NAME",
    "CREDENTIALS_KEY_ARN",
    "ALLOWED_ORIGINS",
    "SYNC_PAGE_QUEUE_URL",
    "SCHEDULE_GROUP",
    "SCHEDULER_ROLE_ARN",
    "SCHEDULED_SYNC_FUNCTION_ARN",
}
API_FUNCTION = {"TABLE_NAME", "ALLOWED_ORIGINS"}
CREDENTIAL_FUNCTION = API_FUNCTION | {"CREDENTIALS_KEY_ARN"}
SCHEDULED_SYNC_TRIGGER = {"TABLE_NAME", "CREDENTIALS_KEY_ARN", "SYNC_PAGE_QUEUE_URL"}
# What each function cannot start without; everything else its template environment holds is optional.
REQUIRED = {
    "AuthorizerFunction": {"TABLE_NAME"},
    "MethodNotAllowedFunction": set(),
    "ListConnectionsFunction": API_FUNCTION,
    "GetConnectionFunction": API_FUNCTION,
    "DeleteConnectionFunction": API_FUNCTION,
    "GetSyncStatusFunction": API_FUNCTION,
    "CancelSyncRunFunction": API_FUNCTION,
    "ListTopicsFunction": API_FUNCTION,
    "CreateTopicFunction": API_FUNCTION,
    "StartPushRunFunction": API_FUNCTION,
    "GetPushStatusFunction": API_FUNCTION,
    "CancelPushRunFunction": API_FUNCTION,
    "ListActivationsFunction": API_FUNCTION,
    "CreateApiKeyFunction": API_FUNCTION,
    "ListApiKeysFunction": API_FUNCTION,
    "RevokeApiKeyFunction": API_FUNCTION,
    "CreateConnectionFunction": CREDENTIAL_FUNCTION,
    "UpdateConnectionFunction": CREDENTIAL_FUNCTION,
    "TestConnectionFunction": CREDENTIAL_FUNCTION,
    "StartSyncRunFunction": CREDENTIAL_FUNCTION,
    "ProcessSyncPageFunction": CREDENTIAL_FUNCTION,
    "PushBatchFunction": CREDENTIAL_FUNCTION,
    "DeactivateActivationFunction": CREDENTIAL_FUNCTION,
    "RefreshActivationFunction": CREDENTIAL_FUNCTION,
    "BulkActivationsFunction": CREDENTIAL_FUNCTION,
    "ScheduledSyncFunction": SCHEDULED_SYNC_TRIGGER,
    "SyncPageWorkerFunction": SCHEDULED_SYNC_TRIGGER,
}


def function_environment(function_id: str) -> dict[str, str]:
    """The variables template.yaml gives the function (Globals and its own), with made-up resource names."""
    return template_environment(RESOURCES, [function_id])


def import_handler(function_id: str, environment: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Run the function's app.py afresh (a new Lambda init) with exactly ``environment`` as its settings."""
    for name in SETTING_VARIABLES | set(environment):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings_module.settings.cache_clear()
    code_dir = PROJECT_ROOT / functions()[function_id]["Properties"]["CodeUri"]
    spec = importlib.util.spec_from_file_location(f"settings_check_{code_dir.name}", code_dir / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    finally:
        settings_module.settings.cache_clear()
    return module


def test_every_function_is_listed() -> None:
    assert set(REQUIRED) == set(functions())


@pytest.mark.parametrize("function_id", sorted(REQUIRED))
def test_the_handler_loads_with_its_template_environment(function_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    environment = function_environment(function_id)
    assert REQUIRED[function_id] <= set(environment), "template.yaml must give what the function requires"

    assert callable(import_handler(function_id, environment, monkeypatch).lambda_handler)


@pytest.mark.parametrize(
    ("function_id", "variable"),
    sorted((function_id, variable) for function_id, needed in REQUIRED.items() for variable in needed),
)
def test_a_missing_variable_fails_the_init_naming_it(
    function_id: str, variable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = function_environment(function_id)
    del environment[variable]

    with pytest.raises(MissingSettings, match=rf"environment variables? {variable} \(see template.yaml\)"):
        import_handler(function_id, environment, monkeypatch)


@pytest.mark.parametrize("function_id", ["CreateConnectionFunction", "TestConnectionFunction"])
def test_an_empty_variable_is_missing_too(function_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    environment = function_environment(function_id) | {"CREDENTIALS_KEY_ARN": "", "TABLE_NAME": ""}

    with pytest.raises(MissingSettings, match="environment variables TABLE_NAME, CREDENTIALS_KEY_ARN "):
        import_handler(function_id, environment, monkeypatch)


def test_empty_allowed_origins_is_a_choice_not_a_missing_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    environment = function_environment("CreateConnectionFunction") | {"ALLOWED_ORIGINS": ""}

    assert callable(import_handler("CreateConnectionFunction", environment, monkeypatch).lambda_handler)
    assert Settings.from_environ({"ALLOWED_ORIGINS": ""}).allowed_origins == ()
    assert Settings.from_environ({}).allowed_origins is None


def test_schedule_settings_come_all_three_or_none(monkeypatch: pytest.MonkeyPatch) -> None:
    environment = function_environment("DeleteConnectionFunction")
    del environment["SCHEDULER_ROLE_ARN"]
    with pytest.raises(MissingSettings, match="SCHEDULER_ROLE_ARN"):
        import_handler("DeleteConnectionFunction", environment, monkeypatch)

    for name in ("SCHEDULE_GROUP", "SCHEDULED_SYNC_FUNCTION_ARN"):
        del environment[name]
    assert callable(import_handler("DeleteConnectionFunction", environment, monkeypatch).lambda_handler)


def test_an_unknown_variable_name_is_a_programming_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TABLE_NAME", "t")
    settings_module.settings.cache_clear()
    try:
        with pytest.raises(ValueError, match="not a setting: TABLE"):
            require_settings("TABLE")
    finally:
        settings_module.settings.cache_clear()


def test_a_fresh_interpreter_fails_at_import_without_table_name() -> None:
    """As a Lambda init would: a new process, the function's environment less TABLE_NAME."""
    environment = function_environment("GetConnectionFunction")
    del environment["TABLE_NAME"]
    inherited = {name: value for name, value in os.environ.items() if name not in SETTING_VARIABLES}
    script = (
        "import sys; sys.path[:0] = ['layers/shared', '.'];"
        "from local.api_gateway import load_handler; from pathlib import Path;"
        "load_handler(Path('functions/get_connection'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=inherited | environment,
        check=False,
        timeout=120,
    )

    assert result.returncode != 0
    assert "MissingSettings: this function needs the environment variable TABLE_NAME (see template.yaml)" in (
        result.stderr
    )


def test_the_check_reads_the_settings_the_services_then_use(monkeypatch: pytest.MonkeyPatch) -> None:
    """Checked once at init: the settings the wiring reads later are the same object (read once)."""
    monkeypatch.setenv("TABLE_NAME", "t")
    monkeypatch.setenv("ALLOWED_ORIGINS", "")
    settings_module.settings.cache_clear()
    try:
        assert require_settings("TABLE_NAME", "ALLOWED_ORIGINS") is settings_module.settings()
    finally:
        settings_module.settings.cache_clear()


def test_method_not_allowed_needs_no_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert callable(import_handler("MethodNotAllowedFunction", {}, monkeypatch).lambda_handler)
