#!/usr/bin/env python3
"""Validates pedigree bundles against Schemas/: the bundle itself, its signed payload, and
the payload of every embedded ancestor that pedigree wrote. Prints one line per problem and
exits 1 if there is any; prints nothing and exits 0 when all are valid."""
import base64
import json
import pathlib
import sys

import jsonschema

SCHEMAS = pathlib.Path(__file__).resolve().parent.parent / "Schemas"
PREDICATE = "https://pedigree.dev/model-manifest/v1"


def validator(name):
    schema = json.loads((SCHEMAS / name).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def main(paths):
    bundle_validator = validator("bundle.v1.schema.json")
    statement_validator = validator("model-manifest.v1.schema.json")
    problems = []
    for path in paths:
        bundle = json.loads(pathlib.Path(path).read_text())
        for error in bundle_validator.iter_errors(bundle):
            problems.append(f"{path}: bundle: {error.json_path}: {error.message}")
        envelopes = [("payload", bundle.get("dsseEnvelope", {}))]
        envelopes += [(f"ancestors[{i}]", a.get("dsseEnvelope", {})) for i, a in enumerate(bundle.get("ancestors", []))]
        for where, envelope in envelopes:
            statement = json.loads(base64.b64decode(envelope.get("payload", "")))
            if where != "payload" and statement.get("predicateType") != PREDICATE:
                continue  # an ancestor signed by another tool (model_signing)
            for error in statement_validator.iter_errors(statement):
                problems.append(f"{path}: {where}: {error.json_path}: {error.message}")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
