"""Backup and Restore for real: the plugin drives ClickHouse (chdb-core behind its HTTP
interface) to a real S3 (seaweedfs), and every round trip is checked by row count and checksum."""
import copy
import json
import time

import grpc
import pytest

from stack_fixtures import call, stack, stack_plugin  # noqa: F401 (fixtures)

TABLES = ["e2e_sales.orders", "e2e_sales.`odd ``name`` é`", "e2e_logs.events"]


def seed(stack, suffix=""):
    for host in range(len(stack.hosts)):
        stack.sql(host, f"DROP DATABASE IF EXISTS e2e_sales{suffix} SYNC")
        stack.sql(host, f"DROP DATABASE IF EXISTS e2e_logs{suffix} SYNC")
        stack.sql(host, f"CREATE DATABASE e2e_sales{suffix}")
        stack.sql(host, f"CREATE DATABASE e2e_logs{suffix}")
        stack.sql(host, f"CREATE TABLE e2e_sales{suffix}.orders (id UInt64, amount Float64, note String) ENGINE = MergeTree ORDER BY id")
        stack.sql(host, f"INSERT INTO e2e_sales{suffix}.orders SELECT number, number * 1.5, toString(number * {host + 7}) FROM numbers({20000 + host * 1000})")
        stack.sql(host, f"CREATE TABLE e2e_sales{suffix}.`odd ``name`` é` (k String) ENGINE = MergeTree ORDER BY k")
        stack.sql(host, f"INSERT INTO e2e_sales{suffix}.`odd ``name`` é` SELECT concat('k', toString(number)) FROM numbers(100)")
        stack.sql(host, f"CREATE TABLE e2e_logs{suffix}.events (t DateTime, msg String) ENGINE = MergeTree ORDER BY t")
        stack.sql(host, f"INSERT INTO e2e_logs{suffix}.events SELECT toDateTime(1700000000 + number), 'm' FROM numbers(5000)")


def checksums(stack, tables):
    return {(host, table): stack.checksum(host, table) for host in range(len(stack.hosts)) for table in tables}


def drop(stack, *databases):
    for host in range(len(stack.hosts)):
        for database in databases:
            stack.sql(host, f"DROP DATABASE IF EXISTS {database} SYNC")


def test_round_trip_of_a_whitelist_with_checksums(stack, stack_plugin, stubs):
    seed(stack)
    before = checksums(stack, TABLES)
    chb = stack.chb(f"wl-{time.time_ns()}", whitelist=["e2e_sales.*", "e2e_logs.events"])
    result = call(stack_plugin, stubs, "Backup", stack.chi, chb)
    assert result.metadata["state"] == "Completed"
    assert result.metadata["host.0.0.status"] == result.metadata["host.1.0.status"] == "BACKUP_CREATED"
    assert result.metadata["databases"] == "e2e_logs,e2e_sales"
    assert int(result.metadata["num_files"]) > 0 and int(result.metadata["total_size"]) > 0
    location = result.metadata["location"]
    assert location == f"s3://backups/e2e/stack/demo/{chb['metadata']['name']}/"
    manifest = json.loads(stack.s3_get(location.split("/", 3)[3] + "manifest.json"))
    assert manifest["state"] == "Completed" and manifest["backup_id"] == result.backup_id
    assert [h["status"] for h in manifest["hosts"]] == ["BACKUP_CREATED", "BACKUP_CREATED"]

    drop(stack, "e2e_sales", "e2e_logs")
    restored = call(stack_plugin, stubs, "Restore", stack.chi, chb)
    assert restored.metadata["state"] == "Completed"
    assert restored.restore_id.startswith("chr-")
    assert checksums(stack, TABLES) == before

    # One logfmt line at the start and end of each operation and one per host, with the ids.
    log = stack_plugin.log_text
    assert f"msg=\"backup started\"" in log and f"msg=\"backup completed\"" in log and "msg=\"restore completed\"" in log
    assert f"id={result.backup_id}" in log and f"id={restored.restore_id}" in log
    for host in ("0.0", "1.0"):
        assert f"clickhouse_id={result.metadata[f'host.{host}.id']}" in log
    assert log.count("msg=\"host finished\"") >= 4


