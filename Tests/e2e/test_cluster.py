"""Whole clusters on the 2 shards x 2 replicas stack: one replica per shard backs up, a replica
that does not answer is skipped and named, a shard with none fails before anything is written,
restores put data on one replica and structure on the others, shard counts must match."""
import copy
import json
import time

import grpc
import pytest

from conftest import Plugin
from stack_fixtures import call, plugin_env, stack, stack_plugin  # noqa: F401 (fixtures)

TABLES = ["e2e_cluster.orders", "e2e_cluster.events"]
DEAD = "127.0.0.250"  # nothing listens there


def seed(stack):
    """The same rows on both replicas of a shard, different rows per shard."""
    for host in stack.all_hosts:
        shard = host["shard"]
        stack.sql(host, "DROP DATABASE IF EXISTS e2e_cluster SYNC")
        stack.sql(host, "CREATE DATABASE e2e_cluster")
        stack.sql(host, "CREATE TABLE e2e_cluster.orders (id UInt64, amount Float64) ENGINE = MergeTree ORDER BY id")
        stack.sql(host, f"INSERT INTO e2e_cluster.orders SELECT number, number * {shard + 2} FROM numbers({30000 + shard * 7000})")
        stack.sql(host, "CREATE TABLE e2e_cluster.events (t DateTime, shard UInt8) ENGINE = MergeTree ORDER BY t")
        stack.sql(host, f"INSERT INTO e2e_cluster.events SELECT toDateTime(1700000000 + number), {shard} FROM numbers(4000)")


def drop_everywhere(stack):
    for host in stack.all_hosts:
        stack.sql(host, "DROP DATABASE IF EXISTS e2e_cluster SYNC")


@pytest.fixture(autouse=True)
def clean_cluster_database(stack):
    """Other modules back up every database: leave none of ours behind."""
    yield
    drop_everywhere(stack)


def checksums(stack, replica=0):
    return {(shard, table): stack.checksum(stack.host(shard, replica), table) for shard in (0, 1) for table in TABLES}


def plugin_with(stack, dead_hosts):
    """A plugin for which `dead_hosts` ((shard, replica) pairs) resolve to an address nobody serves."""
    resolve = ",".join(f"{h['fqdn']}:8123:{DEAD if (h['shard'], h['replica']) in dead_hosts else h['address']}"
                       for h in stack.all_hosts)
    return Plugin(env=plugin_env(stack, CLICKHOUSE_BACKUP_PLUGIN_RESOLVE=resolve))


def one_shard_chi(stack):
    chi = copy.deepcopy(stack.cluster_chi)
    chi["spec"]["configuration"]["clusters"][0]["layout"] = {"shardsCount": 1, "replicasCount": 1}
    chi["status"]["fqdns"] = [stack.host(0, 0)["fqdn"]]
    return chi


def all_checksums(stack):
    return {(h["shard"], h["replica"], table): stack.checksum(h, table) for h in stack.all_hosts for table in TABLES}


def test_cluster_round_trip_gives_every_replica_back_its_own_rows(stack, stack_plugin, stubs):
    """Issue 10 item 9: plain MergeTree tables hold each replica's own rows (here replica 1 has
    more); by default each replica's copy is backed up and restored to it."""
    seed(stack)
    for shard in (0, 1):
        stack.sql(stack.host(shard, 1), f"INSERT INTO e2e_cluster.orders SELECT 1000000 + number, 1 FROM numbers({500 + shard})")
    before = all_checksums(stack)
    chb = stack.chb(f"cl-{time.time_ns()}", whitelist=["e2e_cluster.*"], prefix="cluster/")
    result = call(stack_plugin, stubs, "Backup", stack.cluster_chi, chb)
    assert result.metadata["hosts"] == ",".join(f"{stack.host(s, r)['fqdn']}:8123" for s in (0, 1) for r in (0, 1))
    assert "skipped" not in result.metadata and "warning" not in result.metadata
    for shard in (0, 1):
        assert result.metadata[f"host.{shard}.0.role"] == "data"
        assert result.metadata[f"host.{shard}.1.local.role"] == "local"
        assert result.metadata[f"host.{shard}.1.local.status"] == "BACKUP_CREATED"
    manifest = json.loads(stack.s3_get(result.metadata["location"].split("/", 3)[3] + "manifest.json"))
    assert manifest["shards"] == 2
    assert [(h["role"], h["location"].rsplit("/", 2)[-2]) for h in manifest["hosts"]] == [
        ("data", "shard-0"), ("data", "shard-1"), ("local", "shard-0-replica-1"), ("local", "shard-1-replica-1")]

    drop_everywhere(stack)
    restored = call(stack_plugin, stubs, "Restore", stack.cluster_chi, chb)
    assert all_checksums(stack) == before
    for shard in (0, 1):
        assert restored.metadata[f"host.{shard}.0.role"] == "data"
        assert restored.metadata[f"host.{shard}.1.role"] == "schema"
        assert restored.metadata[f"host.{shard}.1.local.status"] == "RESTORED"


