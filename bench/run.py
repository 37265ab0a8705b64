#!/usr/bin/env python3
"""Runtime benchmark: the plugin's gRPC runtime against reference servers on the same C core.

Each server answers grpc.health.v1.Health/Check; the same C-core load generator
(bench/tools/load.c) drives each one at concurrency 1 and 64. Measured in one run:
  - server CPU time (user + system, from /proc/PID/stat) per 10k calls,
  - client-side p50/p99 latency,
  - idle resident memory after start.
Printed as ratios against gRPC C++ (Debian libgrpc++, built-in health service) and Python
grpcio (asyncio server), for the default serve and for a serve with metrics and the token on.
Every figure is the median of alternated rounds (each server in turn, round after round) with
its spread. Targets (issue 13): CPU per call <= 1.1x C++ at concurrency 1 and 64, Python >= 3x
the plugin, p99 at 64 <= 1.2x C++, idle RSS < 20 MiB, RSS after 100k calls within 1 MiB of
after 10k. Usage: make bench-runtime   (or: python3 bench/run.py [--calls N] [--rounds R])
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


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def spread(values):
    """The range around the median, as +-% of it."""
    m = median(values)
    return 100 * max(abs(max(values) - m), abs(m - min(values))) / m if m else 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=20000, help="calls per measurement at concurrency 64 (default 20000)")
    parser.add_argument("--rounds", type=int, default=9, help="alternated rounds; each figure is their median (default 9)")
    parser.add_argument("--plugin", default=str(ROOT / ".build/release/clickhouse-backup-plugin"))
    args = parser.parse_args()
    build_tools()
    token = tempfile.NamedTemporaryFile(prefix="bench-token-", delete=False)
    token.write(b"bench-token\n")
    token.close()
    listening = r"msg=listening address=127\.0\.0\.1:(\d+)"
    servers = [
        ("plugin (default serve)", [args.plugin, "serve", "--listen", "127.0.0.1:0"], listening),
        ("plugin (metrics + token)", [args.plugin, "serve", "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0",
                                      "--auth-token-file", token.name], listening),
        ("gRPC C++ (libgrpc++)", [str(OUT / "health_server"), "127.0.0.1:0"], r"listening (\d+)"),
        ("Python grpcio (aio)", [sys.executable, str(ROOT / "bench/reference/health_server.py"), "127.0.0.1:0"], r"listening (\d+)"),
    ]
    running = [Server(name, command, pattern) for name, command, pattern in servers]
    rounds = {name: {1: [], 64: []} for name, _, _ in servers}
    idle, after10k, after100k = {}, None, None
    try:
        time.sleep(0.3)
        for server in running:
            idle[server.name] = server.rss_kib()
        for _ in range(args.rounds):  # plugin, plugin, C++, Python, plugin, ...: load and clock drift hit all alike
            for server in running:
                for concurrency in (1, 64):
                    calls = args.calls if concurrency == 64 else args.calls // 2
                    rounds[server.name][concurrency].append(measure(server, concurrency, calls))
        # Memory over time on the default serve: after 10k calls, then after 100k.
        fresh = Server("plugin (memory)", servers[0][1], listening)
        try:
            load(fresh.address, 64, 10000)
            after10k = fresh.rss_kib()
            load(fresh.address, 64, 90000)
            after100k = fresh.rss_kib()
        finally:
            fresh.stop()
    finally:
        for server in running:
            server.stop()

    def figure(name, concurrency, key):
        values = [r[key] for r in rounds[name][concurrency]]
        return median(values), spread(values)

    print(f"\nHealth/Check, {args.calls} calls at concurrency 64 and {args.calls // 2} at 1, {args.rounds} alternated rounds; "
          f"server CPU (user+system) per 10k calls; latency at the client; median (spread)\n")
    print(f"{'server':26} {'conc':>4} {'CPU s/10k':>16} {'p50 us':>9} {'p99 us':>16}")
    for name, _, _ in servers:
        for concurrency in (1, 64):
            cpu, cpu_spread = figure(name, concurrency, "cpu_per_10k")
            p50, _ = figure(name, concurrency, "p50_us")
            p99, p99_spread = figure(name, concurrency, "p99_us")
            print(f"{name:26} {concurrency:>4} {cpu:>8.3f} (+-{cpu_spread:>3.0f}%) {p50:>9.1f} {p99:>8.1f} (+-{p99_spread:>3.0f}%)")
    print()
    cpp, python = "gRPC C++ (libgrpc++)", "Python grpcio (aio)"
    verdicts = []
    for plugin in ("plugin (default serve)", "plugin (metrics + token)"):
        for concurrency in (1, 64):
            mine = figure(plugin, concurrency, "cpu_per_10k")[0]
            vs_cpp = mine / figure(cpp, concurrency, "cpu_per_10k")[0]
            vs_python = figure(python, concurrency, "cpu_per_10k")[0] / mine
            p99 = figure(plugin, concurrency, "p99_us")[0] / figure(cpp, concurrency, "p99_us")[0]
            line = (f"{plugin}, concurrency {concurrency:>2}: CPU/call = {vs_cpp:.2f}x C++ (target <= 1.1), "
                    f"Python = {vs_python:.2f}x plugin (target >= 3)")
            verdicts += [vs_cpp <= 1.1, vs_python >= 3]
            if concurrency == 64:
                line += f", p99 = {p99:.2f}x C++ (target <= 1.2)"
                verdicts.append(p99 <= 1.2)
            print(line)
    plugin_idle = idle["plugin (default serve)"] / 1024
    growth = (after100k - after10k) / 1024
    print(f"idle RSS: plugin {plugin_idle:.1f} MiB (target < 20), with metrics + token {idle['plugin (metrics + token)'] / 1024:.1f} MiB, "
          f"C++ {idle[cpp] / 1024:.1f} MiB, Python {idle[python] / 1024:.1f} MiB")
    print(f"RSS after 10k calls {after10k / 1024:.1f} MiB, after 100k {after100k / 1024:.1f} MiB: {growth:+.2f} MiB (target within 1)")
    verdicts += [plugin_idle < 20, abs(growth) <= 1]
    print("targets met" if all(verdicts) else "TARGETS MISSED")
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