def test_default_selection_excludes_system_and_blacklist_applies(stack, stack_plugin, stubs):
    seed(stack)
    before = checksums(stack, ["e2e_sales.orders"])
    chb = stack.chb(f"bl-{time.time_ns()}", blacklist=["e2e_logs.*", "e2e_sales.`odd ``name`` é`"])
    result = call(stack_plugin, stubs, "Backup", stack.chi, chb)
    assert "system" not in result.metadata["databases"].split(",")
    assert "e2e_logs" not in result.metadata["databases"].split(",")
    drop(stack, "e2e_sales", "e2e_logs")
    call(stack_plugin, stubs, "Restore", stack.chi, chb)
    assert checksums(stack, ["e2e_sales.orders"]) == before
    # Renaming with the default selection: built from the manifest's table list.
    drop(stack, "e2e_sales_all")
    call(stack_plugin, stubs, "Restore", stack.chi, chb, {"database_mapping": "e2e_sales:e2e_sales_all"})
    assert {k[0]: v for k, v in checksums(stack, ["e2e_sales_all.orders"]).items()} == {k[0]: v for k, v in before.items()}
    drop(stack, "e2e_sales_all")
    for host in range(len(stack.hosts)):
        assert stack.sql(host, "EXISTS TABLE e2e_sales.`odd ``name`` é`").strip() == "0"
        assert stack.sql(host, "EXISTS DATABASE e2e_logs").strip() == "0"


def test_restore_into_a_renamed_database(stack, stack_plugin, stubs):
    seed(stack)
    before = checksums(stack, ["e2e_sales.orders"])
    chb = stack.chb(f"ren-{time.time_ns()}", whitelist=["e2e_sales.orders"])
    call(stack_plugin, stubs, "Backup", stack.chi, chb)
    drop(stack, "e2e_sales_copy")
    call(stack_plugin, stubs, "Restore", stack.chi, chb, {"database_mapping": "e2e_sales:e2e_sales_copy"})
    after = checksums(stack, ["e2e_sales_copy.orders"])
    assert {k[0]: v for k, v in after.items()} == {k[0]: v for k, v in before.items()}
    drop(stack, "e2e_sales_copy")


def test_restore_onto_the_same_rows_restores_nothing_unless_appending_is_asked(stack, stack_plugin, stubs):
    seed(stack)
    rows = {host: int(stack.checksum(host, "e2e_logs.events").split()[0]) for host in range(len(stack.hosts))}
    chb = stack.chb(f"ne-{time.time_ns()}", whitelist=["e2e_logs.events"])
    call(stack_plugin, stubs, "Backup", stack.chi, chb)
    same = call(stack_plugin, stubs, "Restore", stack.chi, chb)  # the tables hold the backup's rows already
    assert same.metadata["table.e2e_logs.events"] == "already present"
    assert {host: int(stack.checksum(host, "e2e_logs.events").split()[0]) for host in range(len(stack.hosts))} == rows
    call(stack_plugin, stubs, "Restore", stack.chi, chb, {"allow_non_empty_tables": "true"})
    for host, count in rows.items():
        assert int(stack.checksum(host, "e2e_logs.events").split()[0]) == 2 * count


def test_a_second_backup_of_the_same_chb_starts_nothing_new(stack, stack_plugin, stubs):
    seed(stack)
    uid = f"uid-{time.time_ns()}"
    chb = stack.chb(f"dup-{time.time_ns()}", whitelist=["e2e_logs.*"], uid=uid)
    first = call(stack_plugin, stubs, "Backup", stack.chi, chb)
    second = call(stack_plugin, stubs, "Backup", stack.chi, chb)
    assert second.backup_id == first.backup_id
    assert second.metadata["reused"] == "true" and second.metadata["state"] == "Completed"
    for host in range(len(stack.hosts)):
        assert stack.sql(host, f"SELECT count() FROM system.backups WHERE id = '{first.backup_id}-s{host}-r0'").strip() == "1"