def test_first_replica_only_warns_and_refuse_starts_nothing(stack, stack_plugin, stubs):
    seed(stack)
    before = checksums(stack)
    chb = stack.chb(f"cl-first-{time.time_ns()}", whitelist=["e2e_cluster.*"], prefix="cluster/")
    result = call(stack_plugin, stubs, "Backup", stack.cluster_chi, chb, {"local_tables": "first_replica"})
    assert "host.0.1.status" not in result.metadata and "host.0.1.local.status" not in result.metadata
    assert result.metadata["one_replica_only"] == "e2e_cluster.events,e2e_cluster.orders"
    assert result.metadata["warning"].startswith("2 tables are not replicated (e2e_cluster.events, e2e_cluster.orders): ")
    assert "every replica but the first (local_tables = first_replica)" in result.metadata["warning"]
    assert "warning=" in stack_plugin.log_text
    drop_everywhere(stack)
    call(stack_plugin, stubs, "Restore", stack.cluster_chi, chb)
    assert checksums(stack) == before
    for shard in (0, 1):  # the other replicas get the structure, and no rows: there were none in the backup
        other = stack.host(shard, 1)
        assert stack.sql(other, "SELECT count() FROM system.tables WHERE database = 'e2e_cluster'").strip() == "2"
        assert stack.sql(other, "SELECT count() FROM e2e_cluster.orders").strip() == "0"

    seed(stack)
    refused = stack.chb(f"cl-refuse-{time.time_ns()}", whitelist=["e2e_cluster.*"], prefix="cluster/")
    with pytest.raises(grpc.RpcError) as error:
        call(stack_plugin, stubs, "Backup", stack.cluster_chi, refused, {"local_tables": "refuse"})
    assert error.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error.value.details().startswith("shard 0 has several replicas and tables that are not replicated: "
                                            "e2e_cluster.events (MergeTree), e2e_cluster.orders (MergeTree)")
    assert error.value.details().endswith("nothing was started")
    assert stack.s3_get(f"cluster/stack/demo/{refused['metadata']['name']}/manifest.json") is None


def test_a_replica_down_is_skipped_and_named_and_its_twin_serves(stack, stubs):
    seed(stack)
    before = checksums(stack)
    chb = stack.chb(f"cl-down-{time.time_ns()}", whitelist=["e2e_cluster.*"], prefix="cluster/")
    plugin = plugin_with(stack, {(0, 0)})
    try:
        result = call(plugin, stubs, "Backup", stack.cluster_chi, chb)
        dead = stack.host(0, 0)["fqdn"]
        assert result.metadata["host.0.0.status"] == "SKIPPED" and dead in result.metadata["skipped"]
        assert "connect" in result.metadata["host.0.0.reason"].lower()
        assert result.metadata["host.0.1.status"] == "BACKUP_CREATED" and result.metadata["host.1.0.status"] == "BACKUP_CREATED"
        manifest = json.loads(stack.s3_get(result.metadata["location"].split("/", 3)[3] + "manifest.json"))
        assert manifest["state"] == "Completed" and [s["fqdn"] for s in manifest["skipped"]] == [dead]

        drop_everywhere(stack)
        restored = call(plugin, stubs, "Restore", stack.cluster_chi, chb)
        assert restored.metadata["host.0.1.role"] == "data" and restored.metadata["host.0.0.status"] == "SKIPPED"
        after = {(s, t): stack.checksum(stack.host(s, 1 if s == 0 else 0), t) for s in (0, 1) for t in TABLES}
        assert after == before
    finally:
        plugin.stop()


