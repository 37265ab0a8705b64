"""The Helm chart, rendered without a helm binary (PyPI helm-python-sdk) with default and full
values, each object validated against the Kubernetes schemas (kubernetes-validate), linted, and
scanned by checkov with every finding fixed or justified in the chart."""
import json
import pathlib
import subprocess
import tempfile

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "clickhouse-backup-plugin"
KUBERNETES = "1.29.0"
FULL = {
    "image": {"digest": "sha256:" + "a" * 64},
    "clickhouse": {"user": "backup", "passwordSecret": {"name": "clickhouse-credentials", "key": "password"}},
    "s3CredentialSecrets": ["s3-credentials", "s3-archive"],
    "serviceAccount": {"annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/backup"}},
    "extraArgs": ["--parallel-shards", "4"],
    "networkPolicy": {"enabled": True},
    "imagePullSecrets": [{"name": "registry"}],
    "nodeSelector": {"kubernetes.io/os": "linux"},
}


def render(values, mode="deployment"):
    import helm_python as helm
    with helm.Chart.load(str(CHART)) as chart:
        chart.validate_schema(dict(values, mode=mode))
        files = chart.render(dict(values, mode=mode), name="backup", namespace="ch")
    objects = [doc for name, text in files.items() if name.endswith(".yaml") for doc in yaml.safe_load_all(text) if doc]
    return objects, files


def by_kind(objects, kind):
    return [o for o in objects if o["kind"] == kind]


@pytest.mark.parametrize("values", [{}, FULL], ids=["default", "full"])
def test_every_object_is_valid_kubernetes(values):
    import kubernetes_validate
    objects, _ = render(values)
    assert {o["kind"] for o in objects} >= {"Deployment", "Service", "ServiceAccount"}
    for obj in objects:
        kubernetes_validate.validate(obj, KUBERNETES, strict=True)


def test_the_operator_finds_the_service_and_the_probes_speak_grpc_health():
    objects, files = render(FULL)
    service = by_kind(objects, "Service")[0]
    assert service["metadata"]["labels"]["altinity.com/pluginName"] == "clickhouse.backup.altinity.com"
    assert service["metadata"]["annotations"]["altinity.com/pluginPort"] == "50051"
    deployment = by_kind(objects, "Deployment")[0]
    assert deployment["spec"]["replicas"] == 1 and deployment["spec"]["strategy"] == {"type": "Recreate"}
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe]["grpc"] == {"port": 50051}
    assert container["image"] == "ghcr.io/altinity/clickhouse-backup-plugin@sha256:" + "a" * 64
    assert container["args"][-2:] == ["--parallel-shards", "4"]
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert {"/var/run/secrets/clickhouse-backup-plugin/s3-credentials", "/var/run/secrets/clickhouse-backup-plugin/s3-archive",
            "/etc/clickhouse-backup-plugin/clickhouse"} <= mounts
    assert "--clickhouse-password-file" in container["args"]
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] and security["runAsNonRoot"] and not security["allowPrivilegeEscalation"]
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert by_kind(objects, "NetworkPolicy")[0]["spec"]["ingress"][0]["ports"] == [{"port": 50051, "protocol": "TCP"}]
    assert "grpcurl -plaintext localhost:50051 list" in files["clickhouse-backup-plugin/templates/NOTES.txt"]


def test_the_sidecar_form_patches_the_operator_deployment_with_the_same_container():
    import kubernetes_validate
    objects, _ = render(FULL, mode="sidecar")
    assert not by_kind(objects, "Deployment") and not by_kind(objects, "Service")
    patch = yaml.safe_load(by_kind(objects, "ConfigMap")[0]["data"]["patch.yaml"])
    alone, _ = render(FULL)
    own = by_kind(alone, "Deployment")[0]["spec"]["template"]["spec"]
    assert patch["spec"]["template"]["spec"]["containers"] == own["containers"]
    assert patch["spec"]["template"]["spec"]["volumes"] == own["volumes"]
    # Applied to an operator Deployment, the result is a valid Deployment.
    operator = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "clickhouse-operator", "namespace": "ch"},
                "spec": {"selector": {"matchLabels": {"app": "clickhouse-operator"}},
                         "template": {"metadata": {"labels": {"app": "clickhouse-operator"}},
                                      "spec": {"containers": [{"name": "clickhouse-operator", "image": "altinity/clickhouse-operator:0.25.0"}]}}}}
    operator["spec"]["template"]["spec"]["containers"] += patch["spec"]["template"]["spec"]["containers"]
    operator["spec"]["template"]["spec"]["volumes"] = patch["spec"]["template"]["spec"]["volumes"]
    kubernetes_validate.validate(operator, KUBERNETES, strict=True)


def test_the_values_schema_refuses_bad_values():
    import helm_python as helm
    with helm.Chart.load(str(CHART)) as chart:
        for bad in ({"mode": "daemonset"}, {"port": 0}, {"s3CredentialSecrets": ["Bad_Name"]}, {"replicas": 3},
                    {"image": {"repository": "x", "digest": "latest"}}):
            with pytest.raises(Exception):
                chart.validate_schema(bad)


def test_lint_is_clean():
    import helm_python as helm
    assert helm.lint(str(CHART))["errors"] == []


def test_checkov_finds_nothing_in_the_chart_or_the_dockerfile():
    findings = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, values, mode in (("default", {}, "deployment"), ("full", FULL, "deployment"), ("sidecar", FULL, "sidecar")):
            objects, _ = render(values, mode)
            (pathlib.Path(tmp) / f"{label}.yaml").write_text(yaml.safe_dump_all(objects))
        for framework, path in (("kubernetes", tmp), ("dockerfile", str(ROOT / "Dockerfile"))):
            flag = "-d" if pathlib.Path(path).is_dir() else "-f"
            result = subprocess.run(["checkov", flag, path, "--framework", framework, "-o", "json", "--quiet", "--compact",
                                     "--config-file", str(ROOT / "helm" / "checkov.yaml")],
                                    capture_output=True, text=True, timeout=600)
            reports = json.loads(result.stdout or "[]")
            for report in reports if isinstance(reports, list) else [reports]:
                for failed in report.get("results", {}).get("failed_checks", []):
                    findings.append(f"{framework}: {failed['check_id']} {failed['check_name']} ({failed.get('resource')})")
    assert not findings, "\n".join(findings)
