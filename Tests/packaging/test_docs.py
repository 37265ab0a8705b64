"""The docs a newcomer walks (README.md and docs/*.md) against the code: every plugin flag,
environment variable, make target, script, linked file and gRPC method they name exists."""
import os
import pathlib
import re
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = pathlib.Path(os.environ.get("RELEASE_BIN", ROOT / ".build/release/clickhouse-backup-plugin"))
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def text(page):
    return page.read_text()


def plugin_flags():
    """Every --flag of every subcommand, from the binary's own help."""
    top = subprocess.run([str(BINARY), "--help"], capture_output=True, text=True, check=True).stdout
    commands = re.findall(r"^  ([a-z]+)\s{2,}", top.split("SUBCOMMANDS:")[1], re.M)
    flags = set(re.findall(r"--[a-z][a-z0-9-]*", top))
    for command in commands:
        help_text = subprocess.run([str(BINARY), command, "--help"], capture_output=True, text=True, check=True).stdout
        flags |= set(re.findall(r"--[a-z][a-z0-9-]*", help_text))
    return flags, set(commands)


def named_flags(page_text):
    """Flags the page gives as the plugin's: in the flags table, in inline code that starts
    with a flag, and on command lines that run the plugin."""
    found = set()
    for line in page_text.splitlines():
        if line.startswith("| `--") or "clickhouse-backup-plugin " in line:
            found |= set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", line.split("](")[0] if "clickhouse-backup-plugin " not in line else line))
        found |= set(re.findall(r"`(--[a-z][a-z0-9-]*)", line))
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_plugin_flag_named_exists(page):
    flags, _ = plugin_flags()
    # Other tools' flags that appear in plugin lines (helm, kubectl, curl, swift, the stack).
    others = {"--set", "--patch-file", "--namespace", "--aws-sigv4", "--user", "--static-swift-stdlib", "--shards", "--replicas",
              "--replicated", "--dir", "--plugin", "--resolve-host", "--no-clickhouse-tls", "--no-insecure-skip-verify",
              "--symbol-ordering-file"}  # lld's, in how the release binary is linked
    missing = sorted(named_flags(text(page)) - flags - others)
    assert not missing, f"{page.name} names flags the binary does not have: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_subcommand_and_variable_named_exists(page):
    _, commands = plugin_flags()
    body = text(page)
    for command in re.findall(r"clickhouse-backup-plugin ([a-z]+)\b", body):
        assert command in commands | {"help"}, f"{page.name}: no subcommand '{command}'"
    sources = "\n".join(p.read_text() for p in (ROOT / "Sources").rglob("*.swift"))
    declared = set(re.findall(r'Environment\.\w+\("([A-Z_]+)"', sources)) | {"SECRET"}
    for variable in set(re.findall(r"CLICKHOUSE_BACKUP_PLUGIN_([A-Z][A-Z0-9_]*)", body)):
        assert variable in declared or variable.startswith("SECRET_") or f'"{variable}"' in sources, \
            f"{page.name}: CLICKHOUSE_BACKUP_PLUGIN_{variable} is read nowhere"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_make_target_script_and_link_exists(page):
    body = text(page)
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z0-9-]*):", makefile, re.M))
    for target in re.findall(r"`make ([a-z][a-z0-9-]*)", body) + re.findall(r"^make ([a-z][a-z0-9-]*)", body, re.M):
        assert target in targets, f"{page.name}: no make target '{target}'"
    for script in set(re.findall(r"(scripts/[a-z][a-z0-9_-]*(?:\.[a-z]+)?)", body)):
        assert (ROOT / script).exists(), f"{page.name}: {script} does not exist"
    for link in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", body):
        assert (page.parent / link).exists(), f"{page.name}: the link {link} leads nowhere"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_grpc_method_named_exists(page):
    services = {}
    for proto in (ROOT / "proto").rglob("*.proto"):
        body = proto.read_text()
        package = re.search(r"^package ([\w.]+);", body, re.M).group(1)
        for service, methods in re.findall(r"^service (\w+) \{(.*?)^\}", body, re.S | re.M):
            services[f"{package}.{service}"] = set(re.findall(r"rpc (\w+)", methods))
    for service, method in re.findall(r"\b((?:altinity|grpc)\.[\w.]+\.\w+)/(\w+)", text(page)):
        assert method in services.get(service, set()), f"{page.name}: {service}/{method} is not in proto/"
