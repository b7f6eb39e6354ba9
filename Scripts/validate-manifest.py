#!/usr/bin/env python3
"""Validates pedigree bundles against Schemas/: the bundle itself, its signed payload, and
the payload of every embedded ancestor that pedigree wrote. Prints one line per problem and
exits 1 if there is any; prints nothing and exits 0 when all are valid."""
import base64
import json
import pathlib

import jsonschema
import referencing

from findings import report

SCHEMAS = pathlib.Path(__file__).resolve().parent.parent / "Schemas"
PREDICATE = "https://pedigree.dev/model-manifest/v1"


def registry():
    """Every schema of Schemas/ under its $id, so one may refer to another's $defs
    (the manifest's tensor table and parent evidence are tensor-evidence.v1's)."""
    resources = []
    for path in sorted(SCHEMAS.glob("*.schema.json")):
        schema = json.loads(path.read_text())
        if "$id" in schema:
            resources.append((schema["$id"], referencing.Resource.from_contents(schema)))
    return referencing.Registry().with_resources(resources)


def validator(name):
    schema = json.loads((SCHEMAS / name).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker(), registry=registry())


def check(path, bundle_validator, statement_validator):
    """Problems with one bundle: its own shape, and its payloads'."""
    bundle = json.loads(pathlib.Path(path).read_text())
    problems = [f"bundle: {error.json_path}: {error.message}" for error in bundle_validator.iter_errors(bundle)]
    envelopes = [("payload", bundle.get("dsseEnvelope", {}))]
    envelopes += [(f"ancestors[{i}]", a.get("dsseEnvelope", {})) for i, a in enumerate(bundle.get("ancestors", []))]
    for where, envelope in envelopes:
        statement = json.loads(base64.b64decode(envelope.get("payload", "")))
        if where != "payload" and statement.get("predicateType") != PREDICATE:
            continue  # an ancestor signed by another tool (model_signing)
        for error in statement_validator.iter_errors(statement):
            problems.append(f"{where}: {error.json_path}: {error.message}")
    return problems


if __name__ == "__main__":
    bundles, statements = validator("bundle.v1.schema.json"), validator("model-manifest.v1.schema.json")
    report(lambda path: check(path, bundles, statements))
