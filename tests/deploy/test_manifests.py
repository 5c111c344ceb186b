"""The deployment files (deploy/Dockerfile, deploy/compose.yaml, deploy/k8s/) against the code.

Offline and fast: the YAML is parsed, not applied. What matters is checked, and checked against
the settings, so that the manifests cannot drift from them: every variable the manifests give
the bank is one bank/settings reads, everything bank/settings/prod.py makes mandatory is
provided, and prod.py actually starts with what the manifests provide. `kubectl kustomize` and
`docker compose config` run only where those tools are (docker cannot pull images here, and the
checks need none).
"""

from __future__ import annotations

import ast
import copy
import functools
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE = DEPLOY / "compose.yaml"
BANK_CONF = DEPLOY / "nginx" / "bank.conf"
APP_ROLE_SQL = DEPLOY / "postgres" / "app-role.sql"
SETTINGS = ROOT / "bank" / "settings"

#: The image name every bank container uses in deploy/k8s (kustomize `images:` sets the tag).
K8S_BANK_IMAGE = "demo-bank"
#: The database role the bank serves as (docs/deployment.md, "Database roles"): it owns
#: nothing; the migration step gives it its rights.
APP_ROLE = "bank_app"
#: compose: the Docker secret holding each role's DATABASE_URL; Kubernetes: the Secret.
COMPOSE_APP_URL, COMPOSE_OWNER_URL = "postgres_app_url", "postgres_owner_url"
K8S_APP_URL, K8S_OWNER_URL = "bank-database-app", "bank-database-owner"
#: Settings variables that a check in prod.py requires although no mandatory() reads them.
REQUIRED_BY_A_CHECK = {"DJANGO_ALLOWED_HOSTS", "BANK_SIGNING_KEYS_ACTIVE"}
#: Variables a bank container may get that bank/settings does not read, each with its reader.
NOT_SETTINGS = {
    "DJANGO_SETTINGS_MODULE": "Django itself: which settings module to import",
}
#: Valid-looking values for the secrets, to start prod.py with what the manifests provide.
FAKE_SECRETS = {
    "DJANGO_SECRET_KEY": "k" * 20 + "abcdefghijklmnopqrstuvwxyz0123456789",
    "DATABASE_URL": "postgres://bank:pw@db.internal:5432/bank",
    "REDIS_URL": "redis://bank:pw@cache.internal:6379/0",
    "CELERY_BROKER_URL": "amqp://bank:pw@mq.internal:5672/bank",
    "BANK_RESOURCE_ID_KEY": "cHJvZC10ZXN0LWtleS0wMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWZ4eA",
    "EMAIL_URL": "smtp+tls://bank:pw@smtp.internal:587",
    "BANK_PKCS11_PIN": "0000-fake-pin",
}
#: deploy/.env.example leaves every value empty; these stand in for an operator's deploy/.env.
FAKE_DOT_ENV = {
    **FAKE_SECRETS,
    "DJANGO_SETTINGS_MODULE": "bank.settings.prod",
    "DJANGO_ALLOWED_HOSTS": "bank.example.com",
    "BANK_PUBLIC_BASE_URL": "https://bank.example.com",
    "BANK_MTLS_BASE_URL": "https://bank.example.com:8444",
    "BANK_SIGNING_KEYS_SOURCE": "key-manager",
    "BANK_SIGNING_KEYS_ACTIVE": "PS256=ps256-x,ES256=es256-x",
    "BANK_REGISTER_BASE_URL": "https://api.cdr.gov.au",
    "BANK_REGISTER_JWKS_URI": "https://api.cdr.gov.au/cdr-register/v1/jwks",
    "BANK_DATA_HOLDER_BRAND_ID": "brand-1",
    "BANK_OTP_FROM_EMAIL": "no-reply@bank.example.com",
    "BANK_PKCS11_LIBRARY": "/usr/lib/softhsm/libsofthsm2.so",
    "BANK_PKCS11_TOKEN_LABEL": "bank",
}
SECURITY_CONTEXT = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
}


# ---- reading the files ----------------------------------------------------------------------


def _yaml_files() -> list[Path]:
    return sorted([*DEPLOY.glob("compose*.yaml"), *K8S.rglob("*.yaml")])


@functools.cache
def _k8s_documents() -> list[dict[str, Any]]:
    """Every document under deploy/k8s (cached: read, never modify)."""
    docs: list[dict[str, Any]] = []
    for path in sorted(K8S.rglob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        docs.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    return docs


def _kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in _k8s_documents() if doc["kind"] == kind}


def _pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]


def _workloads() -> Iterator[dict[str, Any]]:
    for doc in _k8s_documents():
        if doc["kind"] in {"Deployment", "Job", "StatefulSet", "DaemonSet", "CronJob"}:
            yield doc


def _config_map_data() -> dict[str, str]:
    return _kind("ConfigMap")["bank-config"]["data"]


def _secret_keys() -> dict[str, set[str]]:
    """Secret name -> the keys it will hold (ExternalSecret targets, or Secret manifests)."""
    keys: dict[str, set[str]] = {}
    for doc in _k8s_documents():
        if doc["kind"] == "ExternalSecret":
            target = doc["spec"]["target"]["name"]
            keys[target] = {item["secretKey"] for item in doc["spec"]["data"]}
        elif doc["kind"] == "Secret":
            spec = {**doc.get("data", {}), **doc.get("stringData", {})}
            keys[doc["metadata"]["name"]] = set(spec)
    return keys


