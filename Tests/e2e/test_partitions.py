"""Issue 15 item 1: backups and restores of some partitions, on the stack. Asserted on the data:
count and sum(cityHash64(*)) of exactly the partitions taken, per host; the other partitions of
a live table untouched; the exact PARTITIONS clause (the call helper checks every dry-run
statement against the hosts' query logs)."""
import json
import time

import grpc
import pytest

from stack_fixtures import call, on_every_host, stack, stack_plugin  # noqa: F401 (fixtures)

MONTHS = {"202610": "2026-10-01", "202611": "2026-11-01", "202612": "2026-12-01"}


@pytest.fixture(autouse=True)
def tables(stack):
    on_every_host(stack, "DROP DATABASE IF EXISTS e2e_part SYNC", "CREATE DATABASE e2e_part",
                  "CREATE TABLE e2e_part.events (d Date, id UInt64, s String) ENGINE = MergeTree PARTITION BY toYYYYMM(d) ORDER BY id",
                  *[f"INSERT INTO e2e_part.events SELECT toDate('{day}') + number % 28, number, toString(number * ({{host}} + 7)) "
                    f"FROM numbers(1000 * ({{host}} + 1) + {int(month) % 100})" for month, day in MONTHS.items()],
                  "CREATE TABLE e2e_part.plain (id UInt64) ENGINE = MergeTree ORDER BY id", "INSERT INTO e2e_part.plain SELECT number FROM numbers(10)")
    yield
    on_every_host(stack, "DROP DATABASE IF EXISTS e2e_part SYNC")


def sums(stack, months, table="e2e_part.events"):
    """Per host: count and hash of the rows of `months` (all rows when None)."""
    where = "" if months is None else " WHERE toYYYYMM(d) IN (" + ", ".join(months) + ")"
    return [stack.sql(h, f"SELECT count(), sum(cityHash64(*)) FROM {table}{where}").strip() for h in range(len(stack.hosts))]


def chb(stack, label, whitelist=("e2e_part.events",)):
    return stack.chb(f"part-{label}-{time.time_ns()}", whitelist=list(whitelist), prefix="part/")


def test_a_backup_of_two_partitions_restores_exactly_them(stack, stack_plugin, stubs):
    taken = ["202611", "202612"]
    before = sums(stack, taken)
    definition = chb(stack, "two")
    plan = call(stack_plugin, stubs, "Backup", stack.chi, definition, {"partitions": "e2e_part.events:202611,202612", "dry_run": "true"})
    assert plan.metadata["sql.0.0"].startswith("BACKUP TABLE `e2e_part`.`events` PARTITIONS 202611, 202612 TO S3("), plan.metadata["sql.0.0"]
    result = call(stack_plugin, stubs, "Backup", stack.chi, definition, {"partitions": "e2e_part.events:202611,202612"})
    assert result.metadata["state"] == "Completed" and result.metadata["type"] == "full"
    manifest = json.loads(stack.s3_get(f"part/stack/demo/{definition['metadata']['name']}/manifest.json"))
    assert manifest["partitions"] == "e2e_part.events:202611,202612"
    # The fingerprint counts the partitions taken, not the table.
    assert [h["fingerprints"][0]["rows"] for h in manifest["hosts"]] == [int(s.split("\t")[0]) for s in before]
    on_every_host(stack, "DROP DATABASE e2e_part SYNC")
    restored = call(stack_plugin, stubs, "Restore", stack.chi, definition)
    assert restored.metadata["state"] == "Completed"
    assert sums(stack, taken) == before
    assert sums(stack, None) == before, "only the partitions taken came back"


def test_chosen_partitions_of_a_full_backup_go_back_into_the_live_table(stack, stack_plugin, stubs):
    whole = sums(stack, None)
    definition = chb(stack, "live")
    assert call(stack_plugin, stubs, "Backup", stack.chi, definition, {"type": "full"}).metadata["state"] == "Completed"
    on_every_host(stack, "ALTER TABLE e2e_part.events DROP PARTITION 202611")
    kept = sums(stack, ["202610", "202612"])
    restored = call(stack_plugin, stubs, "Restore", stack.chi, definition, {"partitions": "e2e_part.events:202611"})
    assert restored.metadata["state"] == "Completed"
    assert sums(stack, None) == whole, "the dropped partition is back, nothing else doubled"
    assert sums(stack, ["202610", "202612"]) == kept
    # Called again: the partition holds rows, and the earlier attempt restored them: nothing is appended.
    again = call(stack_plugin, stubs, "Restore", stack.chi, definition, {"partitions": "e2e_part.events:202611"}, check_dry_run=False)
    assert again.metadata["state"] == "Completed"
    assert sums(stack, None) == whole


def test_a_partition_holding_rows_is_never_appended_to(stack, stack_plugin, stubs):
    definition = chb(stack, "dup")
    assert call(stack_plugin, stubs, "Backup", stack.chi, definition, {"type": "full"}).metadata["state"] == "Completed"
    whole = sums(stack, None)
    with pytest.raises(grpc.RpcError) as refused:
        call(stack_plugin, stubs, "Restore", stack.chi, definition, {"partitions": "e2e_part.events:202611"})
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION, refused.value.details()
    assert "e2e_part.events" in refused.value.details()
    assert sums(stack, None) == whole


def test_partitions_are_refused_where_they_cannot_be(stack, stack_plugin, stubs):
    cases = [
        (["e2e_part.plain"], {"partitions": "e2e_part.plain:202611"}, grpc.StatusCode.FAILED_PRECONDITION, "has no partition key"),
        (["e2e_part.events"], {"partitions": "e2e_part.nosuch:202611"}, grpc.StatusCode.FAILED_PRECONDITION, "matches none of the tables"),
        (["e2e_part.events"], {"partitions": "e2e_part.events:202611", "type": "incremental"}, grpc.StatusCode.INVALID_ARGUMENT,
         'parameters["partitions"]'),
        (["e2e_part.events"], {"partitions": "e2e_part.events:1); DROP TABLE x"}, grpc.StatusCode.INVALID_ARGUMENT, 'parameters["partitions"]'),
    ]
    for whitelist, parameters, code, words in cases:
        with pytest.raises(grpc.RpcError) as refused:
            call(stack_plugin, stubs, "Backup", stack.chi, chb(stack, "bad", whitelist), parameters, check_dry_run=False)
        assert refused.value.code() == code and words in refused.value.details(), (parameters, refused.value.details())
    # A table without a partition key takes tuple(), its one partition.
    assert call(stack_plugin, stubs, "Backup", stack.chi, chb(stack, "tuple", ["e2e_part.plain"]),
                {"partitions": "e2e_part.plain:tuple()"}).metadata["state"] == "Completed"


def test_a_backup_of_some_partitions_is_never_a_base(stack, stack_plugin, stubs):
    definition = chb(stack, "base")
    partial = call(stack_plugin, stubs, "Backup", stack.chi, definition, {"partitions": "e2e_part.events:202612"})
    assert partial.metadata["type"] == "full"
    # The schedule's next backup (auto) builds on a whole backup of the CHI (earlier tests made
    # some), or is full when there is none: never on the partial one, the newest.
    following = dict(definition, metadata=dict(definition["metadata"], name=definition["metadata"]["name"] + "-next"))
    after = call(stack_plugin, stubs, "Backup", stack.chi, following)
    assert after.metadata.get("base_backup") != definition["metadata"]["name"], after.metadata
    if after.metadata["type"] == "incremental":
        assert after.metadata["type_reason"].startswith("auto:"), after.metadata
