#!/usr/bin/env python3
"""Backup benchmark (issue 3): the plugin's Backup/Restore RPCs against raw SQL on the same host.

The baseline is the physical limit here: a synchronous `BACKUP TABLE ... TO S3(...)` (and
`RESTORE ... FROM S3(...)`) sent straight to the host's HTTP interface, which is everything
ClickHouse itself has to do. The plugin does the same work plus planning, table listing, the
manifest (two S3 PUTs), and following the operation: a backup under --inline-backup-mib and a
restore under --inline-restore-mib (both defaults take the 10M-row table, ~126 MB) are sent as
the raw side sends them, and awaited; bigger ones run ASYNC and are followed. Measured in one
run, alternating raw and plugin, medians of --repeat runs (the big table's restores: --restore-passes
pairs a round, since a restore is short and its engine time spreads as much):
  - plugin/raw time for backup and for restore of a --rows table (target <= 1.05),
  - absolute added milliseconds for a 10-row table (target < 30 ms),
  - the plugin's peak RSS (VmHWM) while it drives the backups (target < 30 MB),
and, to show what following an ASYNC RESTORE costs on this stack apart from the plugin, a raw
ASYNC RESTORE followed by the least a caller can do (printed, not a target).
Measuring starts once the load's merges are done, and each side after the last one's writes are
flushed (quiesce(), settle()). Every restore is checked: count() and sum(cityHash64(*)) equal to the source. Each figure is
printed with its spread (min..max over the runs), its 90% bootstrap interval, what it would be
with ClickHouse's own time equal on both sides (the plugin's own share), and the plugin's own
phases (`timing.*_ms` of its answers) as medians, so a slip names the phase it came from.

Uses the running stack in .stack if there is one, else starts a 1-host stack in .stack-bench
and stops it at the end. Usage: make bench-backup  (or: python3 bench/backup.py [--rows N])
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests/e2e"))
from conftest import Plugin  # noqa: E402  (the e2e harness: the real binary on a free port)

import grpc  # noqa: E402


def stubs():
    from grpc_tools import protoc
    import grpc_tools
    out = tempfile.mkdtemp(prefix="bench-stubs-")
    protos = [str(p.relative_to(ROOT / "proto")) for p in (ROOT / "proto").rglob("*.proto")]
    include = str(pathlib.Path(grpc_tools.__file__).parent / "_proto")
    if protoc.main(["protoc", f"-I{ROOT / 'proto'}", f"-I{include}", f"--python_out={out}", f"--grpc_python_out={out}", *protos]):
        raise SystemExit("protoc failed")
    sys.path.insert(0, out)
    import importlib
    return importlib.import_module("altinity.backup.v1.backup_pb2"), importlib.import_module("altinity.backup.v1.backup_pb2_grpc")


class Host:
    def __init__(self, info):
        self.info = info
        self.address = info["hosts"][0]["address"]

    def sql(self, query):
        request = urllib.request.Request(f"http://{self.address}:8123/?wait_end_of_query=1", data=query.encode(),
                                         headers={"X-ClickHouse-User": self.info["clickhouse_user"],
                                                  "X-ClickHouse-Key": self.info["clickhouse_password"]})
        try:
            with urllib.request.urlopen(request, timeout=3600) as response:
                return response.read().decode()
        except urllib.error.HTTPError as error:
            raise RuntimeError(error.read().decode()) from None

    def checksum(self, table):
        return self.sql(f"SELECT count(), sum(cityHash64(*)) FROM {table}").strip()

    def s3(self, path):
        return (f"S3('{self.info['s3_endpoint']}/{self.info['bucket']}/{path}', "
                f"'{self.info['access_key']}', '{self.info['secret_key']}')")


def one_host_chi(info, uid):
    """A CHI of the stack's first host alone, as the operator would send it."""
    return {"apiVersion": "clickhouse.altinity.com/v1", "kind": "ClickHouseInstallation",
            "metadata": {"name": "demo", "namespace": "stack", "uid": uid},
            "spec": {"configuration": {"clusters": [{"name": "main", "layout": {"shardsCount": 1, "replicasCount": 1}}]}},
            "status": {"fqdns": [info["hosts"][0]["fqdn"]]}}


