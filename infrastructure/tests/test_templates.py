"""The CloudFormation templates: least-privilege IAM checked against the code, the settings moto
ignores (TTL, PITR) checked on the template, and the stack deployed into moto and described.

Run by `make test` (python3 -m unittest); needs moto and cfn-lint, which `make tools` installs.
"""

import pathlib
import re
import socket
import subprocess
import sys
import time
import unittest

import boto3
from cfnlint.decode import decode
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

ROOT = pathlib.Path(__file__).resolve().parents[2]
INFRA = ROOT / "infrastructure"

# Where a wildcard is allowed, and why: Lambda names log streams at run time; SES authorises a
# send on whichever identities it involves (the sender's address or domain, and in the sandbox
# each recipient), so the reporter may use any identity, with its own sender in From only;
# lambda:ListEventSourceMappings has no resource type in IAM (the post-deploy check reads the
# trigger's state with it), nor ses:GetAccount; the check reads the sender's and the recipients'
# SES identities, whichever they are, and the reporter's configuration set, whatever its name;
# cv-analytics looks its stack up by name, which IAM
# authorizes on `stack/<name>/*`.
WILDCARD_ALLOWED = {("ProcessorRole", "Logs"), ("ReporterRole", "Logs"), ("ReporterRole", "SendReport"),
                    ("MaintainerPolicy", "TriggerState"), ("MaintainerPolicy", "EmailIdentities"),
                    ("MaintainerPolicy", "EmailAccount"), ("MaintainerPolicy", "FindTheStage"),
                    ("MaintainerPolicy", "EmailConfigurationSet")}

# What each function's code calls, found in its sources, and the IAM action each call needs.
SDK_SERVICES = {"aws_sdk_dynamodb": "dynamodb", "aws_sdk_sqs": "sqs", "aws_sdk_sesv2": "ses"}
# Calls Lambda makes on the function's behalf with its role (the SQS trigger).
TRIGGER_ACTIONS = {"ProcessorRole": {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}}
FUNCTION_ROLES = {"processor": "ProcessorRole", "reporter": "ReporterRole"}


def load(name):
    template, matches = decode(str(INFRA / name))
    if matches:
        raise AssertionError(f"{name} does not parse: {matches}")
    return template


def as_list(value):
    return value if isinstance(value, list) else [value]


# A client's methods that are no API call: a copy, and the configuration it was built with.
NOT_CALLS = {"clone", "config"}


def sdk_actions(crate):
    """The IAM actions a crate's own code needs: every `client.<operation>()` call (on a field or
    a variable named `client`) in a file that uses one SDK's Client, turned into
    `service:Operation`."""
    actions = set()
    for path in (ROOT / crate / "src").rglob("*.rs"):
        text = path.read_text()
        services = [svc for module, svc in SDK_SERVICES.items() if f"{module}::Client" in text]
        calls = [c for c in re.findall(r"\bclient\s*\.\s*([a-z_]+)\(\)", text) if c not in NOT_CALLS]
        if calls and len(services) != 1:
            raise AssertionError(f"{path}: cannot tell which SDK its client calls go to")
        for call in calls:
            operation = "".join(part.capitalize() for part in call.split("_"))
            actions.add(f"{services[0]}:{operation}")
    return actions


# The maintainer command's clients (fields of `Operations`, and the CloudFormation `client`).
MAINTAINER_RECEIVERS = {"sqs": "sqs", "dynamodb": "dynamodb", "lambda": "lambda", "ses": "ses",
                        "client": "cloudformation"}
# SDK operations whose IAM action has another name.
IAM_ACTION = {"lambda:Invoke": "lambda:InvokeFunction", "sqs:SendMessageBatch": "sqs:SendMessage",
              "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
              "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility"}


def maintainer_actions():
    """The IAM actions `cv-analytics`' maintainer commands need: every `<client>.<operation>()`
    call on one of its clients, across line breaks, outside ops/src/deploy (the deployer's)."""
    actions = set()
    for path in (ROOT / "ops" / "src").rglob("*.rs"):
        if "deploy" in path.relative_to(ROOT / "ops" / "src").parts[:-1]:
            continue  # the deployer's (test_deployer.deployer_code_calls)
        for receiver, call in re.findall(r"\b(sqs|dynamodb|lambda|ses|client)\s*\.\s*([a-z_]+)\(\)", path.read_text()):
            if call in NOT_CALLS:
                continue
            action = f"{MAINTAINER_RECEIVERS[receiver]}:" + "".join(p.capitalize() for p in call.split("_"))
            actions.add(IAM_ACTION.get(action, action))
    return actions


