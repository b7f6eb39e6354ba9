#!/usr/bin/env python3
"""Validates SPDX 3.0.1 JSON-LD documents offline, four ways.

model     The official Python bindings (spdx-python-model): the JSON shape they read (the exact
          @context, known non-abstract types, known properties, arrays exactly where a property
          is a list, compact enum values, spdxId on Elements only, absolute IRIs, no id defined
          twice); decoding, which checks types, datatypes, patterns, enum values and that every
          referenced id is defined; encoding again, which checks required properties and
          cardinalities; and what neither checks: spec version 3.0.1, hash values of the right
          length, licence expressions that parse (license-expression) with listed ids or
          LicenseRef-s.
profiles  The rules the specification states in prose for each profile the document declares
          in profileConformance (core always), which neither the JSON schema nor the SHACL
          shapes encode; each finding names its rule (see RULES).
schema    The official JSON schema, schema.json in --reference DIR (jsonschema).
shapes    The official SHACL shapes, spdx-model.ttl in --reference DIR (pyshacl, with the model
          as ontology so its classes and named individuals are known); the JSON-LD is read as
          RDF with the official context, spdx-context.jsonld in DIR, put in place of the context
          URL: nothing is fetched.

Usage: validate-spdx.py [--reference DIR] [--check NAME]... FILE...
By default model and profiles, and schema and shapes too when --reference is given.
Prints one line per problem, prefixed by the check; exits 1 if there is any, 0 (silently)
when all files are valid.
Needs spdx-python-model and license-expression (and jsonschema, pyshacl for --reference): run it
with the test tools' Python, .build/test-tools/venv/bin/python3, which
`bash Scripts/bootstrap.sh --tests` sets up.
"""
import argparse
import functools
import json
import os
import re
import sys
from urllib.parse import urlparse

from findings import report

import spdx_python_model
from license_expression import get_spdx_licensing
from spdx_python_model import v3_0_1 as spdx

CONTEXT = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
HEX_LENGTH = {"sha1": 40, "sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128, "md5": 32,
              "sha3_256": 64, "sha3_384": 96, "sha3_512": 128, "blake2b256": 64, "blake2b384": 96,
              "blake2b512": 128}
# The SPDX value for "no assertion is made", which SPDX 2 defined for a download location and
# which an AI package must then carry: the 3.0.1 AI profile requires one (see ai-3).
NO_ASSERTION = "NOASSERTION"
LICENSING = "https://spdx.org/rdf/3.0.1/terms/ExpandedLicensing/"
LICENSE_INDIVIDUALS = {"expandedlicensing_NoAssertionLicense", "expandedlicensing_NoneLicense",
                       LICENSING + "NoAssertionLicense", LICENSING + "NoneLicense"}
NONE_ELEMENT = {"NoneElement", "https://spdx.org/rdf/3.0.1/terms/Core/NoneElement"}

