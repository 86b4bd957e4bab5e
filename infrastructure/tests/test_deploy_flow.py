"""`make deploy` and `make destroy`, run for real against moto (AWS_ENDPOINT_URL), so that a typo
in the Makefile or the deploy script fails a test, not a maintainer.

As far as the emulator goes: the functions are the debug binaries `cargo test` built for this
machine (LAMBDA_BINARY_DIR=target/debug: no `cargo lambda build`), since arm64 cannot run here
and a release build takes minutes; the
queue trigger is created disabled, because an enabled one makes moto consume the queue itself,
and moto cannot run a Rust function (it would need Docker). So `make deploy` runs with
VERIFY=false, and `make verify` is run afterwards while `sqs-trigger` (local_aws::trigger) plays
the trigger: it runs the processor binary the deploy built, with the deployed settings, on the
deployed queue.
"""

import ast
import os
import pathlib
import signal
import subprocess
import tempfile
import unittest

from infrastructure.tests.test_templates import ROOT, Moto

# The stage's file (infrastructure/stages/dev.env as the tests write it, in STAGES): a test
# changes a setting as a maintainer does, in the file.
SETTINGS = {
    "REPORT_SENDER": "reports@example.dev",
    "REPORT_RECIPIENTS": "owner@example.dev,second@example.dev",
    "ALARM_EMAIL": "",
    "PROCESSOR_MEMORY": "128",
    "PROCESSOR_TIMEOUT": "30",
    "REPORTER_MEMORY": "256",
    "REPORTER_TIMEOUT": "120",
    "RECORD_TTL_DAYS": "120",
    "WRITE_CONCURRENCY": "8",
    "PROCESSOR_MAX_CONCURRENCY": "100",
    "SEND_EMPTY_REPORT": "false",
    "SES_CONFIGURATION_SET": "cv-analytics-reports",
    "OWNER": "data-team",
    "REPORT_TIMEZONE": "Europe/London",
    "WEEK_LOOKUP": "scan",
}
# What each run is given besides.
RUN = {
    "STAGE": "dev",
    "VERIFY": "false",
    # The commit the deploy records in each version (else the work tree's HEAD).
    "DEPLOY_COMMIT": "0123456789ab",
}
STAGES = pathlib.Path(tempfile.mkdtemp(prefix="cv-analytics-stages-"))
TAGS = {"Project": "cv-analytics", "Stage": "dev", "Owner": "data-team"}
UNCHANGED = "already runs this binary with these settings; no version published"


