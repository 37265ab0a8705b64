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
    "s3CredentialSecrets": ["s3-credentials", "s3-archive", {"namespace": "analytics", "name": "s3", "secretName": "analytics-s3"}],
    "policies": {"content": {"policies": [{"name": "nightly", "match": {"namespaces": ["prod"]},
                                           "parameters": {"type": "full", "keep_full_chains": 4}}]}},
    "serviceAccount": {"annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/backup"}},
    "extraArgs": ["--parallel-shards", "4"],
    "networkPolicy": {"enabled": True},
    "imagePullSecrets": [{"name": "registry"}],
    "nodeSelector": {"kubernetes.io/os": "linux"},
    "tls": {"enabled": True, "secretName": "plugin-tls", "clientCA": {"secretName": "operator-ca", "key": "ca.crt"}},
    "auth": {"tokenSecret": {"name": "plugin-token", "key": "token"}},
    "metrics": {"serviceMonitor": {"enabled": True, "labels": {"release": "kube-prometheus-stack"}}},
    "notifications": {"when": "failure", "webhookSecret": {"name": "hooks", "key": "webhook"},
                      "slackSecret": {"name": "hooks", "key": "slack"}},
}
# Kinds from CRDs (the prometheus-operator's) that kubernetes-validate has no schema for.
CRD_KINDS = {"ServiceMonitor"}


def render(values, mode="deployment"):
    """The chart rendered with `values` in `mode` (None: the chart's own default)."""
    import helm_python as helm
    values = dict(values) if mode is None else dict(values, mode=mode)
    with helm.Chart.load(str(CHART)) as chart:
        chart.validate_schema(values)
        files = chart.render(values, name="backup", namespace="ch")
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
        if obj["kind"] not in CRD_KINDS:
            kubernetes_validate.validate(obj, KUBERNETES, strict=True)


def test_the_service_monitor_scrapes_the_services_metrics_port():
    objects, _ = render(FULL)
    monitor, = by_kind(objects, "ServiceMonitor")
    service, = by_kind(objects, "Service")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": ["ch"]}
    assert monitor["spec"]["endpoints"] == [{"port": "metrics", "path": "/metrics", "interval": "30s"}]
    assert {"name": "metrics", "port": 9464, "targetPort": "metrics", "protocol": "TCP", "appProtocol": "http"} in service["spec"]["ports"]
    assert not by_kind(render({})[0], "ServiceMonitor")  # off by default: it needs the CRDs


def test_tls_auth_and_notification_secrets_become_flags_and_mounts():
    objects, files = render(FULL)
    pod = by_kind(objects, "Deployment")[0]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    args = container["args"]
    def flag(name):
        return args[args.index(name) + 1]
    assert flag("--tls-cert") == "/etc/clickhouse-backup-plugin/tls/tls.crt"
    assert flag("--tls-key") == "/etc/clickhouse-backup-plugin/tls/tls.key"
    assert flag("--tls-client-ca") == "/etc/clickhouse-backup-plugin/client-ca/ca.crt"
    assert flag("--health-listen") == "0.0.0.0:50052" and flag("--metrics-listen") == "0.0.0.0:9464"
    assert flag("--auth-token-file") == "/etc/clickhouse-backup-plugin/auth/token"
    assert flag("--notify-webhook-file") == "/etc/clickhouse-backup-plugin/notify/webhook/url"
    assert flag("--notify-slack-webhook-file") == "/etc/clickhouse-backup-plugin/notify/slack/url"
    assert flag("--notify-on") == "failure" and flag("--log-format") == "json"
    # Kubernetes gRPC probes cannot speak TLS: with TLS they use the plaintext health port.
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe]["grpc"] == {"port": 50052}
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    for name, path in (("tls", "/etc/clickhouse-backup-plugin/tls"), ("client-ca", "/etc/clickhouse-backup-plugin/client-ca"),
                       ("auth-token", "/etc/clickhouse-backup-plugin/auth"),
                       ("notify-webhook", "/etc/clickhouse-backup-plugin/notify/webhook"),
                       ("notify-slack", "/etc/clickhouse-backup-plugin/notify/slack")):
        assert mounts[name]["mountPath"] == path and mounts[name]["readOnly"] and "subPath" not in mounts[name]
    assert volumes["tls"]["secret"] == {"secretName": "plugin-tls", "items": [{"key": "tls.crt", "path": "tls.crt"},
                                                                              {"key": "tls.key", "path": "tls.key"}]}
    assert volumes["notify-slack"]["secret"] == {"secretName": "hooks", "items": [{"key": "slack", "path": "url"}]}
    notes = files["clickhouse-backup-plugin/templates/NOTES.txt"]
    assert "grpcurl -cacert ca.crt -cert client.crt -key client.key -H \"authorization: Bearer $TOKEN\" localhost:50051 list" in notes
    # the defaults: plaintext, probes on the gRPC port, no secrets mounted beyond tmp
    plain = by_kind(render({})[0], "Deployment")[0]["spec"]["template"]["spec"]["containers"][0]
    assert plain["readinessProbe"]["grpc"] == {"port": 50051} and "--tls-cert" not in plain["args"]
    assert [m["name"] for m in plain["volumeMounts"]] == ["tmp"]


