"""junit.xml: one testsuite per target, one testcase per requirement, for CI test dashboards.

Mapping: failed -> <failure> (message, and the counterexample as text), skipped -> <skipped>
with the reason, errored -> <error>, passed -> an empty testcase. A known failure (listed in
the SDK's expectations file) is <skipped type="known-failure">, as pytest writes an xfail.
A run cut short adds an errored testcase to every suite, so a partial run can never show as
all green in a CI tab.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from drun_conformance.results import RequirementResult, RunResults, TargetResult, describe_gate

from ._text import counterexample_text

__all__ = ["PARTIAL_CASE", "render_junit"]

PARTIAL_CASE = "drun.run-complete"
# XML 1.0 cannot carry most control characters, even escaped: a target that answers them must
# not make junit.xml unreadable, so they are shown as \\xNN.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return _ILLEGAL_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def render_junit(results: RunResults) -> str:
    """junit.xml for `results`, as text. Redact the results first: this renders what it is given."""
    suites = ET.Element("testsuites", name="drun-conformance", time=f"{results.duration_s:.3f}")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for target in results.targets:
        suite = _suite(target, results)
        suites.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
    for key, value in totals.items():
        suites.set(key, str(value))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _suite(target: TargetResult, results: RunResults) -> ET.Element:
    suite = ET.Element(
        "testsuite",
        name=target.id,
        timestamp=results.started_at.isoformat(timespec="seconds"),
    )
    properties = ET.SubElement(suite, "properties")
    facts = {
        "verdict": target.verdict,
        "gate": target.gate,
        "gate.summary": describe_gate(target, strict=results.strict),
        "kind": target.kind,
        "requests": str(target.requests),
        "strict": str(results.strict).lower(),
        "partial": str(results.partial).lower(),
        "seed": "" if results.seed is None else str(results.seed),
        "spec.sha256": str(results.spec.get("sha256", "")),
        **{f"identity.{k}": str(v) for k, v in target.identity.items()},
    }
    for name, value in facts.items():
        ET.SubElement(properties, "property", name=name, value=_xml_text(value))
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for requirement in target.requirements:
        suite.append(_case(requirement, target))
        counts["tests"] += 1
        status = requirement.status
        if status == "failed" and requirement.expected is not None:
            counts["skipped"] += 1
        elif status == "failed":
            counts["failures"] += 1
        elif status == "errored":
            counts["errors"] += 1
        elif status == "skipped":
            counts["skipped"] += 1
    if results.partial:
        case = ET.SubElement(suite, "testcase", classname=target.id, name=PARTIAL_CASE, time="0")
        ET.SubElement(
            case,
            "error",
            type="partial",
            message="the run was cut short: what it did not reach is not a pass",
        )
        counts["tests"] += 1
        counts["errors"] += 1
    for key, count in counts.items():
        suite.set(key, str(count))
    return suite


def _case(requirement: RequirementResult, target: TargetResult) -> ET.Element:
    case = ET.Element("testcase", classname=target.id, name=requirement.id, time="0")
    status = requirement.status
    if status == "failed" and requirement.expected is not None:
        # A failure the SDK's expectations file lists: reported as pytest reports an xfail.
        listed = f"{requirement.expected_in}: " if requirement.expected_in else ""
        message = (
            f"known failure ({listed}{requirement.expected}): {requirement.message or requirement.title}"
        )
        skipped = ET.SubElement(case, "skipped", type="known-failure", message=_xml_text(message))
        skipped.text = _xml_text(counterexample_text(requirement, kind=target.kind))
    elif status == "failed":
        message = f"{requirement.level}: {requirement.message or requirement.title}"
        failure = ET.SubElement(case, "failure", type=requirement.level, message=_xml_text(message))
        failure.text = _xml_text(counterexample_text(requirement, kind=target.kind))
    elif status == "skipped":
        message = requirement.reason or "not exercised"
        if requirement.remedy:
            message += f"; to exercise it: {requirement.remedy}"
        ET.SubElement(case, "skipped", message=_xml_text(message))
    elif status == "errored":
        error = ET.SubElement(
            case, "error", type="errored", message=_xml_text(requirement.reason or "errored")
        )
        error.text = _xml_text(f"{requirement.level} {requirement.id}: {requirement.title}")
    return case