class DeployFlow(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = Moto()

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def make(self, target, expect_success=True, given=(), **settings):
        """`make target` with the stage's file holding SETTINGS updated with those of
        `settings`, the rest of `settings` in its environment, and `given` too (as on make's
        command line)."""
        env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
        env.update(RUN)
        env.update({k: v for k, v in settings.items() if k not in SETTINGS})
        file = {**SETTINGS, **{k: v for k, v in settings.items() if k in SETTINGS}}
        (STAGES / f"{env['STAGE']}.env").write_text("".join(f"{k}={v}\n" for k, v in file.items()))
        env["STAGES_DIR"] = str(STAGES)
        env.update(given)
        env.pop("AWS_DEFAULT_REGION", None)
        env.update({
            "AWS_ENDPOINT_URL": self.moto.endpoint,
            # Only AWS_REGION, which the AWS CLI itself does not read: the scripts' one region
            # rule passes it on.
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "LAMBDA_BUILD_FLAGS": "",
            # The debug binaries `cargo test` built (moto cannot run them, the local trigger
            # can): no second build for the emulator.
            "LAMBDA_BINARY_DIR": str(ROOT / "target" / "debug"),
            "EVENT_SOURCE_ENABLED": "false",
        })
        run = subprocess.run(["make", "--no-print-directory", target], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=1800)
        if expect_success:
            self.assertEqual(run.returncode, 0, f"make {target} failed:\n{run.stdout}\n{run.stderr}")
        return run

    def test_deploy_three_times_with_a_rollback_one_part_at_a_time_then_destroy(self):
        # A part deploys into a stage that exists: nothing to update yet.
        for target, settings in (("deploy-stack", {}), ("deploy", {"FUNCTION": "reporter"})):
            refused = self.make(target, expect_success=False, **settings)
            self.assertNotEqual(refused.returncode, 0)
            self.assertIn("cv-analytics-dev does not exist in us-east-1: deploy everything first", refused.stderr)
        # A zone the functions would refuse at start-up stops the deploy before anything is made.
        refused = self.make("deploy", expect_success=False, REPORT_TIMEZONE="Europe/Londn")
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn('REPORT_TIMEZONE is "Europe/Londn": no such time zone', refused.stderr)
        # A setting given on the command line that differs from the stage's file: refused.
        refused = self.make("deploy", expect_success=False, given={"PROCESSOR_TIMEOUT": "60"})
        self.assertIn(f'PROCESSOR_TIMEOUT is "60" on the command line (or in the environment) and "30" in '
                      f'{STAGES}/dev.env: change the file (and commit it) to change the stage', refused.stderr)
        self.assertEqual(self.moto.client("cloudformation").list_stacks()["StackSummaries"], [])
        first = self.make("deploy", given={"PROCESSOR_TIMEOUT": "30"}).stdout
        self.assertIn("==> deployed cv-analytics-dev in us-east-1", first)
        self.check_functions("scan")
        self.assertEqual(self.live("reporter"), "1")
        self.check_verify()
        # The same commit deployed again with the same settings publishes nothing.
        again = self.make("deploy").stdout
        self.assertIn(f"cv-analytics-dev-processor: its live version 1 {UNCHANGED}", again)
        self.assertIn(f"cv-analytics-dev-reporter: its live version 1 {UNCHANGED}", again)
        self.assertEqual([self.snapshot(f)["versions"] for f in ("processor", "reporter")], [["$LATEST", "1"]] * 2)
        # A second deploy that changes a reporter setting publishes its version 2; a rollback
        # moves `live` back to 1.
        run = self.make("deploy", SEND_EMPTY_REPORT="true")
        self.assertIn(f"cv-analytics-dev-processor: its live version 1 {UNCHANGED}", run.stdout)
        self.check_rollback()
        # One part at a time: the reporter alone publishes its version 3.
        self.check_one_part_at_a_time()
        self.check_a_part_cannot_change_the_zone()
        # A third deploy is the same single command and changes nothing it should not; it moves
        # the alias forward again, and the stage to the week index: the stack's parameter and the
        # reporter's setting follow. (moto's CloudFormation does not apply index changes to an
        # existing table; DynamoDB's UpdateTable adds or removes one index per update, in place.)
        # The owner's time zone too: the whole deploy changes it in all three places.
        self.make("deploy", WEEK_LOOKUP="index", REPORT_TIMEZONE="Asia/Singapore")
        self.check_functions("index", "Asia/Singapore")
        self.assertEqual(self.live("reporter"), "4")
        self.check_wiring("Asia/Singapore")
        stack = self.moto.client("cloudformation").describe_stacks(StackName="cv-analytics-dev")["Stacks"][0]
        self.assertIn({"ParameterKey": "WeekLookup", "ParameterValue": "index"}, stack["Parameters"])
        # What a stack and a function both hold changes with the whole deploy only: the stacks
        # alone do not drop the index the live reporter queries, nor the processor alone take a
        # timeout the queue's visibility was not made for.
        live = {f: self.snapshot(f) for f in ("processor", "reporter")}
        settings = {"WEEK_LOOKUP": "index", "REPORT_TIMEZONE": "Asia/Singapore"}
        refused = self.make("deploy-stack", expect_success=False, **{**settings, "WEEK_LOOKUP": "scan"})
        self.assertIn('WEEK_LOOKUP is "scan" in ', refused.stderr)
        self.assertIn("and the live stage's WeekLookup is \"index\": a stack and a function both hold it, so a "
                      "part alone (stack) would change one side only; make deploy STAGE=dev", refused.stderr)
        refused = self.make("deploy", expect_success=False, FUNCTION="processor", PROCESSOR_TIMEOUT="60", **settings)
        self.assertIn("(the queue's visibility timeout, 6 times it: 360) and the live stage's "
                      "QueueVisibilityTimeoutSeconds is \"180\"", refused.stderr)
        self.assertEqual({f: self.snapshot(f) for f in ("processor", "reporter")}, live)

        self.assertIn("removed cv-analytics-dev from us-east-1", self.make("destroy").stdout)
        stacks = self.moto.client("cloudformation").list_stacks(
            StackStatusFilter=["CREATE_COMPLETE", "UPDATE_COMPLETE"])["StackSummaries"]
        self.assertEqual([s["StackName"] for s in stacks], [])
        self.assertEqual(self.moto.client("lambda").list_functions()["Functions"], [])

    def snapshot(self, function):
        """What a deploy of the other part must leave as it was: the live version, its
        configuration, the function's tags and its published versions."""
        lam = self.moto.client("lambda")
        name = f"cv-analytics-dev-{function}"
        live = lam.get_function_configuration(FunctionName=name, Qualifier="live")
        for volatile in ("ResponseMetadata", "LastUpdateStatus", "State"):
            live.pop(volatile, None)
        return {
            "live": self.live(function),
            "configuration": live,
            "tags": lam.list_tags(Resource=lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"])["Tags"],
            "versions": [v["Version"] for v in lam.list_versions_by_function(FunctionName=name)["Versions"]],
        }

    def check_one_part_at_a_time(self):
        """`make deploy FUNCTION=reporter` publishes the reporter alone; `make deploy-stack`
        changes the stacks and publishes nothing; `make status` shows each live version's commit."""
        processor = self.snapshot("processor")
        # The sender is the stack's too (the reporter role's SES permission): not one side alone.
        refused = self.make("deploy", expect_success=False, FUNCTION="reporter", REPORT_SENDER="new@example.dev")
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("the live stage's ReportSender is \"reports@example.dev\"", refused.stderr)
        run = self.make("deploy", FUNCTION="reporter", SEND_EMPTY_REPORT="true", DEPLOY_COMMIT="feedbeef0001")
        self.assertIn("==> deployed reporter of cv-analytics-dev", run.stdout)
        self.assertNotIn("==> stack", run.stdout)
        self.assertNotIn("==> wiring", run.stdout)
        self.assertEqual(self.snapshot("processor"), processor)
        # After the rollback to 1 (of 2), the reporter's new version is 3, and live on it.
        self.assertEqual(self.live("reporter"), "3")
        # The stacks alone: the alarms' address and the trigger's concurrency change (moto skips
        # alarms and their subscription: the stacks' parameters say what was applied), and no
        # version is published on either function.
        before = {f: self.snapshot(f) for f in ("processor", "reporter")}
        run = self.make("deploy-stack", ALARM_EMAIL="ops@example.dev", PROCESSOR_MAX_CONCURRENCY="50")
        self.assertNotIn("==> build", run.stdout)
        self.assertNotIn("==> function", run.stdout)
        self.assertEqual({f: self.snapshot(f) for f in ("processor", "reporter")}, before)
        cloudformation = self.moto.client("cloudformation")
        parameters = lambda name: {p["ParameterKey"]: p["ParameterValue"]  # noqa: E731
                                   for p in cloudformation.describe_stacks(StackName=name)["Stacks"][0]["Parameters"]}
        self.assertEqual(parameters("cv-analytics-dev")["AlarmEmail"], "ops@example.dev")
        self.assertEqual(parameters("cv-analytics-dev-wiring")["ProcessorMaxConcurrency"], "50")
        status = self.make("status").stdout
        # Each line says what `make rollback` would move the alias to.
        self.assertRegex(status, r"cv-analytics-dev-reporter 3 \(of 3 published\), published [^,]+, commit feedbeef0001; "
                                 r"make rollback moves it to 2 \(commit 0123456789ab\)\n")
        self.assertRegex(status, r"cv-analytics-dev-processor 1 \(of 1 published\), published [^,]+, commit 0123456789ab; "
                                 r"nothing to roll back to\n")

    def check_a_part_cannot_change_the_zone(self):
        """The owner's time zone is the schedule's and both functions': no part changes it
        alone, and nothing is deployed when one tries."""
        before = {f: self.snapshot(f) for f in ("processor", "reporter")}
        for target, settings in (("deploy", {"FUNCTION": "processor"}), ("deploy", {"FUNCTION": "reporter"}),
                                 ("deploy-stack", {})):
            refused = self.make(target, expect_success=False, REPORT_TIMEZONE="America/New_York", **settings)
            self.assertNotEqual(refused.returncode, 0, f"{target} {settings}")
            self.assertIn('REPORT_TIMEZONE is "America/New_York" in ', refused.stderr)
            self.assertIn("and the live stage's ReportTimezone is \"Europe/London\"", refused.stderr)
            self.assertNotIn("==> ", refused.stdout)
        self.assertEqual({f: self.snapshot(f) for f in ("processor", "reporter")}, before)
        self.check_wiring("Europe/London")

    def check_functions(self, week_lookup, zone=SETTINGS["REPORT_TIMEZONE"]):
        cloudformation = self.moto.client("cloudformation")
        outputs = {o["OutputKey"]: o["OutputValue"]
                   for o in cloudformation.describe_stacks(StackName="cv-analytics-dev")["Stacks"][0]["Outputs"]}
        lam = self.moto.client("lambda")
        processor = lam.get_function_configuration(FunctionName="cv-analytics-dev-processor")
        self.assertEqual(processor["Role"], outputs["ProcessorRoleArn"])
        self.assertEqual((processor["MemorySize"], processor["Timeout"]), (128, 30))
        # Every setting of the stage's file, since a deploy replaces the whole environment, and
        # the binary's sha256.
        variables = {name: dict(lam.get_function_configuration(FunctionName=f"cv-analytics-dev-{name}")[
            "Environment"]["Variables"]) for name in ("processor", "reporter")}
        for name in variables:
            self.assertRegex(variables[name].pop("BUILD_SHA256"), r"^[0-9a-f]{64}$")
        self.assertEqual(variables["processor"], {
            "TABLE_NAME": outputs["TableName"],
            "DEAD_LETTER_QUEUE_URL": outputs["DeadLetterQueueUrl"],
            "STAGE": "dev",
            "RECORD_TTL_DAYS": "120",
            "WRITE_CONCURRENCY": "8",
            "REPORT_TIMEZONE": zone,
            "BUILD_COMMIT": "0123456789ab",
        })
        for name in ("cv-analytics-dev-processor", "cv-analytics-dev-reporter"):
            arn = lam.get_function_configuration(FunctionName=name)["FunctionArn"]
            self.assertEqual(lam.list_tags(Resource=arn)["Tags"], TAGS, name)
        queue_tags = self.moto.client("sqs").list_queue_tags(QueueUrl=outputs["QueueUrl"])["Tags"]
        self.assertEqual(queue_tags, TAGS)
        reporter = lam.get_function_configuration(FunctionName="cv-analytics-dev-reporter")
        self.assertEqual(reporter["Role"], outputs["ReporterRoleArn"])
        self.assertEqual((reporter["MemorySize"], reporter["Timeout"]), (256, 120))
        self.assertEqual(variables["reporter"], {
            "TABLE_NAME": outputs["TableName"],
            "REPORT_SENDER": "reports@example.dev",
            "REPORT_RECIPIENTS": "owner@example.dev,second@example.dev",
            "STAGE": "dev",
            "SEND_EMPTY_REPORT": "false",
            "RECORD_TTL_DAYS": "120",
            "SES_CONFIGURATION_SET": "cv-analytics-reports",
            "WEEK_LOOKUP": week_lookup,
            "REPORT_TIMEZONE": zone,
            "BUILD_COMMIT": "0123456789ab",
        })
        parameters = {p["ParameterKey"]: p["ParameterValue"]
                      for p in cloudformation.describe_stacks(StackName="cv-analytics-dev")["Stacks"][0]["Parameters"]}
        self.assertEqual(parameters["SesConfigurationSet"], "cv-analytics-reports")
        # The queue's visibility timeout follows the processor's timeout (6 times).
        queue = self.moto.client("sqs").get_queue_attributes(
            QueueUrl=outputs["QueueUrl"], AttributeNames=["VisibilityTimeout"])["Attributes"]
        self.assertEqual(queue["VisibilityTimeout"], "180")

    def live(self, function):
        return self.moto.client("lambda").get_alias(
            FunctionName=f"cv-analytics-dev-{function}", Name="live")["FunctionVersion"]

    def check_rollback(self):
        # The second deploy published version 2 of the reporter and moved `live` to it; a
        # rollback moves it back to 1 without a build, status shows it, and there is nothing
        # before 1.
        self.assertEqual(self.live("reporter"), "2")
        run = self.make("rollback", FUNCTION="reporter")
        self.assertIn("cv-analytics-dev-reporter: alias live moved from version 2 (commit 0123456789ab) to 1 "
                      "(commit 0123456789ab)", run.stdout)
        self.assertEqual(self.live("reporter"), "1")
        self.assertIn("live version       cv-analytics-dev-reporter 1 (of 2 published)",
                      self.make("status").stdout)
        again = self.make("rollback", expect_success=False, FUNCTION="reporter")
        self.assertNotEqual(again.returncode, 0)
        self.assertIn("cv-analytics-dev-reporter has no version before 1 to roll back to", again.stderr)
        self.assertNotEqual(self.make("rollback", expect_success=False).returncode, 0, "FUNCTION is required")

    def check_verify(self):
        """`make verify` passes with the processor running on the queue, and fails, saying so,
        when the processor cannot store (a table that does not exist)."""
        outputs = self.outputs()
        sqs = self.moto.client("sqs")
        # moto reads the template's `Enabled: "false"` (a string) as true and, on every send,
        # hands the queue's first message to a function it cannot run: switch the mapping off
        # through the API, as CloudFormation's boolean would have.
        lam = self.moto.client("lambda")
        mappings = lam.list_event_source_mappings()["EventSourceMappings"]
        self.assertEqual(len(mappings), 1)
        for mapping in mappings:
            lam.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)
        with self.trigger(outputs, outputs["TableName"]):
            # The canary passes, but the sender is no SES identity: no email would go out.
            unverified = self.make("verify", expect_success=False, VERIFY_TIMEOUT="60")
            self.assertNotEqual(unverified.returncode, 0)
            self.assertIn("verified cv-analytics-dev: canary", unverified.stdout)
            self.assertIn("PROBLEM: the sender reports@example.dev is not an identity in SES", unverified.stdout)
            # ... nor is the configuration set SES_CONFIGURATION_SET names: every send would fail.
            self.assertIn("PROBLEM: the configuration set cv-analytics-reports (SES_CONFIGURATION_SET) does not "
                          "exist in SES", unverified.stdout)
            self.moto.client("sesv2").create_email_identity(EmailIdentity="reports@example.dev")
            self.moto.client("sesv2").create_configuration_set(ConfigurationSetName=SETTINGS["SES_CONFIGURATION_SET"])
            run = self.make("verify", VERIFY_TIMEOUT="60")
        self.assertIn("verified cv-analytics-dev: canary", run.stdout)
        self.assertIn("deleted; dead-letter queue unchanged (0 messages)", run.stdout)
        self.assertIn("sender reports@example.dev: verified", run.stdout)
        # The configuration set exists now, but moto 5.2.1's GetConfigurationSet answers it with a
        # body the SDK cannot parse (SendingEnabled as an object): said, not hidden, as GetAccount.
        self.assertIn("configuration set cv-analytics-reports: not read", run.stdout)
        self.assertIn("warning: could not read the configuration set cv-analytics-reports", run.stdout)
        # moto has no GetAccount: said, not hidden.
        self.assertIn("warning: could not read the SES account", run.stdout)
        table = self.moto.client("dynamodb").scan(TableName=outputs["TableName"])
        self.assertEqual(table["Items"], [], "the canary's record is deleted")

        with self.trigger(outputs, "cv-analytics-dev-missing"):
            broken = self.make("verify", expect_success=False, VERIFY_TIMEOUT="8")
        self.assertNotEqual(broken.returncode, 0)
        self.assertIn("the post-deploy check of dev failed", broken.stderr)
        self.assertIn("no record was stored within 8 s", broken.stderr)
        self.assertIn("the queue's trigger is Disabled", broken.stderr)
        # The first deploy: nothing to roll back to, and the message says what works.
        self.assertIn("version 1 is the processor's first, so there is nothing to roll back to", broken.stderr)
        self.assertNotIn("make rollback", broken.stderr)
        sqs.purge_queue(QueueUrl=outputs["QueueUrl"])

    def outputs(self):
        stack = self.moto.client("cloudformation").describe_stacks(StackName="cv-analytics-dev")["Stacks"][0]
        return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}

    def trigger(self, outputs, table):
        """The processor binary the deploy deployed, on the deployed queue, with the deployed
        settings (but `table`); stopped with its process group."""
        flow = self
        env = dict(os.environ, AWS_ENDPOINT_URL=self.moto.endpoint, AWS_REGION="us-east-1",
                   AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
        command = ["cargo", "xtask", "sqs-trigger",
                   outputs["QueueUrl"], str(ROOT / "target" / "debug" / "processor"),
                   f"TABLE_NAME={table}", f"DEAD_LETTER_QUEUE_URL={outputs['DeadLetterQueueUrl']}",
                   "STAGE=dev", "RECORD_TTL_DAYS=120", "WRITE_CONCURRENCY=8",
                   f"REPORT_TIMEZONE={SETTINGS['REPORT_TIMEZONE']}",
                   f"AWS_ENDPOINT_URL={self.moto.endpoint}", "AWS_REGION=us-east-1",
                   "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing"]

        # Built before it starts (a no-op after `cargo test`), so the trigger runs at once.
        subprocess.run(["cargo", "build", "--locked", "-q", "-p", "xtask"], cwd=ROOT, check=True)

        class Running:
            def __enter__(self):
                self.process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True,
                                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                return self

            def __exit__(self, *exc):
                os.killpg(self.process.pid, signal.SIGKILL)
                log = self.process.communicate()[1]
                (ROOT / "target" / f"deploy-flow-trigger-{table}.log").write_text(log)
                flow.assertIn("sqs-trigger:", log)

        return Running()

    def check_wiring(self, zone):
        [mapping] = self.moto.client("lambda").list_event_source_mappings()["EventSourceMappings"]
        self.assertEqual(mapping["BatchSize"], 10)
        self.assertEqual(mapping["FunctionResponseTypes"], ["ReportBatchItemFailures"])
        self.assertTrue(mapping["EventSourceArn"].endswith(":cv-analytics-dev-events.fifo"))
        # A qualified function: AWS keeps the alias's ARN, moto the version it resolves it to
        # (the template's `:live` is asserted in test_templates).
        self.assertRegex(mapping["FunctionArn"], r":function:cv-analytics-dev-processor:(live|\d+)$")
        # The schedule: moto 5.2.1's CloudFormation skips AWS::Scheduler::Schedule (a line in its
        # log; the schedule itself is asserted in test_templates), so what it can show: the
        # wiring stack's parameters (the zone, the role), its output, and the role.
        cloudformation = self.moto.client("cloudformation")
        wiring = cloudformation.describe_stacks(StackName="cv-analytics-dev-wiring")["Stacks"][0]
        parameters = {p["ParameterKey"]: p["ParameterValue"] for p in wiring["Parameters"]}
        role_arn = self.outputs()["ReportScheduleRoleArn"]
        self.assertEqual(parameters["ReportTimezone"], zone)
        self.assertEqual(parameters["ReportScheduleRoleArn"], role_arn)
        self.assertEqual({o["OutputKey"]: o["OutputValue"] for o in wiring["Outputs"]}["ReportScheduleArn"],
                         "arn:aws:scheduler:us-east-1:123456789012:schedule/default/cv-analytics-dev-report")
        resources = {r["LogicalResourceId"] for r in cloudformation.list_stack_resources(
            StackName="cv-analytics-dev-wiring")["StackResourceSummaries"]}
        self.assertNotIn("DailyReportSchedule", resources, "moto makes schedules now: read it back here")
        iam = self.moto.client("iam")
        role = iam.get_role(RoleName="cv-analytics-dev-report-schedule")["Role"]
        self.assertEqual(role["Arn"], role_arn)
        self.assertEqual(role["Tags"], [{"Key": k, "Value": v} for k, v in TAGS.items()])
        [trust] = role["AssumeRolePolicyDocument"]["Statement"]
        self.assertEqual((trust["Principal"], trust["Action"]), ({"Service": "scheduler.amazonaws.com"}, "sts:AssumeRole"))
        self.assertEqual(trust["Condition"], {"StringEquals": {
            "aws:SourceAccount": "123456789012",
            "aws:SourceArn": "arn:aws:scheduler:us-east-1:123456789012:schedule/default/cv-analytics-dev-report"}})
        [policy] = iam.list_role_policies(RoleName="cv-analytics-dev-report-schedule")["PolicyNames"]
        document = iam.get_role_policy(RoleName="cv-analytics-dev-report-schedule", PolicyName=policy)["PolicyDocument"]
        # (AWS answers the JSON URL-encoded, which botocore decodes; moto 5.2.1, for a role
        # CloudFormation made, a Python repr of it.)
        [statement] = (ast.literal_eval(document) if isinstance(document, str) else document)["Statement"]
        self.assertEqual((statement["Action"], statement["Resource"]),
                         ("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:cv-analytics-dev-reporter:live"))


if __name__ == "__main__":
    unittest.main()


class RetainedTable(unittest.TestCase):
    """A prod table kept by an earlier `make destroy`: the next deploy stops before creating the
    stack, and says what to do."""

    def test_a_kept_table_stops_the_deploy_with_what_to_do(self):
        moto = Moto()
        try:
            moto.client("dynamodb").create_table(
                TableName="cv-analytics-prod-records", BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
            flow = DeployFlow()
            flow.moto = moto
            run = flow.make("deploy", expect_success=False, STAGE="prod")
            self.assertNotEqual(run.returncode, 0)
            self.assertIn("The table cv-analytics-prod-records already exists in us-east-1", run.stderr)
            self.assertIn("make import-table STAGE=prod", run.stderr)
            self.assertIn("aws dynamodb delete-table --region us-east-1 --table-name cv-analytics-prod-records", run.stderr)
            # The prod table has deletion protection: it is turned off first.
            self.assertIn("aws dynamodb update-table --region us-east-1 --table-name cv-analytics-prod-records "
                          "--no-deletion-protection-enabled", run.stderr)
            stacks = moto.client("cloudformation").list_stacks()["StackSummaries"]
            self.assertEqual(stacks, [], "nothing was created")
        finally:
            moto.stop()
