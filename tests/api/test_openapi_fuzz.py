"""Schemathesis against the OpenAPI document: every operation, fuzzed over HTTP on the real app.

The app runs as in the `api` fixture (dev Temporal server, a worker, the sandbox), once for the module, with
a workspace whose admin makes every request, so routes get past authentication and authorisation. Path
parameters are either ones that exist (the workspace, a draft and a submitted post, a channel, members, a
spare token, a notification target) or generated ones. Each operation gets positive and negative examples,
derandomized so a run repeats; each answer must be no 5xx, a status the operation declares, its declared
content type, declared headers, a body that matches the declared schema (errors included: the one error
body), and a request the schema forbids must be refused (4xx), so the document is no looser than the server.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    missing_required_header,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api_client import ACCOUNTS, TOKENS, as_user, setup_workspace, submitted_post
from embedded import http_server
from servers import free_port
from settings import Settings
from store.engine import make_engine, migrate
from worker import running_worker

# `--checks all` but for: the stateful checks (use_after_free, ensure_resource_availability), the auth probes
# (ignored_auth, object_level_authorization: tests/api/test_authorization.py calls every route without and with
# another's credentials, once, instead of twice more per example here), positive_data_acceptance (a valid body
# naming a channel of no workspace is rightly refused), and the method probes (tests/api/test_openapi_contract.py
# sends every undeclared method to every path and checks the 405 and its Allow header).
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
    missing_required_header,
]
EXAMPLES_PER_MODE = 12  # positive and negative each: about 25 requests per operation

# Operations that cannot be fuzzed meaningfully; nothing else is left out.
EXCLUDED = {
    # Five failed logins lock the address for 15 minutes, after which every example answers 429: fuzzing
    # would only test the throttle. Its 401/422/429 answers are covered by tests/api/test_auth.py.
    "POST /auth/login": "throttled after 5 failures",
    # Ends the caller's own browser session; with a bearer token it only clears cookies (no body, no input).
    "POST /auth/logout": "no input to fuzz",
    # The docs pages are FastAPI's own HTML and are not in the schema; /openapi.json is what is tested.
}
SCHEMA = schemathesis.openapi.from_dict(create_app(Settings(), None, None).openapi())  # type: ignore[arg-type]


def _operations() -> dict[str, schemathesis.APIOperation]:
    found = {}
    for result in SCHEMA.get_all_operations():
        if isinstance(result, Err):
            raise result.err()  # the document itself is broken: say so before fuzzing anything
        found[result.ok().label] = result.ok()
    return found


OPERATIONS = _operations()


STYLE = b"styles:\n  Acme:\n    Hype:\n      extends: existence\n      message: x\n      tokens: [synergy]\n"
# Inputs that get past validation, which the fuzzer would seldom find by itself: they name objects that exist.
VALID: dict[str, list[dict[str, Any]]] = {
    "POST /posts": [
        {"body": {"channel_id": "sbx", "text": "Fresh coffee, every morning."}},
        {"body": {"channel_ids": ["sbx"], "text": "Fresh tea, every evening.", "submit": True}},
    ],
    "GET /posts": [{"query": {"workspace_id": "acme"}}],
    "PUT /workspaces/{workspace_id}/style": [{"body": STYLE, "media_type": "application/yaml"}],
    "POST /workspaces/{workspace_id}/brand/check": [{"body": {"channel_id": "sbx", "text": "Synergy, guaranteed."}}],
    "POST /workspaces/{workspace_id}/notification-targets": [{"body": {"kind": "email", "address": "a@acme.example"}}],
}


@dataclass
class Stack:
    base_url: str
    token: str
    known: dict[str, list[Any]]  # path parameter -> values that exist


@pytest.fixture(scope="module")
async def stack(
    dev_env: WorkflowEnvironment, sandbox: Any, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    data_dir: Path = tmp_path_factory.mktemp("fuzz")
    engine = make_engine(f"sqlite:///{data_dir / 'postgate.db'}")
    migrate(engine)
    ACCOUNTS.use(engine)
    settings_ = Settings(
        sandbox_url=sandbox.url,
        task_queue=f"fuzz-{uuid.uuid4().hex[:12]}",
        followup_offsets=[1],
        api_port=free_port(),
        data_dir=data_dir,
        smtp_port=free_port(),  # nobody listens: a test e-mail fails at once
    )
    server = http_server(create_app(settings_, engine, dev_env.client), "127.0.0.1", settings_.api_port)
    serving = asyncio.create_task(server.serve())
    async with running_worker(dev_env.client, engine, settings_):
        while not server.started:
            await asyncio.sleep(0.02)
        base_url = f"http://127.0.0.1:{settings_.api_port}"
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            known = await _seed(http)
        yield Stack(base_url=base_url, token=TOKENS["ada"], known=known)
        server.should_exit = True
        await serving
    engine.dispose()


async def _seed(http: httpx.AsyncClient) -> dict[str, list[Any]]:
    """Objects for the path parameters to name, so the fuzzer reaches past the 404s."""
    await setup_workspace(http)
    ada = as_user("ada")
    draft = await http.post("/posts", json={"channel_id": "sbx", "text": "A draft."}, headers=as_user("ed"))
    assert draft.status_code == 201, draft.text
    submitted = await submitted_post(http)
    spare = await http.post("/me/tokens", json={"name": "spare"}, headers=ada)
    assert spare.status_code == 201, spare.text
    target = await http.post(
        "/workspaces/acme/notification-targets", json={"kind": "email", "address": "ops@acme.example"}, headers=ada
    )
    assert target.status_code == 201, target.text
    r = await http.put("/workspaces/acme/style", content=STYLE, headers={**ada, "content-type": "application/yaml"})
    assert r.status_code == 200, r.text
    # An invitation the fuzzer (ada) may accept, decline or revoke.
    invitation = await http.post("/workspaces/acme/invitations", json={"user_id": "ada", "role": "viewer"}, headers=ada)
    assert invitation.status_code == 202, invitation.text
    return {
        "workspace_id": ["acme"],
        "post_id": [draft.json()["id"], submitted["id"]],
        "channel_id": ["sbx"],
        # Never ada: demoting the only admin would turn every later example into a 403.
        "user_id": ["ed", "ann"],
        # Never the token the fuzzer authenticates with: revoking it would turn everything into a 401.
        "token_id": [spare.json()["id"]],
        "target_id": [target.json()["id"]],
        "number": [1],
        "invitation_id": [invitation.json()["id"]],
    }


def _cases(label: str, known: dict[str, list[Any]]) -> st.SearchStrategy[Any]:
    operation = OPERATIONS[label]
    names = [p.name for p in operation.path_parameters]
    existing = [dict(zip(names, values, strict=True)) for values in itertools.product(*(known[n] for n in names))]
    # Also generated values for every parameter but the workspace (a stranger's workspace is only a 404).
    generated = [{n: known[n][0] for n in names if n == "workspace_id"}]
    strategies = [
        operation.as_strategy(mode, path_parameters=fixed)
        for fixed in existing + generated
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    ]
    strategies += [
        operation.as_strategy(path_parameters=fixed, **given) for fixed in existing for given in VALID.get(label, [])
    ]
    return st.one_of(*strategies)


def _fuzz(label: str, stack: Stack) -> None:
    auth = {"Authorization": f"Bearer {stack.token}"}
    with requests.Session() as session:

        @settings(
            max_examples=2 * EXAMPLES_PER_MODE,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=_cases(label, stack.known))
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=stack.base_url, session=session, headers=auth, checks=CHECKS, timeout=30)

        check()


# Deletions last, so the objects they remove are there for the operations before them.
FUZZED = sorted((label for label in OPERATIONS if label not in EXCLUDED), key=lambda label: label.startswith("DELETE"))


@pytest.mark.parametrize("label", FUZZED)
async def test_operation_keeps_its_openapi_contract(label: str, stack: Stack) -> None:
    # The server and the worker run on this event loop, so the blocking fuzzer runs in a thread.
    await asyncio.to_thread(_fuzz, label, stack)


def test_only_known_operations_are_excluded() -> None:
    assert set(EXCLUDED) <= set(OPERATIONS), "an excluded operation no longer exists: drop it from EXCLUDED"