def test_policies_and_per_namespace_secrets_are_mounted():
    """Issue 11: the policy file from the chart's values (a ConfigMap mounted whole, so edits
    reach the plugin) and a copied Secret of a CHB's namespace at DIR/<namespace>/<name>."""
    objects, _ = render(FULL)
    pod = by_kind(objects, "Deployment")[0]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    args = container["args"]
    assert args[args.index("--policy-file") + 1] == "/etc/clickhouse-backup-plugin/policies/policies.yaml"
    config, = [o for o in by_kind(objects, "ConfigMap") if o["metadata"]["name"].endswith("-policies")]
    assert yaml.safe_load(config["data"]["policies.yaml"]) == FULL["policies"]["content"]
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert mounts["policies"]["mountPath"] == "/etc/clickhouse-backup-plugin/policies" and "subPath" not in mounts["policies"]
    assert volumes["policies"]["configMap"]["name"] == config["metadata"]["name"]
    assert mounts["s3-analytics-s3"]["mountPath"] == "/var/run/secrets/clickhouse-backup-plugin/analytics/s3"
    assert volumes["s3-analytics-s3"]["secret"] == {"secretName": "analytics-s3"}
    assert mounts["s3-s3-archive"]["mountPath"] == "/var/run/secrets/clickhouse-backup-plugin/s3-archive"
    # An existing ConfigMap instead of content; nothing without either.
    existing, _ = render({"policies": {"existingConfigMap": "team-policies"}})
    pod = by_kind(existing, "Deployment")[0]["spec"]["template"]["spec"]
    assert {v["name"]: v for v in pod["volumes"]}["policies"]["configMap"]["name"] == "team-policies"
    assert not [o for o in by_kind(existing, "ConfigMap") if o["metadata"]["name"].endswith("-policies")]
    assert "--policy-file" not in by_kind(render({})[0], "Deployment")[0]["spec"]["template"]["spec"]["containers"][0]["args"]


def test_the_operator_finds_the_service_and_the_probes_speak_grpc_health():
    objects, files = render(FULL)
    service = by_kind(objects, "Service")[0]
    assert service["metadata"]["labels"]["altinity.com/pluginName"] == "clickhouse.backup.altinity.com"
    assert service["metadata"]["annotations"]["altinity.com/pluginPort"] == "50051"
    deployment = by_kind(objects, "Deployment")[0]
    assert deployment["spec"]["replicas"] == 1 and deployment["spec"]["strategy"] == {"type": "Recreate"}
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "ghcr.io/altinity/clickhouse-backup-plugin@sha256:" + "a" * 64
    assert container["args"][-2:] == ["--parallel-shards", "4"]
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert {"/var/run/secrets/clickhouse-backup-plugin/s3-credentials", "/var/run/secrets/clickhouse-backup-plugin/s3-archive",
            "/etc/clickhouse-backup-plugin/clickhouse"} <= mounts
    assert "--clickhouse-password-file" in container["args"]
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] and security["runAsNonRoot"] and not security["allowPrivilegeEscalation"]
    assert security["capabilities"] == {"drop": ["ALL"]}
    ingress = by_kind(objects, "NetworkPolicy")[0]["spec"]["ingress"]
    assert [rule["ports"] for rule in ingress] == [[{"port": 50051, "protocol": "TCP"}], [{"port": 9464, "protocol": "TCP"}]]
    assert "grpcurl -plaintext localhost:50051 list" in render({})[1]["clickhouse-backup-plugin/templates/NOTES.txt"]


