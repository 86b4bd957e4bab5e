"""The deploy scripts' own logic, with a stand-in `aws` command where moto cannot play the part
(a stack whose creation rolled back, a role Lambda cannot assume yet, a delete that fails), and a
check that they stay within bash 3.2, the bash of stock macOS.

Run by `make test`."""

import json
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


def failing_command(directory, failures, message):
    """A stand-in `cargo lambda deploy` that fails `failures` times with `message`, then
    works; its calls are counted in `count`."""
    counter = pathlib.Path(directory) / "count"
    command = pathlib.Path(directory) / "deploy-function"
    command.write_text(textwrap.dedent(f"""\
        #!/usr/bin/env bash
        n=$(cat "{counter}" 2>/dev/null || echo 0); echo $((n + 1)) > "{counter}"
        if [ "$n" -lt {failures} ]; then echo "Error: {message}" >&2; exit 1; fi
        echo "deployed"
        """))
    command.chmod(0o755)
    return command, counter


# A stand-in `aws` whose function's $LATEST reports each status of `statuses` in turn, one per
# call of get-function-configuration, then Successful.
LATEST_STATUSES = """\
    case "$*" in
      "lambda get-function-configuration"*)
        n=$(grep -c get-function-configuration "$(dirname "$0")/calls.log")
        status=$(echo "{statuses} Successful" | cut -d' ' -f"$n")
        printf '%s\\tNone\\n' "${{status:-Successful}}" ;;
    esac
    """


class DeployRetry(unittest.TestCase):
    """What passes by itself is retried: a role the stack made a moment ago is not assumable at
    once (with backoff), and cargo-lambda, which waits on the alias rather than on $LATEST, can
    meet an update still in progress (retried once $LATEST is ready). Nothing else is."""

    def deploy_failing(self, d, failures, message, statuses=""):
        fake_aws(d, LATEST_STATUSES.format(statuses=statuses))
        command, counter = failing_command(d, failures, message)
        run = bash(f'REGION=eu-west-2; with_deploy_retry fn "{command}"', d, ROLE_RETRY_DELAY="0",
                   UPDATE_POLL_SECONDS="0")
        return run, int(counter.read_text())

    def test_cannot_be_assumed_is_retried_until_it_works(self):
        with tempfile.TemporaryDirectory() as d:
            run, attempts = self.deploy_failing(
                d, 3, "InvalidParameterValueException: The role defined for the function cannot be assumed by Lambda.")
            self.assertEqual(run.returncode, 0, run.stderr)
            self.assertEqual(attempts, 4)
            self.assertEqual(run.stderr.count("not assumable by Lambda yet"), 3)

    def test_an_update_in_progress_is_waited_out_on_latest_and_the_deploy_finishes(self):
        conflict = ("ResourceConflictException: The operation cannot be performed at this time. "
                    "An update is in progress for resource: arn:aws:lambda:eu-west-2:1:function:fn")
        with tempfile.TemporaryDirectory() as d:
            # $LATEST is still updating before the first attempt and between the next two.
            run, attempts = self.deploy_failing(d, 2, conflict, statuses="InProgress InProgress Successful InProgress")
            self.assertEqual(run.returncode, 0, run.stderr)
            self.assertEqual(attempts, 3)
            self.assertEqual(run.stderr.count("still in progress"), 2)
            calls = (pathlib.Path(d) / "calls.log").read_text().splitlines()
            # Each attempt waited until $LATEST (no qualifier) was no longer InProgress.
            self.assertEqual(len(calls), 6)
            self.assertTrue(all("--function-name fn --query" in c and "--qualifier" not in c for c in calls))
        with tempfile.TemporaryDirectory() as d:
            run, attempts = self.deploy_failing(d, 99, conflict)
            self.assertNotEqual(run.returncode, 0)
            self.assertEqual(attempts, 6)
            self.assertIn("run the deploy again", run.stderr)

    def test_a_failed_last_update_is_said_and_deployed_over(self):
        # Lambda keeps Failed until an update succeeds: the deploy is that update.
        with tempfile.TemporaryDirectory() as d:
            fake_aws(d, """\
                printf 'Failed\\tThe role defined for the function cannot be assumed by Lambda.\\n'
                """)
            command, counter = failing_command(d, 0, "")
            run = bash(f'REGION=eu-west-2; with_deploy_retry fn "{command}"', d)
            self.assertEqual(run.returncode, 0, run.stderr)
            self.assertEqual(int(counter.read_text()), 1)
            self.assertIn("fn: its last update failed (", run.stderr)
            self.assertIn("cannot be assumed", run.stderr)

    def test_other_errors_and_too_many_retries_stop(self):
        with tempfile.TemporaryDirectory() as d:
            run, attempts = self.deploy_failing(d, 9, "AccessDeniedException: no")
            self.assertNotEqual(run.returncode, 0)
            self.assertEqual(attempts, 1)
        with tempfile.TemporaryDirectory() as d:
            run, attempts = self.deploy_failing(d, 99, "The role defined for the function cannot be assumed by Lambda.")
            self.assertNotEqual(run.returncode, 0)
            self.assertEqual(attempts, 6)


