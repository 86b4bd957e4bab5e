"""The GitHub workflows for maintainers: the test workflow runs the README's commands, and the
deploy workflow gets AWS credentials from GitHub's OIDC token, never from stored keys. Their
syntax is checked against the workflow schema by `make lint` (check-jsonschema)."""

import unittest

import yaml

from infrastructure.tests.test_templates import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"


def load(name):
    workflow = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the key `on` as true.
    workflow["on"] = workflow.pop(True, workflow.get("on"))
    return workflow


def steps(workflow):
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


class Workflows(unittest.TestCase):
    def test_the_test_workflow_runs_make_lint_and_make_test(self):
        workflow = load("test.yml")
        self.assertEqual([s["run"] for s in steps(workflow) if s.get("run", "").startswith("make")],
                         ["make lint", "make test"])
        self.assertEqual(workflow["permissions"], {"contents": "read"})
        self.assertIn("pull_request", workflow["on"])

    def test_the_deploy_workflow_assumes_a_role_through_oidc_and_stores_no_keys(self):
        workflow = load("deploy.yml")
        self.assertEqual(workflow["permissions"], {"id-token": "write", "contents": "read"})
        [credentials] = [s for s in steps(workflow)
                         if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@")]
        self.assertEqual(credentials["with"]["role-to-assume"], "${{ vars.AWS_DEPLOY_ROLE_ARN }}")
        text = (WORKFLOWS / "deploy.yml").read_text()
        for stored in ("aws-access-key-id", "aws-secret-access-key", "secrets."):
            self.assertNotIn(stored, text)
        self.assertIn("make deploy", [s.get("run") for s in steps(workflow)])

    def test_the_deploy_workflow_passes_the_stage_and_no_setting(self):
        """The stage's settings are its committed file, which `make deploy` reads: a setting the
        workflow passed (an empty GitHub variable included) would be refused where it differs."""
        workflow = load("deploy.yml")
        self.assertEqual(workflow["jobs"]["deploy"]["env"],
                         {"STAGE": "${{ inputs.stage }}", "AWS_REGION": "${{ vars.AWS_REGION }}"})
        for step in steps(workflow):
            self.assertNotIn("env", step, step)
            self.assertNotRegex(str(step.get("with", "")), r"REPORT_|OWNER|ALARM_|TIMEOUT|MEMORY|WEEK_")

    def test_no_run_step_interpolates_an_expression(self):
        # `${{ }}` inside `run:` is pasted into the shell before it runs (script injection): inputs
        # reach the scripts through `env:` only.
        for name in ("test.yml", "deploy.yml"):
            for step in steps(load(name)):
                self.assertNotIn("${{", step.get("run", ""), f"{name}: {step}")


if __name__ == "__main__":
    unittest.main()