def _container_env(container: dict[str, Any]) -> dict[str, str | None]:
    """What a k8s container's environment will hold: name -> value (None: a secret's)."""
    config_maps = _kind("ConfigMap")
    secrets = _secret_keys()
    env: dict[str, str | None] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(config_maps[source["configMapRef"]["name"]]["data"])
        if "secretRef" in source:
            env.update(dict.fromkeys(secrets[source["secretRef"]["name"]]))
    for item in container.get("env", []):
        env[item["name"]] = item.get("value")
    return env


def _k8s_bank_containers() -> Iterator[tuple[str, dict[str, Any]]]:
    for workload in _workloads():
        for container in _pod_spec(workload)["containers"]:
            if container["image"] == K8S_BANK_IMAGE:
                yield workload["metadata"]["name"], container


@functools.cache
def _compose() -> dict[str, Any]:
    """deploy/compose.yaml, anchors and merge keys resolved (cached: read, never modify)."""
    return yaml.safe_load(COMPOSE.read_text())


def _compose_bank_services() -> dict[str, dict[str, Any]]:
    return {name: service for name, service in _compose()["services"].items()
            if "build" in service}


def _command(service_or_container: dict[str, Any]) -> str:
    command = service_or_container.get("command", [])
    return " ".join(command) if isinstance(command, list) else str(command)


def _dot_env_example_names() -> set[str]:
    names = set()
    for line in (DEPLOY / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            names.add(line.split("=", 1)[0].strip())
    return names


def _dockerfile_stages() -> list[tuple[str, str]]:
    """(base, name) of each FROM, in order."""
    return re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", DOCKERFILE.read_text(),
                      flags=re.MULTILINE | re.IGNORECASE)


def _entrypoint_file_names() -> set[str]:
    """The NAMEs the image's entrypoint accepts as NAME_FILE."""
    match = re.search(r"for name in (.*?); do", DOCKERFILE.read_text(), flags=re.DOTALL)
    assert match, "bank-entrypoint's list of secret names not found in deploy/Dockerfile"
    return set(match.group(1).replace("\\", " ").split())


# ---- what the settings read -----------------------------------------------------------------

_ENV_READ = re.compile(r"""\b(?:env(?:\.\w+)?|mandatory)\(\s*["']([A-Z][A-Z0-9_]*)["']""")


def _settings_modules() -> list[Path]:
    """The modules bank.settings.prod runs: everything in bank/settings but the other overlays."""
    return [path for path in sorted(SETTINGS.glob("*.py"))
            if path.name not in {"dev.py", "test.py", "devsecret.py"}]


def _settings_env_names() -> set[str]:
    return {name for path in _settings_modules() for name in _ENV_READ.findall(path.read_text())}


def _gunicorn_env_names() -> set[str]:
    text = (DEPLOY / "gunicorn.conf.py").read_text()
    return set(re.findall(r"""os\.(?:environ\.get|getenv)\(\s*["']([A-Z][A-Z0-9_]*)["']""", text)
               + re.findall(r"""os\.environ\[\s*["']([A-Z][A-Z0-9_]*)["']\s*\]""", text))


def _allowed_env_names() -> set[str]:
    return (_settings_env_names() | _gunicorn_env_names() | set(NOT_SETTINGS)
            | {f"{name}_FILE" for name in _entrypoint_file_names()})


def _mandatory_names() -> set[str]:
    """Names prod.py reads with mandatory() unconditionally, plus the ones a check requires."""
    tree = ast.parse((SETTINGS / "prod.py").read_text())
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If):
            continue  # mandatory only under a condition (e.g. BANK_SIGNING_KEYS_DIR)
        for call in ast.walk(node):
            if (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                    and call.func.id == "mandatory" and isinstance(call.args[0], ast.Constant)):
                names.add(str(call.args[0].value))
    return names | REQUIRED_BY_A_CHECK


#: Imports bank.settings.prod afresh under each environment (one process for all of them: a
#: Python start per environment would make this file slow). Prints {name: error or null}.
_PROD_STARTS = """
import importlib, json, os, sys
envs = json.loads(sys.stdin.read())
base = dict(os.environ)
results = {}
for name, env in envs.items():
    os.environ.clear()
    os.environ.update(base)
    os.environ.update(env)
    for module in [m for m in sys.modules if m == "bank.settings" or m.startswith("bank.settings.")]:
        del sys.modules[module]
    try:
        importlib.import_module("bank.settings.prod")
        results[name] = None
    except Exception as exc:
        results[name] = f"{type(exc).__name__}: {exc}"
print(json.dumps(results))
"""


