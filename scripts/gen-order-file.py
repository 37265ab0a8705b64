#!/usr/bin/env python3
"""Regenerates scripts/release.order: the functions the release binary runs at start-up, per
call and during a small and a large backup and restore, for the linker to place together.

The linker (lld --symbol-ordering-file) puts the listed functions first in .text, so what a
serving process runs fills a few contiguous megabytes instead of being spread over the whole
11 MB of code: the kernel maps file pages 64 KiB at a time around each one touched, so the
spread, not the size, decided the idle RSS (issue 13: 7.4 MiB of code resident at idle, 3.8
with this file). A stale file costs memory, never correctness: missing names are skipped, and
tests/packaging checks the file still matches most of the binary.

Runs the binary under valgrind's callgrind (every executed function, by symbol), drives it with
grpcio, and with the stack up (`scripts/stack up`) also backs up and restores through it.
Usage: make order-file   (or: python3 scripts/gen-order-file.py [--binary B] [--out F])
"""
import argparse
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
SHARED_SECTION = 16 * 1024  # an input section this large holds many functions (see section_sizes)
sys.path.insert(0, str(ROOT / "bench"))


def start(binary, args, env, log):
    command = ["valgrind", "--tool=callgrind", "--demangle=no", "--compress-strings=no", "--compress-pos=no",
               f"--callgrind-out-file={log}.out", binary, "serve", "--listen", "127.0.0.1:0", *args]
    process = subprocess.Popen(command, stdout=open(log, "w"), stderr=subprocess.STDOUT, env=env)
    deadline = time.time() + 120
    while time.time() < deadline:
        match = re.search(r"msg=listening address=(\S+)", pathlib.Path(log).read_text())
        if match:
            return process, match.group(1)
        if process.poll() is not None:
            raise SystemExit(f"the plugin exited: {pathlib.Path(log).read_text()[-2000:]}")
        time.sleep(0.2)
    raise SystemExit("the plugin did not start listening under valgrind")


def dump(process, label):
    """Ends a phase: callgrind writes what ran so far to its own file and starts counting anew."""
    subprocess.run(["callgrind_control", "--dump=" + label, str(process.pid)], check=True, capture_output=True, timeout=120)


def health_calls(address, metadata=(), count=300):
    import grpc
    channel = grpc.insecure_channel(address)
    check = channel.unary_unary("/grpc.health.v1.Health/Check", request_serializer=lambda b: b, response_deserializer=lambda b: b)
    for _ in range(count):
        check(b"", timeout=30, metadata=metadata)
    channel.close()


def backups(address, info):
    """A 10-row table (inline statements) and a 1M-row one (ASYNC, polled), backed up and restored."""
    import grpc
    from backup import Host, chb_definition, one_host_chi, stubs
    backup_pb2, backup_grpc = stubs()
    host = Host(info)
    host.sql("DROP DATABASE IF EXISTS order_file SYNC")
    host.sql("CREATE DATABASE order_file")
    for table, rows in (("tiny", 10), ("big", 1_000_000)):
        host.sql(f"CREATE TABLE order_file.{table} (id UInt64, name String) ENGINE = MergeTree ORDER BY id")
        host.sql(f"INSERT INTO order_file.{table} SELECT number, toString(number) FROM numbers({rows})")
    chi = one_host_chi(info, "order-file")
    stub = backup_grpc.BackupStub(grpc.insecure_channel(address))
    run_id = time.strftime("%Y%m%d%H%M%S")
    for table in ("tiny", "big"):
        chb = chb_definition(info, f"order-{table}-{run_id}", f"order_file.{table}", f"order-file/{run_id}/")
        definitions = dict(chi_definition=json.dumps(chi).encode(), backup_definition=json.dumps(chb).encode())
        stub.Backup(backup_pb2.BackupRequest(**definitions, parameters={"type": "full"}), timeout=1800)
        stub.Restore(backup_pb2.RestoreRequest(**definitions, parameters={"database_mapping": f"order_file:order_file_{table}"}), timeout=1800)
        host.sql(f"DROP DATABASE order_file_{table} SYNC")
    host.sql("DROP DATABASE order_file SYNC")


