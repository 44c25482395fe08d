#!/usr/bin/env python3
"""The generated JSON Schema is a valid draft-07 schema, the shipped runbooks conform to it,
and a runbook with an unknown key does not. Usage: schema_check.py RUNBOOK_BINARY SOURCE_DIR"""
import glob
import json
import re
import subprocess
import sys

import jsonschema
import yaml

binary, source = sys.argv[1], sys.argv[2]
schema = json.loads(subprocess.run([binary, "schema"], check=True, capture_output=True, text=True).stdout)
jsonschema.Draft7Validator.check_schema(schema)
validator = jsonschema.Draft7Validator(schema)


class Yaml12(yaml.SafeLoader):
    """YAML 1.2 booleans (true/false only), as runbook and the YAML language server read
    them: PyYAML's 1.1 rules would make the key `on` a boolean."""


Yaml12.yaml_implicit_resolvers = {
    k: [(t, r) for t, r in v if t != "tag:yaml.org,2002:bool"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
Yaml12.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile("^(?:true|false)$"), list("tf"))

# Scenario files (*.test.yaml, docs/testing.md) sit beside the runbooks and are not runbooks.
runbooks = sorted(p for p in glob.glob(f"{source}/runbooks/*.yaml") + glob.glob(f"{source}/runbooks/lib/*.yaml")
                  if not p.endswith(".test.yaml"))
assert runbooks, "no runbooks found"
for path in runbooks:
    with open(path) as f:
        errors = list(validator.iter_errors(yaml.load(f, Loader=Yaml12)))
    assert not errors, f"{path}: {errors[0].message}"

bad = {"version": 1, "name": "t", "steps": [{"id": "a", "uses": "exec", "with": {"run": ["true"]}, "nedds": []}]}
assert list(validator.iter_errors(bad)), "a runbook with an unknown key must not validate"
bad_param = {"version": 1, "name": "t", "steps": [{"id": "a", "uses": "exec", "with": {"run": ["true"], "shel": True}}]}
assert list(validator.iter_errors(bad_param)), "an unknown step parameter must not validate"
print(f"1 passed, 0 failed: schema valid, {len(runbooks)} runbooks conform, unknown keys rejected")