def test_backup_disk_destination_round_trip(stack, stack_plugin, stubs):
    seed(stack)
    before = checksums(stack, ["e2e_logs.events"])
    chb = stack.chb(f"disk-{time.time_ns()}", whitelist=["e2e_logs.events"])
    result = call(stack_plugin, stubs, "Backup", stack.chi, chb, {"disk": "s3_backup"})
    assert result.metadata["location"].startswith("disk:s3_backup:stack/demo/")
    assert result.metadata["manifest"].startswith("not written")
    drop(stack, "e2e_logs")
    call(stack_plugin, stubs, "Restore", stack.chi, chb, {"disk": "s3_backup"})
    assert checksums(stack, ["e2e_logs.events"]) == before


def test_s3_with_the_servers_own_credentials(stack, stack_plugin, stubs):
    seed(stack)
    before = checksums(stack, ["e2e_logs.events"])
    chb = stack.chb(f"iam-{time.time_ns()}", whitelist=["e2e_logs.events"], credentials=False, prefix="server-credentials/")
    result = call(stack_plugin, stubs, "Backup", stack.chi, chb)
    assert result.metadata["state"] == "Completed"
    drop(stack, "e2e_logs")
    call(stack_plugin, stubs, "Restore", stack.chi, chb)
    assert checksums(stack, ["e2e_logs.events"]) == before


def failure(stack_plugin, stubs, chi, chb, parameters=None):
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as error:
        call(stack_plugin, stubs, "Backup", chi, chb, parameters, timeout=60)
    return error.value, time.monotonic() - started


def test_wrong_s3_credentials_fail_fast_and_nothing_is_completed(stack, stack_plugin, stubs):
    chb = stack.chb(f"wrong-{time.time_ns()}", whitelist=["e2e_logs.*"], credentials="wrong")
    error, seconds = failure(stack_plugin, stubs, stack.chi, chb)
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED and seconds < 10
    assert "wrong-secret-value" not in error.details()
    assert stack.s3_get(f"e2e/stack/demo/{chb['metadata']['name']}/manifest.json") is None


def test_s3_down_is_unavailable_in_seconds(stack, stack_plugin, stubs):
    chb = stack.chb(f"down-{time.time_ns()}", endpoint="http://127.0.0.1:9")
    error, seconds = failure(stack_plugin, stubs, stack.chi, chb)
    assert error.code() == grpc.StatusCode.UNAVAILABLE and seconds < 10, error.details()
    failed = [line for line in stack_plugin.log_text.splitlines() if 'msg="backup failed"' in line]
    assert len(failed) == 1 and "level=error" in failed[0] and "code=" in failed[0], failed


def test_a_shard_down_or_unknown_fails_before_anything_is_written(stack, stubs):
    from conftest import Plugin
    from stack_fixtures import plugin_env
    chb = stack.chb(f"chdown-{time.time_ns()}", whitelist=["e2e_logs.*"])
    # Shard 1 points at an address where nothing listens; then at no address at all.
    for resolve in (stack.info["resolve"].split(",")[0] + ",chi-demo-main-1-0.stack.svc.cluster.local:8123:127.0.0.250",
                    stack.info["resolve"].split(",")[0]):
        plugin = Plugin(env=plugin_env(stack, CLICKHOUSE_BACKUP_PLUGIN_RESOLVE=resolve))
        try:
            error, seconds = failure(plugin, stubs, stack.chi, chb)
            # The shard's only replica does not answer: refused before any BACKUP starts.
            assert error.code() == grpc.StatusCode.FAILED_PRECONDITION and seconds < 15, error.details()
            assert "shard 1: no replica answers: chi-demo-main-1-0.stack.svc.cluster.local" in error.details()
            assert "nothing was started" in error.details()
            plan = json.loads(call(plugin, stubs, "Backup", stack.chi, chb, {"dry_run": "true"}).metadata["plan"])
        finally:
            plugin.stop()
    assert stack.s3_get(f"e2e/stack/demo/{chb['metadata']['name']}/manifest.json") is None
    # Shard 0 answered, and still nothing started there.
    assert plan["hosts"][0]["clickhouse_id"] not in stack.sql(0, "SELECT id FROM system.backups FORMAT TSV")


