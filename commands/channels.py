"""`postgate channels`: manage a workspace's channels through the API, and rotate the credential key.

Every command but `rotate-key` talks to a running API over HTTP (`--api-url`, POSTGATE_API_URL) with the
API token given by `--token` (POSTGATE_TOKEN; `postgate admin create-user` prints one). `rotate-key` works
on the database directly, because it needs the key material the API must never hand out: run it where
POSTGATE_DATABASE_URL and POSTGATE_CREDENTIAL_KEYS are set, after making the new key current.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import httpx
import typer

channels_app = typer.Typer(help="Add, list, check, disable and enable channels; rotate the credential key.")

ApiUrl = Annotated[
    str,
    typer.Option(
        "--api-url",
        envvar="POSTGATE_API_URL",
        help="where the postgate API runs",
        show_default="http://POSTGATE_API_HOST:POSTGATE_API_PORT",
    ),
]
TokenOption = Annotated[
    str, typer.Option("--token", envvar="POSTGATE_TOKEN", help="an admin's API token, pg_...", show_default=False)
]
Workspace = Annotated[str, typer.Option("--workspace", "-w", envvar="POSTGATE_WORKSPACE", help="workspace id")]
DEFAULT_API_URL = ""  # the API that this machine's settings serve (POSTGATE_API_HOST, POSTGATE_API_PORT)


def auth_headers(token: str) -> dict[str, str]:
    """Who is acting, as the API expects it."""
    return {"Authorization": f"Bearer {token}"}


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"postgate: {message}", err=True)
    raise typer.Exit(code)


def _call(api_url: str, token: str, method: str, path: str, body: Any = None, params: Any = None) -> Any:
    if not api_url:
        from settings import Settings

        api_url = Settings().resolved_api_url
    try:
        with httpx.Client(base_url=api_url, timeout=30, headers=auth_headers(token)) as http:
            response = http.request(method, path, json=body, params=params)
    except httpx.TransportError as err:
        problem = f"cannot reach the API at {api_url} ({type(err).__name__})"
        _fail(f"{problem}; is `postgate api` or `postgate dev` running?", 2)
    if response.status_code >= 400:
        _fail(_api_error(response))
    return response.json()


def _api_error(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"the API answered HTTP {response.status_code}"
    message = body.get("message") if isinstance(body, dict) else None
    text = f"{message} (HTTP {response.status_code})" if isinstance(message, str) else f"HTTP {response.status_code}"
    details = body.get("details") if isinstance(body, dict) else None
    if isinstance(details, list):
        text += "".join(f"\n  {d.get('field') or 'body'}: {d.get('problem')}" for d in details if isinstance(d, dict))
    return text


def _pairs(values: list[str], what: str) -> dict[str, Any]:
    pairs: dict[str, Any] = {}
    for value in values:
        key, sep, raw = value.partition("=")
        if not sep or not key:
            _fail(f"--{what} takes KEY=VALUE, not {value!r}")
        pairs[key] = raw
    return pairs


def _json_file(path: Path | None, what: str) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
        value = json.loads(text)
    except (OSError, ValueError) as err:
        _fail(f"cannot read {what} from {path}: {type(err).__name__}: {getattr(err, 'strerror', None) or err}")
    if not isinstance(value, dict):
        _fail(f"{what} in {path} must be a JSON object")
    return value


def _show(channel: dict[str, Any]) -> str:
    reason = f" ({channel['state_reason']})" if channel.get("state_reason") else ""
    return f"{channel['id']}\t{channel['platform']}\t{channel['state']}{reason}\t{channel['name']}"


@channels_app.command("add")
def add(
    channel_id: Annotated[str, typer.Argument(help="the new channel's id")],
    workspace: Workspace,
    token: TokenOption,
    platform: Annotated[str, typer.Option(help="sandbox, mastodon, bluesky, linkedin, x, threads, ...")] = "sandbox",
    name: Annotated[str | None, typer.Option(help="shown to people; default the id")] = None,
    setting: Annotated[list[str] | None, typer.Option(help="a platform setting, KEY=VALUE (repeat)")] = None,
    credential: Annotated[
        list[str] | None, typer.Option(help="a secret, KEY=VALUE (repeat; stays in shell history)")
    ] = None,
    credentials_file: Annotated[
        Path | None, typer.Option(help="secrets as a JSON object; '-' reads standard input")
    ] = None,
    max_length: Annotated[int, typer.Option(help="length limit when it counts as no platform")] = 500,
    api_url: ApiUrl = DEFAULT_API_URL,
) -> None:
    """Add a channel. Secrets go to the API once and are stored encrypted; nothing shows them again."""
    secrets = {**_json_file(credentials_file, "credentials"), **_pairs(credential or [], "credential")}
    body = {
        "id": channel_id,
        "name": name or channel_id,
        "platform": platform,
        "max_length": max_length,
        "settings": _pairs(setting or [], "setting"),
        "credentials": secrets or None,
    }
    created = _call(api_url, token, "POST", f"/workspaces/{workspace}/channels", body)
    typer.echo(_show(created))


@channels_app.command("list")
def list_channels(workspace: Workspace, token: TokenOption, api_url: ApiUrl = DEFAULT_API_URL) -> None:
    """Every channel of the workspace: id, platform, state, name."""
    cursor = None
    while True:
        params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = _call(api_url, token, "GET", f"/workspaces/{workspace}/channels", params=params)
        for channel in page["channels"]:
            typer.echo(_show(channel))
        cursor = page.get("next_cursor")
        if not cursor:
            return


@channels_app.command("test")
def test(channel_id: str, workspace: Workspace, token: TokenOption, api_url: ApiUrl = DEFAULT_API_URL) -> None:
    """Check the channel's credentials against its platform (exit 1 if refused)."""
    result = _call(api_url, token, "POST", f"/workspaces/{workspace}/channels/{channel_id}/test")
    if not result["ok"]:
        _fail(f"{channel_id}: {result.get('error')}: {result.get('message')}")
    typer.echo(f"{channel_id}: credentials work, acting as {result['account']}")