def _assert_all_start(envs: dict[str, dict[str, str]]) -> None:
    """bank.settings.prod imports (every mandatory name, every check) under each env."""
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("DJANGO_", "BANK_", "CELERY_"))
             and k not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL"}}
    result = subprocess.run([sys.executable, "-c", _PROD_STARTS], input=json.dumps(envs),
                            cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    failures = {name: error for name, error in json.loads(result.stdout).items() if error}
    assert not failures, f"bank.settings.prod refuses the environment of: {failures}"


# ---- every file -----------------------------------------------------------------------------


def test_every_deployment_yaml_parses():
    files = _yaml_files()
    assert COMPOSE in files and (K8S / "kustomization.yaml") in files
    for path in files:
        assert list(yaml.safe_load_all(path.read_text())), path


def test_every_k8s_manifest_is_in_a_kustomization():
    listed = set()
    for kustomization in K8S.rglob("kustomization.yaml"):
        spec = yaml.safe_load(kustomization.read_text())
        for resource in spec.get("resources", []):
            listed.add((kustomization.parent / resource).resolve())
    for path in K8S.rglob("*.yaml"):
        if path.name != "kustomization.yaml":
            assert path.resolve() in listed, f"{path} is in no kustomization.yaml"


def test_kustomize_renders_the_bank_and_the_migration_step_apart():
    kubectl = shutil.which("kubectl")
    if not kubectl:
        pytest.skip("kubectl is not installed: the kustomizations were not rendered")

    def kinds(directory: Path) -> list[str]:
        out = subprocess.run([kubectl, "kustomize", str(directory)], capture_output=True,
                             text=True, timeout=60, check=True).stdout
        return [doc["kind"] for doc in yaml.safe_load_all(out) if doc]

    bank = kinds(K8S)
    assert "Job" not in bank  # migrations are a step of their own, before the rollout
    assert {"Namespace", "ConfigMap", "ExternalSecret", "Deployment", "Service",
            "NetworkPolicy", "PodDisruptionBudget", "HorizontalPodAutoscaler"} <= set(bank)
    assert kinds(K8S / "migrate").count("Job") == 1


# ---- the image ------------------------------------------------------------------------------


def test_dockerfile_is_multi_stage_on_python_311_slim_and_ends_with_production():
    text = DOCKERFILE.read_text()
    stages = _dockerfile_stages()
    assert len(stages) >= 2
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim\S*$", text, flags=re.MULTILINE)
    names = [name for _, name in stages]
    for base, _ in stages:
        assert base in {"${PYTHON_IMAGE}", *names}, base
    assert names[-1] == "runtime"  # `docker build` without --target builds production
    runtime_body = text.rsplit("AS runtime", 1)[1]
    assert "softhsm" not in runtime_body.lower() and "apt-get" not in runtime_body


def test_dockerfile_runs_as_a_non_root_user_with_a_healthcheck_and_labels():
    text = DOCKERFILE.read_text()
    users = re.findall(r"^USER\s+(\S+)", text, flags=re.MULTILINE)
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    assert users[-1].split(":")[0].isdigit()  # numeric, so runAsNonRoot can verify it
    assert re.search(r"^HEALTHCHECK .*CMD", text, flags=re.MULTILINE | re.DOTALL)
    assert "/health/live" in text
    for label in ("title", "version", "revision", "created", "source"):
        assert f"org.opencontainers.image.{label}=" in text


def test_dockerfile_installs_only_the_pinned_runtime_dependencies():
    text = DOCKERFILE.read_text()
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert "['project']['dependencies']" in code
    assert "[dev]" not in code and "optional-dependencies" not in code
    assert "--only-binary=:all:" in text


def test_dockerfile_bakes_in_no_secret():
    text = DOCKERFILE.read_text()
    secretish = re.compile(r"SECRET|PASSWORD|PIN\b|_KEY\b|TOKEN|_URL\b")
    for line in re.findall(r"^(?:ARG|ENV)\s+(.*)$", text, flags=re.MULTILINE):
        assert not secretish.search(line), line
    assert "--secret" not in text  # no build secret is needed either
    for name in _secret_keys()["bank-secrets"]:
        assert not re.search(rf"^\s*{name}=", text, flags=re.MULTILINE)


def test_dockerfile_copies_files_that_exist():
    for sources in re.findall(r"^COPY\s+(?!--from)(?:--\S+\s+)*(.+)\s+\S+$", DOCKERFILE.read_text(),
                              flags=re.MULTILINE):
        if sources.startswith("<<"):
            continue  # a heredoc: the text follows in the Dockerfile
        for source in sources.split():
            assert (ROOT / source).exists(), f"COPY {source}: not in the repository"


def test_static_files_are_collected_without_secrets_on_the_settings_prod_shares():
    text = DOCKERFILE.read_text()
    assert "DJANGO_SETTINGS_MODULE=bank.settings.base python manage.py collectstatic" in text
    # prod.py must not change what collectstatic reads, or the image's files would be wrong.
    tree = ast.parse((SETTINGS / "prod.py").read_text())
    assigned = {target.id for node in ast.walk(tree) if isinstance(node, ast.Assign)
                for target in node.targets if isinstance(target, ast.Name)}
    assert not assigned & {"STATIC_ROOT", "STATIC_URL", "STORAGES", "INSTALLED_APPS",
                           "STATICFILES_DIRS", "STATICFILES_FINDERS"}
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "DJANGO_SETTINGS_MODULE": "bank.settings.base"}
    result = subprocess.run([sys.executable, "manage.py", "collectstatic", "--no-input",
                             "--dry-run", "-v", "0"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_every_secret_can_also_arrive_as_a_file():
    assert set().union(*_secret_keys().values()) <= _entrypoint_file_names()


# ---- Kubernetes: every container ------------------------------------------------------------


def test_every_pod_runs_non_root_without_a_service_account_token():
    for workload in _workloads():
        spec = _pod_spec(workload)
        name = workload["metadata"]["name"]
        assert spec["automountServiceAccountToken"] is False, name
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
    for account in _kind("ServiceAccount").values():
        assert account["automountServiceAccountToken"] is False


def test_every_container_has_resources_and_the_security_context():
    for workload in _workloads():
        spec = _pod_spec(workload)
        for container in spec.get("initContainers", []) + spec["containers"]:
            where = f"{workload['metadata']['name']}/{container['name']}"
            context = container["securityContext"]
            for key, value in SECURITY_CONTEXT.items():
                assert context.get(key) is value, f"{where}: {key}"
            assert context["capabilities"] == {"drop": ["ALL"]}, where
            assert context["seccompProfile"] == {"type": "RuntimeDefault"}, where
            assert context.get("runAsUser", 1) != 0, where
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][kind]), f"{where}: {kind}"


