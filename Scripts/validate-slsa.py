#!/usr/bin/env python3
"""Validates SLSA Provenance v1 Statements with the in-toto attestation framework's own Python
bindings (PyPI in-toto-attestation): the Statement and its Provenance v1 predicate are parsed
into their protobuf messages, which rejects unknown or misspelled fields and malformed times;
every resolved dependency must be pinned by a URI or a digest, and a sha256 must be 64 hex digits.

Usage: validate-slsa.py FILE...
Prints one line per problem; exits 1 if there is any, 0 (silently) when all files are valid.
"""
import json
import re

from findings import report

from google.protobuf import json_format
from in_toto_attestation.predicates.provenance.v1 import provenance_pb2
from in_toto_attestation.v1 import statement, statement_pb2

PREDICATE = "https://slsa.dev/provenance/v1"


def check(path):
    try:
        with open(path, encoding="utf-8") as file:
            document = json.load(file)
        statement.Statement.copy_from_pb(json_format.ParseDict(document, statement_pb2.Statement())).validate()
        if document.get("predicateType") != PREDICATE:
            return [f"predicateType is {document.get('predicateType')!r}, not {PREDICATE}"]
        provenance = json_format.ParseDict(document["predicate"], provenance_pb2.Provenance())
    except Exception as error:  # the bindings raise several kinds; each is a finding
        return [f"{type(error).__name__}: {error}"]
    problems = []
    if not provenance.build_definition.build_type:
        problems.append("buildDefinition.buildType is required")
    if not provenance.run_details.builder.id:
        problems.append("runDetails.builder.id is required")
    for dependency in provenance.build_definition.resolved_dependencies:
        if not (dependency.uri or dependency.digest):
            problems.append(f"resolvedDependencies {dependency.name!r}: neither uri nor digest")
        sha256 = dependency.digest.get("sha256")
        if sha256 is not None and not re.fullmatch("[0-9a-f]{64}", sha256):
            problems.append(f"resolvedDependencies {dependency.name!r}: sha256 is not 64 hex digits")
    return problems


if __name__ == "__main__":
    report(check)