def executed_functions(profile, binary_name):
    """Names of the functions of `binary_name` that ran (a `fn=` block under its `ob=`)."""
    names, current_object = set(), None
    for line in open(profile):
        if line.startswith("ob="):
            current_object = line[3:].strip()
        elif line.startswith("fn=") and current_object and current_object.endswith(binary_name):
            name = re.sub(r"'\d+$", "", line[3:].strip())  # callgrind marks recursion levels as name'2
            if not name.startswith("0x"):  # an address: no symbol to order by
                names.add(name)
    return names


def section_sizes(link_map):
    """Symbol -> size of the input section that holds it, from lld's -Map output. Swift objects
    keep some functions in one shared `.text` (the stdlib's is 1.5 MB): such a section moves as
    a whole, so its functions are listed last, after every function that moves alone."""
    sizes, section_size, in_text = {}, 0, False
    for line in open(link_map):
        parts = line.split(None, 4)
        if len(parts) < 5:
            continue
        name = parts[4].strip()
        if parts[3] != "1" and not name.startswith(("/", "<")):  # an output section
            in_text = name == ".text"
        elif in_text and parts[3] != "1":  # an input section: size, then its symbols
            section_size = int(parts[2], 16)
        elif in_text:
            sizes[name] = section_size
    return sizes


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=str(ROOT / ".build/release/clickhouse-backup-plugin"))
    parser.add_argument("--out", default=str(ROOT / "scripts/release.order"))
    parser.add_argument("--map", default=str(ROOT / ".build/release.map"), help="lld's -Map of the same link")
    args = parser.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="order-file-"))
    binary = work / "plugin"
    shutil.copy(args.binary, binary)
    subprocess.run(["strip", "--strip-debug", str(binary)], check=True)  # valgrind cannot read its DWARF
    token = work / "token"
    token.write_text("order-file-token\n")
    stack = ROOT / ".stack" / "stack.json"
    info = json.loads(stack.read_text()) if stack.exists() else None
    env = dict(os.environ)
    if info:
        env.update({"CLICKHOUSE_BACKUP_PLUGIN_RESOLVE": info["resolve"],
                    "CLICKHOUSE_BACKUP_PLUGIN_CLICKHOUSE_USER": info["clickhouse_user"],
                    "CLICKHOUSE_BACKUP_PLUGIN_CLICKHOUSE_PASSWORD": info["clickhouse_password"],
                    "CLICKHOUSE_BACKUP_PLUGIN_SECRETS_DIR": info["secrets_dir"]})
    # Three phases, dumped apart (callgrind_control --dump): start-up and idle, then calls,
    # then backups. The file lists each phase's new functions after the earlier phases', so the
    # code an idle process has touched is the densest.
    phases = [set(), set(), set()]
    runs = [("default", []), ("metrics-token", ["--metrics-listen", "127.0.0.1:0", "--auth-token-file", str(token)])]
    for name, extra in runs:
        log = str(work / f"{name}.log")
        process, address = start(str(binary), extra, env, log)
        time.sleep(2)  # idle: the listener's and the pools' threads settle
        dump(process, "idle")
        metadata = (("authorization", "Bearer order-file-token"),) if extra else ()
        health_calls(address, metadata)
        dump(process, "calls")
        if info and not extra:
            backups(address, info)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=300)
        profiles = sorted(pathlib.Path(work).glob(f"{name}.log.out*"), key=lambda path: path.stat().st_mtime)
        for phase, profile in zip(phases, profiles):
            phase |= executed_functions(profile, binary.name)
    sizes = section_sizes(args.map)
    ordered, seen = [], set()
    for alone in (True, False):
        for phase in phases:
            names = {name for name in phase - seen if (sizes.get(name, 0) <= SHARED_SECTION) == alone}
            ordered += sorted(names)
            seen |= names
    if not info:
        print("no stack in .stack: start-up and calls only (scripts/stack up adds the backup path)")
    pathlib.Path(args.out).write_text("".join(f"{name}\n" for name in ordered))
    print(f"{args.out}: {len(ordered)} functions ({', '.join(str(len(phase)) for phase in phases)} by phase)")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