def chb_definition(info, name, table, folder):
    """A CHB backing up `table` (db.name) to `folder` of the stack's bucket."""
    return {"apiVersion": "clickhouse-backup.altinity.com/v1", "kind": "ClickHouseBackup",
            "metadata": {"name": name, "namespace": "stack"},
            "spec": {"method": "plugin", "pluginConfiguration": {"name": "clickhouse.backup.altinity.com"},
                     "ClickhouseInstallation": {"name": "demo", "cluster": {"name": "main"}},
                     "backup": {"s3": {"destinationPath": f"s3://{info['bucket']}/{folder}",
                                       "endpointURL": info["s3_endpoint"],
                                       "s3Credentials": {"accessKeyId": {"name": "s3-credentials", "key": "accessKeyId"},
                                                         "secretAccessKey": {"name": "s3-credentials", "key": "secretAccessKey"}}},
                                "dbTable": {"whiteList": [table]}}}}


def plugin_for(info):
    """The release plugin wired to a stack (its --resolve list, ClickHouse password, secrets)."""
    return Plugin(env={"CLICKHOUSE_BACKUP_PLUGIN_RESOLVE": info["resolve"],
                       "CLICKHOUSE_BACKUP_PLUGIN_CLICKHOUSE_USER": info["clickhouse_user"],
                       "CLICKHOUSE_BACKUP_PLUGIN_CLICKHOUSE_PASSWORD": info["clickhouse_password"],
                       "CLICKHOUSE_BACKUP_PLUGIN_SECRETS_DIR": info["secrets_dir"]})


def settle(seconds):
    """Before a measured side: the previous side's writes flushed to disk (`sync`), then a pause.
    Without the flush, the kernel writes back the last backup's or restore's 126 MB while the
    next side runs: a raw RESTORE took 300 ms or 650 ms by where that write-back fell (every
    third run), which no median of 9 evens out between two sides."""
    os.sync()
    time.sleep(seconds)


def quiesce(hosts):
    """After loading: every host's merges of the new parts done (about 2 s for 10M rows here),
    so that they do not run under the first measured rounds, then the writes flushed."""
    deadline = time.time() + 120
    while time.time() < deadline and any(host.sql("SELECT count() FROM system.merges").strip() != "0" for host in hosts):
        time.sleep(0.2)
    os.sync()


def timed(action):
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def interval(first, second, statistic, draws=2000, seed=13):
    """The 90% interval of statistic(median(first), median(second)) by the bootstrap: each side's
    runs drawn again with replacement, `draws` times (seeded: the same runs print the same
    interval). Wide where ClickHouse's own time spreads: a median that misses a target inside
    it says as little as one that meets it."""
    import random
    rng = random.Random(seed)
    values = sorted(statistic(statistics.median(rng.choices(first, k=len(first))), statistics.median(rng.choices(second, k=len(second))))
                    for _ in range(draws))
    return values[draws // 20], values[draws - 1 - draws // 20]


class PeakRSS:
    """Samples the plugin's VmHWM (peak resident set) from /proc."""

    def __init__(self, pid):
        self.path = pathlib.Path(f"/proc/{pid}/status")

    def peak_kib(self):
        for line in self.path.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=15, help="runs per side for the big table (median)")
    parser.add_argument("--tiny-repeat", type=int, default=15, help="runs per side for the tiny table (median)")
    parser.add_argument("--restore-passes", type=int, default=3, help="restore pairs per round of the big table")
    parser.add_argument("--plugin", default=str(ROOT / ".build/release/clickhouse-backup-plugin"))
    args = parser.parse_args()

    stack_dir, started = ROOT / ".stack", False
    if not (stack_dir / "stack.json").exists():
        stack_dir, started = ROOT / ".stack-bench", True
        subprocess.run([str(ROOT / "scripts/stack"), "up", "--shards", "1", "--replicas", "1", "--dir", str(stack_dir)],
                       check=True, timeout=300)
    try:
        return run(args, json.loads((stack_dir / "stack.json").read_text()))
    finally:
        if started:
            subprocess.run([str(ROOT / "scripts/stack"), "down", "--dir", str(stack_dir)], check=True, timeout=120)


