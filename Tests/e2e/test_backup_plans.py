"""Backup and Restore through grpcurl and grpcio: dry-run plans and every INVALID_ARGUMENT case."""
import copy
import json

import grpc
import pytest

from conftest import example, grpcurl, request_json

INVALID_ARGUMENT = 3


def call_backup(plugin, chi, chb, parameters=None, method="Backup"):
    return grpcurl(plugin.address, f"altinity.backup.v1.Backup/{method}", data=request_json(chi, chb, parameters))


def test_dry_run_backup_plan_through_grpcurl(plugin):
    rc, out, err = call_backup(plugin, example("chi-demo.json"), example("chb-demo.json"), {"dry_run": "true"})
    assert rc == 0, err
    result = json.loads(out)
    assert result["backupName"] == "nightly-2026-11-22"
    assert result["backupId"].startswith("chb-") and len(result["backupId"]) == 28
    assert int(result["startedAt"]) <= int(result["stoppedAt"])
    metadata = result["metadata"]
    assert metadata["state"] == "Planned" and metadata["dry_run"] == "true"
    assert metadata["location"] == "s3://backups/clickhouse/analytics/demo/nightly-2026-11-22/"
    assert metadata["hosts"] == ("chi-demo-main-0-0.analytics.svc.cluster.local:8123,"
                                 "chi-demo-main-1-0.analytics.svc.cluster.local:8123")
    assert metadata["sql.0.0"] == (
        "BACKUP DATABASE `sales` EXCEPT TABLES `sales`.`tmp_import`, TABLE `events`.`page_views` "
        "TO S3('http://minio.minio.svc:9000/backups/clickhouse/analytics/demo/nightly-2026-11-22/shard-0/', "
        f"'[HIDDEN]', '[HIDDEN]') SETTINGS id = '{result['backupId']}-s0-r0', backup_restore_s3_retry_attempts = 3 ASYNC")
    # The hosts do not exist here: the statements are as planned, and the dry run says why.
    assert metadata["preview"].startswith("not read: ")
    plan = json.loads(metadata["plan"])
    assert [h["reason"].split(":")[0] for h in plan["hosts"]] == ["replica 0 of 2 of shard 0",
                                                                   "replica 0 of 2 of shard 1"]
    # Deterministic: the same CHB gives the same id.
    rc, again, _ = call_backup(plugin, example("chi-demo.json"), example("chb-demo.json"), {"dry_run": "true"})
    assert json.loads(again)["backupId"] == result["backupId"]


def test_dry_run_restore_through_grpcio(plugin, stubs):
    channel = grpc.insecure_channel(plugin.address)
    backup = stubs.backup_grpc.BackupStub(channel)
    request = stubs.backup.RestoreRequest(
        chi_definition=json.dumps(example("chi-demo.json")).encode(),
        backup_definition=json.dumps(example("chb-demo.json")).encode(),
        parameters={"dry_run": "true", "database_mapping": "sales:sales_restored", "allow_non_empty_tables": "true"})
    result = backup.Restore(request)
    assert result.restore_id.startswith("chr-")
    assert result.restore_name.startswith("nightly-2026-11-22-restore-")
    assert result.metadata["backup_name"] == "nightly-2026-11-22"
    assert result.metadata["sql.1.0"].startswith(
        "RESTORE DATABASE `sales` AS `sales_restored` EXCEPT TABLES `sales`.`tmp_import`, TABLE `events`.`page_views` FROM S3(")
    assert "allow_non_empty_tables = 1" in result.metadata["sql.1.0"]
    channel.close()


def test_without_dry_run_it_runs_and_a_missing_secret_is_failed_precondition(plugin):
    # No secrets directory and no environment fallback: the CHB's references cannot resolve.
    rc, _, err = call_backup(plugin, example("chi-demo.json"), example("chb-demo.json"))
    assert rc == 64 + 9
    assert "secret s3-credentials/accessKeyId not found" in err


def mutate(document, path, value):
    document = copy.deepcopy(document)
    node = document
    for key in path[:-1]:
        node = node[key]
    if value is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return document


DELETE = object()
CHI, CHB = example("chi-demo.json"), example("chb-demo.json")

