#!/usr/bin/env python3
"""Cluster benchmark (issue 4): the plugin's Backup of a 4-shard cluster against the limit.

In one run, on a 4 shards x 1 replica stack (started in .stack-bench, stopped at the end):
  - the plugin's Backup RPC of the cluster (one BACKUP per shard, in parallel, followed),
  - the same 4 raw BACKUP statements started concurrently by this script (the limit),
  - the same 4 run one after another (what per-host tools do),
medians of --repeat runs (15) with their spread and 90% bootstrap interval, alternating; then an incremental backup after a 1% change, its size
(bytes it wrote to S3) and time as fractions of the full one. Target: plugin within 1.10 of the
concurrent limit, judged as bench/verdicts.py says (ClickHouse's own span equal on both sides, and
the same statements). Usage: make bench-cluster  (or: python3 bench/cluster.py [--rows N])
"""
import argparse
import json
import pathlib
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests/e2e"))
sys.path.insert(0, str(ROOT / "bench"))
from backup import Host, plugin_for, quiesce, settle, stubs, timed  # noqa: E402  (the single-host benchmark's helpers)
from verdicts import interval, judge_statements  # noqa: E402

import grpc  # noqa: E402

SHARDS = 4


def s3_bytes(info, prefix):
    """Total size of the objects under `prefix` (ListObjectsV2, pages followed)."""
    total, token = 0, None
    while True:
        query = {"list-type": "2", "prefix": prefix}
        if token:
            query["continuation-token"] = token
        url = f"{info['s3_endpoint']}/{info['bucket']}/?" + "&".join(
            f"{k}={urllib.parse.quote(v, safe='')}" for k, v in sorted(query.items()))
        out = subprocess.run(["curl", "-sf", "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", "--aws-sigv4", f"aws:amz:{info['region']}:s3",
                              "--user", f"{info['access_key']}:{info['secret_key']}", url], capture_output=True, text=True, check=True).stdout
        total += sum(int(part.split("</Size>")[0]) for part in out.split("<Size>")[1:])
        if "<IsTruncated>true</IsTruncated>" not in out:
            return total
        token = out.split("<NextContinuationToken>")[1].split("</NextContinuationToken>")[0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows in the whole cluster")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--plugin", default=str(ROOT / ".build/release/clickhouse-backup-plugin"))
    args = parser.parse_args()
    stack_dir = ROOT / ".stack-bench"
    if (ROOT / ".stack" / "stack.json").exists():
        raise SystemExit("bench/cluster.py needs the stack's addresses: stop the test stack first (scripts/stack down)")
    subprocess.run([str(ROOT / "scripts/stack"), "up", "--shards", str(SHARDS), "--replicas", "1", "--dir", str(stack_dir)],
                   check=True, timeout=300)
    try:
        return run(args, json.loads((stack_dir / "stack.json").read_text()), stack_dir)
    finally:
        subprocess.run([str(ROOT / "scripts/stack"), "down", "--dir", str(stack_dir)], check=True, timeout=120)


