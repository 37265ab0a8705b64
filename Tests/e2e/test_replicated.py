"""The stack's replicated tier (ZooKeeper, per-host macros): ReplicatedMergeTree tables with real
Keeper paths next to plain MergeTree ones. chdb never starts the interserver endpoint, so every
replica is read-only (no INSERT, no fetch): what is tested is what it shows honestly, namely
engine classification, structure restore onto every replica, each replica's own rows of its
plain tables, and the real REPLICA_ALREADY_EXISTS with its remedy."""
import json
import time

import grpc
import pytest

from stack_fixtures import call, stack, stack_plugin  # noqa: F401 (fixtures)

REPLICATED = "ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/e2e_repl/events', '{replica}') ORDER BY id"


def seed(stack):
    for host in stack.all_hosts:
        stack.sql(host, "DROP DATABASE IF EXISTS e2e_repl SYNC")
        stack.sql(host, "CREATE DATABASE e2e_repl")
        stack.sql(host, f"CREATE TABLE e2e_repl.events (id UInt64, s String) {REPLICATED}")
        stack.sql(host, "CREATE TABLE e2e_repl.local (id UInt64) ENGINE = MergeTree ORDER BY id")
        stack.sql(host, f"INSERT INTO e2e_repl.local SELECT number FROM numbers({100 + 10 * host['shard'] + host['replica']})")


@pytest.fixture(autouse=True)
def clean(stack):
    yield
    for host in stack.all_hosts:
        stack.sql(host, "DROP DATABASE IF EXISTS e2e_repl SYNC")


def replicas(stack, host):
    return stack.sql(host, "SELECT zookeeper_path, replica_name FROM system.replicas WHERE database = 'e2e_repl' FORMAT TSV").split()


def test_replicated_tables_restore_their_structure_on_every_replica_and_plain_ones_each_replicas_rows(stack, stack_plugin, stubs):
    seed(stack)
    local = {(h["shard"], h["replica"]): stack.checksum(h, "e2e_repl.local") for h in stack.all_hosts}
    chb = stack.chb(f"repl-{time.time_ns()}", whitelist=["e2e_repl.*"], prefix="repl/")
    result = call(stack_plugin, stubs, "Backup", stack.cluster_chi, chb)
    assert result.metadata["replicated"] == "e2e_repl.events"
    manifest = json.loads(stack.s3_get(f"repl/stack/demo/{chb['metadata']['name']}/manifest.json"))
    by_role = {(h["role"], h["shard"], h["replica"]): sorted(tuple(t) for t in h["tables"]) for h in manifest["hosts"]}
    assert by_role[("data", 0, 0)] == [("e2e_repl", "events", "ReplicatedMergeTree"), ("e2e_repl", "local", "MergeTree")]
    assert by_role[("local", 0, 1)] == [("e2e_repl", "local", "MergeTree")], "a replica's copy never repeats a replicated table"

    for host in stack.all_hosts:
        stack.sql(host, "DROP DATABASE e2e_repl SYNC")  # SYNC: the replicas leave Keeper too
    restored = call(stack_plugin, stubs, "Restore", stack.cluster_chi, chb)
    assert restored.metadata["state"] == "Completed"
    for host in stack.all_hosts:
        shard = host["shard"]
        assert replicas(stack, host) == [f"/clickhouse/tables/{shard}/e2e_repl/events", host["replica_name"]]
        assert stack.checksum(host, "e2e_repl.local") == local[(shard, host["replica"])]


def test_a_replica_left_in_keeper_is_named_with_its_remedy_and_cleared_on_request(stack, stack_plugin, stubs):
    seed(stack)
    chb = stack.chb(f"repl-stale-{time.time_ns()}", whitelist=["e2e_repl.*"], prefix="repl/")
    call(stack_plugin, stubs, "Backup", stack.cluster_chi, chb)
    for host in stack.all_hosts:
        stack.sql(host, "DROP DATABASE e2e_repl")  # no SYNC: the tables go later, their replicas stay in Keeper
    with pytest.raises(grpc.RpcError) as error:
        call(stack_plugin, stubs, "Restore", stack.cluster_chi, chb)
    assert error.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    details = error.value.details()
    assert "REPLICA_ALREADY_EXISTS" in details and "table e2e_repl.events: Keeper path /clickhouse/tables/" in details
    assert "run SYSTEM DROP REPLICA 'chi-demo-main-" in details and "drop_stale_replicas" in details

    restored = call(stack_plugin, stubs, "Restore", stack.cluster_chi, chb, {"drop_stale_replicas": "true"})
    assert restored.metadata["state"] == "Completed"
    for host in stack.all_hosts:
        assert replicas(stack, host) == [f"/clickhouse/tables/{host['shard']}/e2e_repl/events", host["replica_name"]]
    with open(stack.host(0, 0)["query_log"]) as log:
        assert any("SYSTEM DROP REPLICA 'chi-demo-main-0-0' FROM ZKPATH '/clickhouse/tables/0/e2e_repl/events'" in line for line in log)
