"""The deploy scripts' own logic, with a stand-in `aws` command where moto cannot play the part
(a stack whose creation rolled back, a role Lambda cannot assume yet, a delete that fails), and a
check that they stay within bash 3.2, the bash of stock macOS.

Run by `make test`."""

import os
import pathlib
import re
import stat
import subprocess
import tempfile
import textwrap
import unittest

from infrastructure.tests.test_templates import INFRA, ROOT

SCRIPTS = sorted(INFRA.glob("*.sh")) + sorted((ROOT / "demo").glob("*.sh")) + [ROOT / ".ci" / "run"]

# Constructs that need bash 4 or later, with what to write instead.
BASH4 = {
    r"\bdeclare\s+-[a-zA-Z]*A": "associative arrays (declare -A)",
    r"\blocal\s+-[a-zA-Z]*A": "associative arrays (local -A)",
    r"\b(mapfile|readarray)\b": "mapfile/readarray",
    r"\$\{[^}]*(,,|\^\^)[^}]*\}": "case conversion (${var,,} / ${var^^})",
    r"\bcoproc\b": "coproc",
    r"\|&": "|& (pipe stderr)",
    r"&>>": "&>> (append both streams)",
    r"\[\[\s+-v\s": "[[ -v name ]]",
    r"\$\{[A-Za-z_][A-Za-z_0-9]*\[-1\]\}": "negative array index",
    r"\bwait\s+-n\b": "wait -n",
    r"\$\{[^}]*@[QEPAa]\}": "${var@op} transformations",
}


class Bash32(unittest.TestCase):
    def test_the_scripts_use_nothing_newer_than_bash_3_2(self):
        found = []
        for script in SCRIPTS:
            for number, line in enumerate(script.read_text().splitlines(), 1):
                code = line.split("#", 1)[0] if not line.lstrip().startswith("#!") else ""
                for pattern, what in BASH4.items():
                    if re.search(pattern, code):
                        found.append(f"{script.relative_to(ROOT)}:{number}: {what}: {line.strip()}")
        self.assertEqual(found, [])

    def test_the_check_itself_catches_what_it_looks_for(self):
        for sample in ['declare -A OUTPUT', 'mapfile -t lines < f', 'echo "${x,,}"', 'cmd |& tee f']:
            self.assertTrue(any(re.search(p, sample) for p in BASH4), sample)


def fake_aws(directory, script):
    """Writes an `aws` command into `directory`: a bash script that appends its arguments to
    calls.log and then runs `script` with them as "$*"."""
    path = pathlib.Path(directory) / "aws"
    path.write_text("#!/usr/bin/env bash\n" f'echo "$*" >> "{directory}/calls.log"\n' + textwrap.dedent(script))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def bash(code, directory, **env):
    """Runs `code` after sourcing lib.sh, with `directory` first on PATH."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    environment.update(env)
    environment["PATH"] = f"{directory}:{os.environ['PATH']}"
    return subprocess.run(["bash", "-c", f". infrastructure/lib.sh; {code}"], cwd=ROOT,
                          env=environment, capture_output=True, text=True, timeout=60)


class Region(unittest.TestCase):
    """One region rule: AWS_REGION, AWS_DEFAULT_REGION, the profile's, or a clear failure."""

    def resolve(self, directory, **env):
        return bash('resolve_region && echo "$REGION $AWS_REGION $AWS_DEFAULT_REGION"', directory, **env)

    def test_the_environment_then_the_profile_and_both_names_exported(self):
        with tempfile.TemporaryDirectory() as d:
            fake_aws(d, 'if [ "$*" = "configure get region" ]; then echo "profile-region"; fi\n')
            self.assertEqual(self.resolve(d, AWS_REGION="eu-west-1").stdout.split(), ["eu-west-1"] * 3)
            self.assertEqual(self.resolve(d, AWS_DEFAULT_REGION="eu-north-1").stdout.split(), ["eu-north-1"] * 3)
            self.assertEqual(self.resolve(d).stdout.split(), ["profile-region"] * 3)

    def test_no_region_anywhere_fails_saying_how_to_set_one(self):
        with tempfile.TemporaryDirectory() as d:
            fake_aws(d, "exit 1\n")
            run = self.resolve(d, AWS_PROFILE="work")
            self.assertNotEqual(run.returncode, 0)
            self.assertIn("no AWS region: set AWS_REGION", run.stderr)
            self.assertIn("aws configure set region <region> --profile work", run.stderr)


