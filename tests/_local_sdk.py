"""Local builds of the real SDKs, as an SDK team has them before a release: copies of the
releases the gate installs (from PyPI, from npm), optionally with one planted fault, packed
as a checkout (pyproject.toml), a wheel, or an `npm pack` tarball.
"""

from __future__ import annotations

import base64
import hashlib
import os
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
    "base_status_error",
    "created_at_as_str",
    "go_module",
    "null_as_undefined_typescript",
    "older_version_header",
    "overloaded_unmapped",
    "python_checkout",
    "python_wheel",
    "refactored_without_change",
    "renamed_path_go",
    "renamed_path_java",
    "replace_once",
    "retries_always_on",
    "truncate_version_to_32_bits",
    "truncate_version_to_32_bits_typescript",
    "typescript_tarball",
    "unescaped_id_python",
    "unescaped_id_typescript",
    "unknown_variant_as_dict",
]

PYTHON_VERSION, TYPESCRIPT_VERSION = SDKS["python"].default_version, SDKS["typescript"].default_version
Patch = Callable[[Path], None]
_DEPLOYMENTS_PY = "anthropic/resources/beta/deployments.py"
_DEPLOYMENT_RUN_PY = "anthropic/types/beta/beta_managed_agents_deployment_run.py"


def replace_once(path: Path, old: str, new: str) -> None:
    """`old` replaced by `new` in the file, which must hold it exactly once (a release that
    changed there needs its planted fault edited, not silently skipped)."""
    source = path.read_text(encoding="utf-8")
    assert source.count(old) == 1, f"{path.name} changed: edit the planted fault"
    path.write_text(source.replace(old, new), encoding="utf-8")


def created_at_as_str(root: Path) -> None:
    """anthropic: the run's created_at typed `str`, so it is handed out unparsed."""
    replace_once(root / _DEPLOYMENT_RUN_PY, "    created_at: datetime\n", "    created_at: str\n")


def base_status_error(root: Path) -> None:
    """anthropic: a 5xx with no class of its own raises the base APIStatusError."""
    replace_once(
        root / "anthropic/_error_classes.py",
        "(InternalServerError if response.status_code >= 500 else APIStatusError)",
        "APIStatusError",
    )


def overloaded_unmapped(root: Path) -> None:
    """anthropic: 529 left out of the status table, so it raises the generic InternalServerError
    (as no release since 0.109 does: users catch OverloadedError to back off)."""
    replace_once(root / "anthropic/_error_classes.py", "    (529, None): OverloadedError,\n", "")


def unknown_variant_as_dict(root: Path) -> None:
    """anthropic: a discriminated union of an unknown tag is refused and kept as the bare dict."""
    replace_once(
        root / "anthropic/_models.py",
        "                if variant_type:\n"
        "                    return construct_type(type_=variant_type, value=value)\n",
        "                if variant_type:\n"
        "                    return construct_type(type_=variant_type, value=value)\n"
        "                return value  # planted fault\n",
    )


def older_version_header(root: Path) -> None:
    """anthropic: requests carry an older anthropic-version (still a header: the contract holds)."""
    replace_once(
        root / "anthropic/_constants.py",
        'ANTHROPIC_API_VERSION = "2026-10-21"',
        'ANTHROPIC_API_VERSION = "2023-06-01"',
    )


def refactored_without_change(root: Path) -> None:
    """anthropic: a refactor that changes nothing a user or a server sees (a helper renamed)."""
    path = root / _DEPLOYMENTS_PY
    imported = "from ..._utils import is_given, path_template, strip_not_given\n"
    source = path.read_text(encoding="utf-8")
    assert source.count(imported) == 1, f"{path.name} changed: edit the refactor"
    source = source.replace(imported, "").replace("path_template(", "_path_of(")
    path.write_text(
        source.replace(
            "from ..._types import",
            "from ..._utils import is_given, strip_not_given\n"
            "from ..._utils import path_template as _path_of  # refactor: a shorter name\n"
            "from ..._types import",
            1,
        ),
        encoding="utf-8",
    )