def taggable(resource_type):
    """Whether CloudFormation can tag the type (its resource schema, as cfn-lint ships it)."""
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema
    return "Tags" in schema.get("properties", {})


def expand_conditions(statements):
    for statement in statements:
        if "Fn::If" in statement:
            _, *branches = statement["Fn::If"]
            yield from (b for b in branches if b != {"Ref": "AWS::NoValue"})
        else:
            yield statement


def role_statements(template, role):
    """The role's statements, with both branches of a conditional statement (`!If`)."""
    for policy in template["Resources"][role]["Properties"]["Policies"]:
        yield from expand_conditions(policy["PolicyDocument"]["Statement"])


class Policies(unittest.TestCase):
    def setUp(self):
        self.stack = load("stack.yaml")

    def test_no_wildcard_action_or_resource_outside_the_allow_list(self):
        checked = 0
        for name, resource in self.stack["Resources"].items():
            props = resource.get("Properties", {})
            documents = [p["PolicyDocument"] for p in props.get("Policies", [])]
            if "PolicyDocument" in props:
                documents.append(props["PolicyDocument"])
            for document in documents:
                for statement in expand_conditions(document["Statement"]):
                    checked += 1
                    for action in as_list(statement["Action"]):
                        self.assertNotIn("*", action, f"{name}: wildcard action {action}")
                    for resource_ref in as_list(statement["Resource"]):
                        text = str(resource_ref)
                        if "*" in text and (name, statement.get("Sid")) not in WILDCARD_ALLOWED:
                            self.fail(f"{name}/{statement.get('Sid')}: wildcard resource {text}")
        self.assertGreaterEqual(checked, 10)

    def test_every_call_the_code_makes_is_allowed_and_nothing_more(self):
        for crate, role in FUNCTION_ROLES.items():
            needed = sdk_actions(crate) | TRIGGER_ACTIONS.get(role, set())
            allowed = set()
            for statement in role_statements(self.stack, role):
                if statement.get("Sid") != "Logs":
                    allowed.update(as_list(statement["Action"]))
            self.assertTrue(needed, f"no SDK call found in {crate}")
            self.assertEqual(needed - allowed, set(), f"{role} lacks permissions {crate} uses")
            self.assertEqual(allowed - needed, set(), f"{role} allows what {crate} never calls")

    def test_each_function_writes_only_the_streams_of_its_own_log_group(self):
        # `GetAtt LogGroup.Arn` already ends in `:*`; the streams are `log-group:<name>:*`.
        for role, group in (("ProcessorRole", "ProcessorLogGroup"), ("ReporterRole", "ReporterLogGroup")):
            [logs] = [s for s in role_statements(self.stack, role) if s.get("Sid") == "Logs"]
            self.assertEqual(
                logs["Resource"],
                {"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${" + group + "}:*"},
            )

    def test_the_code_scan_finds_the_calls_we_know_of(self):
        # Guards the scan itself: if it stopped finding calls, the test above would prove nothing.
        self.assertEqual(sdk_actions("processor"), {"dynamodb:UpdateItem", "sqs:SendMessage"})
        self.assertEqual(
            sdk_actions("reporter"),
            {"dynamodb:Query", "dynamodb:Scan", "dynamodb:BatchGetItem", "dynamodb:UpdateItem",
             "dynamodb:DeleteItem", "ses:SendEmail"},
        )

    def test_the_reporter_writes_only_report_markers(self):
        markers = [s for s in role_statements(self.stack, "ReporterRole") if s.get("Sid") == "SentMarkersOnly"]
        self.assertEqual(len(markers), 1)
        condition = markers[0]["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
        self.assertEqual(condition, ["REPORT#*"])

    def test_the_reporter_sends_only_as_its_sender_on_any_identity_and_its_configuration_set(self):
        sends = {s["Sid"]: s for s in role_statements(self.stack, "ReporterRole")
                 if "ses:SendEmail" in as_list(s["Action"])}
        self.assertEqual(set(sends), {"SendReport", "SendWithConfigurationSet"})
        identity = sends["SendReport"]
        self.assertTrue(identity["Resource"]["Fn::Sub"].endswith(":identity/*"))
        self.assertEqual(identity["Condition"], {"StringEquals": {"ses:FromAddress": {"Ref": "ReportSender"}}})
        configuration_set = sends["SendWithConfigurationSet"]
        self.assertTrue(configuration_set["Resource"]["Fn::Sub"].endswith(":configuration-set/${SesConfigurationSet}"))
        conditional = [s for s in self.stack["Resources"]["ReporterRole"]["Properties"]["Policies"][0]
                       ["PolicyDocument"]["Statement"] if "Fn::If" in s]
        self.assertEqual([c["Fn::If"][0] for c in conditional], ["UseWeekIndex", "HasConfigurationSet"])

    def test_the_reporter_reads_weeks_as_the_table_is_laid_out(self):
        [lookup] = [s["Fn::If"] for s in self.stack["Resources"]["ReporterRole"]["Properties"]["Policies"][0]
                    ["PolicyDocument"]["Statement"] if "Fn::If" in s and s["Fn::If"][0] == "UseWeekIndex"]
        _, index, scan = lookup
        self.assertEqual((index["Action"], index["Resource"]),
                         ("dynamodb:Query", {"Fn::Sub": "${RecordsTable.Arn}/index/week-index"}))
        self.assertEqual((scan["Action"], scan["Resource"]),
                         ("dynamodb:Scan", {"Fn::GetAtt": ["RecordsTable", "Arn"]}))

    def test_the_maintainer_policy_allows_what_the_command_calls_and_nothing_more(self):
        statements = list(expand_conditions(
            self.stack["Resources"]["MaintainerPolicy"]["Properties"]["PolicyDocument"]["Statement"]))
        allowed = {a for s in statements for a in as_list(s["Action"])}
        needed = maintainer_actions()
        self.assertEqual(needed - allowed, set(), "the maintainer policy lacks what cv-analytics calls")
        self.assertEqual(allowed - needed, set(), "the maintainer policy allows what cv-analytics never calls")
        # Backfill invokes the live alias only; the rollback reads and moves the two aliases.
        [invoke] = [s for s in statements if "lambda:InvokeFunction" in as_list(s["Action"])]
        self.assertTrue(invoke["Resource"]["Fn::Sub"].endswith(":function:cv-analytics-${Stage}-reporter:live"))
        # By name, as cv-analytics calls it: IAM authorizes `stack/<name>/*`, never the id alone.
        self.assertEqual([s for s in statements if s["Sid"] == "FindTheStage"][0]["Resource"], {
            "Fn::Sub": "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/cv-analytics-${Stage}/*"})

    def test_the_maintainer_scan_finds_the_calls_we_know_of(self):
        self.assertTrue({"cloudformation:DescribeStacks", "lambda:InvokeFunction", "lambda:UpdateAlias",
                         "sqs:SendMessage", "dynamodb:DeleteItem"} <= maintainer_actions())

    def test_the_schedule_role_is_assumed_by_schedulers_own_schedule_only(self):
        role = self.stack["Resources"]["ReportScheduleRole"]["Properties"]
        self.assertEqual(role["RoleName"], {"Fn::Sub": "cv-analytics-${Stage}-report-schedule"})
        [trust] = role["AssumeRolePolicyDocument"]["Statement"]
        self.assertEqual((trust["Effect"], trust["Action"], trust["Principal"]),
                         ("Allow", "sts:AssumeRole", {"Service": "scheduler.amazonaws.com"}))
        # The confused-deputy conditions: this account, and the schedule wiring.yaml names.
        schedule = load("wiring.yaml")["Outputs"]["ReportScheduleArn"]["Value"]
        self.assertEqual(trust["Condition"], {"StringEquals": {
            "aws:SourceAccount": {"Ref": "AWS::AccountId"},
            "aws:SourceArn": schedule,
        }})
        self.assertEqual(schedule, {"Fn::Sub": "arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:"
                                               "schedule/default/cv-analytics-${Stage}-report"})

    def test_the_schedule_role_may_only_invoke_the_live_reporter(self):
        statements = list(role_statements(self.stack, "ReportScheduleRole"))
        self.assertEqual(statements, [{
            "Sid": "InvokeLiveReporter", "Effect": "Allow", "Action": "lambda:InvokeFunction",
            "Resource": {"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:"
                                    "function:cv-analytics-${Stage}-reporter:live"},
        }])
        # The very ARN the schedule targets.
        target = load("wiring.yaml")["Resources"]["DailyReportSchedule"]["Properties"]["Target"]
        self.assertEqual(target["Arn"], statements[0]["Resource"])

    def test_the_chatbot_may_only_send_to_the_queue(self):
        statements = self.stack["Resources"]["ProducerPolicy"]["Properties"]["PolicyDocument"]["Statement"]
        self.assertEqual([as_list(s["Action"]) for s in statements], [["sqs:SendMessage"]])


class SettingsMotoIgnores(unittest.TestCase):
    """moto accepts but ignores TTL and point-in-time recovery: assert them on the template."""

    def test_ttl_and_point_in_time_recovery(self):
        table = load("stack.yaml")["Resources"]["RecordsTable"]["Properties"]
        self.assertEqual(table["TimeToLiveSpecification"], {"AttributeName": "expiresAt", "Enabled": True})
        self.assertEqual(table["PointInTimeRecoverySpecification"], {"PointInTimeRecoveryEnabled": True})

    def test_queues_keep_events_14_days_and_queues_and_log_groups_say_what_happens_on_delete(self):
        resources = load("stack.yaml")["Resources"]
        for name in ("EventQueue", "DeadLetterQueue"):
            self.assertEqual(resources[name]["Properties"]["MessageRetentionPeriod"], 1209600, name)
        kinds = ("AWS::SQS::Queue", "AWS::Logs::LogGroup")
        checked = [name for name, r in resources.items() if r["Type"] in kinds]
        self.assertEqual(len(checked), 4)
        for name in checked:
            self.assertEqual(resources[name].get("DeletionPolicy"), "Delete", name)
            self.assertEqual(resources[name].get("UpdateReplacePolicy"), "Delete", name)

    def test_the_prod_table_is_kept_except_by_a_failed_first_create_and_protected(self):
        """`Retain` would also keep the table when the stack's first creation rolls back: every
        later deploy would fail on "already exists". `RetainExceptOnCreate` deletes it then only.
        UpdateReplacePolicy has no such option (Delete, Retain, Snapshot): a replacement keeps
        the old table. Deletion protection stops a direct DeleteTable (the deployer may call it)."""
        table = load("stack.yaml")["Resources"]["RecordsTable"]
        self.assertEqual(table["DeletionPolicy"], {"Fn::If": ["IsProd", "RetainExceptOnCreate", "Delete"]})
        self.assertEqual(table["UpdateReplacePolicy"], "Retain")
        self.assertEqual(table["Properties"]["DeletionProtectionEnabled"], {"Fn::If": ["IsProd", True, False]})

    def test_schedule_retries_and_trigger_settings(self):
        wiring = load("wiring.yaml")["Resources"]
        # Daily: Monday's run sends, the others find it sent and keep the alarm's data daily.
        self.assertEqual(wiring["DailyReportSchedule"]["Properties"]["ScheduleExpression"], "cron(0 7 * * ? *)")
        # Scheduler hands the event to Lambda within the hour Lambda itself keeps it, at most.
        self.assertEqual(wiring["DailyReportSchedule"]["Properties"]["Target"]["RetryPolicy"],
                         {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 10})
        retries = wiring["ReporterRetries"]["Properties"]
        self.assertEqual(retries["MaximumRetryAttempts"], 2)
        trigger = wiring["ProcessorTrigger"]["Properties"]
        self.assertEqual(trigger["BatchSize"], 10)
        self.assertEqual(trigger["FunctionResponseTypes"], ["ReportBatchItemFailures"])
        # The batches in flight are bounded, from the one place settings are set.
        self.assertEqual(trigger["ScalingConfig"], {"MaximumConcurrency": {"Ref": "ProcessorMaxConcurrency"}})
        limit = load("wiring.yaml")["Parameters"]["ProcessorMaxConcurrency"]
        self.assertEqual((limit["MinValue"], limit["MaxValue"]), (2, 1000))
        makefile = (ROOT / "Makefile").read_text()
        self.assertIn(f"PROCESSOR_MAX_CONCURRENCY ?= {limit['Default']}", makefile)


class ReportSchedule(unittest.TestCase):
    """The reporter's schedule: EventBridge Scheduler, daily at 07:00 in the owner's time zone
    (moto's CloudFormation skips AWS::Scheduler::Schedule: asserted on the template)."""

    def setUp(self):
        self.wiring = load("wiring.yaml")
        self.schedule = self.wiring["Resources"]["DailyReportSchedule"]

    def test_daily_at_seven_in_the_owners_time_zone_exactly(self):
        self.assertEqual(self.schedule["Type"], "AWS::Scheduler::Schedule")
        props = self.schedule["Properties"]
        self.assertEqual(props["Name"], {"Fn::Sub": "cv-analytics-${Stage}-report"})
        self.assertNotIn("GroupName", props)  # the default group, as the role's trust names it
        self.assertEqual(props["ScheduleExpression"], "cron(0 7 * * ? *)")
        self.assertEqual(props["ScheduleExpressionTimezone"], {"Ref": "ReportTimezone"})
        self.assertEqual(props["FlexibleTimeWindow"], {"Mode": "OFF"})
        self.assertEqual(props["State"], "ENABLED")
        self.assertTrue(props["Description"])
        zone = self.wiring["Parameters"]["ReportTimezone"]
        self.assertEqual((zone["Type"], zone["Default"]), ("String", "UTC"))
        self.assertIn("REPORT_TIMEZONE", zone["Description"])
        # The Makefile's default is the template's.
        self.assertIn(f"REPORT_TIMEZONE ?= {zone['Default']}", (ROOT / "Makefile").read_text())

    def test_the_target_is_the_live_reporter_with_the_stacks_role(self):
        target = self.schedule["Properties"]["Target"]
        self.assertEqual(target["Arn"], {"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:"
                                                     "function:cv-analytics-${Stage}-reporter:live"})
        self.assertEqual(target["RoleArn"], {"Ref": "ReportScheduleRoleArn"})
        self.assertIn("ReportScheduleRoleArn", load("stack.yaml")["Outputs"])

    def test_the_input_is_a_scheduled_event_with_the_scheduled_time(self):
        """What the reporter reads as a scheduled run: `detail-type` (or `source`) and `time`,
        which Scheduler fills in with the run's scheduled time, in UTC."""
        import json
        event = json.loads(self.schedule["Properties"]["Target"]["Input"])
        self.assertEqual(event, {"source": "aws.scheduler", "detail-type": "Scheduled Event",
                                 "time": "<aws.scheduler.scheduled-time>",
                                 "resources": ["<aws.scheduler.schedule-arn>"]})
        # The reporter's fixture (its tests and `make invoke-reporter`) is this input as Scheduler
        # fills it in.
        fixture = json.loads((ROOT / "reporter" / "events" / "scheduled.json").read_text())
        self.assertEqual(set(fixture), set(event))
        self.assertEqual((fixture["source"], fixture["detail-type"]), (event["source"], event["detail-type"]))
        self.assertRegex(fixture["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertRegex(fixture["resources"][0], r"^arn:aws:scheduler:[a-z0-9-]+:\d{12}:schedule/default/cv-analytics-dev-report$")

    def test_the_schedules_arn_is_built_not_read_and_nothing_is_left_of_the_rule(self):
        # moto skips the type: a GetAtt of it would fail the local stack.
        outputs = self.wiring["Outputs"]
        self.assertEqual(outputs["ReportScheduleArn"]["Value"], {"Fn::Sub": (
            "arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/default/cv-analytics-${Stage}-report")})
        self.assertNotIn("ReportRuleArn", outputs)
        kinds = {r["Type"] for r in self.wiring["Resources"].values()}
        self.assertFalse(kinds & {"AWS::Events::Rule", "AWS::Lambda::Permission"}, kinds)
        # A schedule cannot be tagged (the Tags test counts taggable resources only).
        self.assertFalse(taggable("AWS::Scheduler::Schedule"))


class Tags(unittest.TestCase):
    """Cost allocation: Project, Stage and the optional Owner on every resource CloudFormation can
    tag (the functions get the same tags from `cargo lambda deploy`, checked in the deploy flow)."""

    ALWAYS = [{"Key": "Project", "Value": "cv-analytics"}, {"Key": "Stage", "Value": {"Ref": "Stage"}}]
    # The whole list is conditional: moto does not drop an AWS::NoValue item from a list.
    EXPECTED = {"Fn::If": ["HasOwner", [*ALWAYS, {"Key": "Owner", "Value": {"Ref": "Owner"}}], ALWAYS]}

    def test_every_taggable_resource_carries_the_cost_allocation_tags(self):
        tagged = []
        for template in ("stack.yaml", "wiring.yaml"):
            for name, resource in load(template)["Resources"].items():
                if taggable(resource["Type"]):
                    self.assertEqual(resource["Properties"].get("Tags"), self.EXPECTED, f"{template}/{name}")
                    tagged.append(name)
        self.assertEqual(len(tagged), 16, tagged)

    def test_the_schema_check_tells_taggable_from_untaggable(self):
        self.assertTrue(taggable("AWS::SQS::Queue"))
        self.assertFalse(taggable("AWS::Lambda::Permission"))


class LiveAlias(unittest.TestCase):
    """The trigger, the schedule and its retries invoke each function's alias `live`."""

    def test_wiring_targets_the_live_alias(self):
        wiring = load("wiring.yaml")["Resources"]
        self.assertEqual(wiring["ProcessorTrigger"]["Properties"]["FunctionName"],
                         {"Fn::Sub": "cv-analytics-${Stage}-processor:live"})
        target = wiring["DailyReportSchedule"]["Properties"]["Target"]
        self.assertTrue(target["Arn"]["Fn::Sub"].endswith(":function:cv-analytics-${Stage}-reporter:live"))
        self.assertEqual(wiring["ReporterRetries"]["Properties"]["Qualifier"], "live")


class Moto:
    """A moto server on a free loopback port, stopped by PID."""

    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("moto did not start: run `make tools`")
                time.sleep(0.05)

    def client(self, service):
        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def stop(self):
        self.process.kill()
        self.process.wait()


def deploy(cloudformation, name, template, parameters, capabilities=()):
    cloudformation.create_stack(
        StackName=name,
        TemplateBody=(INFRA / template).read_text(),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=list(capabilities),
    )
    cloudformation.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig={"Delay": 1})
    stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


class StackOnEmulator(unittest.TestCase):
    """stack.yaml deployed into moto's CloudFormation, and what it made, described."""

    @classmethod
    def setUpClass(cls):
        cls.moto = Moto()
        cls.outputs = deploy(
            cls.moto.client("cloudformation"), "cv-analytics-dev", "stack.yaml",
            {"Stage": "dev", "QueueVisibilityTimeoutSeconds": "180", "ReportSender": "reports@example.dev"},
            capabilities=["CAPABILITY_NAMED_IAM"],
        )

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def test_queues_fifo_with_redrive_after_five_receives(self):
        sqs = self.moto.client("sqs")
        names = ["FifoQueue", "ContentBasedDeduplication", "VisibilityTimeout", "RedrivePolicy", "QueueArn",
                 "DeduplicationScope", "FifoThroughputLimit"]
        queue = sqs.get_queue_attributes(QueueUrl=self.outputs["QueueUrl"], AttributeNames=names)["Attributes"]
        self.assertEqual(queue["FifoQueue"], "true")
        # High-throughput mode: the quota per message group, not per queue.
        self.assertEqual((queue["DeduplicationScope"], queue["FifoThroughputLimit"]),
                         ("messageGroup", "perMessageGroupId"))
        self.assertEqual(queue["ContentBasedDeduplication"], "true")
        self.assertEqual(queue["VisibilityTimeout"], "180")
        self.assertIn('"maxReceiveCount": 5', queue["RedrivePolicy"].replace('"5"', "5"))
        self.assertIn(self.outputs["DeadLetterQueueArn"], queue["RedrivePolicy"])
        dlq = sqs.get_queue_attributes(QueueUrl=self.outputs["DeadLetterQueueUrl"], AttributeNames=["All"])["Attributes"]
        self.assertEqual(dlq["FifoQueue"], "true")
        self.assertEqual(dlq["MessageRetentionPeriod"], "1209600")

    def test_table_keys_and_no_index_by_default(self):
        table = self.moto.client("dynamodb").describe_table(TableName=self.outputs["TableName"])["Table"]
        self.assertEqual(table["TableName"], "cv-analytics-dev-records")
        self.assertEqual(table["KeySchema"], [{"AttributeName": "pk", "KeyType": "HASH"}])
        self.assertEqual(table["AttributeDefinitions"], [{"AttributeName": "pk", "AttributeType": "S"}])
        self.assertEqual(table["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST")
        self.assertEqual(table.get("GlobalSecondaryIndexes", []), [])
        self.assertEqual(self.outputs["WeekLookup"], "scan")

    def test_week_lookup_index_adds_the_week_index_with_the_keys_and_queryts(self):
        outputs = deploy(
            self.moto.client("cloudformation"), "cv-analytics-prod", "stack.yaml",
            {"Stage": "prod", "QueueVisibilityTimeoutSeconds": "180", "ReportSender": "reports@example.dev",
             "WeekLookup": "index"},
            capabilities=["CAPABILITY_NAMED_IAM"],
        )
        self.assertEqual(outputs["WeekLookup"], "index")
        table = self.moto.client("dynamodb").describe_table(TableName=outputs["TableName"])["Table"]
        [index] = table["GlobalSecondaryIndexes"]
        self.assertEqual(index["IndexName"], "week-index")
        self.assertEqual(index["KeySchema"], [{"AttributeName": "week", "KeyType": "HASH"}])
        self.assertEqual(index["Projection"], {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["queryTs"]})

    def test_outputs_name_everything_the_deploy_needs(self):
        expected = {
            "QueueUrl", "QueueArn", "DeadLetterQueueUrl", "DeadLetterQueueArn", "TableName", "TableArn",
            "ProcessorRoleArn", "ReporterRoleArn", "ReportScheduleRoleArn", "ProcessorFunctionName", "ReporterFunctionName",
            "ProducerPolicyArn", "MaintainerPolicyArn", "AlarmTopicArn", "WeekLookup",
        }
        self.assertEqual(set(self.outputs), expected)
        self.assertEqual(self.outputs["ProcessorFunctionName"], "cv-analytics-dev-processor")
        self.assertEqual(self.outputs["ReportScheduleRoleArn"], "arn:aws:iam::123456789012:role/cv-analytics-dev-report-schedule")

    def test_the_schedule_role_trusts_this_stages_schedule_only(self):
        role = self.moto.client("iam").get_role(RoleName="cv-analytics-dev-report-schedule")["Role"]
        [trust] = role["AssumeRolePolicyDocument"]["Statement"]
        self.assertEqual(trust["Principal"], {"Service": "scheduler.amazonaws.com"})
        self.assertEqual(trust["Condition"], {"StringEquals": {
            "aws:SourceAccount": "123456789012",
            "aws:SourceArn": "arn:aws:scheduler:us-east-1:123456789012:schedule/default/cv-analytics-dev-report"}})

    def test_every_resource_was_created_except_the_types_moto_skips(self):
        template = load("stack.yaml")["Resources"]
        created = {
            r["LogicalResourceId"]
            for r in self.moto.client("cloudformation").list_stack_resources(
                StackName="cv-analytics-dev")["StackResourceSummaries"]
        }
        # The alarm email subscription is conditional (no AlarmEmail given here).
        expected = {name for name, r in template.items() if name != "AlarmSubscription"}
        skipped = {template[name]["Type"] for name in expected - created}
        self.assertEqual(skipped, MOTO_SKIPS, "moto skipped other resource types than known")


# Resource types moto's CloudFormation accepts but does not create: asserted on the template.
MOTO_SKIPS = {"AWS::CloudWatch::Alarm"}


class Alarms(unittest.TestCase):
    """The alarms, on the template (moto's CloudFormation skips AWS::CloudWatch::Alarm)."""

    def test_each_alarm_watches_what_it_says_and_notifies_the_topic(self):
        resources = load("stack.yaml")["Resources"]
        alarms = {name: r["Properties"] for name, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
        watched = {
            name: (p.get("Namespace"), p.get("MetricName"), p["ComparisonOperator"], p["Threshold"], p["TreatMissingData"])
            for name, p in alarms.items()
        }
        self.assertEqual(watched, {
            "DeadLetterQueueNotEmptyAlarm": ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "GreaterThanThreshold", 0, "notBreaching"),
            "ProcessorErrorsAlarm": ("AWS/Lambda", "Errors", "GreaterThanThreshold", 0, "notBreaching"),
            "ReporterErrorsAlarm": (None, None, "GreaterThanThreshold", 0, "notBreaching"),
            "NoReportAlarm": ("CvAnalytics", "ReportUpToDate", "LessThanThreshold", 1, "missing"),
            "ReportUnconfirmedAlarm": ("CvAnalytics", "ReportsUnconfirmed", "GreaterThanThreshold", 0, "notBreaching"),
            "PipelineSilentAlarm": ("CvAnalytics", "RequestsStored", "LessThanThreshold", 1, "missing"),
        })
        for name, props in alarms.items():
            self.assertEqual(props["AlarmActions"], [{"Ref": "AlarmTopic"}], name)
            periods = props["EvaluationPeriods"]
            if isinstance(periods, int) and "Period" in props:
                # CloudWatch evaluates at most 7 days (Period x EvaluationPeriods <= 604,800 s).
                self.assertLessEqual(props["Period"] * periods, 7 * 86400, name)
        silent_days = load("stack.yaml")["Parameters"]["SilentDays"]
        self.assertLessEqual(alarms["PipelineSilentAlarm"]["Period"] * silent_days["MaxValue"], 7 * 86400)

    def test_a_fresh_stage_is_quiet_and_a_daily_cadence_cannot_flap(self):
        """The "nothing happened" alarms watch metrics a fresh stage does not have: with missing
        data left missing, a new alarm stays in INSUFFICIENT_DATA, and actions run only on a
        change of state, so nothing is sent until the first data point. After that, a whole
        evaluation range without data is a change to INSUFFICIENT_DATA, which notifies. The
        reporter runs daily, so its alarm's range (2 days) always holds a run unless runs stop."""
        resources = load("stack.yaml")["Resources"]
        for name in ("NoReportAlarm", "PipelineSilentAlarm"):
            props = resources[name]["Properties"]
            self.assertEqual(props["TreatMissingData"], "missing", name)
            self.assertEqual(props["InsufficientDataActions"], [{"Ref": "AlarmTopic"}], name)
            self.assertEqual(props["DatapointsToAlarm"], props["EvaluationPeriods"], name)
        # An alarm whose missing data is not breaching goes to OK as soon as it is created: an
        # OK action would notify on every fresh stage.
        for name, resource in resources.items():
            props = resource.get("Properties", {})
            if resource["Type"] == "AWS::CloudWatch::Alarm" and props["TreatMissingData"] == "notBreaching":
                self.assertNotIn("OKActions", props, name)
        no_report = resources["NoReportAlarm"]["Properties"]
        schedule = load("wiring.yaml")["Resources"]["DailyReportSchedule"]["Properties"]["ScheduleExpression"]
        runs_every = 86400 if schedule == "cron(0 7 * * ? *)" else None
        self.assertIsNotNone(runs_every, schedule)
        self.assertEqual(no_report["Statistic"], "Maximum")  # a dry run's 0 never hides a real run's 1
        self.assertGreaterEqual(no_report["Period"] * no_report["EvaluationPeriods"], 2 * runs_every)

    def test_reporter_errors_leave_out_runs_that_found_a_claim(self):
        props = load("stack.yaml")["Resources"]["ReporterErrorsAlarm"]["Properties"]
        metrics = {m["Id"]: m for m in props["Metrics"]}
        self.assertEqual(metrics["failures"]["Expression"], "FILL(errors, 0) - FILL(claimed, 0)")
        self.assertEqual(metrics["errors"]["MetricStat"]["Metric"]["MetricName"], "Errors")
        self.assertEqual(metrics["claimed"]["MetricStat"]["Metric"]["MetricName"], "ReportsSkippedInProgress")
        self.assertEqual(metrics["errors"]["MetricStat"]["Period"], metrics["claimed"]["MetricStat"]["Period"])

    def test_alarms_on_the_functions_own_metrics_name_what_the_functions_write(self):
        """The EMF contract is shared-types/src/metrics.rs: its namespace, its one dimension
        (Stage) and its metric names must be what these alarms watch."""
        contract = (ROOT / "shared-types" / "src" / "metrics.rs").read_text()
        constants = dict(re.findall(r'pub const (\w+): &str = "([^"]+)";', contract))
        written = set(constants.values())
        resources = load("stack.yaml")["Resources"]
        own = []
        for r in resources.values():
            if r["Type"] != "AWS::CloudWatch::Alarm":
                continue
            props = r["Properties"]
            own += [props] if props.get("Namespace") == constants["NAMESPACE"] else []
            own += [m["MetricStat"]["Metric"] for m in props.get("Metrics", [])
                    if "MetricStat" in m and m["MetricStat"]["Metric"]["Namespace"] == constants["NAMESPACE"]]
        self.assertEqual(len(own), 4)
        for props in own:
            self.assertIn(props["MetricName"], written)
            self.assertEqual(props["Dimensions"], [{"Name": constants["STAGE_DIMENSION"], "Value": {"Ref": "Stage"}}])


if __name__ == "__main__":
    unittest.main()