# The prose rules checked, by profile: (rule, where the specification states it).
RULES = {
    "core": [
        ("core-1", "an SPDX serialization contains exactly one SpdxDocument (Core/SpdxDocument)"),
        ("core-2", "an ElementCollection with elements has a rootElement (Core/ElementCollection)"),
        ("core-3", "no element or rootElement of an ElementCollection is an SpdxDocument (Core/ElementCollection)"),
        ("core-4", "a Relationship whose to holds NoneElement holds nothing else (Core/Relationship)"),
        ("core-5", "every CreationInfo has specVersion 3.0.1 (Core/specVersion)"),
    ],
    "software": [
        ("software-1", "every Package and File has a name (Software/Package, Software/File: name minCount 1)"),
    ],
    "ai": [
        ("ai-1", "every AIPackage is the from of exactly one hasConcludedLicense, to an AnyLicenseInfo (AI profile conformance 1)"),
        ("ai-2", "every AIPackage is the from of exactly one hasDeclaredLicense, to an AnyLicenseInfo (AI profile conformance 2)"),
        ("ai-3", "every AIPackage has releaseTime, suppliedBy, downloadLocation, packageVersion and primaryPurpose "
                 "(AI/AIPackage: external properties cardinality)"),
    ],
    "dataset": [
        ("dataset-1", "every DatasetPackage is the from of exactly one hasConcludedLicense, to an AnyLicenseInfo (Dataset profile conformance 1)"),
        ("dataset-2", "every DatasetPackage is the from of exactly one hasDeclaredLicense, to an AnyLicenseInfo (Dataset profile conformance 2)"),
        ("dataset-3", "every DatasetPackage has builtTime, one originatedBy, releaseTime, downloadLocation and primaryPurpose "
                      "(Dataset/DatasetPackage: external properties cardinality)"),
    ],
    "simpleLicensing": [
        ("licensing-1", "every software artifact is the from of a hasConcludedLicense (Licensing)"),
        ("licensing-2", "a hasConcludedLicense that differs from the artifact's hasDeclaredLicense has a comment saying why (Licensing)"),
        ("licensing-3", "hasDeclaredLicense and hasConcludedLicense go from a software artifact to AnyLicenseInfos (Core/RelationshipType)"),
        ("licensing-4", "a licenseExpression follows the grammar of the SPDX license expressions annex with listed ids "
                        "or LicenseRef-s (SimpleLicensing/LicenseExpression)"),
        ("licensing-5", "customIdToUri maps a LicenseRef-/AdditionRef- of the expression to a CustomLicense, "
                        "CustomLicenseAddition or SimpleLicensingText (SimpleLicensing/customIdToUri)"),
    ],
}


def is_absolute_iri(value):
    return isinstance(value, str) and bool(urlparse(value).scheme) and not re.search(r"\s", value)


def model_class(obj):
    """The bindings' class for a JSON object's type, or None."""
    return spdx.SHACLObject.CLASSES.get(obj.get("type")) if isinstance(obj, dict) else None


def shape(obj, path):
    """Problems with one JSON object of the graph (and the objects nested in it)."""
    if not isinstance(obj, dict):
        return [f"{path}: not a JSON object"]
    cls = model_class(obj)
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
                if not (key == "software_downloadLocation" and item == NO_ASSERTION):
                    problems.append(f"{where}[{index}]: {item!r} is not an absolute URI")
            elif isinstance(item, dict):
                problems += shape(item, f"{where}[{index}]")
    return problems


def semantics(objects):
    """What neither the JSON shape nor the bindings check: versions, hashes, expressions."""
    problems = []
    for digest in objects.foreach_type(spdx.Hash):
        algorithm = digest.algorithm.rsplit("/", 1)[-1]
        length = HEX_LENGTH.get(algorithm)
        if length and not re.fullmatch(f"[0-9a-fA-F]{{{length}}}", digest.hashValue or ""):
            problems.append(f"{algorithm} hash {digest.hashValue!r} is not {length} hex digits")
    return problems


def check_model(document):
    """The bindings' reading of the document (see the module's doc)."""
    graph = document["@graph"]
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


class Graph:
    """The document's top-level objects by id, with their relationships."""

    def __init__(self, document):
        self.objects = [obj for obj in document["@graph"] if isinstance(obj, dict)]
        self.by_id = {}
        for obj in self.objects:
            key = obj.get("spdxId", obj.get("@id"))
            if isinstance(key, str):
                self.by_id.setdefault(key, obj)
        self.relationships = [obj for obj in self.objects if self.is_a(obj, spdx.Relationship)]

    @staticmethod
    def is_a(obj, cls):
        found = model_class(obj)
        return found is not None and issubclass(found, cls)

    def of_type(self, cls):
        return [obj for obj in self.objects if self.is_a(obj, cls)]

    def related(self, source, relationship_type):
        return [r for r in self.relationships
                if r.get("from") == source and r.get("relationshipType") == relationship_type]

    def is_license(self, target):
        """Whether an id names an AnyLicenseInfo: a licence element here, or a licence individual."""
        if target in LICENSE_INDIVIDUALS:
            return True
        obj = self.by_id.get(target)
        return obj is not None and self.is_a(obj, spdx.simplelicensing_AnyLicenseInfo)