@channels_app.command("disable")
def disable(
    channel_id: str,
    workspace: Workspace,
    token: TokenOption,
    reason: Annotated[str, typer.Option(help="why, for the people whose posts it stops")] = "",
    api_url: ApiUrl = DEFAULT_API_URL,
) -> None:
    """Stop publishing on the channel until it is enabled again."""
    path = f"/workspaces/{workspace}/channels/{channel_id}/disable"
    typer.echo(_show(_call(api_url, token, "POST", path, {"reason": reason})))


@channels_app.command("enable")
def enable(channel_id: str, workspace: Workspace, token: TokenOption, api_url: ApiUrl = DEFAULT_API_URL) -> None:
    """Publish on the channel again."""
    typer.echo(_show(_call(api_url, token, "POST", f"/workspaces/{workspace}/channels/{channel_id}/enable")))


@channels_app.command("rotate-key")
def rotate_key() -> None:
    """Re-encrypt every channel's credentials and every webhook secret under POSTGATE_CREDENTIAL_KEY_ID
    (runs on the database)."""
    from pydantic import ValidationError
    from sqlalchemy.exc import SQLAlchemyError

    from settings import Settings
    from store.credentials import CredentialError, keyring_for, rotate
    from store.engine import make_engine, transaction
    from store.target_secrets import rotate_targets

    try:
        settings = Settings()
        keyring = keyring_for(settings)
    except (ValidationError, CredentialError) as err:
        _fail(f"cannot load the credential keys: {err}")
    engine = make_engine(settings.resolved_database_url)
    try:
        with transaction(engine) as session:
            count = rotate(session, keyring)
            targets = rotate_targets(session, keyring)
    except CredentialError as err:
        _fail(f"nothing was changed: {err}")
    except SQLAlchemyError as err:
        cause = getattr(err, "orig", None) or err
        _fail(f"nothing was changed; the database at POSTGATE_DATABASE_URL failed: {type(err).__name__}: {cause}")
    finally:
        engine.dispose()
    typer.echo(
        f"postgate: {count} channel(s) re-encrypted under key '{keyring.current}', "
        f"and {targets} notification target secret(s)"
    )
