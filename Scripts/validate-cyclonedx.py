#!/usr/bin/env python3
"""Validates CycloneDX 1.6 JSON documents offline, against the official JSON schema that the
PyPI package cyclonedx-python-lib ships (with its SPDX licence-id and JSF schemas), and checks
what the schema cannot: every bom-ref is unique, every dependency names a bom-ref, and every
licence expression parses (with license-expression, which cyclonedx-python-lib depends on) and
uses only listed ids or LicenseRef-s.

Usage: validate-cyclonedx.py FILE...
Prints one line per problem; exits 1 if there is any, 0 (silently) when all files are valid.
Needs cyclonedx-python-lib[json-validation]: run it with the test tools' Python,
.build/test-tools/venv/bin/python3, which `bash Scripts/bootstrap.sh --tests` sets up.
"""
import json

from findings import report

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from license_expression import get_spdx_licensing


def walk(node, path="$"):
    """Every JSON object in node, with its JSONPath."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{path}[{index}]")


def references(document):
    """Problems with bom-refs: duplicates, and dependencies naming none."""
    problems, seen = [], {}
    for path, obj in walk(document):
        ref = obj.get("bom-ref")
        if isinstance(ref, str):
            if ref in seen:
                problems.append(f"{path}: bom-ref {ref!r} is not unique (also at {seen[ref]})")
            seen.setdefault(ref, path)
    for index, dependency in enumerate(document.get("dependencies") or []):
        for ref in [dependency.get("ref"), *dependency.get("dependsOn", []), *dependency.get("provides", [])]:
            if ref not in seen:
                problems.append(f"$.dependencies[{index}]: {ref!r} is not a bom-ref of this BOM")
    return problems


def expressions(document):
    """Problems with licence expressions, which the schema takes as any string."""
    problems, licensing = [], get_spdx_licensing()
    for path, obj in walk(document):
        expression = obj.get("expression")
        if ".licenses[" in path and path.endswith("]") and isinstance(expression, str):
            result = licensing.validate(expression, strict=True)
            unknown = [str(s) for s in result.invalid_symbols if not str(s).startswith(("LicenseRef-", "DocumentRef-"))]
            errors = [e for e in result.errors if not e.startswith("Unknown license key")]
            if errors or unknown:
                problems.append(f"{path}.expression {expression!r}: {'; '.join(errors) or 'unknown ids ' + ', '.join(unknown)}")
    return problems


def check(path, validator):
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
        document = json.loads(text)
    except (OSError, ValueError) as error:
        return [f"cannot read: {error}"]
    if not isinstance(document, dict):
        return ["the top level is not a JSON object"]
    problems = []
    if document.get("bomFormat") != "CycloneDX" or document.get("specVersion") != "1.6":
        problems.append("not a CycloneDX 1.6 BOM (bomFormat/specVersion)")
    for error in validator.validate_str(text, all_errors=True) or []:
        problems.append(f"schema: {error.data.json_path}: {error.data.message}")
    return problems + references(document) + expressions(document)


if __name__ == "__main__":
    validator = JsonStrictValidator(SchemaVersion.V1_6)
    report(lambda path: check(path, validator))
