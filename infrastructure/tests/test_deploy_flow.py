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
}


class DeployFlow(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = Moto()

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def make(self, target):
        env = dict(os.environ)
        env.update(SETTINGS)
        env.update({
            "AWS_ENDPOINT_URL": self.moto.endpoint,
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "LAMBDA_BUILD_FLAGS": "",
            "EVENT_SOURCE_ENABLED": "false",
        })
        run = subprocess.run(["make", "--no-print-directory", target], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=1800)
        self.assertEqual(run.returncode, 0, f"make {target} failed:\n{run.stdout}\n{run.stderr}")
        return run.stdout

    def test_deploy_twice_then_destroy(self):
        first = self.make("deploy")
        self.assertIn("==> deployed cv-analytics-dev", first)
        # A second deploy is the same single command and changes nothing it should not.
        self.make("deploy")
        self.check_functions()
        self.check_wiring()

        self.make("destroy")
        stacks = self.moto.client("cloudformation").list_stacks(
            StackStatusFilter=["CREATE_COMPLETE", "UPDATE_COMPLETE"])["StackSummaries"]
        self.assertEqual([s["StackName"] for s in stacks], [])
        self.assertEqual(self.moto.client("lambda").list_functions()["Functions"], [])

    def check_functions(self):
        cloudformation = self.moto.client("cloudformation")
        outputs = {o["OutputKey"]: o["OutputValue"]
                   for o in cloudformation.describe_stacks(StackName="cv-analytics-dev")["Stacks"][0]["Outputs"]}
        lam = self.moto.client("lambda")
        processor = lam.get_function_configuration(FunctionName="cv-analytics-dev-processor")
        self.assertEqual(processor["Role"], outputs["ProcessorRoleArn"])
        self.assertEqual((processor["MemorySize"], processor["Timeout"]), (128, 30))
        self.assertEqual(processor["Environment"]["Variables"], {
            "TABLE_NAME": outputs["TableName"],
            "DEAD_LETTER_QUEUE_URL": outputs["DeadLetterQueueUrl"],
            "STAGE": "dev",
        })
        reporter = lam.get_function_configuration(FunctionName="cv-analytics-dev-reporter")
        self.assertEqual(reporter["Role"], outputs["ReporterRoleArn"])
        self.assertEqual((reporter["MemorySize"], reporter["Timeout"]), (256, 120))
        self.assertEqual(reporter["Environment"]["Variables"], {
            "TABLE_NAME": outputs["TableName"],
            "REPORT_SENDER": "reports@example.dev",
            "REPORT_RECIPIENTS": "owner@example.dev,second@example.dev",
            "STAGE": "dev",
        })
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
        rule = events.describe_rule(Name="cv-analytics-dev-weekly-report")
        self.assertEqual(rule["ScheduleExpression"], "cron(0 7 ? * MON *)")
        [target] = events.list_targets_by_rule(Rule="cv-analytics-dev-weekly-report")["Targets"]
        self.assertTrue(target["Arn"].endswith(":function:cv-analytics-dev-reporter"))


if __name__ == "__main__":
    unittest.main()