def test_missing_secret_is_failed_precondition_naming_it(stack, stack_plugin, stubs):
    chb = stack.chb(f"nosecret-{time.time_ns()}", credentials="absent-secret")
    error, _ = failure(stack_plugin, stubs, stack.chi, chb)
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "absent-secret/accessKeyId" in error.details()


def test_secrets_never_reach_logs_metadata_or_errors(stack, stack_plugin, stubs):
    seed(stack)
    chb = stack.chb(f"sec-{time.time_ns()}", whitelist=["e2e_logs.*"])
    result = call(stack_plugin, stubs, "Backup", stack.chi, chb)
    dry = call(stack_plugin, stubs, "Backup", stack.chi, chb, {"dry_run": "true"})
    texts = [stack_plugin.log_text, json.dumps(dict(result.metadata)), json.dumps(dict(dry.metadata))]
    manifest = stack.s3_get(f"e2e/stack/demo/{chb['metadata']['name']}/manifest.json").decode()
    texts.append(manifest)
    for secret in (stack.info["secret_key"], stack.info["access_key"], stack.info["clickhouse_password"], "wrong-secret-value"):
        for text in texts:
            assert secret not in text


def test_a_scheduled_backup_makes_a_new_backup_per_call_named_by_utc_time(stack, stack_plugin, stubs):
    seed(stack)
    before = checksums(stack, ["e2e_logs.events"])
    schedule = stack.chb(f"nightly-{time.time_ns()}", whitelist=["e2e_logs.events"])
    schedule["kind"] = "ClickHouseScheduledBackup"
    schedule["spec"]["schedule"] = "0 3 * * *"
    first = call(stack_plugin, stubs, "Backup", stack.chi, schedule)
    time.sleep(1.1)  # names carry the call's UTC second
    second = call(stack_plugin, stubs, "Backup", stack.chi, schedule)
    base = schedule["metadata"]["name"]
    for result in (first, second):
        assert result.metadata["state"] == "Completed" and "reused" not in result.metadata
        stamp = result.backup_name[len(base) + 1:]
        assert result.backup_name.startswith(base + "-") and len(stamp) == 15 and stamp[8] == "-"
        stopped = time.gmtime(result.started_at)
        assert stamp == time.strftime("%Y%m%d-%H%M%S", stopped)
    assert first.backup_name != second.backup_name and first.backup_id != second.backup_id
    assert first.metadata["location"] != second.metadata["location"]

    # A schedule's backup is restored by naming it.
    with pytest.raises(grpc.RpcError) as refused:
        call(stack_plugin, stubs, "Restore", stack.chi, schedule)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "backup_name" in refused.value.details()
    drop(stack, "e2e_logs")
    restored = call(stack_plugin, stubs, "Restore", stack.chi, schedule, {"backup_name": first.backup_name})
    assert restored.metadata["backup_name"] == first.backup_name
    assert checksums(stack, ["e2e_logs.events"]) == before


def test_a_new_chi_is_restored_from_its_recovery_reference(stack, stack_plugin, stubs):
    seed(stack)
    before = checksums(stack, ["e2e_logs.events"])
    chb = stack.chb(f"rec-{time.time_ns()}", whitelist=["e2e_logs.events"])
    made = call(stack_plugin, stubs, "Backup", stack.chi, chb)
    drop(stack, "e2e_logs")
    # The new CHI (same hosts here) names the backup it is born from.
    fresh = copy.deepcopy(stack.chi)
    fresh["metadata"]["name"] = "fresh"
    fresh["spec"]["bootstrap"] = {"recovery": {"backupRef": {"name": made.backup_name}}}
    other = copy.deepcopy(chb)
    other["metadata"]["name"] = "some-other-chb"  # the operator passes the CHB that says where backups live
    restored = call(stack_plugin, stubs, "Restore", fresh, other)
    assert restored.metadata["backup_name"] == made.backup_name and restored.metadata["chi"] == "stack/fresh"
    assert checksums(stack, ["e2e_logs.events"]) == before


