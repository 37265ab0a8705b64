#!/usr/bin/env python3
"""Where each call's cost goes: instructions per Health/Check call, counted by valgrind's
callgrind (repeatable, unlike CPU time), for the plugin with each feature switched on in turn,
and for gRPC C++ on the same core as the baseline. Per-call figures are the difference between
a run of N2 and a run of N1 calls divided by N2 - N1, so start-up and shutdown cancel out.

Usage: make bench-callgrind   (or: python3 bench/callgrind.py [--calls 3000])
"""
import argparse
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
sys.path.insert(0, str(ROOT / "bench"))
import run  # noqa: E402  (the load generator and the C++ reference server)


def instructions(command, pattern, calls, env=None, load_env=None):
    """Total instructions (Ir) callgrind counts for `command` serving `calls` calls."""
    out = tempfile.NamedTemporaryFile(prefix="callgrind-", suffix=".out", delete=False).name
    log = tempfile.NamedTemporaryFile(prefix="callgrind-", suffix=".log", delete=False)
    process = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--trace-children=no", *command],
                               stdout=log, stderr=log, env=dict(os.environ, **(env or {})))
    deadline = time.time() + 120
    address = None
    while time.time() < deadline and address is None:
        match = re.search(pattern, pathlib.Path(log.name).read_text())
        if match:
            address = f"127.0.0.1:{match.group(1)}"
        elif process.poll() is not None:
            raise RuntimeError(pathlib.Path(log.name).read_text())
        else:
            time.sleep(0.2)
    if address is None:
        raise RuntimeError(f"did not start: {pathlib.Path(log.name).read_text()}")
    if calls:
        saved = dict(os.environ)
        os.environ.update(load_env or {})
        try:
            run.load(address, 1, calls)
        finally:
            os.environ.clear()
            os.environ.update(saved)
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=120)
    text = pathlib.Path(out).read_text()
    total = re.search(r"^summary: (\d+)", text, re.M) or re.search(r"^totals: (\d+)", text, re.M)
    return int(total.group(1))


def per_call(command, pattern, low, high, env=None, load_env=None):
    return (instructions(command, pattern, high, env, load_env) - instructions(command, pattern, low, env, load_env)) / (high - low)


def certificate(directory):
    """A CA and a server certificate for 127.0.0.1 under it (openssl), as PEM paths."""
    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)
    ca, ca_key, key, csr, pem, ext = (directory / name for name in ("ca.pem", "ca.key", "tls.key", "tls.csr", "tls.pem", "tls.ext"))
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(ca_key),
            "-out", str(ca), "-days", "1", "-subj", "/CN=bench-ca")
    ext.write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out", str(csr),
            "-subj", "/CN=bench")
    openssl("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-set_serial", "1", "-out", str(pem),
            "-days", "1", "-extfile", str(ext))
    return ca, pem, key


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--plugin", default=str(ROOT / ".build/release/clickhouse-backup-plugin"))
    args = parser.parse_args()
    run.build_tools()
    # valgrind cannot read the debug info of the statically linked Swift runtime: count a
    # stripped copy (the totals need no symbols).
    stripped = OUT / "clickhouse-backup-plugin.stripped"
    subprocess.check_call(["strip", "-o", str(stripped), args.plugin])
    args.plugin = str(stripped)
    low, high = args.calls // 3, args.calls
    listening = r"msg=listening address=127\.0\.0\.1:(\d+)"
    token = tempfile.NamedTemporaryFile(prefix="token-", delete=False)
    token.write(b"bench-token\n")
    token.close()
    plugin = [args.plugin, "serve", "--listen", "127.0.0.1:0"]
    ca, cert, key = certificate(pathlib.Path(tempfile.mkdtemp(prefix="bench-tls-")))
    configurations = [
        ("plugin: default serve", plugin, {}),
        ("plugin: + metrics", plugin + ["--metrics-listen", "127.0.0.1:0"], {}),
        ("plugin: + bearer token", plugin + ["--auth-token-file", token.name], {}),
        ("plugin: + call log (debug)", plugin + ["--log-level", "debug"], {}),
        # TLS: the handshake is one per run and cancels out; what remains is each call's records.
        ("plugin: + TLS", plugin + ["--tls-cert", str(cert), "--tls-key", str(key)], {"LOAD_CA_FILE": str(ca)}),
        ("plugin: metrics + token", plugin + ["--metrics-listen", "127.0.0.1:0", "--auth-token-file", token.name], {}),
    ]
    cpp = per_call([str(OUT / "health_server"), "127.0.0.1:0"], r"listening (\d+)", low, high)
    cpp_tls = per_call([str(OUT / "health_server"), "127.0.0.1:0", str(cert), str(key)], r"listening (\d+)", low, high,
                       load_env={"LOAD_CA_FILE": str(ca)})
    print(f"\ninstructions per Health/Check call (callgrind, {high - low} calls at concurrency 1)\n")
    print(f"{'server':32} {'instructions':>13} {'vs C++':>7}")
    print(f"{'gRPC C++ (libgrpc++)':32} {cpp:>13,.0f} {1:>6.2f}x")
    costs = {}
    for name, command, load_env in configurations:
        costs[name] = per_call(command, listening, low, high, load_env=load_env)
        print(f"{name:32} {costs[name]:>13,.0f} {costs[name] / cpp:>6.2f}x")
    # TLS against TLS: what the plugin adds to the core's records, not the records themselves.
    tls = costs["plugin: + TLS"]
    print(f"{'gRPC C++ with TLS':32} {cpp_tls:>13,.0f} {cpp_tls / cpp:>6.2f}x")
    print(f"{'plugin with TLS':32} {tls:>13,.0f} {tls / cpp_tls:>6.2f}x C++ with TLS")


if __name__ == "__main__":
    main()