def test_every_long_running_container_has_three_probes():
    for workload in _workloads():
        if workload["kind"] == "Job":
            continue  # runs to completion, bounded by activeDeadlineSeconds
        for container in _pod_spec(workload)["containers"]:
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                assert probe in container, f"{workload['metadata']['name']}/{container['name']}"


def test_web_probes_use_the_health_endpoints_with_an_allowed_host():
    allowed = _config_map_data()["DJANGO_ALLOWED_HOSTS"].split(",")
    for name in ("app-public", "app-mtls"):
        app = next(c for c in _pod_spec(_kind("Deployment")[name])["containers"]
                   if c["image"] == K8S_BANK_IMAGE)
        assert app["livenessProbe"]["httpGet"]["path"] == "/health/live"
        assert app["startupProbe"]["httpGet"]["path"] == "/health/live"
        assert app["readinessProbe"]["httpGet"]["path"] == "/health/ready"
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            headers = {h["name"]: h["value"] for h in app[probe]["httpGet"]["httpHeaders"]}
            # Django answers 400 to any other Host, before the health view runs.
            assert headers["Host"] in allowed, f"{name} {probe}"


# ---- Kubernetes: the workloads --------------------------------------------------------------


def test_app_deployments_roll_without_losing_capacity_and_scale_from_two():
    deployments = _kind("Deployment")
    autoscalers = {hpa["spec"]["scaleTargetRef"]["name"]: hpa
                   for hpa in _kind("HorizontalPodAutoscaler").values()}
    budgets = _kind("PodDisruptionBudget")
    for name in ("app-public", "app-mtls"):
        deployment = deployments[name]
        strategy = deployment["spec"]["strategy"]
        assert strategy["type"] == "RollingUpdate"
        assert strategy["rollingUpdate"]["maxUnavailable"] == 0
        assert deployment["spec"].get("replicas", 2) >= 2
        assert autoscalers[name]["spec"]["minReplicas"] >= 2
        labels = deployment["spec"]["selector"]["matchLabels"]
        assert any(pdb["spec"]["selector"]["matchLabels"] == labels for pdb in budgets.values())
        assert _pod_spec(deployment)["topologySpreadConstraints"]
    assert "celery-worker" in autoscalers


def test_each_app_deployment_serves_its_own_listener():
    for name, listener in (("app-public", "public"), ("app-mtls", "mtls")):
        app = next(c for c in _pod_spec(_kind("Deployment")[name])["containers"]
                   if c["image"] == K8S_BANK_IMAGE)
        env = _container_env(app)
        assert env["BANK_LISTENER"] == listener
        # Only the mTLS listener's processes may believe a forwarded certificate.
        assert ("BANK_TRUSTED_PROXY_CERT_HEADER" in env) is (listener == "mtls")


def test_celery_beat_is_exactly_one_and_never_overlaps():
    deployments = _kind("Deployment")
    beats = [d for d in deployments.values()
             if any(" beat" in _command(c) for c in _pod_spec(d)["containers"])]
    assert [d["metadata"]["name"] for d in beats] == ["celery-beat"]
    beat = beats[0]
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    targets = {hpa["spec"]["scaleTargetRef"]["name"]
               for hpa in _kind("HorizontalPodAutoscaler").values()}
    assert "celery-beat" not in targets
    for deployment in deployments.values():
        for container in _pod_spec(deployment)["containers"]:
            assert " -B" not in _command(container) and "--beat" not in _command(container)


def test_migrations_run_as_a_job_and_never_in_the_app():
    jobs = _kind("Job")
    assert "bank-migrate" in jobs
    job = jobs["bank-migrate"]
    assert "python manage.py migrate --no-input" in _migrate_steps("k8s")
    assert _pod_spec(job)["restartPolicy"] == "Never"
    for deployment in _kind("Deployment").values():
        spec = _pod_spec(deployment)
        for container in spec.get("initContainers", []) + spec["containers"]:
            assert "migrate" not in _command(container) + " ".join(container.get("args", []))
    main = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert not any("migrate" in resource for resource in main["resources"])


def test_network_policy_denies_everything_by_default():
    policies = _kind("NetworkPolicy")
    defaults = [p for p in policies.values() if p["spec"]["podSelector"] == {}
                and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
                and not p["spec"].get("ingress") and not p["spec"].get("egress")]
    assert defaults, "no default-deny NetworkPolicy"
    assert any(rule.get("ports") == [{"protocol": "UDP", "port": 53},
                                     {"protocol": "TCP", "port": 53}]
               for p in policies.values() for rule in p["spec"].get("egress", []))


