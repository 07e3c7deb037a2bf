"""`NAME@FIRST..LAST`: a range of SDK releases, expanded over what the SDK's registry lists, each
release checked as one named alone is. Offline: the registries' answers are canned here (the
listers parse them as they parse the real ones); tests/test_sdk_ranges_live.py serves one on
loopback to a real run."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest

from drun_conformance._errors import SdkUnavailable, UsageError
from drun_conformance.client import _registries
from drun_conformance.client._registries import registry_url, served_releases
from drun_conformance.client._sdks import SDKS, parse_sdk, parse_sdks
from drun_conformance.plugin import _options

PYTHON = ["0.108.0", "0.109.0", "1.0.0", "2.15.0", "2.16.0", "2.17.0"]
JAVA = ["2.40.0", "2.75.0", "3.0.0", "3.14.0", "3.17.0"]
GO = ["v2.5.0", "v2.6.0", "v2.14.0", "v2.15.0"]
SERVED = {"python": PYTHON, "java": JAVA, "go": GO, "typescript": ["1.10.0"]}


def served(name: str) -> list[str]:
    return SERVED[name]


def expand(*texts: str, flag: str = "--through-sdk") -> list[str]:
    return list(parse_sdks(texts, flag=flag, served=served))


# --- what a range holds --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "releases"),
    [
        ("python@2.15.0..2.17.0", ["2.15.0", "2.16.0", "2.17.0"]),  # both ends in
        ("python@2.15.1..2.16.9", ["2.16.0"]),  # ends need not be releases
        ("python@2.16.0..", ["2.16.0", "2.17.0"]),
        ("python@..1.0.0", ["0.109.0", "1.0.0"]),  # an open start: the oldest release the harness gates
        ("python@1.0.0..1.0.0", ["1.0.0"]),
        ("java@..3.0.0", ["2.40.0", "2.75.0", "3.0.0"]),  # the shipped harness is for 2.40.0 on
        ("go@2.6.0..v2.14.0", ["v2.6.0", "v2.14.0"]),  # Go's v, or not, as one release takes it
    ],
)
def test_a_range_is_every_served_release_in_it(text: str, releases: list[str]) -> None:
    name = text.partition("@")[0]
    assert expand(text) == [f"{name}@{v}" for v in releases]


def test_ranges_and_releases_mix_in_order_and_each_release_is_parsed_as_alone() -> None:
    parsed = parse_sdks(["java", "python@2.16.0..", "go@v2.15.0"], flag="--sdk", served=served)
    assert list(parsed) == ["java", "python@2.16.0", "python@2.17.0", "go@v2.15.0"]
    assert parsed["python@2.17.0"] == (SDKS["python"], "2.17.0") == parse_sdk("python@2.17.0")


def test_a_range_says_how_many_releases_it_holds_before_anything_starts() -> None:
    said: list[str] = []
    parse_sdks(["java@..3.17.0", "python@2.16.0"], flag="--sdk", served=served, note=said.append)
    assert said == [
        "java@..3.17.0: 5 releases of com.anthropic:anthropic-java (2.40.0, 2.75.0, 3.0.0, 3.14.0, 3.17.0);"
        " one not yet in the cache is installed on first use"
    ]
    many = {"python": [f"2.{i}.0" for i in range(20)]}
    parse_sdks(["python@2.0.0.."], flag="--sdk", served=many.__getitem__, note=said.append)
    assert said[-1].startswith("python@2.0.0..: 20 releases of anthropic (2.0.0, 2.1.0, ..., 2.19.0)")


def test_a_folder_is_not_a_range() -> None:
    """`..` alone, or a path through it, is a local build, as before: no registry is asked."""

    def never(name: str) -> list[str]:
        raise AssertionError(f"the {name} registry was asked")

    for text in ("python@..", "python@../no-such-checkout"):
        with pytest.raises(UsageError, match=r"pyproject\.toml|no such file or folder"):
            parse_sdks([text], flag="--sdk", served=never)


# --- bad ranges: a usage error, naming the flag and the value ------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("python@2.17.0..2.15.0", "'python@2.17.0..2.15.0': 2.17.0 comes after 2.15.0"),
        ("python@3.0.0..", "no final release of anthropic in that range; it serves 0.108.0 to 2.17.0"),
        ("python@2.15.1..2.15.9", "no final release of anthropic in that range"),
        ("python@2.15..", "a range is NAME@FIRST..LAST of final releases, either end left out"),
        ("python@..2.17", "a range is NAME@FIRST..LAST"),
        ("python@2.15.0...2.17.0", "a range is NAME@FIRST..LAST"),
        ("python@2.15.0rc1..", "a range is NAME@FIRST..LAST"),  # final releases only
        ("python@0.100.0..2.17.0", "anthropic 0.100.0 cannot be gated: deployments.run appeared in 0.109.0"),
        ("java@2.39.0..2.75.0", "anthropic-java 2.39.0 cannot be gated: deployments().run() appeared in"),
        ("go@v1.49.0..v2.5.0", "v1.49.0 cannot be gated: Deployments.Run appeared in v1.50.0"),
        ("cobol@1.0.0..", "--through-sdk 'cobol@1.0.0..': the shipped harnesses are"),
    ],
)
def test_a_bad_range_is_a_usage_error_naming_it(text: str, words: str) -> None:
    with pytest.raises(UsageError, match=r"^--through-sdk ") as raised:
        expand(text)
    assert words in str(raised.value)


def test_a_release_a_range_holds_named_again_is_named_twice() -> None:
    with pytest.raises(UsageError, match=r"^--sdk 'python@2.16.0': the same SDK release is named twice"):
        expand("python@2.15.0..2.17.0", "python@2.16.0", flag="--sdk")
    with pytest.raises(UsageError, match="named twice"):
        expand("java@3.0.0..3.14.0", "java", flag="--sdk")  # java is 3.14.0


def test_where_one_release_is_taken_a_range_is_refused() -> None:
    with pytest.raises(UsageError, match="one release is taken here, not a range"):
        parse_sdk("python@2.15.0..2.17.0")


# --- the registries' listings ----------------------------------------------------------------------


def _pypi_file(yanked: bool = False) -> dict[str, object]:
    return {"filename": "anthropic-x-py3-none-any.whl", "url": "https://files/x.whl", "yanked": yanked}


PYPI, NPM = "https://pypi.org/pypi/anthropic/json", "https://registry.npmjs.org/@anthropic-ai%2fsdk"
MAVEN = "https://repo1.maven.org/maven2/com/anthropic/anthropic-java/maven-metadata.xml"
CANNED: dict[str, bytes] = {
    PYPI: json.dumps(
        {
            "releases": {
                "2.16.0": [_pypi_file()],
                "2.15.0": [_pypi_file(), _pypi_file(yanked=True)],
                "2.16.1": [_pypi_file(yanked=True)],  # every file yanked: not served
                "2.17.0rc1": [_pypi_file()],  # a pre-release
                "2.17.1": [],  # no file
                "2.9.0": [_pypi_file()],
            }
        }
    ).encode(),
    NPM: json.dumps({"versions": {"1.10.0": {}, "1.2.0": {}, "1.11.0-beta.1": {}}}).encode(),
    MAVEN: (
        b"<metadata><versioning><versions><version>3.17.0</version><version>3.2.0</version>"
        b"<version>3.18.0-alpha</version></versions></versioning></metadata>"
    ),
    "https://proxy.golang.org/github.com/anthropics/anthropic-sdk-go/@v/list": b"v1.50.0\nv1.9.0\nv2.0.0\n",
    "https://proxy.golang.org/github.com/anthropics/anthropic-sdk-go/v2/@v/list": b"v2.15.0\nv2.6.0\n",
}
LISTED = {
    "python": ["2.9.0", "2.15.0", "2.16.0"],
    "typescript": ["1.2.0", "1.10.0"],
    "java": ["3.2.0", "3.17.0"],
    "go": ["v1.9.0", "v1.50.0", "v2.6.0", "v2.15.0"],  # v2.0.0 of the v1 module is not a release
}


@pytest.fixture
def registries(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The registries answer with CANNED; yields the addresses asked, in order."""
    asked: list[str] = []

    def get(url: str, name: str, *, accept: str | None = None) -> bytes:
        asked.append(url)
        if url not in CANNED:
            raise SdkUnavailable(f"cannot list the {name} SDK's releases: {url} answered 404")
        return CANNED[url]

    for variable in ("DRUN_PYPI_URL", "DRUN_NPM_URL", "DRUN_MAVEN_URL", "DRUN_GOPROXY_URL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr(_registries, "_get", get)
    _clear()
    yield asked
    _clear()


def _clear() -> None:
    _registries._served.cache_clear()
    _registries._pypi.cache_clear()


@pytest.mark.parametrize("name", list(LISTED))
def test_each_registry_lists_its_final_releases_oldest_first(registries: list[str], name: str) -> None:
    assert served_releases(name) == LISTED[name]


def test_a_registry_is_asked_once_a_process(registries: list[str]) -> None:
    served_releases("python")
    parse_sdks(["python@2.15.0..", "python@..2.9.0"], flag="--sdk")
    assert registries == [PYPI]


def test_a_registry_can_be_moved_by_its_variable(
    registries: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRUN_PYPI_URL", "http://127.0.0.1:1/pypi/anthropic/json/")
    monkeypatch.setitem(CANNED, "http://127.0.0.1:1/pypi/anthropic/json", CANNED[PYPI])
    assert registry_url("python") == "http://127.0.0.1:1/pypi/anthropic/json"
    assert served_releases("python") == LISTED["python"]
    assert registries == ["http://127.0.0.1:1/pypi/anthropic/json"]


@pytest.mark.parametrize(
    ("name", "url", "answer"),
    [
        ("python", PYPI, b"<html>maintenance</html>"),
        ("python", PYPI, b'{"info": {}}'),
        ("typescript", NPM, b"[1, 2]"),
        ("java", MAVEN, b"<metadata"),
    ],
)
def test_an_answer_that_is_not_a_listing_is_sdk_unavailable(
    registries: list[str], monkeypatch: pytest.MonkeyPatch, name: str, url: str, answer: bytes
) -> None:
    monkeypatch.setitem(CANNED, url, answer)
    with pytest.raises(
        SdkUnavailable, match=f"cannot list the {name} SDK's releases: .* not a release listing"
    ):
        served_releases(name)


def test_a_registry_that_cannot_say_what_a_range_holds_names_the_flag_and_the_range(
    registries: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRUN_MAVEN_URL", "https://mirror.invalid/maven2/com/anthropic")
    with pytest.raises(SdkUnavailable, match=r"^--sdk 'java@3.0.0..': cannot list the java SDK's releases"):
        parse_sdks(["java@3.0.0.."], flag="--sdk")
    parse_sdks(["java@3.0.0"], flag="--sdk")  # one release: no registry asked


def test_the_plugin_expands_its_option_and_reports_a_bad_range_as_usage(registries: list[str]) -> None:
    through: Callable[[list[str]], tuple[str, ...]] = _options._through_sdks
    assert through(["python@2.15.0..", "go"]) == ("python@2.15.0", "python@2.16.0", "go")
    with pytest.raises(
        pytest.UsageError, match=r"^--drun-through-sdk 'python@9\.0\.0\.\.': the registry serves no"
    ):
        through(["python@9.0.0.."])


def test_the_sweep_lists_releases_through_the_package() -> None:
    """No second copy of a lister: the sweep's SDKs ask the package's."""
    import sys

    from tests.conftest import REPO

    sys.path.insert(0, str(REPO / "scripts"))
    from sweep import registries as sweep

    assert sweep.version_key is _registries.version_key
    for name, sdk in sweep.SDKS.items():
        assert sdk.releases.func is _registries.served_releases and sdk.releases.args == (name,)  # type: ignore[attr-defined]