def exactly_one_licence(graph, package, relationship_type, rule):
    """ai-1/2, dataset-1/2: exactly one relationship of the type, to licences only."""
    name = f"{package.get('type')} {package.get('spdxId')}"
    found = graph.related(package.get("spdxId"), relationship_type)
    if len(found) != 1:
        return [f"{rule}: {name} is the from of {len(found)} {relationship_type} relationships, not exactly one"]
    targets = found[0].get("to") or []
    if not targets or not all(graph.is_license(target) for target in targets):
        return [f"{rule}: {found[0].get('spdxId')}: {relationship_type} of {name} does not go to an AnyLicenseInfo: {targets}"]
    return []


def check_profiles(document):
    """The prose rules of the declared profiles (RULES)."""
    graph = Graph(document)
    documents = graph.of_type(spdx.SpdxDocument)
    declared = {"core"}
    for doc in documents:
        declared.update(doc.get("profileConformance") or [])
    problems = []
    # core
    if len(documents) != 1:
        problems.append(f"core-1: expected exactly one SpdxDocument, found {len(documents)}")
    for collection in graph.of_type(spdx.ElementCollection):
        name = collection.get("spdxId")
        if collection.get("element") and not collection.get("rootElement"):
            problems.append(f"core-2: {name} has elements but no rootElement")
        for key in ("element", "rootElement"):
            for member in collection.get(key) or []:
                if graph.is_a(graph.by_id.get(member), spdx.SpdxDocument):
                    problems.append(f"core-3: {name} lists the SpdxDocument {member} in {key}")
    for relationship in graph.relationships:
        targets = relationship.get("to") or []
        if any(t in NONE_ELEMENT for t in targets) and len(targets) > 1:
            problems.append(f"core-4: {relationship.get('spdxId')}: to holds NoneElement and other elements")
    for info in graph.of_type(spdx.CreationInfo):
        if info.get("specVersion") != "3.0.1":
            problems.append(f"core-5: CreationInfo {info.get('@id')} has specVersion {info.get('specVersion')!r}")
    # software
    if "software" in declared:
        for artifact in graph.of_type(spdx.software_Package) + graph.of_type(spdx.software_File):
            if not artifact.get("name"):
                problems.append(f"software-1: {artifact.get('type')} {artifact.get('spdxId')} has no name")
    # ai
    if "ai" in declared:
        required = ["releaseTime", "suppliedBy", "software_downloadLocation", "software_packageVersion", "software_primaryPurpose"]
        for package in graph.of_type(spdx.ai_AIPackage):
            problems += exactly_one_licence(graph, package, "hasConcludedLicense", "ai-1")
            problems += exactly_one_licence(graph, package, "hasDeclaredLicense", "ai-2")
            missing = [key for key in required if package.get(key) in (None, "", [])]
            if missing:
                problems.append(f"ai-3: ai_AIPackage {package.get('spdxId')} lacks {', '.join(missing)}")
    # dataset
    if "dataset" in declared:
        required = ["builtTime", "releaseTime", "software_downloadLocation", "software_primaryPurpose"]
        for package in graph.of_type(spdx.dataset_DatasetPackage):
            problems += exactly_one_licence(graph, package, "hasConcludedLicense", "dataset-1")
            problems += exactly_one_licence(graph, package, "hasDeclaredLicense", "dataset-2")
            missing = [key for key in required if package.get(key) in (None, "", [])]
            if len(package.get("originatedBy") or []) != 1:
                missing.append("exactly one originatedBy")
            if missing:
                problems.append(f"dataset-3: dataset_DatasetPackage {package.get('spdxId')} lacks {', '.join(missing)}")
    # simpleLicensing
    if "simpleLicensing" in declared:
        problems += licensing(graph)
    return problems


