"""IAM as AWS evaluates it: every AWS call the maintainer command (`cv-analytics`), the deploy
(its code in ops/src/deploy, cargo-lambda, and CloudFormation's handlers on the deployer's behalf), the reporter,
the processor and the report schedule (EventBridge Scheduler, with its role) make, evaluated against the policy that grants it, with the action and the
resource ARN AWS authorizes for that call.

The evaluator is @cloud-copilot/iam-simulate (npm, pinned in dev/tools.sh and installed into
target/tools/iam-simulate by `make tools`; AGPL-3.0, used only as a test tool, not shipped): AWS's
policy evaluation logic (docs.aws.amazon.com/IAM/latest/UserGuide/
reference_policies_evaluation-logic.html): Action and NotAction, Resource and NotResource with
their wildcards, every condition operator (ForAllValues, ArnLike, ...), an explicit Deny over any
Allow. It also refuses an action IAM does not have, and a resource ARN that is no resource type of
the action, so a wrong ARN in the table below fails too. `iam_simulate.js` is the bridge.

One thing is adapted: a call by name authorizes a literal `*` in the ARN (DescribeStacks on
`cv-analytics-dev` is checked against `arn:aws:cloudformation:<region>:<account>:stack/
cv-analytics-dev/*`; aws-cdk#7319 and aws-parallelcluster#754 show the error naming it). IAM
matches the policy's patterns against that string, so only a policy wildcard matches the `*`;
iam-simulate reads a `*` in a request as "any of these" (a what-if), under which a policy naming
one stack id would match. The test writes that literal `*` as LITERAL_STAR, a character no ARN
holds, which only a policy's wildcard matches, as in IAM.

The calls are in one table, CALLS, below; the scans of test_templates and test_deployer (the code's
SDK calls, the deploy's, cargo-lambda's, the registry's handler permissions) hold the
table to the code: an action they find that the table has no row for fails.

Run by `make test` (python -m unittest discover); needs node and `make tools`.
"""

import functools
import json
import pathlib
import re
import subprocess
import unittest
from dataclasses import dataclass, field

from infrastructure.tests import test_deployer as deployer
from infrastructure.tests import test_templates as templates

ROOT = templates.ROOT
BRIDGE = pathlib.Path(__file__).with_name("iam_simulate.js")
PARTITION, REGION, ACCOUNT = deployer.PARTITION, deployer.REGION, deployer.ACCOUNT
LITERAL_STAR = "\u2217"
SENDER, SENDER_DOMAIN, RECIPIENT = "reports@mail.example.dev", "example.dev", "owner@example.dev"
CONFIGURATION_SET = "cv-analytics-reports"
PRINCIPAL = f"arn:{PARTITION}:iam::{ACCOUNT}:role/caller"
WEEK_KEY = "REPORT#2025-W46"


# ---------------------------------------------------------------------------------------------
# The templates' policies, rendered as CloudFormation would for one set of parameters.

