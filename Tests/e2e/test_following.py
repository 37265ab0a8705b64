"""How the plugin follows operations on the real engine, by the host's query log: a long ASYNC
backup is watched in its bucket (ClickHouse writes the `.backup` file last), so the server is
asked nothing while it runs but a status read once a second, and its end is read once; a small
restore into empty tables reads system.backups not at all; and the data comes back whole either way."""
import json
import math
import time

import pytest

from conftest import Plugin
from stack_fixtures import call, on_every_host, plugin_env, stack, stack_plugin  # noqa: F401 (fixtures)


@pytest.fixture(autouse=True)
def tables(stack):
    on_every_host(stack, "DROP DATABASE IF EXISTS e2e_follow SYNC", "DROP DATABASE IF EXISTS e2e_follow_back SYNC",
                  "CREATE DATABASE e2e_follow",
                  "CREATE TABLE e2e_follow.big (id UInt64, s String) ENGINE = MergeTree ORDER BY id",
                  "INSERT INTO e2e_follow.big SELECT number, randomPrintableASCII(200) FROM numbers(20000)",  # ~4 MB, incompressible
                  "CREATE TABLE e2e_follow.small (id UInt64, s String) ENGINE = MergeTree ORDER BY id",
                  "INSERT INTO e2e_follow.small SELECT number, toString(number) FROM numbers(100)")
    yield
    on_every_host(stack, "DROP DATABASE IF EXISTS e2e_follow SYNC", "DROP DATABASE IF EXISTS e2e_follow_back SYNC")


def log_lines(stack, host):
    with open(stack.hosts[host]["query_log"]) as log:
        return log.read().splitlines()


