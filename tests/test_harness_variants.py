"""One harness source per compiled SDK serves every release with the operation: the build picks
the release's variant (Java: a shim folder; Go: the module imported and the compat files' tags).
Pure: the choice by release, and that each choice names sources the harness has."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from drun_conformance._errors import SdkUnavailable, UsageError
from drun_conformance.client._sdk_go import MODULE, V1_MODULE, GoVariant, go_variant
from drun_conformance.client._sdk_go import PROJECT as GO_PROJECT
from drun_conformance.client._sdk_java import PROJECT as JAVA_PROJECT
from drun_conformance.client._sdk_java import java_shim
from drun_conformance.client._sdks import parse_sdk

BEFORE_V2_6 = ("drun_before_v2_6",)


@pytest.mark.parametrize(
    ("release", "shim"),
    [("2.40.0", "v2"), ("2.58.1", "v2"), ("2.75.0", "v2"), ("3.0.0", "v3"), ("3.14", "v3"), ("3.17.0", "v3")],
)
def test_a_java_release_gets_the_shim_of_its_range(release: str, shim: str) -> None:
    assert java_shim(release) == shim


@pytest.mark.parametrize(
    ("release", "variant"),
    [
        ("v1.50.0", GoVariant(V1_MODULE, BEFORE_V2_6)),
        ("1.84.0", GoVariant(V1_MODULE, BEFORE_V2_6)),
        ("v2.0.0", GoVariant(MODULE, BEFORE_V2_6)),
        ("v2.5.0", GoVariant(MODULE, BEFORE_V2_6)),
        ("v2.6.0", GoVariant(MODULE, ())),
        ("v2.18.0", GoVariant(MODULE, ())),
    ],
)
def test_a_go_release_gets_its_module_and_compat_files(release: str, variant: GoVariant) -> None:
    assert go_variant(release) == variant


@pytest.mark.parametrize(
    ("choose", "release", "why"),
    [
        (java_shim, "2.39.0", "appeared in 2.40.0"),
        (java_shim, "4.0.0", "no shim"),
        (java_shim, "latest", "appeared in 2.40.0"),
        (go_variant, "v1.49.0", "appeared in v1.50.0"),
        (go_variant, "v0.2.0", "appeared in v1.50.0"),
        (go_variant, "v3.0.0", "anthropic-sdk-go/v3"),
    ],
)
def test_a_release_no_variant_serves_is_unavailable_with_why(
    choose: Callable[[str], object], release: str, why: str
) -> None:
    with pytest.raises(SdkUnavailable, match=re.escape(why)):
        choose(release)


def test_each_java_shim_chosen_is_a_folder_of_the_harness() -> None:
    shims = {java_shim(release) for release in ("2.40.0", "3.0.0")}
    assert shims == {p.name for p in (JAVA_PROJECT / "src" / "shim").iterdir()}
    for shim in shims:  # each defines the one class the harness reads through
        assert "final class Shim {" in (JAVA_PROJECT / "src" / "shim" / shim / "Shim.java").read_text()


def test_each_go_tag_chosen_selects_one_compat_file_and_its_absence_the_other() -> None:
    constraints = [
        line
        for file in sorted(GO_PROJECT.glob("compat_*.go"))
        for line in file.read_text().splitlines()
        if line.startswith("//go:build ")
    ]
    (tag,) = BEFORE_V2_6
    assert sorted(constraints) == [f"//go:build !{tag}", f"//go:build {tag}"]


@pytest.mark.parametrize(
    ("text", "release"),
    [("java@2.40.0", "2.40.0"), ("java@2.75.0", "2.75.0"), ("go@v1.50.0", "v1.50.0"), ("go@2.5.0", "v2.5.0")],
)
def test_the_cli_takes_every_release_with_the_operation(text: str, release: str) -> None:
    assert parse_sdk(text)[1] == release


@pytest.mark.parametrize(("text", "why"), [("java@2.39.0", "2.40.0"), ("go@v1.49.0", "v1.50.0")])
def test_the_cli_refuses_a_release_before_the_operation(text: str, why: str) -> None:
    with pytest.raises(UsageError, match=f"appeared in {re.escape(why)}"):
        parse_sdk(text)