def test_gunicorn_is_reachable_by_no_pod_and_each_listener_on_its_own_port():
    ingress_ports: dict[str, set[int]] = {}
    for policy in _kind("NetworkPolicy").values():
        selector = policy["spec"]["podSelector"].get("matchLabels", {})
        component = selector.get("app.kubernetes.io/component")
        for rule in policy["spec"].get("ingress", []):
            ports = {port["port"] for port in rule.get("ports", [])}
            assert ports, f"{policy['metadata']['name']}: an ingress rule on every port"
            ingress_ports.setdefault(component, set()).update(ports)
    assert ingress_ports == {"app-public": {8443}, "app-mtls": {8444}}


def test_every_pod_egress_label_has_a_policy():
    used = {key for workload in _workloads()
            for key in workload["spec"]["template"]["metadata"]["labels"]
            if key.startswith("bank.example/egress-")}
    granted = {key for policy in _kind("NetworkPolicy").values()
               for key in policy["spec"]["podSelector"].get("matchLabels", {})}
    assert used and used <= granted


def test_no_secret_manifest_carries_a_value():
    for doc in _k8s_documents():
        if doc["kind"] == "Secret":
            values = {**doc.get("data", {}), **doc.get("stringData", {})}
            assert not any(values.values()), doc["metadata"]["name"]
        if doc["kind"] == "ExternalSecret":
            for item in doc["spec"]["data"]:
                assert set(item) == {"secretKey", "remoteRef"}
    secret_names = set().union(*_secret_keys().values())
    assert not secret_names & set(_config_map_data())


def test_k8s_env_names_are_all_read_by_the_settings():
    allowed = _allowed_env_names()
    for workload, container in _k8s_bank_containers():
        unknown = set(_container_env(container)) - allowed
        assert not unknown, f"{workload}: no setting reads {sorted(unknown)}"


def test_k8s_provides_everything_prod_makes_mandatory():
    mandatory = _mandatory_names()
    for workload, container in _k8s_bank_containers():
        missing = mandatory - set(_container_env(container))
        assert not missing, f"{workload} lacks {sorted(missing)}"


def test_prod_settings_start_with_what_each_k8s_container_gets():
    envs = {}
    for workload, container in _k8s_bank_containers():
        env = _container_env(container)
        envs[workload] = {k: (FAKE_SECRETS.get(k, "x" * 64) if v is None else v)
                          for k, v in env.items()}
    assert set(envs) >= {"app-public", "app-mtls", "celery-worker", "celery-beat",
                         "bank-migrate"}
    _assert_all_start(envs)


# ---- nginx, wherever it runs ----------------------------------------------------------------


def _placeholders_rendered(command: str) -> set[str]:
    return set(re.findall(r"s\|@@([A-Z0-9_]+)@@\|", command))


def test_nginx_template_is_rendered_with_every_placeholder_in_compose_and_k8s():
    wanted = set(re.findall(r"@@([A-Z0-9_]+)@@", BANK_CONF.read_text()))
    assert wanted
    assert _placeholders_rendered(_command(_compose()["services"]["nginx"])) == wanted
    for name in ("app-public", "app-mtls"):
        render = next(c for c in _pod_spec(_kind("Deployment")[name])["initContainers"]
                      if c["name"] == "nginx-render")
        assert _placeholders_rendered(_command(render)) == wanted


def test_k8s_copy_of_the_nginx_template_is_the_same_file():
    copy = K8S / "nginx" / "bank.conf"
    assert copy.read_bytes() == BANK_CONF.read_bytes(), (
        "deploy/nginx/bank.conf changed: cp deploy/nginx/bank.conf deploy/k8s/nginx/bank.conf")


def test_k8s_nginx_connects_from_the_trusted_proxy_address_to_its_own_gunicorn():
    trusted = _config_map_data()["BANK_TRUSTED_PROXIES"].split(",")
    for name, port in (("app-public", 8443), ("app-mtls", 8444)):
        spec = _pod_spec(_kind("Deployment")[name])
        render = next(c for c in spec["initContainers"] if c["name"] == "nginx-render")
        env = {item["name"]: item.get("value") for item in render["env"]}
        assert env["NGINX_PROXY_SOURCE"] in trusted
        app = next(c for c in spec["containers"] if c["image"] == K8S_BANK_IMAGE)
        bind = _command(app).split("--bind ")[1].split()[0]
        assert env["NGINX_UPSTREAM"].rsplit(":", 1)[1] == bind.rsplit(":", 1)[1]
        nginx = next(c for c in spec["containers"] if c["name"] == "nginx")
        assert [p["containerPort"] for p in nginx["ports"]] == [port]
        listen = env["NGINX_PUBLIC_LISTEN" if port == 8443 else "NGINX_MTLS_LISTEN"]
        assert listen == str(port)


# ---- compose --------------------------------------------------------------------------------


def _service_env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    assert isinstance(env, dict), "environment as a mapping, please"
    return {k: str(v) for k, v in env.items()}


def _long_running(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in services.items() if s.get("restart") != "no"}


