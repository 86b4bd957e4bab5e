"""Prints the template that `import-table.sh` imports the records table with: stack.yaml's own
RecordsTable resource (so the import matches what `make deploy` then updates), with the
parameters and conditions it refers to, and nothing else (an import may only hold the resources
it imports). The table is always retained during the import: CloudFormation requires a
DeletionPolicy on imported resources, and the next deploy sets stack.yaml's own."""

import json
import pathlib
import sys

from cfnlint.decode import decode

STACK = pathlib.Path(__file__).resolve().parent / "stack.yaml"


def import_template():
    template, matches = decode(str(STACK))
    if matches:
        raise SystemExit(f"stack.yaml does not parse: {matches}")
    table = dict(template["Resources"]["RecordsTable"])
    table["DeletionPolicy"] = "Retain"
    table["UpdateReplacePolicy"] = "Retain"
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "cv-analytics: a kept records table, imported into its stack again",
        "Parameters": {"Stage": template["Parameters"]["Stage"]},
        "Resources": {"RecordsTable": table},
    }


if __name__ == "__main__":
    json.dump(import_template(), sys.stdout, indent=2, default=str)
    print()