class RoleRetry(unittest.TestCase):
    """A role the stack made a moment ago is not assumable at once: retried, with backoff."""

    def deploy_failing(self, d, failures, message):
        counter = pathlib.Path(d) / "count"
        command = pathlib.Path(d) / "deploy-function"
        command.write_text(textwrap.dedent(f"""\
            #!/usr/bin/env bash
            n=$(cat "{counter}" 2>/dev/null || echo 0); echo $((n + 1)) > "{counter}"
            if [ "$n" -lt {failures} ]; then echo "Error: {message}" >&2; exit 1; fi
            echo "deployed"
            """))
        command.chmod(0o755)
        run = bash(f'with_role_retry "{command}"', d, ROLE_RETRY_DELAY="0")
        return run, int(counter.read_text())

    def test_cannot_be_assumed_is_retried_until_it_works(self):
        with tempfile.TemporaryDirectory() as d:
            run, attempts = self.deploy_failing(
                d, 3, "InvalidParameterValueException: The role defined for the function cannot be assumed by Lambda.")
            self.assertEqual(run.returncode, 0, run.stderr)
            self.assertEqual(attempts, 4)
            self.assertEqual(run.stderr.count("not assumable by Lambda yet"), 3)

    def test_other_errors_and_too_many_retries_stop(self):
        with tempfile.TemporaryDirectory() as d:
            run, attempts = self.deploy_failing(d, 9, "AccessDeniedException: no")
            self.assertNotEqual(run.returncode, 0)
            self.assertEqual(attempts, 1)
        with tempfile.TemporaryDirectory() as d:
            run, attempts = self.deploy_failing(d, 99, "The role defined for the function cannot be assumed by Lambda.")
            self.assertNotEqual(run.returncode, 0)
            self.assertEqual(attempts, 6)


class RolledBackStack(unittest.TestCase):
    """A first creation that rolled back leaves ROLLBACK_COMPLETE, which CloudFormation can
    only delete: the next deploy deletes it and creates the stack again."""

    def test_a_rolled_back_stack_is_deleted_and_created_again(self):
        with tempfile.TemporaryDirectory() as d:
            fake_aws(d, """\
                case "$*" in
                  *describe-stacks*)
                    if grep -q create-stack "$(dirname "$0")/calls.log"; then echo CREATE_COMPLETE;
                    else echo ROLLBACK_COMPLETE; fi ;;
                esac
                """)
            run = bash("REGION=us-east-1; upsert_stack cv-analytics-dev infrastructure/stack.yaml Stage=dev", d)
            self.assertEqual(run.returncode, 0, run.stderr)
            self.assertIn("ROLLBACK_COMPLETE", run.stdout)
            calls = [line.split()[1] for line in (pathlib.Path(d) / "calls.log").read_text().splitlines()]
            self.assertEqual(calls, ["describe-stacks", "delete-stack", "wait", "create-stack", "wait",
                                     "describe-stacks"])
            self.assertIn("cv-analytics-dev: CREATE_COMPLETE", run.stdout)


class Destroy(unittest.TestCase):
    """`make destroy` calls a function that is not there "not there", and stops on anything else."""

    def destroy(self, delete_function_answer):
        with tempfile.TemporaryDirectory() as d:
            fake_aws(d, f"""\
                case "$*" in
                  "lambda delete-function"*) {delete_function_answer} ;;
                esac
                """)
            env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
            env.update({"PATH": f"{d}:{os.environ['PATH']}", "STAGE": "dev", "AWS_REGION": "us-east-1"})
            return subprocess.run(["bash", "infrastructure/destroy.sh"], cwd=ROOT, env=env,
                                  capture_output=True, text=True, timeout=60)

    def test_a_missing_function_is_not_there_and_the_stack_goes(self):
        run = self.destroy('echo "An error occurred (ResourceNotFoundException) when calling the DeleteFunction operation" >&2; exit 254')
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn("function cv-analytics-dev-processor was not there", run.stdout)
        self.assertIn("removed cv-analytics-dev", run.stdout)

    def test_any_other_failure_is_shown_and_stops(self):
        run = self.destroy('echo "An error occurred (AccessDeniedException) when calling the DeleteFunction operation" >&2; exit 254')
        self.assertNotEqual(run.returncode, 0)
        self.assertIn("could not delete function cv-analytics-dev-processor", run.stderr)
        self.assertIn("AccessDeniedException", run.stderr)
        self.assertNotIn("removed", run.stdout)


class ImportTemplate(unittest.TestCase):
    """`make import-table` imports stack.yaml's own table resource, and nothing else."""

    def test_the_import_template_holds_the_table_only_and_lints_clean(self):
        import json
        run = subprocess.run(["python3", "infrastructure/import_template.py"], cwd=ROOT,
                             capture_output=True, text=True, check=True)
        template = json.loads(run.stdout)
        self.assertEqual(list(template["Resources"]), ["RecordsTable"])
        self.assertEqual(template["Resources"]["RecordsTable"]["DeletionPolicy"], "Retain")
        # The kept table is described as it is, with the week index or without.
        self.assertEqual(template["Parameters"]["WeekLookup"]["AllowedValues"], ["scan", "index"])
        self.assertIn("UseWeekIndex", template["Conditions"])
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            f.write(run.stdout)
        try:
            lint = subprocess.run(["python3", "-c", "import sys; from cfnlint.runner import main; sys.exit(main())",
                                   f.name], capture_output=True, text=True)
            self.assertEqual(lint.returncode, 0, lint.stdout + lint.stderr)
        finally:
            os.unlink(f.name)


if __name__ == "__main__":
    unittest.main()
