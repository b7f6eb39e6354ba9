#!/usr/bin/env python3
"""Validates pedigree's JSON reports (the --json output of every command) against
Schemas/report-<command>.v1.schema.json, chosen by the report's own "command" field. Each
argument is a file holding one report ('-' for standard input). Prints one line per problem
and exits 1 if there is any; prints nothing and exits 0 when all are valid."""
import json
import pathlib
import sys

import jsonschema
import referencing

SCHEMAS = pathlib.Path(__file__).resolve().parent.parent / "Schemas"


def registry():
    """Every schema of Schemas/ under its $id, so one may refer to another's $defs
    (the manifest's tensor table and parent evidence are tensor-evidence.v1's)."""
    resources = []
    for path in sorted(SCHEMAS.glob("*.schema.json")):
        schema = json.loads(path.read_text())
        if "$id" in schema:
            resources.append((schema["$id"], referencing.Resource.from_contents(schema)))
    return referencing.Registry().with_resources(resources)


def problems(text):
    """Problems with one report: JSON that does not parse, a missing command, the schema's."""
    try:
        report = json.loads(text)
    except json.JSONDecodeError as error:
        return [f"not JSON: {error}"]
    command = report.get("command") if isinstance(report, dict) else None
    path = SCHEMAS / f"report-{command}.v1.schema.json"
    mode = report.get("mode") if isinstance(report, dict) else None
    if isinstance(mode, str) and (SCHEMAS / f"report-{command}-{mode}.v1.schema.json").exists():
        path = SCHEMAS / f"report-{command}-{mode}.v1.schema.json"  # e.g. diff --tensors
    if not isinstance(command, str) or not path.exists():
        return [f"no report schema for command {command!r}"]
    schema = json.loads(path.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker(), registry=registry())
    return [f"{error.json_path}: {error.message}" for error in validator.iter_errors(report)]


if __name__ == "__main__":
    failed = False
    for argument in sys.argv[1:] or ["-"]:
        text = sys.stdin.read() if argument == "-" else pathlib.Path(argument).read_text()
        for problem in problems(text):
            print(f"{argument}: {problem}")
            failed = True
    sys.exit(1 if failed else 0)
