#!/usr/bin/env python3
"""Catalog benchmark (issue 14): ListBackups and a retention dry run over a CHI with 100, 1,000
and 5,000 backups, through the index (`index.json`: one object and a folder listing) against a
full scan (`rebuild_index=true`: every manifest read), measured in the same run, medians with
spread. The backups are manifests written straight to the stack's S3 (what the catalog reads; no
data behind them). Targets: through the index, listing 5,000 backups at least 5x faster than the
full scan, and under 1 s.

Uses the running stack in .stack if there is one, else starts a 1-host stack in .stack-bench.
Usage: make bench-catalog  (or: python3 bench/catalog.py)
"""
import datetime
import hashlib
import hmac
import http.client
import json
import pathlib
import statistics
import subprocess
import sys
import time
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from backup import plugin_for, stubs  # noqa: E402  (the release plugin wired to the stack, the gRPC stubs)

import grpc  # noqa: E402


class S3:
    """PUTs signed with SigV4 over one kept-alive connection (the bench's own writer)."""

    def __init__(self, info):
        self.info = info
        endpoint = urllib.parse.urlsplit(info["s3_endpoint"])
        self.host = endpoint.netloc
        self.connection = http.client.HTTPConnection(endpoint.hostname, endpoint.port)

    def put(self, key, body):
        path = "/" + self.info["bucket"] + "/" + urllib.parse.quote(key)
        now = datetime.datetime.now(datetime.timezone.utc)
        stamp, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
        payload = hashlib.sha256(body).hexdigest()
        headers = {"host": self.host, "x-amz-content-sha256": payload, "x-amz-date": stamp}
        signed = ";".join(sorted(headers))
        canonical = "\n".join(["PUT", path, "", "".join(f"{k}:{headers[k]}\n" for k in sorted(headers)), signed, payload])
        scope = f"{day}/{self.info['region']}/s3/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
        key_bytes = ("AWS4" + self.info["secret_key"]).encode()
        for part in (day, self.info["region"], "s3", "aws4_request"):
            key_bytes = hmac.new(key_bytes, part.encode(), hashlib.sha256).digest()
        signature = hmac.new(key_bytes, to_sign.encode(), hashlib.sha256).hexdigest()
        headers["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={self.info['access_key']}/{scope}, "
                                    f"SignedHeaders={signed}, Signature={signature}")
        self.connection.request("PUT", path, body=body, headers=headers)
        response = self.connection.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"PUT {key}: {response.status}")


def main():
    stack_dir, started = ROOT / ".stack", False
    if not (stack_dir / "stack.json").exists():
        stack_dir, started = ROOT / ".stack-bench", True
        subprocess.run([str(ROOT / "scripts/stack"), "up", "--shards", "1", "--replicas", "1", "--dir", str(stack_dir)], check=True, timeout=300)
    try:
        return run(json.loads((stack_dir / "stack.json").read_text()))
    finally:
        if started:
            subprocess.run([str(ROOT / "scripts/stack"), "down", "--dir", str(stack_dir)], check=True, timeout=120)


def run(info):
    import os
    os.environ["PLUGIN_BIN"] = str(ROOT / ".build/release/clickhouse-backup-plugin")
    pb2 = stubs()[0]
    import importlib
    catalog_pb2 = importlib.import_module("altinity.backup.v1.catalog_pb2")
    catalog_grpc = importlib.import_module("altinity.backup.v1.catalog_pb2_grpc")
    del pb2
    prefix = f"bench-catalog-{time.time_ns()}/"
    chi = {"metadata": {"name": "demo", "namespace": "stack"}, "spec": {"configuration": {"clusters": [{"name": "main"}]}}}
    chb = {"metadata": {"name": "b-00000", "namespace": "stack"},
           "spec": {"ClickhouseInstallation": {"name": "demo", "cluster": {"name": "main"}},
                    "backup": {"s3": {"destinationPath": f"s3://{info['bucket']}/{prefix}", "endpointURL": info["s3_endpoint"],
                                      "s3Credentials": {"accessKeyId": {"name": "s3-credentials", "key": "accessKeyId"},
                                                        "secretAccessKey": {"name": "s3-credentials", "key": "secretAccessKey"}}}}}}
    s3 = S3(info)
    plugin = plugin_for(info)
    channel = grpc.insecure_channel(plugin.address)
    stub = catalog_grpc.BackupCatalogStub(channel)

    def call(method, parameters):
        request = catalog_pb2.CatalogRequest(chi_definition=json.dumps(chi).encode(), backup_definition=json.dumps(chb).encode(),
                                             parameters=parameters)
        start = time.perf_counter()
        response = getattr(stub, method)(request, timeout=600)
        return time.perf_counter() - start, response

    def measured(method, parameters, runs):
        times, response = [], None
        for _ in range(runs):
            elapsed, response = call(method, parameters)
            times.append(elapsed)
        return times, response

    written, lines, verdicts = 0, [], []
    first = 1_700_000_000
    try:
        for size in (100, 1000, 5000):
            print(f"writing manifests up to {size:,} ...", flush=True)
            for n in range(written, size):
                name = f"b-{n:05d}"
                manifest = {"format": 1, "state": "Completed", "backup_id": f"chb-{n:05d}", "backup_name": name, "type": "full",
                            "started_at": first + n * 3600, "stopped_at": first + n * 3600 + 60, "shards": 1, "hosts": [],
                            "location": f"s3://{info['bucket']}/{prefix}stack/demo/{name}/"}
                s3.put(f"{prefix}stack/demo/{name}/manifest.json", json.dumps(manifest).encode())
            written = size
            call("ListBackups", {"rebuild_index": "true"})  # the index as the plugin keeps it, for the runs below
            scan, listed = measured("ListBackups", {"rebuild_index": "true"}, 3)
            indexed, listed_again = measured("ListBackups", {}, 5)
            assert len(listed.backups) == len(listed_again.backups) == size, (len(listed.backups), size)
            retention, planned = measured("ApplyRetention", {"keep_daily": "7", "keep_monthly": "12", "dry_run": "true"}, 3)
            assert len(planned.backups) + len(planned.deleted) == size
            spread = lambda values: f"{1000 * statistics.median(values):7.0f} ms [{1000 * min(values):.0f}..{1000 * max(values):.0f}]"
            lines.append(f"{size:>6,} backups: list full scan {spread(scan)}, list with index {spread(indexed)} "
                         f"({statistics.median(scan) / statistics.median(indexed):.1f}x), retention dry run {spread(retention)}")
            if size == 5000:
                verdicts += [statistics.median(scan) / statistics.median(indexed) >= 5, statistics.median(indexed) < 1]
    finally:
        channel.close()
        plugin.stop()
    print()
    for line in lines:
        print(line)
    print("targets: listing 5,000 backups with the index >= 5x faster than a full scan and < 1 s: " + ("met" if all(verdicts) else "MISSED"))
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