def test_compose_migrate_runs_once_before_every_bank_process():
    services = _compose()["services"]
    migrate = services["migrate"]
    assert "python manage.py migrate --no-input" in _migrate_steps("compose")
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name, service in _long_running(_compose_bank_services()).items():
        assert service["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"}, name
        assert "migrate" not in _command(service), name


def test_compose_runs_exactly_one_beat():
    services = _compose()["services"]
    beats = [name for name, s in services.items() if " beat" in _command(s)]
    assert beats == ["celery-beat"]
    assert services["celery-beat"].get("deploy", {}).get("replicas", 1) == 1
    for service in services.values():
        assert " -B" not in _command(service) and "--beat" not in _command(service)


def test_compose_runs_two_gunicorns_per_listener_behind_nginx():
    services = _compose()["services"]
    listeners: dict[str, list[str]] = {}
    for name, service in _compose_bank_services().items():
        if "gunicorn" in _command(service):
            listeners.setdefault(_service_env(service)["BANK_LISTENER"], []).append(name)
            assert "ports" not in service, name
    assert sorted(listeners) == ["mtls", "public"]
    assert all(len(names) == 2 for names in listeners.values())
    nginx = _service_env(services["nginx"])
    for listener, names in listeners.items():
        upstreams = {nginx[f"NGINX_{listener.upper()}_UPSTREAM_{i}"].split(":")[0]
                     for i in (1, 2)}
        assert upstreams == set(names)


def test_compose_trusts_forwarded_headers_from_nginx_only():
    services = _compose()["services"]
    source = _service_env(services["nginx"])["NGINX_PROXY_SOURCE"]
    assert services["nginx"]["networks"]["app"]["ipv4_address"] == source
    assert _compose()["networks"]["app"]["internal"] is True
    for name, service in _compose_bank_services().items():
        env = _service_env(service)
        # Set in every service, so that deploy/.env (env_file) cannot change who is trusted.
        proxies = {key: env[key] for key in ("BANK_TRUSTED_PROXIES", "BANK_TRUSTED_PROXY_IP_HEADER",
                                             "BANK_TRUSTED_PROXY_CERT_HEADER") if key in env}
        if name == "hsm-init":
            continue
        assert len(proxies) == 3, name
        if "gunicorn" in _command(service):
            assert proxies["BANK_TRUSTED_PROXIES"] == source, name
            assert proxies["BANK_TRUSTED_PROXY_IP_HEADER"] == "HTTP_X_REAL_IP", name
            cert = proxies["BANK_TRUSTED_PROXY_CERT_HEADER"]
            assert bool(cert) is (env["BANK_LISTENER"] == "mtls"), name
        else:
            assert not any(proxies.values()), name


def test_compose_data_services_are_internal_and_not_published():
    compose = _compose()
    for name in ("postgres", "redis", "rabbitmq"):
        service = compose["services"][name]
        assert "ports" not in service, name
        assert service["networks"] == ["data"], name
    assert compose["networks"]["data"]["internal"] is True


def test_compose_services_are_hardened_and_watched():
    image_has_healthcheck = "HEALTHCHECK" in DOCKERFILE.read_text()
    bank = _compose_bank_services()
    for name, service in _compose()["services"].items():
        assert service.get("read_only") is True, name
        assert service.get("cap_drop") == ["ALL"], name
        assert "no-new-privileges:true" in service.get("security_opt", []), name
        assert service.get("restart") in {"unless-stopped", "always", "no"}, name
        if service["restart"] != "no":
            has_check = "test" in service.get("healthcheck", {})
            assert has_check or (name in bank and image_has_healthcheck), name
            assert not service.get("healthcheck", {}).get("disable"), name


def test_compose_never_writes_a_secret_into_the_file():
    secrets = set(FAKE_SECRETS)
    for name, service in _compose()["services"].items():
        env = _service_env(service)
        assert not secrets & set(env), f"{name}: a secret in `environment`"
    for name, service in _compose_bank_services().items():
        if name != "hsm-init":
            assert service["env_file"] == [".env"], name
            assert "bank_pkcs11_pin" in service["secrets"], name


def test_compose_env_names_are_all_read_by_the_settings():
    allowed = _allowed_env_names()
    assert _dot_env_example_names() <= allowed, "deploy/.env.example names an unread variable"
    for name, service in _compose_bank_services().items():
        unknown = set(_service_env(service)) - allowed
        assert not unknown, f"{name}: no setting reads {sorted(unknown)}"


def test_compose_provides_everything_prod_makes_mandatory():
    for name, service in _long_running(_compose_bank_services()).items():
        env = set(_service_env(service))
        provided = env | _dot_env_example_names() | {n[:-5] for n in env if n.endswith("_FILE")}
        missing = _mandatory_names() - provided
        assert not missing, f"{name} lacks {sorted(missing)}"


def test_prod_settings_start_with_what_each_compose_service_gets():
    envs = {}
    for name, service in _compose_bank_services().items():
        if name == "hsm-init":
            continue
        env = {k: FAKE_DOT_ENV.get(k, "") for k in _dot_env_example_names()}
        for key, value in _service_env(service).items():
            if key.endswith("_FILE"):  # what bank-entrypoint does with a Docker secret
                env[key[:-5]] = FAKE_SECRETS[key[:-5]]
            else:
                env[key] = value
        envs[name] = env
    _assert_all_start(envs)