def test_a_whole_shard_down_fails_before_anything_is_written(stack, stubs):
    seed(stack)
    chb = stack.chb(f"cl-shard-{time.time_ns()}", whitelist=["e2e_cluster.*"], prefix="cluster/")
    plugin = plugin_with(stack, {(1, 0), (1, 1)})
    try:
        started = time.monotonic()
        with pytest.raises(grpc.RpcError) as error:
            call(plugin, stubs, "Backup", stack.cluster_chi, chb, timeout=60)
        assert error.value.code() == grpc.StatusCode.FAILED_PRECONDITION and time.monotonic() - started < 15
        assert error.value.details().startswith("shard 1: no replica answers: ")
        plan = json.loads(call(plugin, stubs, "Backup", stack.cluster_chi, chb, {"dry_run": "true"}).metadata["plan"])
    finally:
        plugin.stop()
    assert stack.s3_get(f"cluster/stack/demo/{chb['metadata']['name']}/manifest.json") is None
    assert plan["hosts"][0]["clickhouse_id"] not in stack.sql(stack.host(0, 0), "SELECT id FROM system.backups FORMAT TSV")


def test_shard_counts_must_match_unless_mapped(stack, stack_plugin, stubs):
    seed(stack)
    source = stack.checksum(stack.host(0, 0), "e2e_cluster.orders")
    chb = stack.chb(f"cl-map-{time.time_ns()}", whitelist=["e2e_cluster.orders"], prefix="cluster/")
    call(stack_plugin, stubs, "Backup", one_shard_chi(stack), chb)  # a 1-shard backup
    drop_everywhere(stack)
    with pytest.raises(grpc.RpcError) as error:
        call(stack_plugin, stubs, "Restore", stack.cluster_chi, chb)
    assert error.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "the backup has 1 shards and cluster \"main\" has 2" in error.value.details()
    with pytest.raises(grpc.RpcError) as error:
        call(stack_plugin, stubs, "Restore", stack.cluster_chi, chb, {"shard_mapping": "0:0,0:1"})
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "parameters[\"shard_mapping\"]" in error.value.details()

    restored = call(stack_plugin, stubs, "Restore", stack.cluster_chi, chb, {"shard_mapping": "0:1"})
    assert restored.metadata["host.1.0.role"] == "data" and "host.0.0.fqdn" not in restored.metadata
    assert stack.checksum(stack.host(1, 0), "e2e_cluster.orders") == source
    assert stack.sql(stack.host(0, 0), "EXISTS DATABASE e2e_cluster").strip() == "0"


def test_parallel_shards_bounds_how_many_run_at_once(stack, stack_plugin, stubs):
    seed(stack)
    chb = stack.chb(f"cl-seq-{time.time_ns()}", whitelist=["e2e_cluster.*"], prefix="cluster/")
    result = call(stack_plugin, stubs, "Backup", stack.cluster_chi, chb, {"parallel_shards": "1"})
    spans = []
    for shard in (0, 1):
        host = stack.host(shard, 0)
        row = stack.sql(host, "SELECT toUnixTimestamp64Micro(start_time), toUnixTimestamp64Micro(end_time) FROM system.backups "
                              f"WHERE id = '{result.metadata[f'host.{shard}.0.id']}' FORMAT TSV").split()
        spans.append((int(row[0]), int(row[1])))
    spans.sort()
    assert spans[0][1] <= spans[1][0], f"shards overlapped with parallel_shards=1: {spans}"


def test_two_backup_shards_merge_into_one_cluster_shard(stack, stack_plugin, stubs):
    seed(stack)
    counts = [int(stack.sql(stack.host(s, 0), "SELECT count() FROM e2e_cluster.orders").strip()) for s in (0, 1)]
    sums = [int(stack.sql(stack.host(s, 0), "SELECT sum(cityHash64(*)) FROM e2e_cluster.orders").strip()) for s in (0, 1)]
    chb = stack.chb(f"cl-merge-{time.time_ns()}", whitelist=["e2e_cluster.orders"], prefix="cluster/")
    call(stack_plugin, stubs, "Backup", stack.chi, chb)  # 2 shards
    drop_everywhere(stack)
    with pytest.raises(grpc.RpcError) as error:
        call(stack_plugin, stubs, "Restore", one_shard_chi(stack), chb)
    assert error.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "\"0:0,1:0\" to merge" in error.value.details()
    restored = call(stack_plugin, stubs, "Restore", one_shard_chi(stack), chb, {"shard_mapping": "0:0,1:0"})
    assert restored.metadata["host.0.0.from0.status"] == restored.metadata["host.0.0.from1.status"] == "RESTORED"
    host = stack.host(0, 0)
    assert int(stack.sql(host, "SELECT count() FROM e2e_cluster.orders").strip()) == sum(counts)
    # sum(cityHash64) adds up over rows: the merged table holds exactly both shards' rows.
    assert int(stack.sql(host, "SELECT sum(cityHash64(*)) FROM e2e_cluster.orders").strip()) == (sums[0] + sums[1]) % 2**64
