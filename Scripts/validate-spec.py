#!/usr/bin/env python3
"""Validates derivation specs (sign --spec, notices --spec), YAML or JSON, against
Schemas/derivation-spec.v1.schema.json. Each document is loaded as pedigree reads it: every
scalar kept as the text written (PyYAML's BaseLoader), so `epochs: 3` is the string '3'. Prints
one line per problem, prefixed by the file, and exits 1 if there is any; prints nothing and
exits 0 when all are valid."""
import json
import pathlib
import sys

import jsonschema
import yaml

SCHEMA = pathlib.Path(__file__).resolve().parent.parent / "Schemas" / "derivation-spec.v1.schema.json"


def main(paths):
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    failed = False
    for path in paths:
        try:
            document = yaml.load(pathlib.Path(path).read_text(), Loader=yaml.BaseLoader)
        except yaml.YAMLError as error:
            print(f"{path}: not YAML: {error}".replace("\n", " "))
            failed = True
            continue
        if document is None:
            document = {}
        for error in validator.iter_errors(document):
            print(f"{path}: {error.json_path}: {error.message}")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
