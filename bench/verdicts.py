"""How the backup-path benchmarks (bench/backup.py, bench/cluster.py) judge their targets.

A plugin call's wall time is ClickHouse's own time for its statement (system.backups: end_time -
start_time) plus what the caller adds around it (its "driver" time). On this machine ClickHouse's
own time for the same BACKUP of 10M rows spreads by 15-20% from run to run (the S3 server's CPU,
and page cache taken from memory a nested VM has handed back to its host), and adjacent runs are
barely correlated (0.2 for backups, none for restores), so the wall ratio of 15-45 runs a side
has a 90% interval of +-5% to +-10%: a 1.05x target met or missed by that noise alone. The
targets are therefore judged on what the plugin adds, with ClickHouse's own time made equal on
both sides (the raw side's median wall time plus the plugin's median driver time minus the raw
side's), which holds still to about 1% between runs; and on a check that ClickHouse's own time is
the same work on both sides: every statement the plugin sent was awaited (no ASYNC, which costs
the engine about 10% more here) and the plugin read nothing of system.backups (each read
competes with a running statement). The wall figure is printed beside it with its 90% interval,
and must not contradict the target: the interval's low end within it.
"""
import json
import random
import statistics


def interval(first, second, statistic, draws=2000, seed=13):
    """The 90% interval of statistic(median(first), median(second)) by the bootstrap: each side's
    runs drawn again with replacement, `draws` times (seeded: the same runs print the same
    interval). Wide where ClickHouse's own time spreads: a median that misses a target inside
    it says as little as one that meets it."""
    rng = random.Random(seed)
    values = sorted(statistic(statistics.median(rng.choices(first, k=len(first))), statistics.median(rng.choices(second, k=len(second))))
                    for _ in range(draws))
    return values[draws // 20], values[draws - 1 - draws // 20]


def own_share(raw_walls, raw_drivers, plugin_drivers):
    """The plugin's wall time over the raw side's with ClickHouse's own time equal on both
    sides, as a ratio: (raw wall + plugin driver - raw driver) / raw wall, medians."""
    raw = statistics.median(raw_walls)
    return (raw + statistics.median(plugin_drivers) - statistics.median(raw_drivers)) / raw


def added_seconds(raw_drivers, plugin_drivers):
    """What the plugin adds to a call, ClickHouse's own time equal: the difference of the
    medians of the two sides' driver times."""
    return statistics.median(plugin_drivers) - statistics.median(raw_drivers)


def statement_forms(query_logs, ids):
    """What the plugin sent ClickHouse for the operations `ids` (its host ids, `host.S.R.id`),
    from the stack's query logs: how many BACKUP/RESTORE statements carried them, how many of
    those were ASYNC, and how many reads of system.backups named one of them (the benchmarks'
    own reads of ClickHouse's times, which select `start_time`, are not the plugin's: it never
    reads that column)."""
    wanted = {f"id = '{operation}'" for operation in ids}
    found = {"statements": 0, "async": 0, "backups_reads": 0}
    for path in query_logs:
        with open(path) as log:
            for line in log:
                statement = json.loads(line)
                named = any(key in statement for key in wanted)
                if named and statement.startswith(("BACKUP ", "RESTORE ")):
                    found["statements"] += 1
                    found["async"] += statement.rstrip().endswith("ASYNC")
                elif "system.backups" in statement and "start_time" not in statement \
                        and any(f"'{operation}" in statement for operation in ids):
                    found["backups_reads"] += 1
    return found


def same_engine_work(forms, calls):
    """Whether ClickHouse did for the plugin what it did for the raw side: one awaited statement
    per call and host, and no read of system.backups from the plugin."""
    return forms["statements"] == calls and forms["async"] == 0 and forms["backups_reads"] == 0


def judge_statements(query_logs, ids, unit="calls"):
    """Prints what the plugin sent ClickHouse for `ids` (``statement_forms``) and returns
    whether it was the raw side's work (``same_engine_work``): one statement per id."""
    forms = statement_forms(query_logs, ids)
    same = same_engine_work(forms, len(ids))
    print(f"the plugin's statements: {forms['statements']} for {len(ids)} {unit}, {forms['async']} of them ASYNC, "
          f"{forms['backups_reads']} reads of system.backups: " + ("the raw side's work" if same else "NOT the raw side's work"))
    return same