def run(args, info, stack_dir):
    import os
    os.environ["PLUGIN_BIN"] = args.plugin
    backup_pb2, backup_grpc = stubs()
    hosts = [Host(dict(info, hosts=[h])) for h in info["hosts"]]
    chi = json.loads((stack_dir / "chi.json").read_text())
    run_id = time.strftime("%Y%m%d%H%M%S")
    per_shard = args.rows // SHARDS
    print(f"loading {per_shard:,} rows on each of {SHARDS} shards ...", flush=True)
    for shard, host in enumerate(hosts):
        host.sql("DROP DATABASE IF EXISTS bench SYNC")
        host.sql("CREATE DATABASE bench")
        host.sql("CREATE TABLE bench.big (id UInt64, name String, value Float64) ENGINE = MergeTree ORDER BY id")
        host.sql(f"INSERT INTO bench.big SELECT number + {shard * per_shard}, concat('n', toString(number % 1000)), rand() / 3 "
                 f"FROM numbers({per_shard})")

    quiesce(hosts)
    plugin = plugin_for(info)
    channel = grpc.insecure_channel(plugin.address)
    stub = backup_grpc.BackupStub(channel)

    def chb(name):
        return {"metadata": {"name": name, "namespace": "stack"},
                "spec": {"ClickhouseInstallation": {"name": "demo", "cluster": {"name": "main"}},
                         "backup": {"s3": {"destinationPath": f"s3://{info['bucket']}/bench-cluster/{run_id}/",
                                           "endpointURL": info["s3_endpoint"],
                                           "s3Credentials": {"accessKeyId": {"name": "s3-credentials", "key": "accessKeyId"},
                                                             "secretAccessKey": {"name": "s3-credentials", "key": "secretAccessKey"}}},
                                    "dbTable": {"whiteList": ["bench.big"]}}}}

    def backup(name, parameters):
        request = backup_pb2.BackupRequest(chi_definition=json.dumps(chi).encode(), backup_definition=json.dumps(chb(name)).encode(),
                                           parameters=parameters)
        return stub.Backup(request, timeout=3600)

    def raw_id(name, shard):
        return f"bench-{run_id}-{name}-s{shard}"

    def raw(name, shard):
        hosts[shard].sql(f"BACKUP TABLE bench.big TO {hosts[shard].s3(f'bench-cluster/{run_id}/raw/{name}/shard-{shard}/')} "
                         f"SETTINGS id = '{raw_id(name, shard)}'")

    def engine_span(ids):
        """ClickHouse's own time for a side's 4 statements (first start to last end, from each
        host's system.backups), and how far apart their starts were."""
        rows = [hosts[shard].sql(f"SELECT toUnixTimestamp64Micro(start_time), toUnixTimestamp64Micro(end_time) FROM system.backups "
                                 f"WHERE id = '{operation}' FORMAT TSV").split() for shard, operation in enumerate(ids)]
        starts, ends = [int(row[0]) / 1e6 for row in rows], [int(row[1]) / 1e6 for row in rows]
        return max(ends) - min(starts), max(starts) - min(starts)

    def concurrent(name):
        threads = [threading.Thread(target=raw, args=(name, shard)) for shard in range(SHARDS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def sequential(name):
        for shard in range(SHARDS):
            raw(name, shard)

    times = {"plugin": [], "concurrent": [], "sequential": []}
    spans = {"plugin": [], "concurrent": []}
    phases = {}
    ids = {}

    def plugin_run(name):
        metadata = backup(name, {"type": "full"}).metadata
        ids[name] = [metadata[f"host.{shard}.0.id"] for shard in range(SHARDS)]
        for key, value in metadata.items():
            if key.startswith("timing."):
                phases.setdefault(key[7:], []).append(int(value))
    try:
        for i in range(-1, args.repeat):  # round -1 warms up
            sides = [("plugin", lambda: plugin_run(f"p{i + 1}")), ("concurrent", lambda: concurrent(f"c{i + 1}")),
                     ("sequential", lambda: sequential(f"s{i + 1}"))]
            shift = i % len(sides)
            for label, action in sides[shift:] + sides[:shift]:
                settle(0.5)
                elapsed = timed(action)
                if i >= 0:
                    times[label].append(elapsed)
            if i >= 0:
                spans["plugin"].append(engine_span(ids[f"p{i + 1}"]))
                spans["concurrent"].append(engine_span([raw_id(f"c{i + 1}", shard) for shard in range(SHARDS)]))
        full_started = time.perf_counter()
        full = backup("chain-full", {"type": "full"})
        full_seconds = time.perf_counter() - full_started
        for shard, host in enumerate(hosts):  # a 1% change
            host.sql(f"INSERT INTO bench.big SELECT {args.rows * 10} + number + {shard * per_shard // 100}, 'changed', 0 FROM numbers({per_shard // 100})")
        inc_started = time.perf_counter()
        inc = backup("chain-inc", {"type": "incremental"})
        inc_seconds = time.perf_counter() - inc_started
        assert inc.metadata["type"] == "incremental" and inc.metadata["base_backup"] == "chain-full"
    finally:
        channel.close()
        plugin.stop()
    median = {label: statistics.median(values) for label, values in times.items()}
    full_bytes = s3_bytes(info, full.metadata["location"].split("/", 3)[3])
    inc_bytes = s3_bytes(info, inc.metadata["location"].split("/", 3)[3])

    print(f"\n{SHARDS} shards, {args.rows:,} rows, median of {args.repeat} runs\n")
    for label in ("concurrent", "plugin", "sequential"):
        print(f"{label:12} {median[label]:8.2f}s [{min(times[label]):.2f}..{max(times[label]):.2f}]")
    print("plugin phases (ms, medians, warm-up round included): "
          + ", ".join(f"{name} {statistics.median(values):.0f}" for name, values in sorted(phases.items())))
    for label, found in spans.items():
        print(f"ClickHouse's own time, {label}: {1000 * statistics.median(span for span, _ in found):.0f} ms from the first start to the "
              f"last end, starts {1000 * statistics.median(gap for _, gap in found):.0f} ms apart (medians)")
    ratio = median["plugin"] / median["concurrent"]
    low, high = interval(times["concurrent"], times["plugin"], lambda a, b: b / a)
    # What the plugin adds outside ClickHouse's span, over what the raw side adds outside its own.
    outside = {label: statistics.median(wall - span for wall, (span, _) in zip(times[label], spans[label])) for label in spans}
    equal = (median["concurrent"] + outside["plugin"] - outside["concurrent"]) / median["concurrent"]
    plugin_ids = [operation for name in ids for operation in ids[name]]
    print(f"\nplugin / 4 concurrent raw BACKUPs, wall: {ratio:.3f}x, 90% in [{low:.3f}..{high:.3f}]x (bootstrap of the runs)")
    same_work = judge_statements([host["query_log"] for host in info["hosts"]], plugin_ids, unit="host operations")
    print(f"plugin / 4 concurrent raw BACKUPs, ClickHouse's own span equal on both sides = {equal:.3f}x "
          f"(target <= 1.10, and the wall interval from at most 1.10; bench/verdicts.py)")
    print(f"4 one after another / plugin     = {median['sequential'] / median['plugin']:.2f}x")
    print(f"incremental after a 1% change: {inc_bytes / full_bytes:.3f} of the full backup's bytes "
          f"({inc_bytes:,} of {full_bytes:,}), {inc_seconds / full_seconds:.3f} of its time ({inc_seconds:.2f}s of {full_seconds:.2f}s)")
    met = equal <= 1.10 and low <= 1.10 and same_work
    print("target met" if met else "TARGET MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
