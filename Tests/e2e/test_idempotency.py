"""The same backup asked for again: concurrent calls share one run, a finished backup answers
from its manifest, and a backup whose plugin was killed is followed to its end by the next call."""
import concurrent.futures
import json
import signal
import subprocess
import time

import grpc
import pytest

from conftest import Plugin
from stack_fixtures import call, plugin_env, stack, stack_plugin  # noqa: F401 (fixtures)


def seed(stack, rows=2000):
    for host in range(len(stack.hosts)):
        stack.sql(host, "DROP DATABASE IF EXISTS e2e_idem SYNC")
        stack.sql(host, "CREATE DATABASE e2e_idem")
        stack.sql(host, "CREATE TABLE e2e_idem.t (id UInt64, s String) ENGINE = MergeTree ORDER BY id")
        stack.sql(host, f"INSERT INTO e2e_idem.t SELECT number, repeat(toString(number), 8) FROM numbers({rows})")


@pytest.fixture(autouse=True)
def clean(stack):
    yield
    for host in range(len(stack.hosts)):
        stack.sql(host, "DROP DATABASE IF EXISTS e2e_idem SYNC")


def manifest(stack, chb):
    body = stack.s3_get(f"idem/stack/demo/{chb['metadata']['name']}/manifest.json")
    return json.loads(body) if body else None