def test_json_logs_carry_the_operation_and_no_secret(stack, stubs):
    from conftest import Plugin
    from stack_fixtures import plugin_env
    seed(stack)
    plugin = Plugin(env=plugin_env(stack, CLICKHOUSE_BACKUP_PLUGIN_LOG_FORMAT="json"))
    try:
        result = call(plugin, stubs, "Backup", stack.chi, stack.chb(f"jsonlog-{time.time_ns()}", whitelist=["e2e_logs.*"]))
    finally:
        plugin.stop()
    lines = [json.loads(line) for line in plugin.log_text.splitlines() if line.strip()]  # every line is JSON
    assert all({"ts", "level", "msg"} <= set(line) for line in lines)
    started = next(line for line in lines if line["msg"] == "backup started")
    assert started["id"] == result.backup_id and started["chi"] == "stack/demo" and started["name"] == result.backup_name
    # the call's own line: method, status, and what the handler noted (issue 5's per-call metadata)
    call_line = next(line for line in lines if line["msg"] == "call" and line["method"] == "/altinity.backup.v1.Backup/Backup")
    assert call_line["code"] == "OK" and call_line["chi"] == "stack/demo" and call_line["cluster"] == "main"
    assert call_line["backup"] == result.backup_name and call_line["operation_id"] == result.backup_id
    assert int(call_line["duration_ms"]) >= 0 and call_line["peer"].startswith("ipv4:127.0.0.1:")
    assert [line["msg"] for line in lines][-1] == "stopped"
    assert stack.info["secret_key"] not in plugin.log_text and stack.info["clickhouse_password"] not in plugin.log_text


def test_an_operator_shaped_chb_backs_up_on_the_servers_credentials_and_restores(stack, stack_plugin, stubs):
    """Issue 11 item 1: what json.Marshal of the operator's Go types sends: unset parts as {}
    (no keys: the servers' own credentials; no cluster: the CHI's only one), null times, and a
    CHI read back from the API server (no apiVersion/kind, with status)."""
    seed(stack)
    before = checksums(stack, ["e2e_logs.events"])
    name = f"op-{time.time_ns()}"
    chb = {"kind": "ClickHouseBackup", "apiVersion": "clickhouse-backup.altinity.com/v1",
           "metadata": {"name": name, "namespace": "stack", "uid": f"uid-{name}", "resourceVersion": "1", "generation": 1,
                        "creationTimestamp": "2026-12-01T00:00:00Z"},
           "spec": {"backup": {"dbTable": {"whiteList": ["e2e_logs.*"]},
                               "s3": {"destinationPath": f"s3://{stack.info['bucket']}/server-credentials/",
                                      "endpointURL": stack.info["s3_endpoint"],
                                      "s3Credentials": {"accessKeyId": {}, "secretAccessKey": {}}}},
                    "method": "plugin", "pluginConfiguration": {}, "ClickhouseInstallation": {"name": "demo", "cluster": {}}},
           "status": {"state": "InProgress", "message": "", "backupId": "", "backupName": "", "startedAt": None, "stoppedAt": None}}
    chi = {key: value for key, value in stack.chi.items() if key not in ("apiVersion", "kind")}
    result = call(stack_plugin, stubs, "Backup", chi, chb)
    assert result.metadata["state"] == "Completed" and result.metadata["cluster"] == "main"
    assert result.metadata["manifest"].startswith("not written")
    drop(stack, "e2e_logs")
    call(stack_plugin, stubs, "Restore", chi, chb)
    assert checksums(stack, ["e2e_logs.events"]) == before


