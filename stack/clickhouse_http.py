"""A ClickHouse host for the test stack: the real ClickHouse engine (chdb-core) behind
ClickHouse's HTTP interface.

It forwards each query to the engine and returns the engine's own result or error; the only
things it does itself are what the HTTP layer of a real server does and chdb lacks: user and
password check, read-only GET, one statement per query, query ids, status codes and the
X-ClickHouse-* headers. It never makes an answer up.

    python3 clickhouse_http.py --listen 127.0.0.2:8123 --data DIR [--config config.xml]
                               [--user default --password secret]
"""
import argparse
import json
import base64
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import chdb.session

# HTTP status of an error code, as ClickHouse's HTTPHandler chooses it.
STATUS_OF_CODE = {194: 401, 516: 401, 192: 403, 193: 403, 497: 403, 6: 400, 27: 400, 36: 400, 53: 400,
                  62: 400, 46: 404, 47: 404, 60: 404, 81: 404, 48: 501, 159: 408, 164: 403}
# URL parameters that belong to the HTTP layer, not to query settings.
HTTP_PARAMETERS = {"query", "query_id", "default_format", "user", "password", "wait_end_of_query", "database",
                   "session_id", "session_timeout", "compress", "decompress", "buffer_size"}
FORMAT_CLAUSE = re.compile(r"\bFORMAT\s+\w+\s*;?\s*$", re.IGNORECASE)


def statements(sql):
    """Splits on top-level semicolons, skipping quotes, backquotes and comments."""
    parts, current, i, n = [], [], 0, len(sql)
    while i < n:
        c = sql[i]
        if c in "'\"`":
            j = i + 1
            while j < n and sql[j] != c:
                j += 2 if sql[j] == "\\" else 1
            current.append(sql[i:j + 1])
            i = j + 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif c == ";":
            parts.append("".join(current))
            current = []
            i += 1
        else:
            current.append(c)
            i += 1
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


class Engine:
    def __init__(self, data, config):
        path = f"file:{data}" + (f"?config-file={config}" if config else "")
        self.session = chdb.session.Session(path)
        self.lock = threading.Lock()

    def query(self, sql, fmt, settings):
        with self.lock:  # one connection: settings of one request must not leak into another
            try:
                for name, value in settings.items():
                    self.session.query(f"SET {name} = {value}")
                return self.session.query(sql, fmt)
            finally:
                for name in settings:
                    try:
                        self.session.query(f"SET {name} = DEFAULT")
                    except Exception:
                        pass


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ClickHouse-chdb-front"
    # Headers and body go out in separate writes; with Nagle on, a client that keeps the
    # connection (the plugin does) waits for its delayed ACK: 40 ms per query that ClickHouse,
    # which sets TCP_NODELAY, never costs.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Content-Type", "text/plain; charset=UTF-8")
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def fail(self, code, name, message, query_id):
        text = f"Code: {code}. DB::Exception: {message}. ({name})\n"
        self.reply(STATUS_OF_CODE.get(code, 500), text, [("X-ClickHouse-Exception-Code", str(code)),
                                                         ("X-ClickHouse-Query-Id", query_id)])

    def do_GET(self):
        self.handle_query(read_only=True)

    def do_POST(self):
        self.handle_query(read_only=False)

    def handle_query(self, read_only):
        url = urlsplit(self.path)
        if url.path == "/ping" or (url.path == "/" and not url.query and self.command == "GET"):
            return self.reply(200, "Ok.\n")
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        query_id = params.get("query_id") or str(uuid.uuid4())
        user, password = self.credentials(params)
        if user != self.server.user or password != self.server.password:
            return self.fail(516, "AUTHENTICATION_FAILED",
                             f"{user}: Authentication failed: password is incorrect, or there is no user with such name",
                             query_id)
        sql = "\n".join(part for part in (params.get("query", ""), body) if part)
        parts = statements(sql)
        if not parts:
            return self.fail(62, "SYNTAX_ERROR", "Empty query", query_id)
        if len(parts) > 1:
            return self.fail(62, "SYNTAX_ERROR", "Multi-statements are not allowed", query_id)
        statement = parts[0].strip()
        if read_only and not re.match(r"^\s*(SELECT|SHOW|DESCRIBE|DESC|EXISTS|WITH)\b", statement, re.IGNORECASE):
            return self.fail(164, "READONLY", "Cannot execute query in readonly mode. "
                             "For queries over HTTP, method GET implies readonly", query_id)
        self.server.log_query(statement)
        settings = {k: v for k, v in params.items() if k not in HTTP_PARAMETERS and not k.startswith("param_")}
        for name in settings:
            if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
                return self.fail(115, "UNKNOWN_SETTING", f"Unknown setting '{name}'", query_id)
        fmt = params.get("default_format", "TabSeparated")
        if FORMAT_CLAUSE.search(statement):
            fmt = FORMAT_CLAUSE.search(statement).group(0).split()[1].rstrip(";")
            statement = FORMAT_CLAUSE.sub("", statement)
        try:
            result = self.server.engine.query(statement, fmt, settings)
        except Exception as error:  # the engine's own exception text, passed on as is
            text = str(error)
            match = re.search(r"Code: (\d+)\. DB::Exception: (.*?)(?:\. )?\((\w+)\)\s*(?:\(version[^)]*\))?\s*$", text, re.S)
            if match:
                return self.fail(int(match.group(1)), match.group(3), match.group(2).rstrip("."), query_id)
            return self.fail(1001, "STD_EXCEPTION", text, query_id)
        data = result.bytes() if hasattr(result, "bytes") else str(result).encode()
        self.reply(200, data, [("X-ClickHouse-Query-Id", query_id), ("X-ClickHouse-Format", fmt)])

    def credentials(self, params):
        user = self.headers.get("X-ClickHouse-User")
        password = self.headers.get("X-ClickHouse-Key")
        auth = self.headers.get("Authorization", "")
        if user is not None or password is not None:
            return user or "default", password or ""
        if auth.startswith("Basic "):
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            return user, password
        return params.get("user", "default"), params.get("password", "")


