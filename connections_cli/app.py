"""The ``connections`` commands (typer): global options, output as rich tables or ``--json``, exit codes
0 done, 1 failed run or API error, 2 usage, 3 authentication (401/403)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from connections_cli.client import Api, ApiError

# typer carries its own click; its usage errors (bad option, missing argument) derive from this class.
UsageError: type[Exception] = type(typer.BadParameter("")).__mro__[1]

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
keys_app = typer.Typer(no_args_is_help=True)
app.add_typer(keys_app, name="keys", help="API keys: create, list, revoke.")

console = Console()
errors = Console(stderr=True, soft_wrap=True)
DONE_STATUSES = {"completed", "failed", "cancelled"}


@dataclass
class Context:
    api: Api
    as_json: bool


def _state(ctx: typer.Context) -> Context:
    state: Context = ctx.obj
    return state


@app.callback()
def main_options(
    ctx: typer.Context,
    api: Annotated[str | None, typer.Option("--api", envvar="CONNECTIONS_API_URL", help="API base URL")] = None,
    token: Annotated[str | None, typer.Option("--token", envvar="CONNECTIONS_TOKEN", help="API key or session")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts")] = False,
) -> None:
    if not api:
        raise typer.BadParameter("give --api URL or set CONNECTIONS_API_URL", param_hint="--api")
    ctx.obj = Context(Api(api, token), as_json)


def _emit(state: Context, data: Any, columns: list[str] | None = None) -> None:
    if state.as_json:
        console.print_json(json.dumps(data))
        return
    if columns and isinstance(data, list):
        table = Table(*columns)
        for row in data:
            table.add_row(*(str(row.get(column, "")) for column in columns))
        console.print(table)
    else:
        console.print(data)


@app.command("list")
def list_connections(ctx: typer.Context) -> None:
    """The organisation's connections."""
    state = _state(ctx)
    rows = list(state.api.pages("/api/connections", {}))
    _emit(state, rows, ["id", "name", "platform", "direction", "status"])


@app.command()
def get(ctx: typer.Context, conn: str) -> None:
    """One connection."""
    state = _state(ctx)
    _emit(state, state.api.get(f"/api/connections/{conn}"))


@app.command()
def test(ctx: typer.Context, conn: str) -> None:
    """Test a connection's credentials against its platform (exit 1 when the test fails)."""
    state = _state(ctx)
    result = state.api.post(f"/api/connections/{conn}/test")
    _emit(state, result)
    if not result.get("success"):
        raise typer.Exit(1)


@keys_app.command("create")
def keys_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Option()],
    scopes: Annotated[str, typer.Option(help="comma-separated")],
    expires: Annotated[str | None, typer.Option(help="ISO 8601 expiry")] = None,
) -> None:
    """Create an API key (its secret is shown once)."""
    state = _state(ctx)
    body: dict[str, Any] = {"name": name, "scopes": [scope.strip() for scope in scopes.split(",") if scope.strip()]}
    if expires:
        body["expiresAt"] = expires
    _emit(state, state.api.post("/api/keys", json=body))


@keys_app.command("list")
def keys_list(ctx: typer.Context) -> None:
    """The organisation's API keys (no secrets)."""
    state = _state(ctx)
    rows = list(state.api.pages("/api/keys", {}))
    _emit(state, rows, ["id", "name", "prefix", "scopes", "lastUsedAt", "revokedAt"])


@keys_app.command("revoke")
def keys_revoke(ctx: typer.Context, key_id: str) -> None:
    """Revoke an API key at once."""
    state = _state(ctx)
    _emit(state, state.api.delete(f"/api/keys/{key_id}"))


@app.command()
def activations(
    ctx: typer.Context,
    stale: Annotated[bool, typer.Option("--stale", help="Only stale activations")] = False,
    connection: Annotated[str | None, typer.Option("--connection")] = None,
) -> None:
    """Every activation, all pages."""
    state = _state(ctx)
    params: dict[str, Any] = {"stale": "true"} if stale else {}
    if connection:
        params["connectionId"] = connection
    rows = list(state.api.pages("/api/activations", params))
    _emit(state, rows, ["id", "orgTopicId", "connectionId", "status", "pushedName"])