def licensing(graph):
    """licensing-1 to licensing-5."""
    problems = []
    for artifact in graph.of_type(spdx.software_SoftwareArtifact):
        source = artifact.get("spdxId")
        concluded = graph.related(source, "hasConcludedLicense")
        if not concluded:
            problems.append(f"licensing-1: {artifact.get('type')} {source} has no hasConcludedLicense")
        declared_targets = sorted(t for r in graph.related(source, "hasDeclaredLicense") for t in r.get("to") or [])
        for relationship in concluded:
            if declared_targets and sorted(relationship.get("to") or []) != declared_targets and not relationship.get("comment"):
                problems.append(f"licensing-2: {relationship.get('spdxId')}: the concluded licence of {source} differs "
                                "from the declared one and the relationship has no comment")
    for relationship in graph.relationships:
        if relationship.get("relationshipType") not in ("hasDeclaredLicense", "hasConcludedLicense"):
            continue
        source = graph.by_id.get(relationship.get("from"))
        if not graph.is_a(source, spdx.software_SoftwareArtifact):
            problems.append(f"licensing-3: {relationship.get('spdxId')}: from {relationship.get('from')} is not a software artifact")
        for target in relationship.get("to") or []:
            if not graph.is_license(target):
                problems.append(f"licensing-3: {relationship.get('spdxId')}: to {target} is not an AnyLicenseInfo")
    spdx_licensing = get_spdx_licensing()
    for licence in graph.of_type(spdx.simplelicensing_LicenseExpression):
        name = licence.get("spdxId")
        expression = licence.get("simplelicensing_licenseExpression") or ""
        result = spdx_licensing.validate(expression, strict=True)
        unknown = [str(s) for s in result.invalid_symbols if not str(s).startswith(("LicenseRef-", "DocumentRef-"))]
        errors = [e for e in result.errors if not e.startswith("Unknown license key")]
        if errors or unknown:
            problems.append(f"licensing-4: {name}: licence expression {expression!r}: {'; '.join(errors) or 'unknown ids ' + ', '.join(unknown)}")
        words = {w.strip("()") for w in expression.split()}
        for entry in licence.get("simplelicensing_customIdToUri") or []:
            key, value = entry.get("key"), entry.get("value")
            if not (isinstance(key, str) and key.startswith(("LicenseRef-", "AdditionRef-")) and key in words):
                problems.append(f"licensing-5: {name}: customIdToUri key {key!r} is not a LicenseRef-/AdditionRef- of {expression!r}")
            target = graph.by_id.get(value)
            text_types = (spdx.expandedlicensing_CustomLicense, spdx.expandedlicensing_CustomLicenseAddition,
                          spdx.simplelicensing_SimpleLicensingText)
            if target is None or not any(graph.is_a(target, cls) for cls in text_types):
                problems.append(f"licensing-5: {name}: customIdToUri maps {key!r} to {value!r}, which is not a "
                                "CustomLicense, CustomLicenseAddition or SimpleLicensingText of this document")
    return problems


@functools.lru_cache(maxsize=None)
def reference_schema(reference):
    """The official schema, and a function giving (once) the validator of the whole document
    (None) or of one class."""
    from jsonschema import validators
    with open(os.path.join(reference, "schema.json"), encoding="utf-8") as file:
        schema = json.load(file)
    validator_class = validators.validator_for(schema)

    @functools.lru_cache(maxsize=None)
    def validator_for(kind):
        if kind is None:
            return validator_class(schema)
        return validator_class({"$schema": schema["$schema"], "$defs": schema["$defs"], "type": "object",
                                "$ref": f"#/$defs/{kind}", "unevaluatedProperties": False})
    return schema, validator_for


@functools.lru_cache(maxsize=None)
def reference_shapes(reference):
    """The official JSON-LD context (its @context value) and the SHACL shapes graph."""
    import rdflib
    with open(os.path.join(reference, "spdx-context.jsonld"), encoding="utf-8") as file:
        context = json.load(file)["@context"]
    return context, rdflib.Graph().parse(os.path.join(reference, "spdx-model.ttl"), format="turtle")