def test_a_refused_clickhouse_user_is_permission_denied_with_the_remedy(stack, stubs):
    """Issue 11 item 5: the operator limits `default` to localhost and its pods; a refused
    login must say which host, which user and what to do."""
    from conftest import Plugin
    from stack_fixtures import plugin_env
    plugin = Plugin(env=plugin_env(stack, CLICKHOUSE_BACKUP_PLUGIN_CLICKHOUSE_PASSWORD="not-the-password"))
    try:
        with pytest.raises(grpc.RpcError) as error:
            call(plugin, stubs, "Backup", stack.chi, stack.chb(f"denied-{time.time_ns()}", whitelist=["e2e_logs.*"]), check_dry_run=False)
    finally:
        plugin.stop()
    assert error.value.code() == grpc.StatusCode.PERMISSION_DENIED
    details = error.value.details()
    assert details.startswith("ClickHouse chi-demo-main-") and "AUTHENTICATION_FAILED" in details
    assert '(the plugin logs in as user "default")' in details
    assert "give the plugin a ClickHouse user of its own whose networks admit the plugin's address" in details
    assert "not-the-password" not in details and "not-the-password" not in plugin.log_text


def test_a_policy_file_gives_operator_requests_a_full_backup_and_retention(stack, stubs, tmp_path):
    """Issue 11 item 6: the operator sends no parameters and its CRD drops unknown CHB fields;
    a policy file gives its requests type and retention. Two backups of an operator-shaped CHB
    (no parameters) become full ones, the second is followed by retention (keep 1 chain), which
    deletes the first; a bad change of the file keeps the policy; the data restores."""
    from conftest import Plugin
    from stack_fixtures import plugin_env
    seed(stack)
    before = checksums(stack, ["e2e_logs.events"])
    prefix = f"policy-{time.time_ns()}/"
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "policies:\n"
        "  - name: stack-nightly\n"
        "    match: {namespaces: [stack], chb: ['policy-*']}\n"
        "    parameters: {type: full, keep_full_chains: 1}\n"
        "  - name: others\n"
        "    parameters: {type: incremental}\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("policies:\n  - name: x\n    parameters: {type: weekly}\n")
    with pytest.raises(RuntimeError) as refused:  # refused at start, naming the bad field
        Plugin(env=plugin_env(stack, CLICKHOUSE_BACKUP_PLUGIN_POLICY_FILE=str(bad)))
    assert "policy_file: policies[0].parameters.type: must be full, incremental or auto" in str(refused.value)

    plugin = Plugin(env=plugin_env(stack, CLICKHOUSE_BACKUP_PLUGIN_POLICY_FILE=str(policy)))
    try:
        def operator_shaped(name):
            chb = stack.chb(name, whitelist=["e2e_logs.*"], prefix=prefix)
            chb["spec"]["pluginConfiguration"] = {}
            chb["spec"]["ClickhouseInstallation"]["cluster"] = {}
            chb["status"] = {"state": "InProgress", "message": "", "backupId": "", "backupName": "", "startedAt": None, "stoppedAt": None}
            return chb
        chi = {key: value for key, value in stack.chi.items() if key not in ("apiVersion", "kind")}
        first = call(plugin, stubs, "Backup", chi, operator_shaped("policy-first"))
        assert first.metadata["type"] == "full" and first.metadata["policy"] == "stack-nightly"
        assert first.metadata["retention.deleted"] == ""
        policy.write_text(policy.read_text().replace("{type: full,", "{type: fortnightly,"))  # a bad change: kept out
        second = call(plugin, stubs, "Backup", chi, operator_shaped("policy-second"))
        assert second.metadata["type"] == "full" and second.metadata["policy"] == "stack-nightly"
        assert second.metadata["retention.deleted"] == "policy-first" and second.metadata["retention.kept"] == "1"
        assert "policy file change refused; the last good policies stay" in plugin.log_text
        channel = grpc.insecure_channel(plugin.address)
        listed = stubs.catalog_grpc.BackupCatalogStub(channel).ListBackups(stubs.catalog.CatalogRequest(
            chi_definition=json.dumps(chi).encode(), backup_definition=json.dumps(operator_shaped("policy-second")).encode()), timeout=60)
        channel.close()
        assert [b.backup_name for b in listed.backups] == ["policy-second"]
        drop(stack, "e2e_logs")
        call(plugin, stubs, "Restore", chi, operator_shaped("policy-second"))
    finally:
        plugin.stop()
    assert checksums(stack, ["e2e_logs.events"]) == before