def test_twenty_concurrent_calls_for_five_backups_start_exactly_five(stack, stack_plugin, stubs):
    seed(stack)
    chbs = [stack.chb(f"idem-{i}-{time.time_ns()}", whitelist=["e2e_idem.*"], prefix="idem/") for i in range(5)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        # type=full: under auto, a call's dry run and its run may choose different bases as the
        # other backups of the CHI complete between them (the catalog they read changed).
        futures = [(chb, pool.submit(call, stack_plugin, stubs, "Backup", stack.chi, chb, {"type": "full"}))
                   for chb in chbs for _ in range(4)]
        results = [(chb, future.result(timeout=120)) for chb, future in futures]
    assert len({r.backup_id for _, r in results}) == 5
    for chb in chbs:
        mine = [r for c, r in results if c is chb]
        assert all(r.metadata["state"] == "Completed" for r in mine)
        assert sum("reused" not in r.metadata for r in mine) == 1, "exactly one call per backup ran it"
        assert len({(r.started_at, r.stopped_at) for r in mine}) == 1, "every call answers with the one run's times"
        backup_id = mine[0].backup_id
        for host in range(len(stack.hosts)):
            assert stack.sql(host, f"SELECT count() FROM system.backups WHERE id = '{backup_id}-s{host}-r0'").strip() == "1"


def test_a_finished_backup_answers_from_its_manifest_in_a_new_process(stack, stubs):
    seed(stack)
    chb = stack.chb(f"idem-done-{time.time_ns()}", whitelist=["e2e_idem.*"], prefix="idem/")
    first_plugin = Plugin(env=plugin_env(stack))
    try:
        first = call(first_plugin, stubs, "Backup", stack.chi, chb)
    finally:
        first_plugin.stop()
    second_plugin = Plugin(env=plugin_env(stack))
    try:
        second = call(second_plugin, stubs, "Backup", stack.chi, chb)
    finally:
        second_plugin.stop()
    assert second.backup_id == first.backup_id and second.metadata["reused"] == "true"
    assert (second.started_at, second.stopped_at) == (first.started_at, first.stopped_at)
    for key in ("total_size", "num_files", "tables", "host.0.0.id", "host.1.0.status", "location"):
        assert second.metadata[key] == first.metadata[key], key


def test_a_backup_whose_plugin_was_killed_is_finished_by_the_next_call(stack, stubs):
    seed(stack, rows=6_000_000)
    chb = stack.chb(f"idem-kill-{time.time_ns()}", whitelist=["e2e_idem.*"], prefix="idem/")
    # ASYNC: this stack's engine runs one statement at a time, so the reads below would wait
    # for an awaited BACKUP (that path: test_adversarial's plugin killed while it awaits one).
    plugin = Plugin(env=plugin_env(stack, CLICKHOUSE_BACKUP_PLUGIN_INLINE_BACKUP_MIB="0"))
    channel = grpc.insecure_channel(plugin.address)
    try:
        from stack_fixtures import call as _call  # noqa: F401
        stub = stubs.backup_grpc.BackupStub(channel)
        request = stubs.backup.BackupRequest(chi_definition=json.dumps(stack.chi).encode(),
                                             backup_definition=json.dumps(chb).encode())
        pending = stub.Backup.future(request, timeout=120)
        deadline = time.time() + 30
        while time.time() < deadline and (manifest(stack, chb) or {}).get("state") != "InProgress":
            time.sleep(0.02)
        assert manifest(stack, chb)["state"] == "InProgress"
        # Kill once every host runs its BACKUP (a kill before that leaves operations no host
        # knows: the next call marks those failed, see the test below).
        ids = [h["clickhouse_id"] for h in manifest(stack, chb)["hosts"]]
        while time.time() < deadline and any(
                stack.sql(i, f"SELECT count() FROM system.backups WHERE id = '{op}'").strip() != "1" for i, op in enumerate(ids)):
            time.sleep(0.01)
        plugin.process.send_signal(signal.SIGKILL)
        plugin.process.wait(timeout=10)
        with pytest.raises(grpc.RpcError):
            pending.result(timeout=30)
    finally:
        channel.close()
        plugin.stop()
    ids = manifest(stack, chb)["hosts"]
    running = [stack.sql(i, f"SELECT status FROM system.backups WHERE id = '{h['clickhouse_id']}'").strip() for i, h in enumerate(ids)]
    assert "CREATING_BACKUP" in running, f"the kill came too late to test anything: {running}"

    restarted = Plugin(env=plugin_env(stack))
    try:
        result = call(restarted, stubs, "Backup", stack.chi, chb)
    finally:
        restarted.stop()
    assert result.metadata["state"] == "Completed" and result.metadata["reused"] == "true"
    assert result.metadata["host.0.0.status"] == result.metadata["host.1.0.status"] == "BACKUP_CREATED"
    assert manifest(stack, chb)["state"] == "Completed"
    for i, h in enumerate(ids):  # followed, never started twice
        assert stack.sql(i, f"SELECT count() FROM system.backups WHERE id = '{h['clickhouse_id']}'").strip() == "1"


def test_an_operation_clickhouse_lost_is_marked_failed_never_complete(stack, stack_plugin, stubs):
    chb = stack.chb(f"idem-lost-{time.time_ns()}", whitelist=["e2e_idem.*"], prefix="idem/")
    plan = json.loads(call(stack_plugin, stubs, "Backup", stack.chi, chb, {"dry_run": "true"}).metadata["plan"])
    # What a plugin killed mid-backup leaves when the ClickHouse hosts then restarted: an
    # in-progress manifest naming operations no host knows.
    lost = {"format": 1, "state": "InProgress", "backup_id": plan["id"], "backup_name": plan["name"], "shards": 2,
            "started_at": 1700000000, "stopped_at": None, "skipped": [],
            "hosts": [{"shard": h["shard"], "replica": h["replica"], "fqdn": h["fqdn"], "clickhouse_id": h["clickhouse_id"],
                       "location": h["location"], "status": "PENDING", "tables": []} for h in plan["hosts"]]}
    key = f"idem/stack/demo/{chb['metadata']['name']}/manifest.json"
    subprocess.run(["curl", "-sf", "-T", "-", "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD",
                    "--aws-sigv4", f"aws:amz:{stack.info['region']}:s3", "--user", f"{stack.info['access_key']}:{stack.info['secret_key']}",
                    f"{stack.info['s3_endpoint']}/{stack.info['bucket']}/{key}"], input=json.dumps(lost).encode(), check=True)
    with pytest.raises(grpc.RpcError) as error:
        call(stack_plugin, stubs, "Backup", stack.chi, chb)
    assert error.value.code() == grpc.StatusCode.ABORTED
    assert "no longer knows operation" in error.value.details()
    recorded = manifest(stack, chb)
    assert recorded["state"] == "Failed" and "no longer knows" in recorded["error"]


def test_two_plugin_processes_never_write_the_same_backup_twice(stack, stubs):
    seed(stack, rows=3_000_000)
    chb = stack.chb(f"idem-two-{time.time_ns()}", whitelist=["e2e_idem.*"], prefix="idem/")
    first, second = Plugin(env=plugin_env(stack)), Plugin(env=plugin_env(stack))
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            futures = [pool.submit(call, plugin, stubs, "Backup", stack.chi, chb) for plugin in (first, second)]
            results = [future.result(timeout=120) for future in futures]
    finally:
        first.stop()
        second.stop()
    assert results[0].backup_id == results[1].backup_id
    assert all(r.metadata["state"] == "Completed" for r in results)
    assert sum("reused" not in r.metadata for r in results) == 1, "one process ran it, the other followed"
    for host in range(len(stack.hosts)):
        with open(stack.hosts[host]["query_log"]) as log:
            started = [line for line in log if line.startswith('"BACKUP ') and f"{results[0].backup_id}-s{host}-r0" in line]
        assert len(started) == 1, started  # one BACKUP statement per host, from one process
    assert manifest(stack, chb)["state"] == "Completed"
    assert stack.s3_get(f"idem/stack/demo/{chb['metadata']['name']}/lock") is None  # released