class QueryLog:
    """Statements as ClickHouse's query_log shows them: S3/Disk credentials replaced by '[HIDDEN]'."""
    SECRETS = re.compile(r"(S3\(\s*'(?:[^'\\]|\\.)*'\s*,\s*)'(?:[^'\\]|\\.)*'(\s*,\s*)'(?:[^'\\]|\\.)*'")

    def __init__(self, path):
        self.file = open(path, "a", buffering=1) if path else None
        self.lock = threading.Lock()

    def __call__(self, statement):
        if self.file:
            with self.lock:
                self.file.write(json.dumps(self.SECRETS.sub(r"\1'[HIDDEN]'\2'[HIDDEN]'", statement)) + "\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--config")
    parser.add_argument("--user", default="default")
    parser.add_argument("--password", default="")
    parser.add_argument("--tls-listen", help="also serve HTTPS here (ClickHouse's https_port, 8443)")
    parser.add_argument("--tls-cert", help="PEM certificate chain for --tls-listen")
    parser.add_argument("--tls-key", help="PEM private key for --tls-listen")
    parser.add_argument("--query-log", help="append every accepted statement here, one per line, credentials masked "
                                            "(ClickHouse's system.query_log, which chdb lacks)")
    args = parser.parse_args()
    host, port = args.listen.rsplit(":", 1)
    server = ThreadingHTTPServer((host, int(port)), Handler)
    server.daemon_threads = True
    server.engine = Engine(args.data, args.config)
    server.user, server.password = args.user, args.password
    server.log_query = QueryLog(args.query_log)
    if args.tls_listen:
        # The HTTPS interface: the same handler and engine behind TLS.
        import ssl
        tls_host, tls_port = args.tls_listen.rsplit(":", 1)
        secure = ThreadingHTTPServer((tls_host, int(tls_port)), Handler)
        secure.daemon_threads = True
        secure.engine, secure.user, secure.password, secure.log_query = server.engine, server.user, server.password, server.log_query
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        secure.socket = context.wrap_socket(secure.socket, server_side=True)
        threading.Thread(target=secure.serve_forever, daemon=True).start()
    print(f"listening {args.listen}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
