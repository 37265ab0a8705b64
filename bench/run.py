#!/usr/bin/env python3
"""Runtime benchmark: the plugin's gRPC runtime against reference servers on the same C core.

Each server answers grpc.health.v1.Health/Check; the same C-core load generator
(bench/tools/load.c) drives each one at concurrency 1 and 64. Measured in one run:
  - server CPU time (user + system, from /proc/PID/stat) per 10k calls,
  - client-side p50/p99 latency,
  - idle resident memory after start.
Printed as ratios against gRPC C++ (Debian libgrpc++, built-in health service) and Python
grpcio (asyncio server). Targets (issue 2): CPU per call <= 1.5x C++, and >= 3x better than
Python. Usage: make bench   (or: python3 bench/run.py [--calls N])
"""
import argparse
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / ".build-bench"
TICKS = os.sysconf("SC_CLK_TCK")
METHOD = "/grpc.health.v1.Health/Check"


def build_tools():
    OUT.mkdir(exist_ok=True)
    def flags(package):
        return subprocess.check_output(["pkg-config", "--cflags", "--libs", package], text=True).split()
    subprocess.check_call(["gcc", "-O2", "-o", str(OUT / "load"), str(ROOT / "bench/tools/load.c"), *flags("grpc"), "-lpthread"])
    subprocess.check_call(["g++", "-O2", "-std=c++17", "-o", str(OUT / "health_server"),
                           str(ROOT / "bench/reference/health_server.cc"), *flags("grpc++"), "-lpthread"])


class Server:
    def __init__(self, name, command, port_pattern, from_stderr=False):
        self.name = name
        self.log = tempfile.NamedTemporaryFile(prefix=f"bench-{name}-", suffix=".log", delete=False)
        self.process = subprocess.Popen(command, stdout=self.log, stderr=self.log)
        deadline = time.time() + 20
        while time.time() < deadline:
            match = re.search(port_pattern, pathlib.Path(self.log.name).read_text())
            if match:
                self.address = f"127.0.0.1:{match.group(1)}"
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"{name} did not start: {pathlib.Path(self.log.name).read_text()}")

    def cpu_seconds(self):
        fields = pathlib.Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime

    def rss_kib(self):
        for line in pathlib.Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def load(address, concurrency, calls):
    output = subprocess.check_output([str(OUT / "load"), address, METHOD, str(concurrency), str(calls)], text=True)
    return json.loads(output)


def measure(server, concurrency, calls):
    load(server.address, concurrency, max(1000, calls // 10))  # warm up: connection, pools
    before = server.cpu_seconds()
    result = load(server.address, concurrency, calls)
    result["cpu_per_10k"] = (server.cpu_seconds() - before) * 10000 / calls
    if result["errors"]:
        raise RuntimeError(f"{server.name}: {result['errors']} calls failed")
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=40000, help="calls per measurement (default 40000)")
    parser.add_argument("--plugin", default=str(ROOT / ".build/release/clickhouse-backup-plugin"))
    args = parser.parse_args()
    build_tools()
    servers = [
        ("plugin (Swift runtime)", [args.plugin, "serve", "--listen", "127.0.0.1:0"], r"msg=listening address=127\.0\.0\.1:(\d+)"),
        ("gRPC C++ (libgrpc++)", [str(OUT / "health_server"), "127.0.0.1:0"], r"listening (\d+)"),
        ("Python grpcio (aio)", [sys.executable, str(ROOT / "bench/reference/health_server.py"), "127.0.0.1:0"], r"listening (\d+)"),
    ]
    results = {}
    for name, command, pattern in servers:
        server = Server(name, command, pattern)
        try:
            time.sleep(0.3)
            idle = server.rss_kib()
            results[name] = {"idle_rss_kib": idle}
            for concurrency in (1, 64):
                calls = args.calls if concurrency == 64 else args.calls // 2
                results[name][concurrency] = measure(server, concurrency, calls)
        finally:
            server.stop()

    plugin, cpp, python = (results[name] for name, _, _ in servers)
    print(f"\nHealth/Check, {args.calls} calls at concurrency 64 and {args.calls // 2} at 1; "
          f"server CPU (user+system) per 10k calls; latency at the client\n")
    print(f"{'server':26} {'conc':>4} {'CPU s/10k':>10} {'p50 us':>9} {'p99 us':>9} {'calls/s':>9}")
    for name, _, _ in servers:
        for concurrency in (1, 64):
            r = results[name][concurrency]
            print(f"{name:26} {concurrency:>4} {r['cpu_per_10k']:>10.3f} {r['p50_us']:>9.1f} {r['p99_us']:>9.1f} "
                  f"{r['calls'] / r['seconds']:>9.0f}")
    print()
    verdicts = []
    for concurrency in (1, 64):
        vs_cpp = plugin[concurrency]["cpu_per_10k"] / cpp[concurrency]["cpu_per_10k"]
        vs_python = python[concurrency]["cpu_per_10k"] / plugin[concurrency]["cpu_per_10k"]
        p50 = plugin[concurrency]["p50_us"] / cpp[concurrency]["p50_us"]
        p99 = plugin[concurrency]["p99_us"] / cpp[concurrency]["p99_us"]
        print(f"concurrency {concurrency:>2}: plugin CPU/call = {vs_cpp:.2f}x C++ (target <= 1.5), "
              f"Python CPU/call = {vs_python:.2f}x plugin (target >= 3); latency vs C++: p50 {p50:.2f}x, p99 {p99:.2f}x")
        verdicts += [vs_cpp <= 1.5, vs_python >= 3]
    print(f"idle RSS: plugin {plugin['idle_rss_kib'] / 1024:.1f} MiB, C++ {cpp['idle_rss_kib'] / 1024:.1f} MiB, "
          f"Python {python['idle_rss_kib'] / 1024:.1f} MiB")
    print("targets met" if all(verdicts) else "TARGETS MISSED")
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
