#!/usr/bin/env python3
"""Validates SPDX 3.0.1 JSON-LD documents offline.

1. The JSON shape the official SPDX 3.0.1 JSON schema prescribes, checked against the official
   Python bindings' model (spdx-python-model): the exact @context, known non-abstract types,
   known properties, arrays exactly where a property is a list, compact enum values, spdxId on
   Elements only, absolute IRIs, no id defined twice.
2. The bindings themselves: decoding checks types, datatypes, patterns and enum values, and
   that every referenced id is defined; encoding again checks required properties and
   cardinalities.
3. What neither checks: one SpdxDocument with root elements, spec version 3.0.1, hash values of
   the right length, licence relationships pointing at licences, licence expressions that
   parse (with license-expression) and use only listed ids or LicenseRef-s.

Usage: validate-spdx.py FILE...
Prints one line per problem; exits 1 if there is any, 0 (silently) when all files are valid.
Needs spdx-python-model and license-expression: run it with the test tools' Python,
.build/test-tools/venv/bin/python3, which `bash Scripts/bootstrap.sh --tests` sets up.
"""
import json
import re

from findings import report
from urllib.parse import urlparse

import spdx_python_model
from license_expression import get_spdx_licensing
from spdx_python_model import v3_0_1 as spdx

CONTEXT = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
HEX_LENGTH = {"sha1": 40, "sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128, "md5": 32,
              "sha3_256": 64, "sha3_384": 96, "sha3_512": 128, "blake2b256": 64, "blake2b384": 96,
              "blake2b512": 128}


def is_absolute_iri(value):
    return isinstance(value, str) and bool(urlparse(value).scheme) and not re.search(r"\s", value)


def shape(obj, path):
    """Problems with one JSON object of the graph (and the objects nested in it)."""
    if not isinstance(obj, dict):
        return [f"{path}: not a JSON object"]
    cls = spdx.SHACLObject.CLASSES.get(obj.get("type"))
    if cls is None or cls._COMPACT_TYPE != obj.get("type"):
        return [f"{path}: unknown type {obj.get('type')!r}"]
    if cls.IS_ABSTRACT:
        return [f"{path}: type {obj['type']} is abstract"]
    problems = []
    if issubclass(cls, spdx.Element):
        if "@id" in obj or not is_absolute_iri(obj.get("spdxId")):
            problems.append(f"{path}: an Element needs 'spdxId' with an absolute IRI (and no '@id')")
    elif "spdxId" in obj:
        problems.append(f"{path}: {obj['type']} is not an Element and takes '@id', not 'spdxId'")
    properties = {p.compact: p.prop for p in cls()._OBJ_PY_PROPS.values() if p.compact}
    for key, value in obj.items():
        if key in ("type", "spdxId", "@id"):
            continue
        prop = properties.get(key)
        if prop is None:
            problems.append(f"{path}: {obj['type']} has no property {key!r}")
            continue
        where = f"{path}.{key}"
        if isinstance(prop, spdx.ListProp):
            if not isinstance(value, list):
                problems.append(f"{where}: must be an array")
                value = [value]
            prop = prop.prop
        elif isinstance(value, list):
            problems.append(f"{where}: must be a single value, not an array")
            continue
        else:
            value = [value]
        for index, item in enumerate(value):
            if isinstance(prop, spdx.EnumProp):
                allowed = [compact for _, compact in prop.context]
                if item not in allowed:
                    problems.append(f"{where}[{index}]: {item!r} is not one of {', '.join(allowed)}")
            elif isinstance(prop, spdx.AnyURIProp) and not is_absolute_iri(item):
                problems.append(f"{where}[{index}]: {item!r} is not an absolute URI")
            elif isinstance(item, dict):
                problems += shape(item, f"{where}[{index}]")
    return problems


def semantics(objects):
    """Rules beyond the model: the document, versions, hashes, licences."""
    problems = []
    documents = list(objects.foreach_type(spdx.SpdxDocument))
    if len(documents) != 1:
        problems.append(f"expected one SpdxDocument, found {len(documents)}")
    problems += [f"{d._id}: rootElement is empty" for d in documents if not d.rootElement]
    for info in objects.foreach_type(spdx.CreationInfo):
        if info.specVersion != "3.0.1":
            problems.append(f"CreationInfo specVersion is {info.specVersion!r}, expected '3.0.1'")
    for digest in objects.foreach_type(spdx.Hash):
        algorithm = digest.algorithm.rsplit("/", 1)[-1]
        length = HEX_LENGTH.get(algorithm)
        if length and not re.fullmatch(f"[0-9a-fA-F]{{{length}}}", digest.hashValue or ""):
            problems.append(f"{algorithm} hash {digest.hashValue!r} is not {length} hex digits")
    licence_types = (spdx.RelationshipType.hasDeclaredLicense, spdx.RelationshipType.hasConcludedLicense)
    for relationship in objects.foreach_type(spdx.Relationship):
        if relationship.relationshipType in licence_types:
            for target in relationship.to:
                if isinstance(target, spdx.SHACLObject) and not isinstance(target, spdx.simplelicensing_AnyLicenseInfo):
                    problems.append(f"{relationship._id}: a licence relationship points at {target._id}, not a licence")
    licensing = get_spdx_licensing()
    for licence in objects.foreach_type(spdx.simplelicensing_LicenseExpression):
        expression = licence.simplelicensing_licenseExpression
        result = licensing.validate(expression, strict=True)
        unknown = [str(s) for s in result.invalid_symbols if not str(s).startswith(("LicenseRef-", "DocumentRef-"))]
        errors = [e for e in result.errors if not e.startswith("Unknown license key")]
        if errors or unknown:
            problems.append(f"{licence._id}: licence expression {expression!r}: {'; '.join(errors) or 'unknown ids ' + ', '.join(unknown)}")
    return problems


def check(path):
    try:
        with open(path, encoding="utf-8") as file:
            document = json.load(file)
    except (OSError, ValueError) as error:
        return [f"cannot read: {error}"]
    if not isinstance(document, dict) or document.get("@context") != CONTEXT:
        return [f"not SPDX 3.0.1 JSON-LD: @context must be {CONTEXT!r}"]
    graph = document.get("@graph")
    if not isinstance(graph, list):
        return ["@graph must be an array"]
    problems, seen = [], {}
    for index, obj in enumerate(graph):
        problems += shape(obj, f"@graph[{index}]")
        key = obj.get("spdxId", obj.get("@id")) if isinstance(obj, dict) else None
        if key is not None:
            if key in seen:
                problems.append(f"@graph[{index}]: id {key!r} is defined twice (also @graph[{seen[key]}])")
            seen.setdefault(key, index)
    try:
        _, objects = spdx_python_model.load_data(document)
    except Exception as error:  # the bindings raise TypeError, ValueError, KeyError
        return problems + [f"bindings: {type(error).__name__}: {error}"]
    problems += [f"reference to an id not defined in the document: {missing}" for missing in sorted(objects.missing_ids)]
    try:
        spdx.JSONLDSerializer().serialize_data(objects)
    except Exception as error:
        problems.append(f"bindings (required properties): {type(error).__name__}: {error}")
    return problems + semantics(objects)


if __name__ == "__main__":
    report(check)