class RoleAndTags(unittest.TestCase):
    """cargo-lambda neither changes the role of a function that exists nor removes a tag: the
    deploy does both, the role before the version is published."""

    def test_a_new_role_is_applied_to_latest_before_the_deploy_and_waited_for(self):
        with tempfile.TemporaryDirectory() as d:
            fake_aws(d, """\
                case "$*" in
                  *"--query Role"*) echo arn:aws:iam::1:role/old ;;
                  *get-function-configuration*) printf 'Successful\\tNone\\n' ;;
                esac
                """)
            run = bash("REGION=eu-west-2; apply_role fn arn:aws:iam::1:role/new", d)
            self.assertEqual(run.returncode, 0, run.stderr)
            calls = (pathlib.Path(d) / "calls.log").read_text().splitlines()
            self.assertEqual([c.split()[1] for c in calls],
                             ["get-function-configuration", "get-function-configuration",
                              "update-function-configuration", "get-function-configuration"])
            self.assertIn("--role arn:aws:iam::1:role/new", calls[2])
        with tempfile.TemporaryDirectory() as d:
            fake_aws(d, 'echo arn:aws:iam::1:role/same\n')
            run = bash("REGION=eu-west-2; apply_role fn arn:aws:iam::1:role/same", d)
            self.assertEqual(run.returncode, 0, run.stderr)
            self.assertNotIn("update-function-configuration", (pathlib.Path(d) / "calls.log").read_text())
        # Not created yet: nothing to apply; any other error stops, shown.
        for answer, status in (("ResourceNotFoundException", 0), ("AccessDeniedException", 1)):
            with tempfile.TemporaryDirectory() as d:
                fake_aws(d, f'echo "An error occurred ({answer})" >&2; exit 254\n')
                run = bash("REGION=eu-west-2; apply_role fn arn:aws:iam::1:role/new", d)
                self.assertEqual(run.returncode, status, run.stderr)
                self.assertEqual(answer in run.stderr, status == 1)

    def test_the_owner_tag_goes_when_owner_is_unset_and_stays_otherwise(self):
        script = """\
            case "$*" in
              "lambda get-function "*) echo arn:aws:lambda:eu-west-2:1:function:fn ;;
              "lambda list-tags"*) echo alice ;;
            esac
            """
        with tempfile.TemporaryDirectory() as d:
            fake_aws(d, script)
            run = bash("REGION=eu-west-2; drop_owner_tag fn", d)
            self.assertEqual(run.returncode, 0, run.stderr)
            calls = (pathlib.Path(d) / "calls.log").read_text()
            self.assertIn("lambda untag-resource --region eu-west-2 --resource arn:aws:lambda:eu-west-2:1:function:fn --tag-keys Owner", calls)
        with tempfile.TemporaryDirectory() as d:
            fake_aws(d, script)
            run = bash("REGION=eu-west-2; drop_owner_tag fn", d, OWNER="alice")
            self.assertEqual(run.returncode, 0, run.stderr)
            self.assertFalse((pathlib.Path(d) / "calls.log").exists())


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