@app.command()
def runs(ctx: typer.Context, conn: str) -> None:
    """Sync and push history of a connection."""
    state = _state(ctx)
    history: dict[str, Any] = {}
    for kind in ("sync", "push"):
        try:
            history[kind] = list(state.api.pages(f"/api/connections/{conn}/{kind}/runs", {}))
        except ApiError as error:
            if error.status != 404:
                raise
            raise ApiError(f"This API has no run history (GET /api/connections/{{id}}/{kind}/runs: 404)") from None
    if state.as_json:
        _emit(state, history)
        return
    for kind, rows in history.items():
        console.print(f"[bold]{kind} runs[/bold]")
        _emit(state, rows, ["runId", "status", "startedAt", "completedAt", "lastError"])


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        MofNCompleteColumn(),
        TextColumn("{task.fields[counts]}"),
        TextColumn("{task.fields[rate]}"),
        BarColumn(bar_width=20),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def _drive(state: Context, conn: str, kind: str, run_id: str) -> dict[str, Any]:
    """Call page (sync) or batch (push) after page until the run ends; Ctrl-C cancels after confirming."""
    base = f"/api/connections/{conn}/{kind}/run/{run_id}"
    step = f"{base}/page" if kind == "sync" else f"{base}/push"
    done_key, total_key = ("processedPages", "totalPages") if kind == "sync" else ("processedBatches", "totalBatches")
    status = state.api.get(f"{base}/status")
    with _progress() as progress:
        task = progress.add_task(
            "pages" if kind == "sync" else "batches", total=status.get(total_key), counts="", rate=""
        )
        while status["status"] not in DONE_STATUSES:
            try:
                answer = state.api.post(step)
                status = state.api.get(f"{base}/status")
            except KeyboardInterrupt:
                progress.stop()
                if typer.confirm(f"Cancel run {run_id}?", default=True):
                    status = state.api.post(f"{base}/cancel") or state.api.get(f"{base}/status")
                    break
                progress.start()
                continue
            if isinstance(answer, dict) and answer.get("error") and not answer.get("retryable", True):
                errors.print(f"[yellow]{answer['error']}[/yellow]")
            progress.update(
                task,
                total=status.get(total_key),
                completed=status.get(done_key, 0),
                counts=_counts(status),
                rate=_rate(progress, task, status),
            )
    return status


def _counts(status: dict[str, Any]) -> str:
    if "duplicateCount" in status:
        return f"inserted {status['successCount']} dup {status['duplicateCount']} err {status['errorCount']}"
    return f"pushed {status['successCount']} err {status['errorCount']} pending {status.get('pendingCount', 0)}"


def _rate(progress: Progress, task_id: Any, status: dict[str, Any]) -> str:
    elapsed = progress.tasks[task_id].elapsed or 0.0
    items = status.get("successCount", 0) + status.get("duplicateCount", 0) + status.get("errorCount", 0)
    return f"{items / elapsed:.0f} items/s" if elapsed > 0 else ""


def _finish(state: Context, status: dict[str, Any]) -> None:
    _emit(state, status)
    if status.get("status") != "completed":
        raise typer.Exit(1)


@app.command()
def sync(
    ctx: typer.Context,
    conn: str,
    follow: Annotated[bool, typer.Option("--follow", help="Drive the run's pages until it ends")] = False,
    resume: Annotated[str | None, typer.Option("--resume", help="Continue this run")] = None,
) -> None:
    """Start an inbound sync (or resume one) and, with --follow, drive it to the end."""
    state = _state(ctx)
    run_id = resume or state.api.post(f"/api/connections/{conn}/sync/run")["runId"]
    if not (follow or resume):
        _emit(state, state.api.get(f"/api/connections/{conn}/sync/run/{run_id}/status"))
        return
    _finish(state, _drive(state, conn, "sync", run_id))


@app.command()
def push(
    ctx: typer.Context,
    conn: str,
    topics: Annotated[list[str] | None, typer.Option("--topics", help="Topic id (repeatable)")] = None,
    stale: Annotated[bool, typer.Option("--stale", help="Re-push this connection's stale activations")] = False,
    follow: Annotated[bool, typer.Option("--follow")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be pushed")] = False,
) -> None:
    """Push topics to an outbound connection in batches."""
    state = _state(ctx)
    if bool(topics) == stale:
        raise typer.BadParameter("give either --topics ID... or --stale", param_hint="--topics/--stale")
    topic_ids = list(topics or [])
    if stale:
        listed = state.api.pages("/api/activations", {"stale": "true", "connectionId": conn})
        topic_ids = [row["orgTopicId"] for row in listed]
    if dry_run:
        # POST .../push/preview does not exist yet: the dry run names the topics a run would take.
        _emit(state, {"connectionId": conn, "segmentIds": topic_ids, "count": len(topic_ids)})
        return
    if not topic_ids:
        _emit(state, {"connectionId": conn, "segmentIds": [], "count": 0})
        return
    run_id = state.api.post(f"/api/connections/{conn}/push/run", json={"segmentIds": topic_ids})["runId"]
    if not follow:
        _emit(state, state.api.get(f"/api/connections/{conn}/push/run/{run_id}/status"))
        return
    _finish(state, _drive(state, conn, "push", run_id))


def main() -> None:
    """The console script: an API error is one line on stderr and its exit code, never a traceback."""
    try:
        # Outside standalone mode click answers a typer.Exit with its code instead of exiting.
        code = app(standalone_mode=False)
    except ApiError as error:
        errors.print(f"error: {error}", markup=False, highlight=False)
        raise SystemExit(error.exit_code) from None
    except typer.Exit as done:
        raise SystemExit(done.exit_code) from None
    except typer.Abort:
        errors.print("aborted")
        raise SystemExit(1) from None
    except UsageError as error:
        errors.print(f"error: {getattr(error, 'format_message', error.__str__)()}", markup=False, highlight=False)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        errors.print("interrupted")
        raise SystemExit(1) from None
    raise SystemExit(code if isinstance(code, int) else 0)
