"""`make deploy` and `make destroy`, run for real against moto (AWS_ENDPOINT_URL), so that a typo
in the Makefile or the deploy script fails a test, not a maintainer.

As far as the emulator goes: the functions are built for this machine in debug mode
(LAMBDA_BUILD_FLAGS=""), since arm64 cannot run here and a release build takes minutes; the
queue trigger is created disabled, because an enabled one makes moto consume the queue itself.
"""

import os
import pathlib
import subprocess
import unittest

from infrastructure.tests.test_templates import ROOT, Moto

SETTINGS = {
    "STAGE": "dev",
    "REPORT_SENDER": "reports@example.dev",
    "REPORT_RECIPIENTS": "owner@example.dev,second@example.dev",
    "PROCESSOR_MEMORY": "128",
    "PROCESSOR_TIMEOUT": "30",
    "REPORTER_MEMORY": "256",
    "REPORTER_TIMEOUT": "120",
    "RECORD_TTL_DAYS": "120",
    "WRITE_CONCURRENCY": "8",
    "SEND_EMPTY_REPORT": "false",
    "SES_CONFIGURATION_SET": "cv-analytics-reports",
}


class DeployFlow(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = Moto()

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def make(self, target, expect_success=True, **settings):
        env = dict(os.environ)
        env.update(SETTINGS)
        env.update(settings)
        env.pop("AWS_DEFAULT_REGION", None)
        env.update({
            "AWS_ENDPOINT_URL": self.moto.endpoint,
            # Only AWS_REGION, which the AWS CLI itself does not read: the scripts' one region
            # rule passes it on.
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "LAMBDA_BUILD_FLAGS": "",
            "EVENT_SOURCE_ENABLED": "false",
        })
        run = subprocess.run(["make", "--no-print-directory", target], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=1800)
        if expect_success:
            self.assertEqual(run.returncode, 0, f"make {target} failed:\n{run.stdout}\n{run.stderr}")
        return run

    def test_deploy_twice_then_destroy(self):
        first = self.make("deploy").stdout
        self.assertIn("==> deployed cv-analytics-dev in us-east-1", first)
        self.check_functions("scan")
        # A second deploy is the same single command and changes nothing it should not; this one
        # also moves the stage to the week index: the stack's parameter and the reporter's
        # setting follow. (moto's CloudFormation does not apply index changes to an existing
        # table; DynamoDB's UpdateTable adds or removes one index per update, in place.)
        self.make("deploy", WEEK_LOOKUP="index")
        self.check_functions("index")
        self.check_wiring()
        stack = self.moto.client("cloudformation").describe_stacks(StackName="cv-analytics-dev")["Stacks"][0]
        self.assertIn({"ParameterKey": "WeekLookup", "ParameterValue": "index"}, stack["Parameters"])

        self.assertIn("removed cv-analytics-dev from us-east-1", self.make("destroy").stdout)
        stacks = self.moto.client("cloudformation").list_stacks(
            StackStatusFilter=["CREATE_COMPLETE", "UPDATE_COMPLETE"])["StackSummaries"]
        self.assertEqual([s["StackName"] for s in stacks], [])
        self.assertEqual(self.moto.client("lambda").list_functions()["Functions"], [])

    def check_functions(self, week_lookup):
        cloudformation = self.moto.client("cloudformation")
        outputs = {o["OutputKey"]: o["OutputValue"]
                   for o in cloudformation.describe_stacks(StackName="cv-analytics-dev")["Stacks"][0]["Outputs"]}
        lam = self.moto.client("lambda")
        processor = lam.get_function_configuration(FunctionName="cv-analytics-dev-processor")
        self.assertEqual(processor["Role"], outputs["ProcessorRoleArn"])
        self.assertEqual((processor["MemorySize"], processor["Timeout"]), (128, 30))
        # Every setting of the Makefile, since a deploy replaces the whole environment.
        self.assertEqual(processor["Environment"]["Variables"], {
            "TABLE_NAME": outputs["TableName"],
            "DEAD_LETTER_QUEUE_URL": outputs["DeadLetterQueueUrl"],
            "STAGE": "dev",
            "RECORD_TTL_DAYS": "120",
            "WRITE_CONCURRENCY": "8",
        })
        reporter = lam.get_function_configuration(FunctionName="cv-analytics-dev-reporter")
        self.assertEqual(reporter["Role"], outputs["ReporterRoleArn"])
        self.assertEqual((reporter["MemorySize"], reporter["Timeout"]), (256, 120))
        self.assertEqual(reporter["Environment"]["Variables"], {
            "TABLE_NAME": outputs["TableName"],
            "REPORT_SENDER": "reports@example.dev",
            "REPORT_RECIPIENTS": "owner@example.dev,second@example.dev",
            "STAGE": "dev",
            "SEND_EMPTY_REPORT": "false",
            "RECORD_TTL_DAYS": "120",
            "SES_CONFIGURATION_SET": "cv-analytics-reports",
            "WEEK_LOOKUP": week_lookup,
        })
        parameters = {p["ParameterKey"]: p["ParameterValue"]
                      for p in cloudformation.describe_stacks(StackName="cv-analytics-dev")["Stacks"][0]["Parameters"]}
        self.assertEqual(parameters["SesConfigurationSet"], "cv-analytics-reports")
        # The queue's visibility timeout follows the processor's timeout (6 times).
        queue = self.moto.client("sqs").get_queue_attributes(
            QueueUrl=outputs["QueueUrl"], AttributeNames=["VisibilityTimeout"])["Attributes"]
        self.assertEqual(queue["VisibilityTimeout"], "180")

    def check_wiring(self):
        [mapping] = self.moto.client("lambda").list_event_source_mappings(
            FunctionName="cv-analytics-dev-processor")["EventSourceMappings"]
        self.assertEqual(mapping["BatchSize"], 10)
        self.assertEqual(mapping["FunctionResponseTypes"], ["ReportBatchItemFailures"])
        self.assertTrue(mapping["EventSourceArn"].endswith(":cv-analytics-dev-events.fifo"))
        events = self.moto.client("events")
        rule = events.describe_rule(Name="cv-analytics-dev-report")
        self.assertEqual(rule["ScheduleExpression"], "cron(0 7 * * ? *)")
        [target] = events.list_targets_by_rule(Rule="cv-analytics-dev-report")["Targets"]
        self.assertTrue(target["Arn"].endswith(":function:cv-analytics-dev-reporter"))


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
            stacks = moto.client("cloudformation").list_stacks()["StackSummaries"]
            self.assertEqual(stacks, [], "nothing was created")
        finally:
            moto.stop()