# A stage as a stand-in `aws` answers for it: the stack exists, its parameters (the file
# stack-parameters, "key<TAB>value" lines), its outputs, each function's role and state; the
# wiring stack's parameters are the file wiring-parameters (a stage deployed before the zone has
# no ReportTimezone: empty), or the stack does not exist. A function's live version is the JSON of
# live-<function>.json and its tags tags.json, or it has none (then it is always deployed).
STAGE_AWS = """\
    here="$(dirname "$0")"
    case "$*" in
      *"--stack-name cv-analytics-dev-wiring"*)
        if [ -f "$here/wiring-parameters" ]; then cat "$here/wiring-parameters"; else
          echo "An error occurred (ValidationError) when calling the DescribeStacks operation: Stack with id cv-analytics-dev-wiring does not exist" >&2
          exit 254
        fi ;;
      *"Stacks[0].StackStatus"*) echo UPDATE_COMPLETE ;;
      *"Stacks[0].Parameters"*) cat "$here/stack-parameters" ;;
      *"Stacks[0].Outputs"*)
        printf 'ProcessorFunctionName\tcv-analytics-dev-processor\nReporterFunctionName\tcv-analytics-dev-reporter\n'
        printf 'ProcessorRoleArn\tarn:aws:iam::1:role/p\nReporterRoleArn\tarn:aws:iam::1:role/r\n'
        printf 'TableName\tcv-analytics-dev-records\nDeadLetterQueueUrl\thttps://dlq\nWeekLookup\tscan\n' ;;
      *"--qualifier live --output json"*)
        fn="$*"; fn=${fn#*--function-name cv-analytics-dev-}; fn=${fn%% *}
        if [ -f "$here/live-$fn.json" ]; then cat "$here/live-$fn.json"; else exit 254; fi ;;
      *"get-alias"*"--query FunctionVersion"*) echo 7 ;;
      *"lambda get-function "*) echo arn:aws:lambda:us-east-1:1:function:f ;;
      *"lambda list-tags"*"--output json"*) cat "$here/tags.json" 2>/dev/null || echo '{"Tags": {}}' ;;
      *"cv-analytics-dev-processor --query Role"*) echo arn:aws:iam::1:role/p ;;
      *"cv-analytics-dev-reporter --query Role"*) echo arn:aws:iam::1:role/r ;;
      *get-function-configuration*) printf 'Successful\tNone\n' ;;
    esac
    """

# The live stage's stack parameters as the stand-in answers them by default: the stage file's.
STACK_PARAMETERS = {"ReportSender": "reports@example.dev", "SesConfigurationSet": "", "WeekLookup": "scan",
                    "QueueVisibilityTimeoutSeconds": "180"}

# A stage file as the tests deploy it.
STAGE_FILE = {
    "REPORT_SENDER": "reports@example.dev", "REPORT_RECIPIENTS": "owner@example.dev", "ALARM_EMAIL": "",
    "OWNER": "data-team", "REPORT_TIMEZONE": "UTC", "PROCESSOR_MEMORY": "128", "PROCESSOR_TIMEOUT": "30",
    "REPORTER_MEMORY": "256", "REPORTER_TIMEOUT": "120", "RECORD_TTL_DAYS": "90", "WRITE_CONCURRENCY": "4",
    "PROCESSOR_MAX_CONCURRENCY": "100", "SEND_EMPTY_REPORT": "true", "SES_CONFIGURATION_SET": "",
    "WEEK_LOOKUP": "scan",
}

# A stand-in `cargo`: logs its arguments, and the env file it is given.
FAKE_CARGO = """\
    #!/usr/bin/env bash
    echo "$*" >> "$(dirname "$0")/cargo.log"
    while [ $# -gt 0 ]; do
      if [ "$1" = --env-file ]; then cat "$2" >> "$(dirname "$0")/env-file.log"; fi
      shift
    done
    """


# Python's clock at FAKE_NOW (an ISO time with its offset) for the scripts' python3, through a
# sitecustomize module on PYTHONPATH.
FAKE_CLOCK = """\
    import datetime, os
    if os.environ.get("FAKE_NOW"):
        class FixedClock(datetime.datetime):
            @classmethod
            def now(cls, tz=None):
                now = datetime.datetime.fromisoformat(os.environ["FAKE_NOW"])
                return now.astimezone(tz) if tz else now.replace(tzinfo=None)
        datetime.datetime = FixedClock
    """