def run(args, info):
    os.environ["PLUGIN_BIN"] = args.plugin
    backup_pb2, backup_grpc = stubs()
    host = Host(info)
    first = info["hosts"][0]
    # A CHI of one host: the plugin does exactly the work of the raw statement, on the same host.
    chi = one_host_chi(info, "bench-chi")
    run_id = time.strftime("%Y%m%d%H%M%S")

    print(f"loading bench.big ({args.rows:,} rows) and bench.tiny (10 rows) on {first['fqdn']} ...", flush=True)
    host.sql("DROP DATABASE IF EXISTS bench SYNC")
    host.sql("CREATE DATABASE bench")
    host.sql("CREATE TABLE bench.big (id UInt64, name String, value Float64, at DateTime) ENGINE = MergeTree ORDER BY id")
    host.sql(f"INSERT INTO bench.big SELECT number, concat('name-', toString(number % 100000)), rand() / 7, "
             f"toDateTime('2026-01-01 00:00:00') + number % 31536000 FROM numbers({args.rows})")
    host.sql("CREATE TABLE bench.tiny (id UInt64, name String) ENGINE = MergeTree ORDER BY id")
    host.sql("INSERT INTO bench.tiny SELECT number, toString(number) FROM numbers(10)")
    sums = {table: host.checksum(f"bench.{table}") for table in ("big", "tiny")}
    quiesce([host])

    plugin = plugin_for(info)
    channel = grpc.insecure_channel(plugin.address)
    stub = backup_grpc.BackupStub(channel)
    rss = PeakRSS(plugin.process.pid)

    def chb(name, table):
        return chb_definition(info, name, f"bench.{table}", f"bench/{run_id}/plugin/")

    def rpc(method, definition, parameters=None):
        message = backup_pb2.BackupRequest if method == "Backup" else backup_pb2.RestoreRequest
        request = message(chi_definition=json.dumps(chi).encode(), backup_definition=json.dumps(definition).encode(),
                          parameters=parameters or {})
        return getattr(stub, method)(request, timeout=3600)

    def verify(table, restored):
        got = host.checksum(restored)
        if got != sums[table]:
            raise SystemExit(f"restore of bench.{table} into {restored}: {got} != {sums[table]}")
        host.sql(f"DROP DATABASE {restored.split('.')[0]} SYNC")

    def engine_seconds(operation):
        """How long ClickHouse itself spent on an operation, from system.backups."""
        row = host.sql(f"SELECT dateDiff('microsecond', start_time, end_time), status FROM system.backups "
                       f"WHERE id = '{operation}' FORMAT TSV").split()
        if len(row) != 2 or row[1] not in ("BACKUP_CREATED", "RESTORED"):
            raise SystemExit(f"operation {operation}: {row}")
        return int(row[0]) / 1e6

    def measure(table, runs, warmup=1, pause=0.0, restore_passes=1):
        """Median wall time per side, and median wall minus ClickHouse's own time (the driver's cost).
        `restore_passes`: restore pairs per round (each pass into tables of its own, the order
        alternating pass by pass): a restore is short, and its figure needs more samples
        than a backup's to hold still, for ClickHouse's own time spreads alike."""
        wall = {key: [] for key in ("raw backup", "plugin backup", "raw restore", "plugin restore", "raw async restore")}
        driver = {key: [] for key in wall}
        phases = {"backup": {}, "restore": {}}
        engine = {"sync": [], "async": []}

        def keep_phases(verb, metadata):
            for key, value in metadata.items():
                if key.startswith("timing.") and i >= 0:
                    phases[verb].setdefault(key[7:], []).append(int(value))
        for i in range(-warmup, runs):
            n = i + warmup
            name, raw_path = f"{table}-{n}", f"bench/{run_id}/raw/{table}-{n}/"
            ids = {}

            def raw_backup():
                ids["raw backup"] = f"bench-{run_id}-{name}-backup"
                host.sql(f"BACKUP TABLE bench.{table} TO {host.s3(raw_path)} SETTINGS id = '{ids['raw backup']}'")

            def raw_async_backup():
                # The same statement ASYNC, as the plugin sends it: ClickHouse's own time for it
                # (engine_seconds) is what ASYNC costs the engine, apart from any caller.
                ids["raw async backup"] = f"bench-{run_id}-{name}-async"
                host.sql(f"BACKUP TABLE bench.{table} TO {host.s3(raw_path + 'async/')} SETTINGS id = '{ids['raw async backup']}' ASYNC")
                while host.sql(f"SELECT status FROM system.backups WHERE id = '{ids['raw async backup']}' FORMAT TSV").strip() \
                        in ("CREATING_BACKUP", ""):
                    time.sleep(0.25)

            def plugin_backup():
                # type=full: like the raw side. The default (auto) would make every run after the
                # first an incremental of an unchanged table, which is not the same work.
                result = rpc("Backup", chb(name, table), {"type": "full"})
                assert result.metadata["type"] == "full", result.metadata
                ids["plugin backup"] = result.metadata["host.0.0.id"]
                keep_phases("backup", result.metadata)

            def raw_restore(k):
                ids["raw restore"] = f"bench-{run_id}-{name}-restore-{k}"
                host.sql(f"RESTORE TABLE bench.{table} AS raw_{table}_{n}_{k}.{table} FROM {host.s3(raw_path)} "
                         f"SETTINGS id = '{ids['raw restore']}'")

            def raw_async_restore():
                # The least a caller of an ASYNC RESTORE can do to see its end: a look in
                # system.processes at the plugin's pace (5% of the time run, at least 10 ms),
                # then one read of system.backups. What following costs here, apart from the plugin.
                ids["raw async restore"] = f"bench-{run_id}-{name}-async-restore"
                host.sql(f"RESTORE TABLE bench.{table} AS async_{table}_{n}.{table} FROM {host.s3(raw_path)} "
                         f"SETTINGS id = '{ids['raw async restore']}' ASYNC")
                started = time.perf_counter()
                needle = f"id = \\'{ids['raw async restore']}\\'"
                query = host.sql(f"SELECT query_id FROM system.processes WHERE position(query, '{needle}') > 0 FORMAT TSV").strip()
                while query and host.sql(f"SELECT 1 FROM system.processes WHERE query_id = '{query}' FORMAT TSV").strip():
                    time.sleep(max(0.01, 0.05 * (time.perf_counter() - started)))
                while host.sql(f"SELECT status FROM system.backups WHERE id = '{ids['raw async restore']}' FORMAT TSV").strip() == "RESTORING":
                    time.sleep(0.01)

            def plugin_restore(k):
                result = rpc("Restore", chb(name, table), {"database_mapping": f"bench:plugin_{table}_{n}_{k}"})
                ids["plugin restore"] = result.metadata["host.0.0.id"]
                keep_phases("restore", result.metadata)

            for k in range(restore_passes):
                host.sql(f"CREATE DATABASE raw_{table}_{n}_{k}")
            settle(pause)
            raw_async_backup()
            if i >= 0:
                engine["sync"].append(engine_seconds(ids["raw backup"]) if "raw backup" in ids else None)
                engine["async"].append(engine_seconds(ids["raw async backup"]))
            # Round -1 warms caches and is not counted. Sides alternate who goes first (round by
            # round, and restore pass by pass), and each starts after settle(): the one right
            # after a large backup would meet its write-back.
            steps = [(("raw backup", raw_backup), ("plugin backup", plugin_backup), n % 2)]
            steps += [(("raw restore", lambda k=k: raw_restore(k)), ("plugin restore", lambda k=k: plugin_restore(k)), (n + k) % 2)
                      for k in range(restore_passes)]
            for first, second, turn in steps:
                for label, action in ((first, second) if turn == 0 else (second, first)):
                    settle(pause)
                    elapsed = timed(action)
                    if i >= 0:
                        wall[label].append(elapsed)
                        driver[label].append(elapsed - engine_seconds(ids[label]))
            host.sql(f"CREATE DATABASE async_{table}_{n}")
            settle(pause)
            elapsed = timed(raw_async_restore)
            if i >= 0:
                engine["sync"][-1] = engine_seconds(ids["raw backup"])
                wall["raw async restore"].append(elapsed)
            for k in range(restore_passes):
                verify(table, f"raw_{table}_{n}_{k}.{table}")
                verify(table, f"plugin_{table}_{n}_{k}.{table}")
            verify(table, f"async_{table}_{n}.{table}")
        return wall, driver, phases, engine

    try:
        print("tiny table ...", flush=True)
        tiny, tiny_driver, tiny_phases, tiny_engine = measure("tiny", args.tiny_repeat)
        print(f"big table ({args.repeat} runs per side, {args.repeat * args.restore_passes} restores) ...", flush=True)
        big, big_driver, big_phases, big_engine = measure("big", args.repeat, pause=0.5, restore_passes=args.restore_passes)
        peak = rss.peak_kib()
        # Issue 15: a throttled backup of the big table takes the time its limit implies.
        big_bytes = int(host.sql("SELECT sum(bytes_on_disk) FROM system.parts WHERE database = 'bench' AND table = 'big' AND active").strip())
        limit = max(1, big_bytes // 3)
        throttled = timed(lambda: rpc("Backup", chb(f"big-throttled-{run_id}", "big"), {"type": "full", "max_backup_bandwidth": str(limit)}))
        # What fingerprint=data adds to a backup: one read of every row (rows alone are free).
        hashing = sorted(timed(lambda: host.checksum("bench.big")) for _ in range(3))[1]
        backups_rows = host.sql("SELECT count() FROM system.backups").strip()
        backups_read = []
        for _ in range(9):
            backups_read.append(timed(lambda: host.sql("SELECT status FROM system.backups WHERE id = 'none'")))
    finally:
        channel.close()
        plugin.stop()
        host.sql("DROP DATABASE IF EXISTS bench SYNC")

    median = statistics.median
    print(f"\nwall time, median of runs [min..max]; 'driver' = wall time minus ClickHouse's own time for the "
          f"operation (system.backups end_time - start_time): what the caller adds\n")
    print(f"{'':24} {'raw SQL':>18} {'plugin':>18} {'ratio':>7} {'added':>8} {'raw driver':>11} {'plugin driver':>14}")
    verdicts = []
    spread = lambda values: f"{1000 * median(values):>5.0f}ms [{1000 * min(values):.0f}..{1000 * max(values):.0f}]"
    for size, walls, drivers in ((f"{args.rows:,} rows", big, big_driver), ("10 rows", tiny, tiny_driver)):
        for label in ("backup", "restore"):
            raw, ours = walls[f"raw {label}"], walls[f"plugin {label}"]
            print(f"{label + ' ' + size:24} {spread(raw):>18} {spread(ours):>18} {median(ours) / median(raw):>6.3f}x "
                  f"{1000 * (median(ours) - median(raw)):>6.0f}ms {1000 * median(drivers[f'raw {label}']):>9.0f}ms "
                  f"{1000 * median(drivers[f'plugin {label}']):>12.0f}ms")
            verdicts.append(median(ours) / median(raw) <= 1.05 if size != "10 rows" else 1000 * (median(ours) - median(raw)) < 30)
    print(f"\nhow far each figure can be trusted: its 90% interval (bootstrap of the runs), and what it would be with "
          f"ClickHouse's own time equal on both sides (raw wall + plugin driver - raw driver)")
    for size, walls, drivers in ((f"{args.rows:,} rows", big, big_driver), ("10 rows", tiny, tiny_driver)):
        for label in ("backup", "restore"):
            raw, ours = walls[f"raw {label}"], walls[f"plugin {label}"]
            share = median(raw) + median(drivers[f"plugin {label}"]) - median(drivers[f"raw {label}"])
            if size == "10 rows":
                low, high = interval(raw, ours, lambda a, b: 1000 * (b - a))
                print(f"{label + ' ' + size:24} added {1000 * (median(ours) - median(raw)):.0f} ms, 90% in [{low:+.0f}..{high:+.0f}] ms; "
                      f"ClickHouse's time equal: {1000 * (share - median(raw)):+.0f} ms")
            else:
                low, high = interval(raw, ours, lambda a, b: b / a)
                print(f"{label + ' ' + size:24} {median(ours) / median(raw):.3f}x, 90% in [{low:.3f}..{high:.3f}]x ({len(raw)} runs a side); "
                      f"ClickHouse's time equal: {share / median(raw):.3f}x")
    for size, phases in ((f"{args.rows:,} rows", big_phases), ("10 rows", tiny_phases)):
        for verb, found in phases.items():
            print(f"plugin phases, {verb} {size}: " + ", ".join(f"{name} {median(values):.0f}" for name, values in sorted(found.items())))
    for size, engine in ((f"{args.rows:,} rows", big_engine), ("10 rows", tiny_engine)):
        sync, asynchronous = median(engine["sync"]), median(engine["async"])
        print(f"ClickHouse's own time for the backup of {size}: sync {1000 * sync:.0f} ms, ASYNC {1000 * asynchronous:.0f} ms "
              f"({asynchronous / sync:.3f}x; what a backup over --inline-backup-mib, sent ASYNC, costs the engine)")
    for size, walls in ((f"{args.rows:,} rows", big), ("10 rows", tiny)):
        sync, followed = median(walls["raw restore"]), median(walls["raw async restore"])
        print(f"a raw ASYNC restore of {size} followed by the least a caller can do (a look in system.processes at the plugin's "
              f"pace, one read of system.backups): {1000 * followed:.0f} ms, {followed / sync:.3f}x the raw synchronous one")
    print(f"fingerprint=data on {args.rows:,} rows: count() and sum(cityHash64(*)) take {1000 * hashing:.0f} ms "
          f"({hashing / median(big['raw backup']):.2f}x the raw backup's time); fingerprint=rows reads system.tables only")
    print(f"one read of system.backups (each poll is one): {1000 * median(backups_read):.1f} ms with {backups_rows} rows in it, "
          f"against {1000 * median(tiny_driver['raw backup']):.0f} ms for the raw side's whole driver")
    # ClickHouse's throttler lets one second's worth through at once, then keeps the rate.
    implied = big_bytes / limit - 1
    print(f"throttled backup of {args.rows:,} rows ({big_bytes / 1e6:.0f} MB at max_backup_bandwidth={limit / 1e6:.1f} MB/s): "
          f"{throttled:.2f} s, the limit implies >= {implied:.2f} s: " + ("met" if throttled >= 0.9 * implied else "MISSED"))
    verdicts.append(throttled >= 0.9 * implied)
    print(f"\nplugin peak RSS (VmHWM) over the whole run: {peak / 1024:.1f} MiB (target < 30)")
    verdicts.append(peak / 1024 < 30)
    print("targets: big-table ratio <= 1.05, tiny-table added < 30 ms, throttled time, RSS < 30 MiB: "
          + ("met" if all(verdicts) else "MISSED"))
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