def retries_always_on(root: Path) -> None:
    """anthropic: `max_retries=0` is not honoured: the default two retries happen, each after the
    `retry-after` the server asked for."""
    replace_once(
        root / "anthropic/_base_client.py",
        "        self.max_retries = max_retries\n",
        "        self.max_retries = max(max_retries, DEFAULT_MAX_RETRIES)  # planted fault\n",
    )


def truncate_version_to_32_bits_typescript(root: Path) -> None:
    """@anthropic-ai/sdk: `deployments.run` hands back agent.version cut to a signed 32-bit integer."""
    _unwrapped_run_typescript(
        root,
        "            if (run && run.agent && typeof run.agent.version === 'number')\n"
        "                run.agent.version |= 0;\n",
    )


def null_as_undefined_typescript(root: Path) -> None:
    """@anthropic-ai/sdk: `deployments.run` hands back a null `error` as undefined (`?? undefined`,
    as a tidy-up might), though its declarations say `| null`: `run.error === null` is false."""
    _unwrapped_run_typescript(root, "            if (run && run.error === null) run.error = undefined;\n")


def _unwrapped_run_typescript(root: Path, change: str) -> None:
    """`deployments.run`'s result passed through `change` (JavaScript that may edit `run`)."""
    for name in ("deployments.js", "deployments.mjs"):
        path = root / "resources" / "beta" / name
        source = path.read_text(encoding="utf-8")
        end = (
            "                route: '/v1/deployments/{deployment_id}/run',\n"
            "                attributes: { 'anthropic.deployment.id': deploymentID },\n"
            "            }),\n        });\n"
        )
        assert source.count(end) == 1, f"{name} changed: edit the planted fault"
        planted = end.removesuffix("});\n") + (
            "})._thenUnwrap((run) => {  // planted fault\n"
            + change
            + "            return run;\n        });\n"
        )
        path.write_text(source.replace(end, planted), encoding="utf-8")


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


def renamed_path_go(root: Path) -> None:
    """anthropic-sdk-go: requests go to /v1/deploymentz/... (an id left unescaped would be
    refused by Go's URL parser before anything is sent: client.request.once's finding)."""
    replace_once(root / "betadeployment.go", '"v1/deployments/%s/run"', '"v1/deploymentz/%s/run"')


def go_module(into: Path, patch: Patch | None = None) -> Path:
    """A module folder of the release the gate builds (copied from Go's module cache), patched."""
    release = SDKS["go"].default_version
    prepare_sdk(SDKS["go"], release)  # the release in the module cache
    cached = cache_dir() / "go" / "mod" / "github.com" / "anthropics" / f"anthropic-sdk-go/v2@{release}"
    shutil.copytree(cached, into)
    for path in (into, *into.rglob("*")):  # the module cache's files are read-only
        path.chmod(path.stat().st_mode | 0o200)
    if patch is not None:
        patch(into)
    return into


def java_jars(into: Path, patch: Patch | None = None) -> Path:
    """A folder of the release's own jars (anthropic-java, -core, -client-okhttp), patched."""
    argv = prepare_sdk(SDKS["java"], SDKS["java"].default_version).argv
    classpath = argv[argv.index("-cp") + 1].split(os.pathsep)
    dependencies = Path(next(p for p in classpath if p.endswith("*"))).parent
    into.mkdir(parents=True)
    for jar in dependencies.glob("anthropic-java*.jar"):
        shutil.copy2(jar, into / jar.name)
    if patch is not None:
        patch(into)
    return into


def renamed_path_java(root: Path) -> None:
    """anthropic-java: requests go to /v1/deploymentz/... (a constant of the compiled service)."""
    (core,) = root.glob("anthropic-java-core-*.jar")
    member = "com/anthropic/services/blocking/beta/DeploymentServiceImpl$WithRawResponseImpl.class"
    patched = core.with_suffix(".patched")
    with zipfile.ZipFile(core) as source, zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == member:  # a class file's UTF-8 constant: length, then bytes
                assert data.count(b"\x00\x0bdeployments") == 1, f"{member} changed: edit the planted fault"
                data = data.replace(b"\x00\x0bdeployments", b"\x00\x0bdeploymentz")
            target.writestr(item, data)
    patched.replace(core)


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
