"""How the plugin follows operations on the real engine, by the host's query log: a long ASYNC
backup is watched in system.processes (its query, named by system.backups, is there while it
runs) and system.backups is read once a second and at the end; a small restore into empty
tables reads system.backups not at all; and the data comes back whole either way."""
import math
import time

import pytest

from stack_fixtures import call, on_every_host, stack, stack_plugin  # noqa: F401 (fixtures)


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


def test_a_long_backup_is_watched_in_the_process_list(stack, stack_plugin, stubs):
    size = int(stack.sql(0, "SELECT sum(bytes_on_disk) FROM system.parts WHERE database = 'e2e_follow' AND table = 'big' AND active").strip())
    chb = stack.chb(f"follow-{time.time_ns()}", whitelist=["e2e_follow.big"], prefix="follow/")
    before = [len(log_lines(stack, host)) for host in range(len(stack.hosts))]
    start = time.monotonic()
    # About three seconds a host (the throttler's first second goes at once).
    result = call(stack_plugin, stubs, "Backup", stack.chi, chb, {"type": "full", "max_backup_bandwidth": str(size // 4)},
                  check_dry_run=False)
    elapsed = time.monotonic() - start
    assert result.metadata["state"] == "Completed" and elapsed >= 2.5, elapsed
    for host in range(len(stack.hosts)):
        lines = log_lines(stack, host)[before[host]:]
        looks = [line for line in lines if "FROM system.processes WHERE query_id = " in line]
        reads = [line for line in lines if line.startswith('"SELECT status, error, query_id')]
        ends = [line for line in lines if line.startswith("\"SELECT 'operation' AS kind")]
        assert len(looks) >= 10, lines  # ClickHouse lists an ASYNC BACKUP under the query_id system.backups names
        # The first read, then one a second while it runs; its end is read once, with the rows after it.
        assert 1 <= len(reads) <= 1 + math.ceil(elapsed) and len(ends) == 1, lines
        assert not any("FROM system.tables" in line and "total_rows" in line and "'operation'" not in line
                       and "'table' AS kind" not in line for line in lines), lines
        assert result.metadata[f"host.{host}.0.status"] == "BACKUP_CREATED"
    restored = call(stack_plugin, stubs, "Restore", stack.chi, chb, {"database_mapping": "e2e_follow:e2e_follow_back"})
    assert restored.metadata["state"] == "Completed"
    for host in range(len(stack.hosts)):
        assert stack.checksum(host, "e2e_follow_back.big") == stack.checksum(host, "e2e_follow.big")


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
