"""Prints the template that `cv-analytics import-table` imports the records table with
(infrastructure/import-table.json, which test_scripts holds equal to this): stack.yaml's own
RecordsTable resource (so the import matches what `make deploy` then updates), with the
parameters and conditions it refers to, and nothing else (an import may only hold the resources
it imports). The table is always retained during the import: CloudFormation requires a
DeletionPolicy on imported resources, and the next deploy sets stack.yaml's own (and its
cost-allocation tags, left out here: they need the Owner parameter, and an import changes no
property of the table anyway). Its
`WeekLookup` parameter describes the kept table as it is (with the week index or without);
`cv-analytics import-table` finds out which. The conditions are those the table names (the week index,
prod's deletion protection)."""

import json
import pathlib
import sys

from cfnlint.decode import decode

STACK = pathlib.Path(__file__).resolve().parent.parent / "stack.yaml"


def conditions(value):
    """The conditions an `Fn::If` inside the value names (the week index's, prod's deletion
    protection)."""
    if isinstance(value, dict):
        found = {value["Fn::If"][0]} if "Fn::If" in value else set()
        return found.union(*(conditions(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(conditions(v) for v in value))
    return set()


def import_template():
    template, matches = decode(str(STACK))
    if matches:
        raise SystemExit(f"stack.yaml does not parse: {matches}")
    table = dict(template["Resources"]["RecordsTable"])
    table["Properties"] = {k: v for k, v in table["Properties"].items() if k != "Tags"}
    table["DeletionPolicy"] = "Retain"
    table["UpdateReplacePolicy"] = "Retain"
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "cv-analytics: a kept records table, imported into its stack again",
        "Parameters": {name: template["Parameters"][name] for name in ("Stage", "WeekLookup")},
        "Conditions": {name: template["Conditions"][name] for name in sorted(conditions(table))},
        "Resources": {"RecordsTable": table},
    }


if __name__ == "__main__":
    json.dump(import_template(), sys.stdout, indent=2, default=str)
    print()