def deploy_stage(test, part, settings=(), given=(), wiring_zone="UTC", stack_parameters=(), now="",
                 before=None):
    """deploy.sh's part `part` with the stage file STAGE_FILE updated with `settings`, and `given`
    in its environment (as on make's command line), against a stage whose wiring stack holds
    `wiring_zone` (None: no wiring stack; "": no ReportTimezone) and whose stack's parameters are
    STACK_PARAMETERS updated with `stack_parameters`, at `now` by Python's clock (empty: the real
    time). `before(directory)` may add to the stand-ins. Returns the run and the logs."""
    directory = tempfile.mkdtemp()
    test.addCleanup(lambda: subprocess.run(["rm", "-rf", directory]))
    here = pathlib.Path(directory)
    fake_aws(directory, STAGE_AWS)
    (here / "stages").mkdir()
    (here / "stages" / "dev.env").write_text(
        "# the test's stage\n" + "".join(f"{k}={v}\n" for k, v in {**STAGE_FILE, **dict(settings)}.items()))
    if wiring_zone is not None:
        (here / "wiring-parameters").write_text(f"ReportTimezone\t{wiring_zone}\n" if wiring_zone else "")
    (here / "stack-parameters").write_text(
        "".join(f"{k}\t{v}\n" for k, v in {**STACK_PARAMETERS, **dict(stack_parameters)}.items()))
    for binary in ("processor", "reporter"):
        (here / binary).write_text(f"the {binary}'s binary\n")
    cargo = here / "cargo"
    cargo.write_text(textwrap.dedent(FAKE_CARGO))
    cargo.chmod(0o755)
    (here / "sitecustomize.py").write_text(textwrap.dedent(FAKE_CLOCK))
    if before:
        before(here)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in STAGE_FILE}
    env.update({
        "PATH": f"{directory}:{os.environ['PATH']}", "AWS_REGION": "us-east-1", "DEPLOY_PART": part,
        "STAGE": "dev", "STAGES_DIR": str(here / "stages"),
        "VERIFY": "true", "LAMBDA_BINARY_DIR": directory, "DEPLOY_COMMIT": "0123456789ab",
        "PYTHONPATH": directory, "FAKE_NOW": now, **dict(given),
    })
    run = subprocess.run(["bash", "infrastructure/deploy.sh"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=60)
    logs = {name: (here / f"{name}.log").read_text() if (here / f"{name}.log").exists() else ""
            for name in ("cargo", "env-file", "calls")}
    return run, logs


class TimeZone(unittest.TestCase):
    """REPORT_TIMEZONE is the schedule's (the wiring stack's parameter) and both functions': a
    part alone does not change it; each function is deployed with it; the reporter's check
    dry-runs the last complete week in it."""

    def deploy(self, part, zone, wiring_zone, now=""):
        return deploy_stage(self, part, {"REPORT_TIMEZONE": zone}, wiring_zone=wiring_zone, now=now)

    def test_a_part_alone_keeps_the_zone_of_the_stage(self):
        for part in ("processor", "reporter", "stack"):
            run, logs = self.deploy(part, "America/New_York", "Europe/London")
            self.assertNotEqual(run.returncode, 0, part)
            self.assertIn('REPORT_TIMEZONE is "America/New_York" in ', run.stderr)
            self.assertIn(f'/stages/dev.env and the live stage\'s ReportTimezone is "Europe/London": a stack and a function both hold it, so a part alone '
                          f'({part}) would change one side only; make deploy STAGE=dev (the whole deploy) changes them '
                          'together', run.stderr)
            self.assertEqual(logs["cargo"], "", part)
            self.assertNotIn("create-stack", logs["calls"])
            self.assertNotIn("update-stack", logs["calls"])

    def test_a_stage_from_before_the_setting_ran_in_utc(self):
        # No ReportTimezone parameter (the AWS CLI prints nothing for no match).
        run, _ = self.deploy("processor", "Europe/London", "")
        self.assertNotEqual(run.returncode, 0)
        self.assertIn('REPORT_TIMEZONE is "Europe/London" in', run.stderr)
        self.assertIn('the live stage\'s ReportTimezone is "UTC"', run.stderr)
        run, logs = self.deploy("processor", "UTC", "")
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn("REPORT_TIMEZONE=UTC\n", logs["env-file"])

    def test_without_a_wiring_stack_the_whole_deploy_is_asked_for(self):
        run, logs = self.deploy("processor", "UTC", None)
        self.assertNotEqual(run.returncode, 0)
        self.assertIn("cv-analytics-dev-wiring does not exist in us-east-1: the stage's whole deploy never finished; "
                      "make deploy STAGE=dev", run.stderr)
        self.assertEqual(logs["cargo"], "")

    def test_each_function_gets_the_zone_and_the_reporters_check_counts_weeks_in_it(self):
        run, logs = self.deploy("processor", "Europe/London", "Europe/London")
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn("REPORT_TIMEZONE=Europe/London\n", logs["env-file"])
        # Sunday 16 November 2025, 12:00 UTC, still 2025-W46 in UTC (the last complete week
        # W45), is Monday 02:00 in Kiritimati (UTC+14): W47 there, so the last complete week is
        # W46. In New York (UTC-5) it is Sunday morning: W45.
        for zone, week in (("Pacific/Kiritimati", "2025-W46"), ("America/New_York", "2025-W45"), ("UTC", "2025-W45")):
            run, logs = self.deploy("reporter", zone, zone, now="2025-11-16T12:00:00+00:00")
            self.assertEqual(run.returncode, 0, run.stderr)
            self.assertIn(f"REPORT_TIMEZONE={zone}\n", logs["env-file"])
            [backfill] = [line for line in logs["cargo"].splitlines() if " backfill " in line]
            self.assertIn(f"backfill --from {week} --to {week} --dry-run", backfill, zone)

    def test_a_zone_no_function_would_start_with_stops_everything(self):
        for part in ("all", "processor"):
            run, logs = self.deploy(part, "Europe/Londn", "Europe/London")
            self.assertNotEqual(run.returncode, 0)
            self.assertIn('REPORT_TIMEZONE is "Europe/Londn": no such time zone', run.stderr)
            self.assertEqual(logs["calls"], "", part)
            self.assertEqual(logs["cargo"], "", part)


class ImportTemplate(unittest.TestCase):
    """`make import-table` imports stack.yaml's own table resource, and nothing else."""

    def test_the_import_template_is_stack_yamls_table_and_lints_clean(self):
        from infrastructure.tests.import_template import import_template
        committed = INFRA / "import-table.json"
        template = json.loads(committed.read_text())
        self.assertEqual(template, json.loads(json.dumps(import_template(), default=str)),
                         "infrastructure/import-table.json differs from stack.yaml's table: "
                         "python3 -m infrastructure.tests.import_template > infrastructure/import-table.json")
        self.assertEqual(list(template["Resources"]), ["RecordsTable"])
        self.assertEqual(template["Resources"]["RecordsTable"]["DeletionPolicy"], "Retain")
        # The kept table is described as it is, with the week index or without.
        self.assertEqual(template["Parameters"]["WeekLookup"]["AllowedValues"], ["scan", "index"])
        self.assertIn("UseWeekIndex", template["Conditions"])
        lint = subprocess.run(["python3", "-c", "import sys; from cfnlint.runner import main; sys.exit(main())",
                               str(committed)], capture_output=True, text=True)
        self.assertEqual(lint.returncode, 0, lint.stdout + lint.stderr)


class FunctionsBuild(unittest.TestCase):
    """The functions are built as their two packages alone, so that the tools' features stay
    out of them: no aws-lc (the tools' default HTTPS client; the functions' client runs on
    ring) and no test fakes."""

    def test_the_deploy_builds_the_two_packages_alone(self):
        # The Makefile's build, and the deploy's: each function as `-p <it> --bin <it>`.
        self.assertIn("--locked -p processor -p reporter --bin processor --bin reporter",
                      (ROOT / "Makefile").read_text())
        deploy = (INFRA / "deploy.sh").read_text()
        self.assertIn('packages+=(-p "$fn" --bin "$fn")', deploy)
        self.assertIn('cargo lambda build $BUILD_FLAGS --locked "${packages[@]}"', deploy)
        self.assertIn("build processor reporter", deploy)

    def test_the_functions_graph_holds_neither_aws_lc_nor_the_fakes(self):
        def tree(*packages):
            run = subprocess.run(
                ["cargo", "tree", "--locked", "-e", "normal,features", "--target", "aarch64-unknown-linux-gnu",
                 *packages], cwd=ROOT, capture_output=True, text=True, timeout=300)
            self.assertEqual(run.returncode, 0, run.stderr)
            return run.stdout
        functions = tree("-p", "processor", "-p", "reporter")
        self.assertIn("ring", functions)
        self.assertNotIn("aws-lc-sys", functions)
        self.assertNotIn('feature "fakes"', functions)
        # The check sees them where they are: the whole workspace has both.
        workspace = tree("--workspace")
        self.assertIn("aws-lc-sys", workspace)
        self.assertIn('feature "fakes"', workspace)


if __name__ == "__main__":
    unittest.main()


class DeployTools(unittest.TestCase):
    """The targets an administrator runs to deploy (deploy, deploy-stack, region) need the Python
    tools only (and the deploy's build the arm64 target), not `make tools`' npm packages, Java or
    Chromium: macOS with Python and Rust is enough. deployer-role, destroy and import-table are
    the maintainer command's, and need Rust alone."""

    TARGETS = ("deploy", "deploy-stack", "region")
    RUST_ONLY = ("deployer-role", "destroy", "import-table")

    def test_the_deploy_targets_install_the_python_tools_only(self):
        for target in self.TARGETS:
            run = subprocess.run(["make", "-n", "--no-print-directory", target, "STAGE=dev", "FUNCTION="],
                                 cwd=ROOT, capture_output=True, text=True, check=True)
            commands = [line.strip() for line in run.stdout.splitlines()]
            self.assertIn("dev/tools.sh deploy", commands, target)
            self.assertNotIn("dev/tools.sh", commands, f"{target} runs all of make tools")
        for target in self.RUST_ONLY:
            run = subprocess.run(["make", "-n", "--no-print-directory", target, "STAGE=dev"],
                                 cwd=ROOT, capture_output=True, text=True, check=True)
            [command] = run.stdout.splitlines()
            self.assertRegex(command, rf"^cargo run .* -p ops --bin cv-analytics -- --stage dev {target}$")

    def test_the_deploy_tools_need_no_npm_java_or_chromium(self):
        with tempfile.TemporaryDirectory() as stand_ins:
            # Each would fail, and leave its name behind, if it were called.
            for tool in ("npm", "node", "java", "chromium", "apt-get", "rustup"):
                path = pathlib.Path(stand_ins) / tool
                path.write_text(f'#!/usr/bin/env bash\necho {tool} >> "{stand_ins}/called.log"\nexit 1\n')
                path.chmod(path.stat().st_mode | stat.S_IXUSR)
            env = {**os.environ, "PATH": f"{stand_ins}:{os.environ['PATH']}"}
            env.pop("CHROMIUM", None)
            run = subprocess.run(["bash", "dev/tools.sh", "deploy"], cwd=ROOT, env=env, capture_output=True, text=True)
            self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
            self.assertFalse((pathlib.Path(stand_ins) / "called.log").exists(),
                             (pathlib.Path(stand_ins) / "called.log").read_text()
                             if (pathlib.Path(stand_ins) / "called.log").exists() else "")


class StageSettings(unittest.TestCase):
    """Every deploy reads the stage's committed file (infrastructure/stages/<stage>.env); a
    setting given on the command line or in the environment that differs from it is shown and
    refused before anything is called, so that no deploy path resets a setting silently."""

    def test_the_functions_get_the_files_settings(self):
        run, logs = deploy_stage(self, "processor", {"WRITE_CONCURRENCY": "8", "RECORD_TTL_DAYS": "120"})
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn("WRITE_CONCURRENCY=8\nREPORT_TIMEZONE=UTC\n", logs["env-file"])
        self.assertIn("RECORD_TTL_DAYS=120\n", logs["env-file"])
        self.assertIn("--memory 128 --timeout 30", logs["cargo"])

    def test_a_value_given_that_differs_from_the_file_is_shown_and_refused(self):
        for part in ("all", "stack", "processor", "reporter"):
            run, logs = deploy_stage(self, part, given={"PROCESSOR_TIMEOUT": "60", "OWNER": ""})
            self.assertNotEqual(run.returncode, 0, part)
            self.assertIn('PROCESSOR_TIMEOUT is "60" on the command line (or in the environment) and "30" in ', run.stderr)
            self.assertIn('/stages/dev.env: change the file (and commit it) to change the stage', run.stderr)
            self.assertIn('OWNER is "" on the command line (or in the environment) and "data-team" in ', run.stderr)
            self.assertEqual((logs["calls"], logs["cargo"]), ("", ""), part)
        # The same value given is no change.
        run, _ = deploy_stage(self, "processor", given={"PROCESSOR_TIMEOUT": "30"})
        self.assertEqual(run.returncode, 0, run.stderr)

    def test_what_a_deploy_needs_and_the_file_lacks_is_asked_of_the_file(self):
        run, logs = deploy_stage(self, "all", {"REPORT_SENDER": ""})
        self.assertNotEqual(run.returncode, 0)
        self.assertIn("REPORT_SENDER is empty in ", run.stderr)
        self.assertIn("/stages/dev.env: fill in the verified SES identity", run.stderr)
        self.assertEqual(logs["calls"], "")
        run, _ = deploy_stage(self, "all", {"WEEK_LOKUP": "index"})
        self.assertIn('"WEEK_LOKUP=index" is not NAME=value of a setting', run.stderr)
        self.assertNotEqual(run.returncode, 0)

    def test_the_committed_files_hold_every_setting_and_the_makefile_names_the_same(self):
        for stage in ("dev", "prod"):
            env = {k: v for k, v in os.environ.items() if k not in STAGE_FILE}
            run = subprocess.run(["bash", "-c", f". infrastructure/lib.sh; STAGE={stage}; load_stage_settings"],
                                 cwd=ROOT, env=env, capture_output=True, text=True)
            self.assertEqual(run.returncode, 0, run.stderr)
        names = subprocess.run(["bash", "-c", '. infrastructure/lib.sh; echo $STAGE_SETTINGS'], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.split()
        self.assertEqual(sorted(names), sorted(STAGE_FILE))
        # make passes on the settings given (command line, environment) and removes its own.
        run = subprocess.run(["make", "-n", "--no-print-directory", "deploy-stack", "PROCESSOR_TIMEOUT=60"],
                             cwd=ROOT, env={**env, "OWNER": "x"}, capture_output=True, text=True, check=True)
        [line] = [line for line in run.stdout.splitlines() if "infrastructure/deploy.sh" in line]
        removed = re.findall(r"-u (\w+)", line)
        self.assertEqual(sorted(removed + ["OWNER", "PROCESSOR_TIMEOUT"]), sorted(names))


class OneSided(unittest.TestCase):
    """What a stack and a function both hold is compared with the live stage before a part alone
    deploys anything: the sender and configuration set (stack, reporter), the week lookup
    (the stack's index, the reporter's queries), the queue's visibility timeout (6 times the
    processor's timeout), the time zone (TimeZone above)."""

    def check(self, settings, stack_parameters, refused_parts, message):
        for part in ("stack", "processor", "reporter"):
            run, logs = deploy_stage(self, part, settings, stack_parameters=stack_parameters)
            if part in refused_parts:
                self.assertNotEqual(run.returncode, 0, part)
                self.assertIn(message, run.stderr)
                self.assertIn(f"a part alone ({part}) would change one side only; make deploy STAGE=dev", run.stderr)
                self.assertEqual(logs["cargo"], "", part)
                self.assertNotIn("update-stack", logs["calls"], part)
            else:
                self.assertEqual(run.returncode, 0, f"{part}: {run.stderr}")

    def test_the_week_index_is_not_dropped_under_the_live_reporter(self):
        self.check({}, {"WeekLookup": "index"}, ("stack", "reporter"),
                   "the live stage's WeekLookup is \"index\"")

    def test_a_processor_timeout_moves_with_the_queues_visibility_only(self):
        self.check({"PROCESSOR_TIMEOUT": "60"}, {}, ("stack", "processor"),
                   "(the queue's visibility timeout, 6 times it: 360) and the live stage's "
                   "QueueVisibilityTimeoutSeconds is \"180\"")

    def test_the_sender_and_configuration_set_change_together(self):
        self.check({"REPORT_SENDER": "new@example.dev"}, {}, ("stack", "reporter"),
                   "the live stage's ReportSender is \"reports@example.dev\"")
        self.check({}, {"SesConfigurationSet": "old-set"}, ("stack", "reporter"),
                   "SES_CONFIGURATION_SET is \"\" in ")


class UnchangedFunction(unittest.TestCase):
    """A function whose live version already runs the binary with the same settings, role and
    tags is not deployed again: no version is published, so `make rollback` never lands on a twin."""

    def live_as_deployed(self, logs, memory=128):
        """Writes, into the stand-ins, a live processor version as the deploy of `logs` made it."""
        env = dict(line.split("=", 1) for line in logs["env-file"].splitlines())

        def before(here):
            (here / "live-processor.json").write_text(json.dumps({
                "Role": "arn:aws:iam::1:role/p", "MemorySize": memory, "Timeout": 30,
                "Environment": {"Variables": env}}))
            (here / "tags.json").write_text(json.dumps({"Tags": {
                "Project": "cv-analytics", "Stage": "dev", "Owner": "data-team"}}))
        return before

    def test_the_same_binary_and_settings_publish_nothing(self):
        run, logs = deploy_stage(self, "processor")
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn("lambda deploy", logs["cargo"])
        self.assertRegex(logs["env-file"], r"BUILD_SHA256=[0-9a-f]{64}\n")
        run, again = deploy_stage(self, "processor", before=self.live_as_deployed(logs))
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn("cv-analytics-dev-processor: its live version 7 already runs this binary with these "
                      "settings; no version published", run.stdout)
        self.assertNotIn("lambda deploy", again["cargo"])
        # Another memory size, or another binary: deployed.
        run, again = deploy_stage(self, "processor", before=self.live_as_deployed(logs, memory=256))
        self.assertIn("lambda deploy", again["cargo"])

        def other_binary(here):
            self.live_as_deployed(logs)(here)
            (here / "processor").write_text("another build\n")
        run, again = deploy_stage(self, "processor", before=other_binary)
        self.assertIn("lambda deploy", again["cargo"])


class FailedUpdate(unittest.TestCase):
    """A stack update that fails prints CloudFormation's reasons for it, as a failed create does,
    and only this update's."""

    def test_the_reasons_of_this_update_are_printed(self):
        with tempfile.TemporaryDirectory() as d:
            fake_aws(d, """\
                case "$*" in
                  *"Stacks[0].StackStatus"*)
                    if grep -q update-stack "$(dirname "$0")/calls.log"; then echo UPDATE_ROLLBACK_COMPLETE;
                    else echo UPDATE_COMPLETE; fi ;;
                  *wait*) echo "Waiter StackUpdateComplete failed" >&2; exit 255 ;;
                  *describe-stack-events*)
                    printf 'AWS::CloudFormation::Stack\\tUPDATE_ROLLBACK_COMPLETE\\tcv-analytics-dev\\tNone\\n'
                    printf 'AWS::SQS::Queue\\tUPDATE_FAILED\\tEventQueue\\tInvalid value for VisibilityTimeout\\n'
                    printf 'AWS::CloudFormation::Stack\\tUPDATE_IN_PROGRESS\\tcv-analytics-dev\\tUser Initiated\\n'
                    printf 'AWS::DynamoDB::Table\\tCREATE_FAILED\\tRecordsTable\\tan older failure\\n' ;;
                esac
                """)
            run = bash("REGION=us-east-1; upsert_stack cv-analytics-dev infrastructure/stack.yaml Stage=dev", d)
            self.assertNotEqual(run.returncode, 0)
            self.assertIn("cv-analytics-dev: the update failed (the stack is UPDATE_ROLLBACK_COMPLETE); the events "
                          "that say why:\n  EventQueue: Invalid value for VisibilityTimeout\n", run.stderr)
            self.assertNotIn("older failure", run.stderr)