def test_a_long_backup_is_watched_in_its_bucket(stack, stack_plugin, stubs):
    size = int(stack.sql(0, "SELECT sum(bytes_on_disk) FROM system.parts WHERE database = 'e2e_follow' AND table = 'big' AND active").strip())
    chb = stack.chb(f"follow-{time.time_ns()}", whitelist=["e2e_follow.big"], prefix="follow/")
    before = [len(log_lines(stack, host)) for host in range(len(stack.hosts))]
    start = time.monotonic()
    # About three seconds a host (the throttler's first second goes at once).
    result = call(stack_plugin, stubs, "Backup", stack.chi, chb, {"type": "full", "max_backup_bandwidth": str(size // 4)},
                  check_dry_run=False)
    answered, elapsed = time.time(), time.monotonic() - start
    assert result.metadata["state"] == "Completed" and elapsed >= 2.5, elapsed
    ended = []
    for host in range(len(stack.hosts)):
        lines = log_lines(stack, host)[before[host]:]
        looks = [line for line in lines if "FROM system.processes WHERE query_id = " in line]
        reads = [line for line in lines if line.startswith('"SELECT status, error, query_id')]
        ends = [line for line in lines if line.startswith("\"SELECT 'operation' AS kind")]
        # Nothing asked while it ran but the progress read once a second (a look or two after
        # the file is seen, should the status not say so yet); its end read once, with the rows
        # after it (or, when a once-a-second read saw the end first, the rows right after it).
        assert len(looks) <= 2, lines
        rows = [line for line in lines if line.startswith('"SELECT database, name, ifNull(toString(total_rows)')]
        assert len(reads) <= 1 + math.ceil(elapsed) and len(ends) + len(rows) == 1, lines
        assert result.metadata[f"host.{host}.0.status"] == "BACKUP_CREATED"
        ended.append(float(stack.sql(host, f"SELECT toUnixTimestamp64Micro(toDateTime64(end_time, 6)) / 1e6 FROM system.backups "
                                           f"WHERE id = '{result.metadata[f'host.{host}.0.id']}'").strip()))
    # The end was seen in the bucket soon after the last host's (5% of the time run, a read, the manifest).
    assert answered - max(ended) < 0.5, (answered, ended)
    restored = call(stack_plugin, stubs, "Restore", stack.chi, chb, {"database_mapping": "e2e_follow:e2e_follow_back"})
    assert restored.metadata["state"] == "Completed"
    for host in range(len(stack.hosts)):
        assert stack.checksum(host, "e2e_follow_back.big") == stack.checksum(host, "e2e_follow.big")


def backup_statements(stack, before):
    """Every host's BACKUP statements sent since `before` (line counts of the query logs)."""
    return [[json.loads(line) for line in log_lines(stack, host)[before[host]:] if line.startswith('"BACKUP ')]
            for host in range(len(stack.hosts))]


def test_the_inline_backup_bound_decides_which_backups_are_awaited(stack, stack_plugin, stubs):
    """`--inline-backup-mib`: a backup of ~4 MB a host is awaited under the default bound (256 MiB),
    sent ASYNC and followed under a bound of 1 MiB, and every backup is ASYNC with 0; each
    restores to the same rows."""
    bounded = {bound: Plugin(env=plugin_env(stack, CLICKHOUSE_BACKUP_PLUGIN_INLINE_BACKUP_MIB=bound)) for bound in ("1", "0")}
    try:
        for plugin, table, is_async in ((stack_plugin, "big", False), (bounded["1"], "big", True), (bounded["1"], "small", False),
                                        (bounded["0"], "small", True)):
            chb = stack.chb(f"follow-bound-{time.time_ns()}", whitelist=[f"e2e_follow.{table}"], prefix="follow/")
            before = [len(log_lines(stack, host)) for host in range(len(stack.hosts))]
            result = call(plugin, stubs, "Backup", stack.chi, chb, {"type": "full"}, check_dry_run=False)
            assert result.metadata["state"] == "Completed"
            for host, statements in enumerate(backup_statements(stack, before)):
                assert len(statements) == 1 and statements[0].rstrip().endswith(" ASYNC") == is_async, (table, statements)
                assert result.metadata[f"host.{host}.0.status"] == "BACKUP_CREATED"
            on_every_host(stack, "DROP DATABASE IF EXISTS e2e_follow_back SYNC")
            call(plugin, stubs, "Restore", stack.chi, chb, {"database_mapping": "e2e_follow:e2e_follow_back"})
            for host in range(len(stack.hosts)):
                assert stack.checksum(host, f"e2e_follow_back.{table}") == stack.checksum(host, f"e2e_follow.{table}")
    finally:
        for plugin in bounded.values():
            plugin.stop()


def test_a_small_restore_into_empty_tables_reads_no_system_backups(stack, stack_plugin, stubs):
    chb = stack.chb(f"follow-small-{time.time_ns()}", whitelist=["e2e_follow.small"], prefix="follow/")
    backup = call(stack_plugin, stubs, "Backup", stack.chi, chb)
    before = [len(log_lines(stack, host)) for host in range(len(stack.hosts))]
    restored = call(stack_plugin, stubs, "Restore", stack.chi, chb, {"database_mapping": "e2e_follow:e2e_follow_back"}, check_dry_run=False)
    assert restored.metadata["state"] == "Completed" and restored.metadata["table.e2e_follow_back.small"] == "restored"
    # Its sizes are its backup's, as ClickHouse reports them for a RESTORE.
    for key in ("num_files", "total_size", "compressed_size", "uncompressed_size"):
        assert restored.metadata[key] == backup.metadata[key] and int(backup.metadata[key]) > 0, key
    for host in range(len(stack.hosts)):
        lines = log_lines(stack, host)[before[host]:]
        assert [line for line in lines if line.startswith('"RESTORE ')] and not any("system.backups" in line for line in lines), lines
        assert stack.checksum(host, "e2e_follow_back.small") == stack.checksum(host, "e2e_follow.small")
    # Called again: the rows are there, nothing is restored twice.
    again = call(stack_plugin, stubs, "Restore", stack.chi, chb, {"database_mapping": "e2e_follow:e2e_follow_back"})
    assert again.metadata["table.e2e_follow_back.small"] == "already present"
    # Dropped and called again: ClickHouse refuses the first attempt's id, the next attempt restores it, once.
    on_every_host(stack, "DROP TABLE e2e_follow_back.small SYNC")
    third = call(stack_plugin, stubs, "Restore", stack.chi, chb, {"database_mapping": "e2e_follow:e2e_follow_back"})
    assert third.metadata["state"] == "Completed" and third.metadata["host.0.0.id"].endswith("-a2"), third.metadata
    for host in range(len(stack.hosts)):
        assert stack.checksum(host, "e2e_follow_back.small") == stack.checksum(host, "e2e_follow.small")


def test_a_small_backups_sizes_come_from_its_backup_file_as_system_backups_says(stack, stack_plugin, stubs):
    """Every kind of object ClickHouse backs up, full and incremental: the sizes the plugin
    counted from each part's `.backup` file are what system.backups says of that BACKUP, and the
    plugin read no system.backups to get them."""
    on_every_host(stack, "CREATE TABLE e2e_follow.dup (id UInt64, s String) ENGINE = MergeTree ORDER BY id",
                  *["INSERT INTO e2e_follow.dup SELECT number, 'same' FROM numbers(1000)"] * 3,  # identical parts: deduplicated files
                  "CREATE TABLE e2e_follow.src (id UInt64) ENGINE = MergeTree ORDER BY id",
                  "CREATE MATERIALIZED VIEW e2e_follow.mv ENGINE = SummingMergeTree ORDER BY id AS "
                  "SELECT id % 10 AS id, count() AS c FROM e2e_follow.src GROUP BY id",
                  "INSERT INTO e2e_follow.src SELECT number FROM numbers(5000)",
                  "CREATE TABLE e2e_follow.log (id UInt64) ENGINE = Log", "INSERT INTO e2e_follow.log SELECT number FROM numbers(100)",
                  "CREATE TABLE e2e_follow.empty (id UInt64) ENGINE = MergeTree ORDER BY id")
    chbs = {kind: stack.chb(f"follow-{kind}-{time.time_ns()}", whitelist=["e2e_follow.*"], blacklist=["e2e_follow.big"], prefix="follow/")
            for kind in ("full", "inc")}
    for kind, parameters in (("full", {"type": "full"}), ("inc", {"type": "incremental"})):
        if kind == "inc":  # new parts, and rows appended to the Log table (a file partly in the base)
            on_every_host(stack, "INSERT INTO e2e_follow.dup SELECT number, 'new' FROM numbers(10)",
                          "INSERT INTO e2e_follow.log SELECT number FROM numbers(5)")
        before = [len(log_lines(stack, host)) for host in range(len(stack.hosts))]
        result = call(stack_plugin, stubs, "Backup", stack.chi, chbs[kind], parameters, check_dry_run=False)
        assert result.metadata["state"] == "Completed" and result.metadata["type"] == ("full" if kind == "full" else "incremental"), result.metadata
        manifest = json.loads(stack.s3_get(f"follow/stack/demo/{chbs[kind]['metadata']['name']}/manifest.json"))
        for host in range(len(stack.hosts)):
            lines = log_lines(stack, host)[before[host]:]
            assert [line for line in lines if line.startswith('"BACKUP ') and not line.endswith(' ASYNC"')], lines
            assert not any("system.backups" in line for line in lines), lines
            entry = next(h for h in manifest["hosts"] if h["shard"] == host)
            engine = stack.sql(host, f"SELECT num_files, total_size, compressed_size, uncompressed_size FROM system.backups "
                                     f"WHERE id = '{entry['clickhouse_id']}' FORMAT TSV").split()
            assert [str(entry[key]) for key in ("num_files", "total_size", "compressed_size", "uncompressed_size")] == engine, (kind, entry)
    restored = call(stack_plugin, stubs, "Restore", stack.chi, chbs["inc"], {"database_mapping": "e2e_follow:e2e_follow_back"})
    assert restored.metadata["state"] == "Completed"
    for host in range(len(stack.hosts)):
        for table in ("dup", "src", "log", "mv"):
            assert stack.checksum(host, f"e2e_follow_back.{table}") == stack.checksum(host, f"e2e_follow.{table}"), table