def operator_with(patch):
    """The clickhouse-operator's Deployment with the sidecar patch applied."""
    operator = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "clickhouse-operator", "namespace": "ch"},
                "spec": {"selector": {"matchLabels": {"app": "clickhouse-operator"}},
                         "template": {"metadata": {"labels": {"app": "clickhouse-operator"}},
                                      "spec": {"containers": [{"name": "clickhouse-operator", "image": "altinity/clickhouse-operator:0.25.0"}]}}}}
    operator["spec"]["template"]["spec"]["containers"] += patch["spec"]["template"]["spec"]["containers"]
    operator["spec"]["template"]["spec"]["volumes"] = patch["spec"]["template"]["spec"]["volumes"]
    return operator


def test_the_default_render_is_the_sidecar_form_todays_operator_reaches():
    """Issue 11 item 4: today's operator dials localhost:50051 in plaintext; a Deployment of
    its own (the old default) can never be reached by it."""
    import kubernetes_validate
    objects, files = render({}, mode=None)
    assert not by_kind(objects, "Deployment") and not by_kind(objects, "Service")
    patch = yaml.safe_load([o for o in by_kind(objects, "ConfigMap") if o["metadata"]["name"].endswith("-sidecar")][0]["data"]["patch.yaml"])
    container = patch["spec"]["template"]["spec"]["containers"][0]
    args = container["args"]
    assert args[args.index("--listen") + 1] == "127.0.0.1:50051"  # loopback: only the operator's pod
    assert args[args.index("--health-listen") + 1] == "0.0.0.0:50052"  # the kubelet's probes
    assert "--tls-cert" not in args and "--auth-token-file" not in args  # the operator sends neither
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe]["grpc"] == {"port": 50052}
    kubernetes_validate.validate(operator_with(patch), KUBERNETES, strict=True)
    assert "Sidecar mode" in files["clickhouse-backup-plugin/templates/NOTES.txt"]


def test_the_sidecar_form_patches_the_operator_deployment_with_the_same_container():
    import kubernetes_validate
    objects, _ = render(FULL, mode="sidecar")
    assert not by_kind(objects, "Deployment") and not by_kind(objects, "Service")
    patch = yaml.safe_load([o for o in by_kind(objects, "ConfigMap") if o["metadata"]["name"].endswith("-sidecar")][0]["data"]["patch.yaml"])
    alone, _ = render(FULL)
    own = by_kind(alone, "Deployment")[0]["spec"]["template"]["spec"]
    sidecar = patch["spec"]["template"]["spec"]["containers"][0]
    # The same container but for where the gRPC port listens (loopback as a sidecar).
    own_args = own["containers"][0]["args"]
    assert sidecar["args"][sidecar["args"].index("--listen") + 1] == "127.0.0.1:50051"
    assert own_args[own_args.index("--listen") + 1] == "0.0.0.0:50051"
    assert {k: v for k, v in sidecar.items() if k != "args"} == {k: v for k, v in own["containers"][0].items() if k != "args"}
    assert patch["spec"]["template"]["spec"]["volumes"] == own["volumes"]
    # Applied to an operator Deployment, the result is a valid Deployment.
    kubernetes_validate.validate(operator_with(patch), KUBERNETES, strict=True)


def test_the_values_schema_refuses_bad_values():
    import helm_python as helm
    with helm.Chart.load(str(CHART)) as chart:
        for bad in ({"mode": "daemonset"}, {"port": 0}, {"s3CredentialSecrets": ["Bad_Name"]}, {"replicas": 3},
                    {"image": {"repository": "x", "digest": "latest"}}, {"tls": {"enabled": True}},
                    {"notifications": {"when": "sometimes"}}, {"metrics": {"port": 70000}}, {"log": {"format": "text"}}):
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