# (chi, chb, parameters) -> the exact "path: problem" lines the status message must contain.
INVALID_CASES = {
    "chi not json": (b"{nope", CHB, None, ["chi_definition: (root): is not valid JSON (invalid JSON at byte 1: expected a member name)"]),
    "chb empty": (CHI, b"", None, ["backup_definition: (root): is required (the ClickHouseBackup as JSON)"]),
    # An empty list is the operator's default cluster "cluster" (ensureClusters), not "main".
    "chi without clusters": (mutate(CHI, ["spec", "configuration", "clusters"], []), CHB, None,
                             ['backup_definition: spec.ClickhouseInstallation.cluster.name: names cluster "main", which the CHI does not have (it has "cluster")']),
    "chi name not a k8s name": (mutate(CHI, ["metadata", "name"], "Demo CHI"), CHB, None,
                                ["chi_definition: metadata.name: must be a Kubernetes object name"]),
    "shards count not integer": (mutate(CHI, ["spec", "configuration", "clusters", 0, "layout", "shardsCount"], "two"), CHB, None,
                                 ["chi_definition: spec.configuration.clusters[0].layout.shardsCount: must be an integer, not a string"]),
    "chb without name": (CHI, mutate(CHB, ["metadata", "name"], DELETE), None, ["backup_definition: metadata.name: is required"]),
    "bad destination": (CHI, mutate(CHB, ["spec", "backup", "s3", "destinationPath"], "/tmp/x"), None,
                        ["backup_definition: spec.backup.s3.destinationPath: must be s3://BUCKET/PREFIX/"]),
    "bad endpoint": (CHI, mutate(CHB, ["spec", "backup", "s3", "endpointURL"], "minio:9000"), None,
                     ["backup_definition: spec.backup.s3.endpointURL: must be http(s)://HOST[:PORT]"]),
    "bad white list entry": (CHI, mutate(CHB, ["spec", "backup", "dbTable", "whiteList"], ["sales"]), None,
                             ['backup_definition: spec.backup.dbTable.whiteList[0]: "sales" must be db.table, db.* or *']),
    "credential without key": (CHI, mutate(CHB, ["spec", "backup", "s3", "s3Credentials", "accessKeyId"], {"name": "s3"}), None,
                               ["backup_definition: spec.backup.s3.s3Credentials.accessKeyId.key: is required"]),
    "wrong chi": (CHI, mutate(CHB, ["spec", "ClickhouseInstallation", "name"], "other"), None,
                  ['backup_definition: spec.ClickhouseInstallation.name: names ClickHouseInstallation "other"']),
    "unknown cluster": (CHI, mutate(CHB, ["spec", "ClickhouseInstallation", "cluster", "name"], "x"), None,
                        ['backup_definition: spec.ClickhouseInstallation.cluster.name: names cluster "x"']),
    "no destination": (CHI, mutate(CHB, ["spec", "backup", "s3"], DELETE), None,
                       ['backup_definition: spec.backup.s3: is required (or name a backup disk in parameters["disk"])']),
    "wrong plugin": (CHI, mutate(CHB, ["spec", "pluginConfiguration", "name"], "velero"), None,
                     ['backup_definition: spec.pluginConfiguration.name: names plugin "velero"']),
    "unknown parameter": (CHI, CHB, {"dryrun": "true"}, ['parameters["dryrun"]: is not a backup parameter']),
    "bad flag": (CHI, CHB, {"dry_run": "maybe"}, ['parameters["dry_run"]: must be true or false, not "maybe"']),
    "bad replicas": (CHI, CHB, {"dry_run": "1", "replicas": "some"}, ['parameters["replicas"]: must be first or all']),
}


@pytest.mark.parametrize("case", sorted(INVALID_CASES))
def test_invalid_argument_names_the_path(plugin, case):
    chi, chb, parameters, expected = INVALID_CASES[case]
    rc, out, err = call_backup(plugin, chi, chb, parameters)
    assert rc == 64 + INVALID_ARGUMENT, (out, err)
    for line in expected:
        assert f"- {line}" in err, err


def test_every_problem_is_reported_at_once(plugin, stubs):
    chi = mutate(mutate(CHI, ["metadata", "name"], DELETE), ["spec", "configuration", "clusters", 0, "layout", "replicasCount"], -2)
    chb = mutate(mutate(CHB, ["spec", "backup", "dbTable", "blackList"], ["a.`x"]), ["spec", "backup", "s3", "endpointURL"], "ftp://x")
    channel = grpc.insecure_channel(plugin.address)
    backup = stubs.backup_grpc.BackupStub(channel)
    with pytest.raises(grpc.RpcError) as failure:
        backup.Backup(stubs.backup.BackupRequest(chi_definition=json.dumps(chi).encode(), backup_definition=json.dumps(chb).encode(),
                                                 parameters={"dry_run": "true", "bogus": "1"}))
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = failure.value.details()
    assert details.startswith("invalid request, 5 problems:")
    for fragment in ["chi_definition: metadata.name: is required",
                     "chi_definition: spec.configuration.clusters[0].layout.replicasCount: must be between 0 and 4096, not -2",
                     "backup_definition: spec.backup.dbTable.blackList[0]:",
                     "backup_definition: spec.backup.s3.endpointURL:",
                     'parameters["bogus"]: is not a backup parameter']:
        assert fragment in details
    channel.close()


def test_restore_specific_invalid_arguments(plugin):
    rc, _, err = call_backup(plugin, CHI, CHB, {"dry_run": "true", "database_mapping": "a-b"}, method="Restore")
    assert rc == 64 + INVALID_ARGUMENT and 'parameters["database_mapping"]: must be source:target pairs' in err
    rc, _, err = call_backup(plugin, CHI, CHB, {"dry_run": "true", "create_table": "sometimes"}, method="Restore")
    assert rc == 64 + INVALID_ARGUMENT and 'parameters["create_table"]: must be one of create, must-exist, if-not-exists' in err
    rc, _, err = call_backup(plugin, CHI, CHB, {"dry_run": "true", "compression_method": "zstd"}, method="Restore")
    assert rc == 64 + INVALID_ARGUMENT and 'parameters["compression_method"]: is not a restore parameter' in err


def test_malformed_protobuf_is_invalid_argument(plugin):
    channel = grpc.insecure_channel(plugin.address)
    raw = channel.unary_unary("/altinity.backup.v1.Backup/Backup", request_serializer=lambda b: b, response_deserializer=lambda b: b)
    with pytest.raises(grpc.RpcError) as failure:
        raw(b"\x0a\x05ab")  # field 1 claims 5 bytes, has 2
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert failure.value.details() == "the request is not a valid altinity.backup.v1.BackupRequest protobuf message"
    channel.close()