def check_schema(document, reference):
    """The official JSON schema (jsonschema, draft 2020-12).

    The schema's document is an @graph whose every object is one of the classes (AnyClass,
    an anyOf over every concrete class, each fixing its own type). Validating the whole at once
    evaluates every branch for every object, which takes jsonschema most of a minute, so the
    frame is validated with an empty @graph and each object against the one class its type
    names: the same verdict, since no other branch can accept that type.
    """
    from jsonschema.exceptions import best_match
    schema, validator_for = reference_schema(reference)
    problems = [f"$: {error.message[:300]}" for error in validator_for(None).iter_errors(dict(document, **{"@graph": []}))]
    classes = {branch["$ref"].rsplit("/", 1)[-1] for branch in schema["$defs"]["AnyClass"]["anyOf"]}
    for index, obj in enumerate(document.get("@graph") or []):
        kind = obj.get("type") if isinstance(obj, dict) else None
        if kind not in classes:
            problems.append(f"@graph[{index}]: type {kind!r} is not a class of the schema")
            continue
        for error in validator_for(kind).iter_errors(obj):
            error = best_match(error.context) if error.context else error
            message = error.message if len(error.message) <= 300 else error.message[:297] + "..."
            problems.append(f"@graph[{index}]{error.json_path[1:]}: {message}")
    return problems


def check_shapes(document, reference):
    """The official SHACL shapes (pyshacl), the document read as RDF with the local context."""
    import pyshacl
    import rdflib
    from rdflib.namespace import SH
    context, shapes = reference_shapes(reference)
    data = rdflib.Graph().parse(data=json.dumps(dict(document, **{"@context": context})), format="json-ld")
    conforms, results, _ = pyshacl.validate(data, shacl_graph=shapes, ont_graph=shapes, inference="none",
                                            abort_on_first=False, allow_warnings=False)
    if conforms:
        return []
    problems = []
    for result in results.subjects(rdflib.RDF.type, SH.ValidationResult):
        focus = results.value(result, SH.focusNode)
        path = results.value(result, SH.resultPath)
        message = results.value(result, SH.resultMessage)
        value = results.value(result, SH.value)
        problems.append(f"{focus} {path}: {message}" + (f" (value {value})" if value is not None else ""))
    return sorted(problems) or ["the shapes do not conform (no result was reported)"]


def check(path, checks, reference):
    try:
        with open(path, encoding="utf-8") as file:
            document = json.load(file)
    except (OSError, ValueError) as error:
        return [f"cannot read: {error}"]
    if not isinstance(document, dict) or document.get("@context") != CONTEXT:
        return [f"not SPDX 3.0.1 JSON-LD: @context must be {CONTEXT!r}"]
    if not isinstance(document.get("@graph"), list):
        return ["@graph must be an array"]
    run = {"model": check_model, "profiles": check_profiles,
           "schema": lambda d: check_schema(d, reference), "shapes": lambda d: check_shapes(d, reference)}
    return [f"{name}: {problem}" for name in checks for problem in run[name](document)]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Validates SPDX 3.0.1 JSON-LD documents offline.")
    parser.add_argument("--reference", metavar="DIR",
                        help="folder with the official schema.json, spdx-model.ttl and spdx-context.jsonld")
    parser.add_argument("--check", action="append", choices=["model", "profiles", "schema", "shapes"],
                        help="run only these checks (repeatable)")
    parser.add_argument("files", nargs="+", metavar="FILE")
    arguments = parser.parse_args()
    checks = arguments.check or (["model", "profiles"] + (["schema", "shapes"] if arguments.reference else []))
    if {"schema", "shapes"} & set(checks) and not arguments.reference:
        parser.error("the schema and shapes checks need --reference DIR")
    sys.argv = [sys.argv[0]] + arguments.files
    report(lambda path: check(path, checks, arguments.reference))