def test_compose_file_matches_the_compose_specification():
    """The Compose Specification's own JSON schema (vendored from compose-spec, Apache-2.0,
    tests/deploy/schemas/): no Docker needed, so it runs everywhere."""
    schema = json.loads((Path(__file__).parent / "schemas" / "compose-spec.json").read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in validator.iter_errors(_compose())]
    assert errors == []
    broken = copy.deepcopy(_compose())  # the cached dict is shared by every test
    broken["services"]["migrate"]["restart"] = 12
    assert list(validator.iter_errors(broken)), "the schema check must be able to fail"


# ---- the database roles: migrate as the owner, serve as bank_app ----------------------------


def _migrate_steps(where: str) -> list[str]:
    """The migration step's commands, in order: a `sh -ec` script, so the first to fail stops
    the rest (and the step fails)."""
    if where == "compose":
        command = _compose()["services"]["migrate"]["command"]
    else:
        command = _pod_spec(_kind("Job")["bank-migrate"])["containers"][0]["command"]
    assert command[:2] == ["sh", "-ec"] and len(command) == 3, command
    return [line.strip() for line in command[2].splitlines() if line.strip()]


def _compose_secret_names(service: dict[str, Any]) -> set[str]:
    return {item if isinstance(item, str) else item["source"]
            for item in service.get("secrets", [])}


def _pod_secret_refs(workload: dict[str, Any]) -> set[str]:
    """Every Secret a pod reads: envFrom, env valueFrom and volumes, in any container."""
    spec = _pod_spec(workload)
    refs = set()
    for container in spec.get("initContainers", []) + spec["containers"]:
        refs |= {source["secretRef"]["name"] for source in container.get("envFrom", [])
                 if "secretRef" in source}
        refs |= {item["valueFrom"]["secretKeyRef"]["name"] for item in container.get("env", [])
                 if "secretKeyRef" in item.get("valueFrom", {})}
    for volume in spec.get("volumes", []):
        if "secret" in volume:
            refs.add(volume["secret"]["secretName"])
        for source in volume.get("projected", {}).get("sources", []):
            if "secret" in source:
                refs.add(source["secret"]["name"])
    return refs


def _kustomize_files(directory: Path) -> set[Path]:
    """The manifest files a kustomization renders, following directories it includes."""
    spec = yaml.safe_load((directory / "kustomization.yaml").read_text())
    files: set[Path] = set()
    for resource in spec.get("resources", []):
        path = (directory / resource).resolve()
        files |= _kustomize_files(path) if path.is_dir() else {path}
    return files


def _declared_in(kind: str, name: str) -> set[Path]:
    return {path.resolve() for path in K8S.rglob("*.yaml") if path.name != "kustomization.yaml"
            and any(doc and doc["kind"] == kind and doc["metadata"]["name"] == name
                    for doc in yaml.safe_load_all(path.read_text()))}


def _egress_ports(workload: dict[str, Any]) -> set[int]:
    """The ports a pod may reach by the NetworkPolicies that select it (by label)."""
    labels = workload["spec"]["template"]["metadata"]["labels"]
    ports = set()
    for policy in _kind("NetworkPolicy").values():
        selector = policy["spec"]["podSelector"].get("matchLabels", {})
        if selector and selector.items() <= labels.items():
            for rule in policy["spec"].get("egress", []):
                ports |= {port["port"] for port in rule.get("ports", [])}
    return ports


@pytest.mark.parametrize("where", ["compose", "k8s"])
def test_the_migration_step_grants_then_migrates_then_narrows_the_audit_tables(where):
    grant, migrate, narrow = _migrate_steps(where)
    args = shlex.split(grant)
    # Django's dbshell: psql gets the owner's password from Django in PGPASSWORD, not argv.
    assert args[:4] == ["python", "manage.py", "dbshell", "--"]
    assert "--single-transaction" in args
    assert args[args.index("--file") + 1] == str(APP_ROLE_SQL.relative_to(ROOT))
    sets = [args[i + 1] for i, arg in enumerate(args) if arg == "--set"]
    assert sets == ["ON_ERROR_STOP=1", f"app_role={APP_ROLE}"]
    assert migrate == "python manage.py migrate --no-input"
    # After migrate, so that the tables this release creates are narrowed too.
    assert narrow == f"python manage.py audit grant-app-role {APP_ROLE}"


def test_compose_and_k8s_migrate_with_the_same_steps():
    assert _migrate_steps("compose") == _migrate_steps("k8s")


def test_the_app_role_sql_is_in_the_image_and_grants_by_default_privileges():
    text = DOCKERFILE.read_text()
    relative = str(APP_ROLE_SQL.relative_to(ROOT))
    assert re.search(rf"^COPY {re.escape(relative)} \./{re.escape(relative)}$", text,
                     flags=re.MULTILINE)
    # psql (for dbshell) in the stage every runtime target is built on.
    base_stage = text.split("AS runtime-base", 1)[1].split("\nFROM ", 1)[0]
    assert re.search(r"apt-get install .*\bpostgresql-client\b", base_stage)
    sql = "\n".join(line for line in APP_ROLE_SQL.read_text().splitlines()
                    if not line.lstrip().startswith("--"))
    assert "SET LOCAL bank.app_role = :'app_role';" in sql
    assert "ALTER DEFAULT PRIVILEGES IN SCHEMA public " in sql
    # ON ALL TABLES only on the role's first grant: never again over the narrowed audit tables.
    body = sql.split("IF first_grant THEN", 1)
    assert len(body) == 2 and "ON ALL TABLES" not in body[0] and "END IF;" in body[1]


