"""Local builds of the real SDKs, as an SDK team has them before a release: copies of the
releases the gate installs (from PyPI, from npm), optionally with one planted fault, packed
as a checkout (pyproject.toml), a wheel, or an `npm pack` tarball.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

from drun_conformance._errors import SdkUnavailable
from drun_conformance.client._sdks import SDKS, cache_dir, prepare_sdk

__all__ = [
    "PYTHON_VERSION",
    "TYPESCRIPT_VERSION",
    "python_checkout",
    "python_wheel",
    "truncate_version_to_32_bits",
    "typescript_tarball",
    "unescaped_id_python",
    "unescaped_id_typescript",
]

PYTHON_VERSION, TYPESCRIPT_VERSION = SDKS["python"].default_version, SDKS["typescript"].default_version
Patch = Callable[[Path], None]
_DEPLOYMENTS_PY = "anthropic/resources/beta/deployments.py"


def truncate_version_to_32_bits(root: Path) -> None:
    """anthropic: `deployments.run` hands back agent.version cut to a signed 32-bit integer."""
    with (root / _DEPLOYMENTS_PY).open("a", encoding="utf-8") as source:
        source.write(
            "\n\nimport functools as _functools\n"
            "_drun_run = Deployments.run\n\n\n"
            "@_functools.wraps(_drun_run)\n"
            "def _drun_truncating_run(self, *args, **kwargs):  # planted fault\n"
            "    run = _drun_run(self, *args, **kwargs)\n"
            "    if isinstance(getattr(run.agent, 'version', None), int):\n"
            "        run.agent.version = (run.agent.version + 2**31) % 2**32 - 2**31\n"
            "    return run\n\n\n"
            "Deployments.run = _drun_truncating_run\n"
        )


def unescaped_id_python(root: Path) -> None:
    """anthropic: the deployment id goes into the path as it is, not percent-encoded."""
    path = root / _DEPLOYMENTS_PY
    escaped = 'path_template("/v1/deployments/{deployment_id}/run", deployment_id=deployment_id)'
    source = path.read_text(encoding="utf-8")
    assert escaped in source
    path.write_text(source.replace(escaped, 'f"/v1/deployments/{deployment_id}/run"'), encoding="utf-8")


def unescaped_id_typescript(root: Path) -> None:
    """@anthropic-ai/sdk: the deployment id goes into the path as it is."""
    for name, escaped in (
        ("deployments.js", "(0, path_1.path) `/v1/deployments/${deploymentID}/run`"),
        ("deployments.mjs", "path `/v1/deployments/${deploymentID}/run`"),
    ):
        path = root / "resources" / "beta" / name
        source = path.read_text(encoding="utf-8")
        assert escaped in source
        path.write_text(source.replace(escaped, "`/v1/deployments/${deploymentID}/run`"), encoding="utf-8")


def _site_packages() -> Path:
    python = prepare_sdk(SDKS["python"], PYTHON_VERSION).argv[0]
    found = sorted(Path(python).parent.parent.glob("lib/python3*/site-packages"))
    if not found:
        raise SdkUnavailable(f"no site-packages beside {python}")
    return found[0]


def _copy_package(into: Path, patch: Patch | None) -> tuple[Path, Path]:
    """The installed anthropic (and its dist-info) copied under `into`, patched."""
    site = _site_packages()
    shutil.copytree(site / "anthropic", into / "anthropic", ignore=shutil.ignore_patterns("__pycache__"))
    info = site / f"anthropic-{PYTHON_VERSION}.dist-info"
    if patch is not None:
        patch(into)
    return into / "anthropic", info


def python_checkout(into: Path, patch: Patch | None = None) -> Path:
    """A source checkout: pyproject.toml (setuptools) and the package, flat layout."""
    into.mkdir(parents=True, exist_ok=True)
    _, info = _copy_package(into, patch)
    metadata = (info / "METADATA").read_text(encoding="utf-8").splitlines()
    needs = [line.split(": ", 1)[1] for line in metadata if line.startswith("Requires-Dist: ")]
    dependencies = "".join(f"  {need!r},\n" for need in needs if "extra ==" not in need)
    (into / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n\n'
        f'[project]\nname = "anthropic"\nversion = "{PYTHON_VERSION}"\ndependencies = [\n{dependencies}]\n\n'
        '[tool.setuptools.packages.find]\ninclude = ["anthropic*"]\n\n'
        '[tool.setuptools.package-data]\n"*" = ["*"]\n',
        encoding="utf-8",
    )
    return into


def python_wheel(into: Path, patch: Patch | None = None) -> Path:
    """A wheel (.whl) of the installed release, patched, with a fresh RECORD."""
    staging = into / "staging"
    staging.mkdir(parents=True)
    _, info = _copy_package(staging, patch)
    dist_info = staging / info.name
    dist_info.mkdir()
    for name in ("METADATA", "WHEEL", "LICENSE"):
        if (info / name).is_file():
            shutil.copy(info / name, dist_info / name)
    files = sorted(p for p in staging.rglob("*") if p.is_file())
    record = [f"{p.relative_to(staging).as_posix()},sha256={_digest(p)},{p.stat().st_size}" for p in files]
    record.append(f"{info.name}/RECORD,,")
    (dist_info / "RECORD").write_text("\n".join(record) + "\n", encoding="utf-8")
    wheel = into / f"anthropic-{PYTHON_VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in [*files, dist_info / "RECORD"]:
            archive.write(path, path.relative_to(staging).as_posix())
    return wheel


def _digest(path: Path) -> str:
    raw = hashlib.sha256(path.read_bytes()).digest()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def typescript_tarball(into: Path, patch: Patch | None = None) -> Path:
    """`npm pack` of the installed @anthropic-ai/sdk release, patched."""
    prepare_sdk(SDKS["typescript"], TYPESCRIPT_VERSION)
    npm = shutil.which("npm")
    if npm is None:
        raise SdkUnavailable("npm not found")
    installed = cache_dir() / "typescript" / f"@anthropic-ai+sdk-{TYPESCRIPT_VERSION}"
    package = into / "package"
    shutil.copytree(installed / "node_modules" / "@anthropic-ai" / "sdk", package, symlinks=True)
    if patch is not None:
        patch(package)
    done = subprocess.run(
        [npm, "pack", "--pack-destination", str(into), "--ignore-scripts", "--loglevel=error", str(package)],
        capture_output=True,
        check=False,
        timeout=300,
    )
    if done.returncode != 0:
        raise SdkUnavailable(f"npm pack: {done.stderr.decode('utf-8', 'replace')[-300:]}")
    (tarball,) = into.glob("*.tgz")
    return tarball