class Renderer:
    """Fn::Sub, Ref, Fn::GetAtt (Arn), Fn::If and the template's conditions, for the resources
    and parameters the policies name."""

    NO_VALUE = object()

    def __init__(self, name, parameters):
        self.template = templates.load(name)
        defaults = {k: str(v.get("Default", "")) for k, v in self.template.get("Parameters", {}).items()}
        self.stage = parameters["Stage"]
        self.names = {**defaults, **parameters, "AWS::Partition": PARTITION, "AWS::Region": REGION,
                      "AWS::AccountId": ACCOUNT,
                      "AWS::StackId": f"arn:{PARTITION}:cloudformation:{REGION}:{ACCOUNT}:stack/"
                                      f"cv-analytics-{self.stage}/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"}

    def condition(self, name):
        return self.evaluate_condition(self.template["Conditions"][name])

    def evaluate_condition(self, value):
        [(function, args)] = value.items()
        if function == "Fn::Equals":
            left, right = (self.value(a) for a in args)
            return str(left) == str(right)
        if function == "Fn::Not":
            return not self.evaluate_condition(args[0])
        if function == "Fn::And":
            return all(self.evaluate_condition(a) for a in args)
        if function == "Fn::Or":
            return any(self.evaluate_condition(a) for a in args)
        if function == "Condition":
            return self.condition(args)
        raise AssertionError(f"condition {value}")

    def ref(self, name):
        if name in self.names:
            return self.names[name]
        if name == "AWS::NoValue":
            return self.NO_VALUE
        resource = self.template["Resources"][name]
        if resource["Type"] == "AWS::Logs::LogGroup":
            return self.value(resource["Properties"]["LogGroupName"])
        raise AssertionError(f"Ref {name}")

    def arn(self, name):
        props = self.template["Resources"][name]["Properties"]
        base = f"arn:{PARTITION}:{{}}:{REGION}:{ACCOUNT}:"
        return {
            "AWS::SQS::Queue": lambda: base.format("sqs") + self.value(props["QueueName"]),
            "AWS::DynamoDB::Table": lambda: base.format("dynamodb") + "table/" + self.value(props["TableName"]),
            "AWS::Logs::LogGroup": lambda: base.format("logs") + "log-group:" + self.value(props["LogGroupName"]) + ":*",
        }[self.template["Resources"][name]["Type"]]()

    def sub(self, text):
        def one(match):
            key = match.group(1)
            if key.endswith(".Arn"):
                return self.arn(key[:-4])
            return str(self.ref(key))
        return re.sub(r"\$\{([^}!]+)\}", one, text)

    def value(self, value):
        if isinstance(value, list):
            return [v for v in (self.value(i) for i in value) if v is not self.NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            [(key, args)] = value.items()
            if key == "Ref":
                return self.ref(args)
            if key == "Fn::Sub":
                return self.sub(args)
            if key == "Fn::GetAtt":
                assert args[1] == "Arn", value
                return self.arn(args[0])
            if key == "Fn::If":
                name, yes, no = args
                return self.value(yes if self.condition(name) else no)
        return {k: v for k, v in ((k, self.value(v)) for k, v in value.items()) if v is not self.NO_VALUE}

    def document(self, resource, policy_index=None):
        props = self.template["Resources"][resource]["Properties"]
        document = props["PolicyDocument"] if policy_index is None else props["Policies"][policy_index]["PolicyDocument"]
        return self.value(document)


@dataclass(frozen=True)
class Setting:
    """A stage's parameters that change what the policies allow."""
    stage: str = "dev"
    week_lookup: str = "scan"
    configuration_set: str = ""

    def stack(self):
        return {"Stage": self.stage, "QueueVisibilityTimeoutSeconds": "180", "ReportSender": SENDER,
                "WeekLookup": self.week_lookup, "SesConfigurationSet": self.configuration_set}


SETTINGS = (Setting(), Setting(week_lookup="index"), Setting(configuration_set=CONFIGURATION_SET),
            Setting(stage="prod", week_lookup="index", configuration_set=CONFIGURATION_SET))


def policies(caller, setting):
    """The identity policies the caller holds: the function's role, the maintainers' policy, or
    the deployer's two."""
    stack = Renderer("stack.yaml", setting.stack())
    if caller == "processor":
        return [stack.document("ProcessorRole", 0)]
    if caller == "reporter":
        return [stack.document("ReporterRole", 0)]
    if caller == "scheduler":
        return [stack.document("ReportScheduleRole", 0)]
    if caller == "maintainer":
        return [stack.document("MaintainerPolicy")]
    if caller == "deployer":
        own = Renderer("deployer.yaml", {"Stage": setting.stage, "GitHubRepository": "example/cv-analytics"})
        return [own.document(p) for p in deployer.POLICIES]
    raise AssertionError(caller)


# ---------------------------------------------------------------------------------------------
# The calls. Each: who makes it, the IAM action, the resource ARN AWS authorizes (a template on
# ARNS below), the request's condition keys, which settings it happens in, and where it is made.

@dataclass(frozen=True)
class Call:
    callers: tuple
    action: str
    resource: str
    context: dict = field(default_factory=dict, hash=False)
    when: object = None  # a predicate on Setting, or None: always
    source: str = ""


def arns(setting):
    s = setting.stage
    base = f"arn:{PARTITION}:{{}}:{REGION}:{ACCOUNT}:"
    function = base.format("lambda") + f"function:cv-analytics-{s}-"
    return {
        # By name: the literal `*` IAM authorizes (see the module's doc).
        "stack": base.format("cloudformation") + f"stack/cv-analytics-{s}/{LITERAL_STAR}",
        "wiring": base.format("cloudformation") + f"stack/cv-analytics-{s}-wiring/{LITERAL_STAR}",
        "table": base.format("dynamodb") + f"table/cv-analytics-{s}-records",
        "index": base.format("dynamodb") + f"table/cv-analytics-{s}-records/index/week-index",
        "queue": base.format("sqs") + f"cv-analytics-{s}-events.fifo",
        "dlq": base.format("sqs") + f"cv-analytics-{s}-dlq.fifo",
        "processor": function + "processor",
        "processor:live": function + "processor:live",
        "processor:version": function + "processor:7",
        "reporter": function + "reporter",
        "reporter:live": function + "reporter:live",
        "reporter:version": function + "reporter:7",
        "processor-role": f"arn:{PARTITION}:iam::{ACCOUNT}:role/cv-analytics-{s}-processor",
        "reporter-role": f"arn:{PARTITION}:iam::{ACCOUNT}:role/cv-analytics-{s}-reporter",
        "schedule-role": f"arn:{PARTITION}:iam::{ACCOUNT}:role/cv-analytics-{s}-report-schedule",
        "processor-stream": base.format("logs") + f"log-group:/aws/lambda/cv-analytics-{s}-processor:log-stream:"
                                                 "2025/11/17/[$LATEST]0123456789abcdef",
        "reporter-stream": base.format("logs") + f"log-group:/aws/lambda/cv-analytics-{s}-reporter:log-stream:"
                                                "2025/11/17/[$LATEST]0123456789abcdef",
        "sender": base.format("ses") + f"identity/{SENDER}",
        "sender-domain": base.format("ses") + f"identity/{SENDER_DOMAIN}",
        "recipient": base.format("ses") + f"identity/{RECIPIENT}",
        "configuration-set": base.format("ses") + f"configuration-set/{CONFIGURATION_SET}",
        "any": "*",
        "a-user": f"arn:{PARTITION}:iam::{ACCOUNT}:user/chatbot",
        "a-group": f"arn:{PARTITION}:iam::{ACCOUNT}:group/maintainers",
        "a-role": f"arn:{PARTITION}:iam::{ACCOUNT}:role/maintainer",
    }


def index(setting):
    return setting.week_lookup == "index"


def scan(setting):
    return setting.week_lookup == "scan"


def with_configuration_set(setting):
    return bool(setting.configuration_set)


OPS = ("maintainer", "deployer")
SEND = {"ses:FromAddress": SENDER}
MARKER = {"dynamodb:LeadingKeys": [WEEK_KEY]}
TO_LAMBDA = {"iam:PassedToService": "lambda.amazonaws.com"}
TO_SCHEDULER = {"iam:PassedToService": "scheduler.amazonaws.com"}

CALLS = [
    # The processor (processor/src), and Lambda's SQS trigger with the processor's role.
    Call(("processor",), "dynamodb:UpdateItem", "table", source="processor: the merge"),
    Call(("processor",), "sqs:SendMessage", "dlq", source="processor: poison to the dead-letter queue"),
    *(Call(("processor",), a, "queue", source="the SQS trigger, with the processor's role")
      for a in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")),
    *(Call(("processor",), a, "processor-stream", source="Lambda's logs") for a in ("logs:CreateLogStream", "logs:PutLogEvents")),
    # The reporter (reporter/src/aws).
    Call(("reporter",), "dynamodb:Scan", "table", when=scan, source="reporter: dynamo/source, WEEK_LOOKUP=scan"),
    Call(("reporter",), "dynamodb:Query", "index", when=index, source="reporter: dynamo/source, WEEK_LOOKUP=index"),
    Call(("reporter",), "dynamodb:BatchGetItem", "table", source="reporter: dynamo/source"),
    *(Call(("reporter",), a, "table", MARKER, source="reporter: dynamo/ledger, the week's marker")
      for a in ("dynamodb:UpdateItem", "dynamodb:DeleteItem")),
    # SES authorizes a send on each identity it involves: the sender's address, or its domain
    # where the domain is the verified identity, and each recipient's in the sandbox.
    *(Call(("reporter",), "ses:SendEmail", r, SEND, source="reporter: aws/ses")
      for r in ("sender", "sender-domain", "recipient")),
    Call(("reporter",), "ses:SendEmail", "configuration-set", SEND, when=with_configuration_set,
         source="reporter: aws/ses, with SES_CONFIGURATION_SET"),
    *(Call(("reporter",), a, "reporter-stream", source="Lambda's logs") for a in ("logs:CreateLogStream", "logs:PutLogEvents")),
    # EventBridge Scheduler's daily run (wiring.yaml's DailyReportSchedule), with the schedule's role.
    Call(("scheduler",), "lambda:InvokeFunction", "reporter:live", source="the report schedule"),
    # cv-analytics (ops/src), as a maintainer or as the deployer (make deploy ends with verify).
    Call(OPS, "cloudformation:DescribeStacks", "stack", source="ops: stack.rs, by name"),
    *(Call(OPS, a, "dlq", source="ops: dlq list, redrive; status")
      for a in ("sqs:GetQueueAttributes", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility")),
    Call(OPS, "sqs:SendMessage", "queue", source="ops: redrive, verify's canary"),
    Call(OPS, "sqs:GetQueueAttributes", "queue", source="ops: status"),
    *(Call(OPS, a, "table", source="ops: verify's record") for a in ("dynamodb:GetItem", "dynamodb:DeleteItem")),
    Call(OPS, "dynamodb:Scan", "table", when=scan, source="ops: status's week counts"),
    Call(OPS, "dynamodb:Query", "index", when=index, source="ops: status's week counts"),
    Call(OPS, "lambda:InvokeFunction", "reporter:live", source="ops: backfill"),
    *(Call(OPS, a, f"{f}:live", source="ops: status, rollback") for a in ("lambda:GetAlias", "lambda:UpdateAlias")
      for f in ("processor", "reporter")),
    *(Call(OPS, "lambda:ListVersionsByFunction", f, source="ops: status, rollback") for f in ("processor", "reporter")),
    Call(OPS, "lambda:ListEventSourceMappings", "any", source="ops: verify, the trigger's state"),
    Call(OPS, "lambda:GetFunctionConfiguration", "reporter:live", source="ops: verify, the reporter's addresses and REPORT_TIMEZONE; status, the zone"),
    *(Call(OPS, "ses:GetEmailIdentity", r, source="ops: verify, the address then its domain")
      for r in ("sender", "sender-domain", "recipient")),
    Call(OPS, "ses:GetAccount", "any", source="ops: verify, sandbox and quota"),
    Call(OPS, "ses:GetConfigurationSet", "configuration-set", when=with_configuration_set,
         source="ops: verify, the reporter's SES_CONFIGURATION_SET"),
    # The deploy's code (ops/src/deploy), by stack name.
    *(Call(("deployer",), a, s, source="ops deploy/stacks.rs, destroy.rs")
      for a in ("cloudformation:CreateStack", "cloudformation:UpdateStack", "cloudformation:DeleteStack",
                "cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents") for s in ("stack", "wiring")),
    *(Call(("deployer",), a, "stack", source="ops deploy/import_table.rs: the import's change set")
      for a in ("cloudformation:CreateChangeSet", "cloudformation:DescribeChangeSet", "cloudformation:ExecuteChangeSet")),
    Call(("deployer",), "dynamodb:DescribeTable", "table", source="ops deploy/checks.rs, import_table.rs: the kept table"),
    Call(("deployer",), "sqs:GetQueueAttributes", "dlq", source="ops deploy/destroy.rs: dead letters left"),
    *(Call(("deployer",), a, f, source="ops deploy/functions.rs, retry.rs, destroy.rs")
      for a in ("lambda:DeleteFunction", "lambda:GetFunction", "lambda:GetFunctionConfiguration", "lambda:ListTags",
                "lambda:UntagResource", "lambda:UpdateFunctionConfiguration") for f in ("processor", "reporter")),
    *(Call(("deployer",), "lambda:GetAlias", f"{f}:live", source="ops deploy/checks.rs, functions.rs") for f in ("processor", "reporter")),
    # cargo lambda deploy 1.9.2 (test_deployer.CARGO_LAMBDA_CALLS), on each function.
    *(Call(("deployer",), a, f, source="cargo lambda deploy")
      for a in ("lambda:GetFunction", "lambda:CreateFunction", "lambda:UpdateFunctionConfiguration",
                "lambda:UpdateFunctionCode", "lambda:PublishVersion", "lambda:TagResource")
      for f in ("processor", "reporter")),
    *(Call(("deployer",), a, f"{f}:live", source="cargo lambda deploy: the alias, its wait")
      for a in ("lambda:GetFunctionConfiguration", "lambda:GetAlias", "lambda:CreateAlias", "lambda:UpdateAlias")
      for f in ("processor", "reporter")),
    *(Call(("deployer",), "iam:PassRole", r, TO_LAMBDA, source="cargo lambda deploy --iam-role")
      for r in ("processor-role", "reporter-role")),
    # CloudFormation's handlers on the deployer's behalf, for what the registry's handler
    # permissions authorize on another ARN than the resource's own (the rest: handler_calls).
    # The table's read handler describes each global secondary index's contributor insights, on
    # the index's ARN.
    Call(("deployer",), "dynamodb:DescribeContributorInsights", "index", when=index,
         source="CloudFormation's AWS::DynamoDB::Table handler, per index"),
    # The schedule's handler hands the schedule its role (Target.RoleArn), on create and update.
    Call(("deployer",), "iam:PassRole", "schedule-role", TO_SCHEDULER,
         source="CloudFormation's AWS::Scheduler::Schedule handler"),
    # Deleting a managed policy detaches it from whoever has it (the chatbot's and the
    # maintainers' users, groups, roles): authorized on them, with the policy's ARN.
    *(Call(("deployer",), a, r, {"iam:PolicyARN": p}, source="CloudFormation's AWS::IAM::ManagedPolicy handler")
      for a, r in (("iam:DetachUserPolicy", "a-user"), ("iam:DetachGroupPolicy", "a-group"),
                   ("iam:DetachRolePolicy", "a-role"))
      for p in ("producer-policy", "maintainer-policy")),
]


# Handler permissions, per resource type, that need a condition key in the request (the
# deployer's policy narrows them by it), with the value CloudFormation's call carries.
HANDLER_CONTEXT = {
    "lambda:CreateEventSourceMapping": lambda s: {"lambda:FunctionArn": arns(s)["processor:live"]},
    "lambda:UpdateEventSourceMapping": lambda s: {"lambda:FunctionArn": arns(s)["processor:live"]},
    "lambda:DeleteEventSourceMapping": lambda s: {"lambda:FunctionArn": arns(s)["processor:live"]},
}


def handler_calls(setting):
    """What CloudFormation calls for each resource of stack.yaml and wiring.yaml (test_deployer's
    handler permissions less unused features), on the resource's ARN; `*` for an action with no
    resource type. For a retired resource (test_deployer.RETIRED), its delete handler's only."""
    needed = deployer.handler_actions()
    resources = [(logical_id, resource["Type"], deployer.arn_of(template, logical_id),
                  deployer.HANDLER_PERMISSIONS[resource["Type"]].values())
                 for template, logical_id, resource in deployer.stage_resources()]
    resources += [(logical_id, kind, arn, [deployer.retired_deletes(kind)])
                  for _, logical_id, kind, arn in deployer.retired_resources()]
    calls = []
    for logical_id, kind, arn, handlers in resources:
        if kind == "AWS::SNS::Subscription":
            # SNS authorizes a subscription's calls on its topic (the only resource type IAM
            # lists for them).
            arn = arn.rsplit(":", 1)[0]
        arn = arn.replace(f"-{deployer.STAGE}", f"-{setting.stage}")
        for permissions in handlers:
            for action in permissions:
                if action not in needed:
                    continue
                patterns = deployer.arn_patterns(action)
                if not patterns:
                    target = "*"
                elif any(re.fullmatch(p, arn) for p in patterns):
                    target = arn
                else:
                    continue
                context = HANDLER_CONTEXT.get(action, lambda s: {})(setting)
                calls.append((action, target, context, f"CloudFormation: {kind} {logical_id}"))
    return sorted(set((a, t, json.dumps(c), s) for a, t, c, s in calls))


def requests(setting, caller):
    """[(action, resource ARN, context, source)] of the caller's calls in this setting."""
    names = arns(setting)
    policy = f"arn:{PARTITION}:iam::{ACCOUNT}:policy/cv-analytics-{setting.stage}-"
    names = {**names, "producer-policy": policy + "producer", "maintainer-policy": policy + "maintainer"}
    rows = [(c.action, names[c.resource], {k: names.get(v, v) if isinstance(v, str) else v for k, v in c.context.items()},
             c.source) for c in CALLS if caller in c.callers and (c.when is None or c.when(setting))]
    if caller == "deployer":
        rows += [(a, t, json.loads(c), s) for a, t, c, s in handler_calls(setting)]
    return rows


def evaluate(simulations):
    """iam-simulate's answers, in order ("Allowed", "ImplicitlyDenied", "ExplicitlyDenied", or
    "Error" with its errors)."""
    run = subprocess.run(["node", str(BRIDGE)], input=json.dumps(simulations), capture_output=True, text=True,
                         cwd=ROOT, timeout=300)
    if run.returncode != 0:
        raise AssertionError(f"iam_simulate.js failed (run `make tools`): {run.stderr}")
    return json.loads(run.stdout)


def simulation(policy_documents, action, resource, context):
    return {
        "request": {"principal": PRINCIPAL, "action": action,
                    "resource": {"resource": resource, "accountId": ACCOUNT}, "contextVariables": context},
        "identityPolicies": [{"name": f"policy{i}", "policy": p} for i, p in enumerate(policy_documents)],
        "serviceControlPolicies": [], "resourceControlPolicies": [],
    }


@functools.lru_cache(maxsize=None)
def verdicts():
    """{(setting, caller, action, resource, source): answer} for every call in every setting."""
    keys, simulations = [], []
    for setting in SETTINGS:
        for caller in ("processor", "reporter", "scheduler", "maintainer", "deployer"):
            documents = policies(caller, setting)
            for action, resource, context, source in requests(setting, caller):
                keys.append((setting, caller, action, resource, source))
                simulations.append(simulation(documents, action, resource, context))
    return dict(zip(keys, evaluate(simulations)))


class EveryCallIsAllowed(unittest.TestCase):
    maxDiff = None

    def test_every_call_is_allowed_by_the_policy_that_grants_it(self):
        refused = [f"{s.stage}/{s.week_lookup}/{s.configuration_set or 'no set'} {caller}: {action} on "
                   f"{resource.replace(LITERAL_STAR, '*')} ({source}): {answer['result']}"
                   f"{' ' + json.dumps(answer['errors']) if answer['errors'] else ''}"
                   for (s, caller, action, resource, source), answer in verdicts().items()
                   if answer["result"] != "Allowed"]
        self.assertEqual(refused, [], "\n".join(refused))
        self.assertGreater(len(verdicts()), 200)


class TheTemplatesConditionsHold(unittest.TestCase):
    """The conditions of the templates' statements, evaluated: a call outside them is refused."""

    def test_outside_its_conditions_a_call_is_refused(self):
        setting, names = Setting(), arns(Setting())
        policy = f"arn:{PARTITION}:iam::{ACCOUNT}:policy/"
        refused = [
            ("reporter", "ses:SendEmail", names["sender"], {"ses:FromAddress": "someone@example.dev"}),
            ("reporter", "dynamodb:UpdateItem", names["table"], {"dynamodb:LeadingKeys": ["REQ#1"]}),
            ("deployer", "iam:PassRole", names["processor-role"], {"iam:PassedToService": "ec2.amazonaws.com"}),
            # Each role to its own service only.
            ("deployer", "iam:PassRole", names["processor-role"], TO_SCHEDULER),
            ("deployer", "iam:PassRole", names["schedule-role"], TO_LAMBDA),
            # The schedule's role invokes the live reporter, nothing else.
            ("scheduler", "lambda:InvokeFunction", names["processor:live"], {}),
            ("scheduler", "lambda:InvokeFunction", names["processor"], {}),
            ("scheduler", "lambda:InvokeFunction", names["reporter"], {}),
            ("scheduler", "lambda:InvokeFunction", names["reporter:version"], {}),
            # The retired rule may be deleted, not made again.
            ("deployer", "events:PutRule", f"arn:{PARTITION}:events:{REGION}:{ACCOUNT}:rule/cv-analytics-dev-report", {}),
            ("deployer", "lambda:AddPermission", names["reporter:live"], {}),
            ("deployer", "iam:DetachUserPolicy", names["a-user"], {"iam:PolicyARN": policy + "AdministratorAccess"}),
            ("deployer", "lambda:UpdateEventSourceMapping",
             f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT}:event-source-mapping:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
             {"lambda:FunctionArn": f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT}:function:other"}),
            ("maintainer", "cloudformation:DescribeStacks",
             f"arn:{PARTITION}:cloudformation:{REGION}:{ACCOUNT}:stack/cv-analytics-prod/{LITERAL_STAR}", {}),
        ]
        answers = evaluate([simulation(policies(caller, setting), a, r, c) for caller, a, r, c in refused])
        self.assertEqual([a["result"] for a in answers], ["ImplicitlyDenied"] * len(refused),
                         list(zip(refused, answers)))


class TheTableHoldsEveryCall(unittest.TestCase):
    """The table against the scans of the code: every action found has a row for its caller."""

    def rows(self, caller):
        return {c.action for c in CALLS if caller in c.callers}

    def test_the_functions_calls(self):
        for crate in ("processor", "reporter"):
            self.assertEqual(templates.sdk_actions(crate) | templates.TRIGGER_ACTIONS.get(f"{crate.capitalize()}Role", set()),
                             self.rows(crate) - {"logs:CreateLogStream", "logs:PutLogEvents"}, crate)

    def test_the_schedules_call(self):
        """Scheduler invokes the schedule's target, with the schedule's role: that call alone,
        on the target's ARN."""
        [row] = [c for c in CALLS if "scheduler" in c.callers]
        target = Renderer("wiring.yaml", {"Stage": "dev"}).value(
            templates.load("wiring.yaml")["Resources"]["DailyReportSchedule"]["Properties"]["Target"]["Arn"])
        self.assertEqual((row.action, arns(Setting())[row.resource]), ("lambda:InvokeFunction", target))
        role = {a for s in templates.role_statements(templates.load("stack.yaml"), "ReportScheduleRole")
                for a in templates.as_list(s["Action"])}
        self.assertEqual(role, self.rows("scheduler"))

    def test_the_maintainer_commands_calls(self):
        self.assertEqual(templates.maintainer_actions(), self.rows("maintainer"))

    def test_the_deploys_own_calls(self):
        direct = deployer.deploy_actions() | deployer.CARGO_LAMBDA_CALLS | templates.maintainer_actions()
        # Less the rows of CloudFormation's handler calls on another resource than their own.
        handlers = {"dynamodb:DescribeContributorInsights", "iam:DetachUserPolicy", "iam:DetachGroupPolicy",
                    "iam:DetachRolePolicy"}
        self.assertEqual(direct, self.rows("deployer") - handlers)
        self.assertLessEqual(handlers, deployer.handler_actions())


class TheEvaluatorReadsPoliciesAsIam(unittest.TestCase):
    """The semantics the test relies on, each against a policy written here."""

    def decide(self, statements, action, resource, context=None):
        policy = {"Version": "2012-10-17", "Statement": statements}
        [answer] = evaluate([simulation([policy], action, resource, context or {})])
        return answer["result"]

    STACK = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/cv-analytics-dev/"

    def test_a_call_by_name_needs_the_policy_to_cover_the_literal_star(self):
        by_name = self.STACK + LITERAL_STAR
        exact = [{"Effect": "Allow", "Action": "cloudformation:DescribeStacks",
                  "Resource": self.STACK + "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"}]
        self.assertEqual(self.decide(exact, "cloudformation:DescribeStacks", by_name), "ImplicitlyDenied")
        wildcard = [{**exact[0], "Resource": self.STACK + "*"}]
        self.assertEqual(self.decide(wildcard, "cloudformation:DescribeStacks", by_name), "Allowed")

    def test_an_index_is_not_its_table(self):
        table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/t"
        allow = [{"Effect": "Allow", "Action": "dynamodb:DescribeContributorInsights", "Resource": table}]
        self.assertEqual(self.decide(allow, "dynamodb:DescribeContributorInsights", table + "/index/i"),
                         "ImplicitlyDenied")

    def test_conditions_wildcards_not_action_and_explicit_deny(self):
        table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/t"
        markers = [{"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": table,
                    "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["REPORT#*"]}}}]
        self.assertEqual(self.decide(markers, "dynamodb:PutItem", table, MARKER), "Allowed")
        self.assertEqual(self.decide(markers, "dynamodb:PutItem", table, {"dynamodb:LeadingKeys": ["REQ#1"]}),
                         "ImplicitlyDenied")
        everything = [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}]
        self.assertEqual(self.decide(everything, "dynamodb:PutItem", table), "Allowed")
        denied = everything + [{"Effect": "Deny", "NotAction": "dynamodb:GetItem", "Resource": table}]
        self.assertEqual(self.decide(denied, "dynamodb:PutItem", table), "ExplicitlyDenied")
        self.assertEqual(self.decide(denied, "dynamodb:GetItem", table), "Allowed")

    def test_a_resource_that_is_not_the_actions_type_is_an_error(self):
        queue = f"arn:aws:sqs:{REGION}:{ACCOUNT}:q"
        allow = [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}]
        self.assertEqual(self.decide(allow, "dynamodb:GetItem", queue), "Error")


if __name__ == "__main__":
    unittest.main()