def test_compose_serving_services_connect_as_the_app_role_and_only_migrate_as_the_owner():
    services = _compose()["services"]
    serving = _long_running(_compose_bank_services())
    assert {"app-public-1", "app-mtls-1", "celery-worker", "celery-beat"} <= set(serving)
    for name, service in serving.items():
        env = _service_env(service)
        assert env["DATABASE_URL_FILE"] == f"/run/secrets/{COMPOSE_APP_URL}", name
        assert "DATABASE_URL" not in env, name
    migrate = services["migrate"]
    assert _service_env(migrate)["DATABASE_URL_FILE"] == f"/run/secrets/{COMPOSE_OWNER_URL}"
    holders = {secret: sorted(name for name, service in services.items()
                              if secret in _compose_secret_names(service))
               for secret in (COMPOSE_APP_URL, COMPOSE_OWNER_URL, "postgres_password",
                              "postgres_app_password")}
    assert holders == {
        COMPOSE_APP_URL: sorted(serving),
        COMPOSE_OWNER_URL: ["migrate"],
        # The owner's password: the database itself, and the one-shot that makes the role.
        "postgres_password": ["postgres", "postgres-app-role"],
        "postgres_app_password": ["postgres-app-role"],
    }
    declared = _compose()["secrets"]
    for secret in holders:
        assert declared[secret] == {"file": f"${{BANK_SECRETS_DIR:-../var/secrets}}/{secret}"}


def test_compose_every_secret_file_variable_names_a_secret_the_service_mounts():
    for name, service in _compose()["services"].items():
        for key, value in _service_env(service).items():
            if key.endswith("_FILE") and value.startswith("/run/secrets/"):
                assert value.removeprefix("/run/secrets/") in _compose_secret_names(service), (
                    f"{name}: {key}")


def test_compose_creates_the_app_role_before_migrating():
    services = _compose()["services"]
    assert services["migrate"]["depends_on"]["postgres-app-role"] == {
        "condition": "service_completed_successfully"}
    maker = services["postgres-app-role"]
    assert maker["restart"] == "no"
    assert maker["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    owner = _service_env(services["postgres"])
    env = _service_env(maker)
    assert (env["PGUSER"], env["PGDATABASE"]) == (owner["POSTGRES_USER"], owner["POSTGRES_DB"])
    assert not {"PGPASSWORD", "PGPASSFILE"} & set(env)  # from the secret file, in the script
    script = maker["command"][0]
    assert 'PGPASSWORD="$$(cat /run/secrets/postgres_password)"' in script
    assert "\\set app_password `cat /run/secrets/postgres_app_password`" in script
    assert f"CREATE ROLE {APP_ROLE};" in script
    assert re.search(rf"ALTER ROLE {APP_ROLE} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                     r"NOREPLICATION\s+NOBYPASSRLS PASSWORD :'app_password';", script)
    # One transaction, and the statements that carry the password kept out of the server log.
    statements = [line.strip() for line in script.splitlines()]
    begin = statements.index("BEGIN;")
    assert statements[begin + 2:begin + 4] == ["SET LOCAL log_statement = 'none';",
                                               "SET LOCAL log_min_error_statement = 'panic';"]
    assert statements.index("COMMIT;") > max(i for i, s in enumerate(statements)
                                              if "app_password" in s)


def test_k8s_database_urls_are_two_secrets_and_the_owners_is_the_migration_steps_only():
    secrets = _secret_keys()
    assert secrets[K8S_APP_URL] == {"DATABASE_URL"}
    assert secrets[K8S_OWNER_URL] == {"DATABASE_URL"}
    # Not also in bank-secrets: envFrom's order would decide which URL a pod gets.
    assert "DATABASE_URL" not in secrets["bank-secrets"]
    owner_files = _declared_in("ExternalSecret", K8S_OWNER_URL)
    assert owner_files and owner_files <= _kustomize_files(K8S / "migrate")
    assert not owner_files & _kustomize_files(K8S)
    assert _declared_in("ExternalSecret", K8S_APP_URL) <= _kustomize_files(K8S)


def test_k8s_serving_pods_connect_as_the_app_role_and_only_the_job_as_the_owner():
    workloads = {w["metadata"]["name"]: w for w in _workloads()}
    assert {"app-public", "app-mtls", "celery-worker", "celery-beat", "bank-migrate"} <= set(
        workloads)
    for name, workload in workloads.items():
        refs = _pod_secret_refs(workload)
        if workload["kind"] == "Job":
            assert K8S_OWNER_URL in refs and K8S_APP_URL not in refs, name
        else:
            assert K8S_APP_URL in refs and K8S_OWNER_URL not in refs, name
        # And the database is reachable from every one of them.
        assert 5432 in _egress_ports(workload), name


def test_k8s_migrate_job_runs_under_its_own_service_account():
    accounts = _kind("ServiceAccount")
    assert set(accounts) == {"bank", "bank-migrate"}
    for workload in _workloads():
        expected = "bank-migrate" if workload["kind"] == "Job" else "bank"
        assert _pod_spec(workload)["serviceAccountName"] == expected, workload["metadata"]["name"]
