"""The Kubernetes manifests (deploy/k8s): `kubectl kustomize` builds the base and every overlay, kubernetes-validate
accepts every resource, and the shape is what docs/deploy.md promises."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
KUSTOMIZATIONS = ["deploy/k8s/base", "deploy/k8s/overlays/production"]
KUBERNETES_VERSION = "1.30.0"
IN_CI = os.environ.get("CI", "").lower() == "true"

type Resources = dict[tuple[str, str], dict[str, Any]]


def build(path: str) -> Resources:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        message = "kubectl is missing: bash scripts/setup.sh installs Debian's kubectl when run as root"
        pytest.fail(message) if IN_CI else pytest.skip(message)
    done = subprocess.run([kubectl, "kustomize", str(ROOT / path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return {(doc["kind"], doc["metadata"]["name"]): doc for doc in yaml.safe_load_all(done.stdout) if doc}


@pytest.fixture(scope="module", params=KUSTOMIZATIONS)
def resources(request: pytest.FixtureRequest) -> Resources:
    return build(request.param)


def containers(resource: dict[str, Any]) -> list[dict[str, Any]]:
    spec = resource["spec"]["template"]["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def test_every_resource_is_valid_kubernetes(resources: Resources) -> None:
    for resource in resources.values():
        kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)


def test_web_is_probed_on_healthz_and_scaled_by_an_autoscaler(resources: Resources) -> None:
    web = resources[("Deployment", "kap-clinic-web")]
    (container,) = web["spec"]["template"]["spec"]["containers"]
    for probe in ("readinessProbe", "livenessProbe"):
        get = container[probe]["httpGet"]
        assert get["path"] == "/healthz/"
        assert {"name": "Host", "value": "localhost"} in get["httpHeaders"]  # an allowed host, not the pod's IP
    hpa = resources[("HorizontalPodAutoscaler", "kap-clinic-web")]
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "kap-clinic-web"}
    assert hpa["spec"]["minReplicas"] >= 2
    assert container["resources"]["requests"]["cpu"]  # the autoscaler's utilisation needs a request


def test_a_worker_deployment_consumes_each_queue(resources: Resources) -> None:
    consumed = set()
    for (kind, name), resource in resources.items():
        if kind == "Deployment" and name.startswith("kap-clinic-worker-"):
            command = containers(resource)[0]["command"]
            consumed.add(command[command.index("-Q") + 1])
    declared = {queue.name for queue in settings.CELERY_TASK_QUEUES}
    assert declared | {"reports"} <= consumed


def test_beat_is_a_single_replica_and_migrations_run_in_a_job(resources: Resources) -> None:
    beat = resources[("Deployment", "kap-clinic-beat")]
    assert beat["spec"]["replicas"] == 1
    assert containers(beat)[0]["command"][:4] == ["celery", "-A", "clinic", "beat"]
    job = resources[("Job", "kap-clinic-migrate")]
    (migrate,) = containers(job)
    assert migrate["command"] == ["python", "manage.py", "migrate", "--noinput"]
    owner = {
        "name": "DATABASE_URL",
        "valueFrom": {"secretKeyRef": {"name": "kap-clinic-migrate", "key": "DATABASE_URL"}},
    }
    assert owner in migrate["env"]
    wait = resources[("Deployment", "kap-clinic-web")]["spec"]["template"]["spec"]["initContainers"][0]
    assert "migrate --check" in " ".join(wait["command"])


def test_secrets_come_from_outside_and_nothing_runs_as_root(resources: Resources) -> None:
    assert not [name for kind, name in resources if kind == "Secret"]  # never committed: created by the operator
    for (kind, name), resource in resources.items():
        if kind not in {"Deployment", "Job"}:
            continue
        assert resource["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True, name
        for container in containers(resource):
            assert {"secretRef": {"name": "kap-clinic"}} in container["envFrom"], name
            assert container["securityContext"]["readOnlyRootFilesystem"] is True, name


def test_production_runs_a_released_image_in_its_namespace_with_object_storage() -> None:
    resources = build("deploy/k8s/overlays/production")
    images = {c["image"] for r in resources.values() if r["kind"] in {"Deployment", "Job"} for c in containers(r)}
    assert len(images) == 1
    assert not images.pop().endswith(":latest")
    assert {r["metadata"].get("namespace") for k, r in resources.items() if k[0] != "Namespace"} == {"kap-clinic"}
    (config,) = [r for (kind, _), r in resources.items() if kind == "ConfigMap"]
    assert config["data"]["STORAGE_URL"].startswith("s3://")
    assert config["data"]["DEBUG"] == "0"
