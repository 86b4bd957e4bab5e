"""The deployer's stack (infrastructure/deployer.yaml): its two managed policies allow exactly what
the stage's commands need, derived from their sources (the deploy's SDK calls, cargo-lambda's
calls, what CloudFormation's handlers call for each resource type of stack.yaml and wiring.yaml,
and the maintainer command's SDK calls), on the stage's resources only; the GitHub role trusts
one repository's stage environment only; and the stack deploys into moto.

Run by `make test` (python -m unittest discover); needs moto, cfn-lint and botocore, which
`make tools` installs.
"""

import copy
import fnmatch
import functools
import json
import os
import re
import subprocess
import sys
import unittest

import botocore.session
from botocore import xform_name
from cfnlint.data import AdditionalSpecs
from cfnlint.helpers import load_resource

from infrastructure.tests import test_templates as templates
from infrastructure.tests import test_workflows as workflows
from infrastructure.tests.test_templates import (IAM_ACTION, INFRA, NOT_CALLS, ROOT, Moto, as_list, deploy,
                                                 expand_conditions, maintainer_actions, taggable)

TEMPLATE = "deployer.yaml"
POLICIES = ("DeployerPolicy", "DeployerResourcesPolicy")
# IAM's quota on a managed policy's document, whitespace not counted.
MANAGED_POLICY_MAX = 6144


@functools.lru_cache(maxsize=None)
def _parsed(name):
    return templates.load(name)


def load(name):
    """test_templates.load, parsed once a run (cfn-lint's decoder is slow); a copy each time."""
    return copy.deepcopy(_parsed(name))

# ---------------------------------------------------------------------------------------------
# Source (a): the deploy's own code, ops/src/deploy (cv-analytics deploy, deploy-stack, destroy,
# import-table, deployer-role): every `<client>.<operation>()` on one of its clients (`client` is
# CloudFormation's in stacks.rs), a waiter `wait_until_<name>()` as the operation its model polls.
# The rest of ops/src is the maintainer's (test_templates.maintainer_actions), which the deploy
# calls too (its post-deploy check) and the deployer's policy covers. An SDK operation becomes
# its IAM action through botocore's own models (`get_function_configuration` is
# GetFunctionConfiguration; `wait_until_stack_create_complete` polls DescribeStacks); where the
# names differ, the service and the IAM prefix here, the operation and the action in
# test_templates.IAM_ACTION.
CLI_IAM_PREFIX = {"sesv2": "ses", "s3api": "s3"}
DEPLOYER_CODE = ROOT / "ops" / "src" / "deploy"
DEPLOYER_RECEIVERS = {"client": "cloudformation", "cloudformation": "cloudformation", "lambda": "lambda",
                      "sqs": "sqs", "dynamodb": "dynamodb"}
SDK_CALL = re.compile(r"\b(" + "|".join(DEPLOYER_RECEIVERS) + r")\s*\.\s*([a-z_]+)\(\)")


@functools.lru_cache(maxsize=None)
def botocore_session():
    return botocore.session.get_session()


def cli_action(service, command, waiter=None):
    """The IAM action of one operation, named as the AWS CLI names it (`get-function-configuration`,
    `wait stack-create-complete`): the API operation botocore's service model (or, for `wait`,
    its waiter model) names for it, as `prefix:Operation`."""
    session = botocore_session()
    if command == "wait":
        model = session.get_waiter_model(service)
        [name] = [w for w in model.waiter_names if xform_name(w, "-") == waiter]
        operation = model.get_waiter(name).operation
    else:
        [operation] = [o for o in session.get_service_model(service).operation_names
                       if xform_name(o, "-") == command]
    action = f"{CLI_IAM_PREFIX.get(service, service)}:{operation}"
    return IAM_ACTION.get(action, action)


def deployer_code_calls():
    """(file, IAM action) for each SDK call of the deploy's code."""
    for path in sorted(DEPLOYER_CODE.glob("*.rs")):
        text = path.read_text()
        if "#[cfg(test)]\nmod tests" in text:
            text = text[:text.index("#[cfg(test)]\nmod tests")]
        for receiver, call in SDK_CALL.findall(text):
            if call in NOT_CALLS:
                continue
            service = DEPLOYER_RECEIVERS[receiver]
            if call.startswith("wait_until_"):
                yield path, cli_action(service, "wait", call.removeprefix("wait_until_").replace("_", "-"))
            else:
                yield path, cli_action(service, call.replace("_", "-"))


def deploy_calls():
    """{IAM action: files of ops/src/deploy calling it}."""
    calls = {}
    for path, action in deployer_code_calls():
        calls.setdefault(action, set()).add(path.name)
    return calls


def deploy_actions():
    return set(deploy_calls())


# ---------------------------------------------------------------------------------------------
# Source (b): cargo-lambda 1.9.2's own calls, for `cargo lambda deploy --iam-role <role>
# --alias live --tag ...` without --s3-bucket, --description, --enable-function-url or
# --log-retention (ops/src/deploy/functions.rs). Read in crates/cargo-lambda-deploy/src/functions.rs at tag v1.9.2
# (commit 67129fc); without --iam-role it would create a role itself (roles.rs: IAM and STS).
CARGO_LAMBDA_CALLS = {
    "lambda:GetFunction",  # upsert_function, l.124: create or update
    "lambda:CreateFunction",  # create_function, l.252-277, Publish=true (version 1), Tags
    "lambda:UpdateFunctionConfiguration",  # update_function_config, l.354 and l.431-434
    "lambda:UpdateFunctionCode",  # update_function_code, l.456 and l.489-491, Publish=true
    "lambda:GetFunctionConfiguration",  # wait_for_ready_state, l.529-534, Qualifier=the alias
    # Called (l.309, l.499) only with --description, which the deploy does not pass; every deploy
    # publishes with Publish=true instead. Kept: whether IAM authorises that publish as
    # lambda:PublishVersion too is not documented, and it is the stage's own functions only.
    "lambda:PublishVersion",
    "lambda:GetAlias",  # upsert_alias, l.607: update or create
    "lambda:UpdateAlias",  # l.616
    "lambda:CreateAlias",  # l.627
    "lambda:TagResource",  # tag_function, l.177-199 (--tag), on an existing function
    "iam:PassRole",  # the --iam-role given to CreateFunction (l.267) and UpdateFunctionConfiguration (l.358)
}

# ---------------------------------------------------------------------------------------------
# Source (c): what CloudFormation calls with the caller's credentials (no service role) for each
# resource type: the handlers' `permissions` of the CloudFormation registry schemas, as
# hashicorp/terraform-provider-awscc keeps them (internal/service/cloudformation/schemas/
# AWS_<Service>_<Type>.json, HEAD f995d4f, 2026-08-07), create, read, update and delete (list is
# never called for a stack's resource). A type a template starts to use needs its entry here.
HANDLER_PERMISSIONS = {
    "AWS::SQS::Queue": {
        "create": ("sqs:CreateQueue", "sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:ListQueueTags",
                   "sqs:TagQueue"),
        "read": ("sqs:GetQueueAttributes", "sqs:ListQueueTags"),
        "update": ("sqs:SetQueueAttributes", "sqs:GetQueueAttributes", "sqs:ListQueueTags", "sqs:TagQueue",
                   "sqs:UntagQueue"),
        "delete": ("sqs:DeleteQueue", "sqs:GetQueueAttributes"),
    },
    "AWS::DynamoDB::Table": {
        "create": ("dynamodb:CreateTable", "dynamodb:DescribeImport", "dynamodb:DescribeTable",
                   "dynamodb:DescribeTimeToLive", "dynamodb:UpdateTimeToLive",
                   "dynamodb:UpdateContributorInsights", "dynamodb:UpdateContinuousBackups",
                   "dynamodb:DescribeContinuousBackups", "dynamodb:DescribeContributorInsights",
                   "dynamodb:EnableKinesisStreamingDestination",
                   "dynamodb:DisableKinesisStreamingDestination",
                   "dynamodb:DescribeKinesisStreamingDestination", "dynamodb:ImportTable",
                   "dynamodb:ListTagsOfResource", "dynamodb:TagResource", "dynamodb:UpdateTable",
                   "dynamodb:GetResourcePolicy", "dynamodb:PutResourcePolicy", "dynamodb:CreateTableReplica",
                   "dynamodb:Scan", "dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:PutItem",
                   "dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
                   "dynamodb:AssociateTableReplica", "kinesis:DescribeStream", "kinesis:PutRecords",
                   "iam:CreateServiceLinkedRole", "kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey",
                   "kms:ListAliases", "kms:Encrypt", "kms:RevokeGrant", "logs:CreateLogGroup",
                   "logs:CreateLogStream", "logs:DescribeLogGroups", "logs:DescribeLogStreams",
                   "logs:PutLogEvents", "logs:PutRetentionPolicy", "s3:GetObject", "s3:GetObjectMetadata",
                   "s3:ListBucket"),
        "read": ("dynamodb:DescribeTable", "dynamodb:DescribeContinuousBackups",
                 "dynamodb:DescribeContributorInsights", "dynamodb:DescribeKinesisStreamingDestination",
                 "dynamodb:ListTagsOfResource", "dynamodb:GetResourcePolicy", "dynamodb:DescribeTimeToLive"),
        "update": ("dynamodb:UpdateTable", "dynamodb:DescribeTable", "dynamodb:DescribeTimeToLive",
                   "dynamodb:UpdateTimeToLive", "dynamodb:UpdateContinuousBackups",
                   "dynamodb:UpdateContributorInsights", "dynamodb:UpdateKinesisStreamingDestination",
                   "dynamodb:DescribeContinuousBackups", "dynamodb:DescribeKinesisStreamingDestination",
                   "dynamodb:ListTagsOfResource", "dynamodb:TagResource", "dynamodb:UntagResource",
                   "dynamodb:DescribeContributorInsights", "dynamodb:EnableKinesisStreamingDestination",
                   "dynamodb:DisableKinesisStreamingDestination", "dynamodb:GetResourcePolicy",
                   "dynamodb:PutResourcePolicy", "dynamodb:DeleteResourcePolicy", "dynamodb:CreateTable",
                   "dynamodb:CreateTableReplica", "dynamodb:Scan", "dynamodb:Query", "dynamodb:UpdateItem",
                   "dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
                   "dynamodb:AssociateTableReplica", "kinesis:DescribeStream", "kinesis:PutRecords",
                   "iam:CreateServiceLinkedRole", "kms:CreateGrant", "kms:DescribeKey", "kms:ListAliases",
                   "kms:RevokeGrant"),
        "delete": ("dynamodb:DeleteTable", "dynamodb:DescribeTable"),
    },
    "AWS::Logs::LogGroup": {
        "create": ("logs:DescribeLogGroups", "logs:CreateLogGroup", "logs:PutRetentionPolicy", "logs:TagResource",
                   "logs:GetDataProtectionPolicy", "logs:PutDataProtectionPolicy", "logs:CreateLogDelivery",
                   "s3:REST.PUT.OBJECT", "firehose:TagDeliveryStream", "logs:PutResourcePolicy",
                   "logs:DescribeResourcePolicies"),
        "read": ("logs:DescribeLogGroups", "logs:ListTagsForResource", "logs:GetDataProtectionPolicy"),
        "update": ("logs:DescribeLogGroups", "logs:AssociateKmsKey", "logs:DisassociateKmsKey",
                   "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy", "logs:TagResource",
                   "logs:UntagResource", "logs:GetDataProtectionPolicy", "logs:PutDataProtectionPolicy",
                   "logs:CreateLogDelivery", "s3:REST.PUT.OBJECT", "firehose:TagDeliveryStream"),
        "delete": ("logs:DescribeLogGroups", "logs:DeleteLogGroup", "logs:DeleteDataProtectionPolicy"),
    },
    "AWS::IAM::Role": {
        "create": ("iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:GetRolePolicy", "iam:TagRole",
                   "iam:UntagRole", "iam:GetRole"),
        "read": ("iam:GetRole", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:GetRolePolicy"),
        "update": ("iam:UpdateRole", "iam:UpdateRoleDescription", "iam:UpdateAssumeRolePolicy",
                   "iam:DetachRolePolicy", "iam:AttachRolePolicy", "iam:DeleteRolePermissionsBoundary",
                   "iam:PutRolePermissionsBoundary", "iam:DeleteRolePolicy", "iam:PutRolePolicy", "iam:TagRole",
                   "iam:UntagRole"),
        "delete": ("iam:DeleteRole", "iam:DetachRolePolicy", "iam:DeleteRolePolicy", "iam:GetRole",
                   "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:TagRole", "iam:UntagRole"),
    },
    "AWS::IAM::ManagedPolicy": {
        "create": ("iam:CreatePolicy", "iam:AttachGroupPolicy", "iam:AttachUserPolicy", "iam:AttachRolePolicy"),
        "read": ("iam:GetPolicy", "iam:ListEntitiesForPolicy", "iam:GetPolicyVersion"),
        "update": ("iam:DetachRolePolicy", "iam:GetPolicy", "iam:ListPolicyVersions", "iam:DetachGroupPolicy",
                   "iam:DetachUserPolicy", "iam:CreatePolicyVersion", "iam:DeletePolicyVersion",
                   "iam:AttachGroupPolicy", "iam:AttachUserPolicy", "iam:AttachRolePolicy"),
        "delete": ("iam:DetachRolePolicy", "iam:GetPolicy", "iam:ListPolicyVersions", "iam:DetachGroupPolicy",
                   "iam:DetachUserPolicy", "iam:DeletePolicyVersion", "iam:DeletePolicy",
                   "iam:ListEntitiesForPolicy"),
    },
    "AWS::SNS::Topic": {
        "create": ("sns:CreateTopic", "sns:TagResource", "sns:Subscribe", "sns:GetTopicAttributes",
                   "sns:PutDataProtectionPolicy", "iam:GetRole", "iam:PassRole"),
        "read": ("sns:GetTopicAttributes", "sns:ListTagsForResource", "sns:ListSubscriptionsByTopic",
                 "sns:GetDataProtectionPolicy"),
        "update": ("sns:SetTopicAttributes", "sns:TagResource", "sns:UntagResource", "sns:Subscribe",
                   "sns:Unsubscribe", "sns:GetTopicAttributes", "sns:ListTagsForResource",
                   "sns:ListSubscriptionsByTopic", "sns:GetDataProtectionPolicy", "sns:PutDataProtectionPolicy",
                   "iam:GetRole", "iam:PassRole"),
        "delete": ("sns:GetTopicAttributes", "sns:DeleteTopic"),
    },
    "AWS::SNS::Subscription": {
        "create": ("iam:GetRole", "iam:PassRole", "sns:Subscribe"),
        "read": ("sns:GetSubscriptionAttributes",),
        "update": ("iam:GetRole", "iam:PassRole", "sns:SetSubscriptionAttributes"),
        "delete": ("sns:Unsubscribe", "sns:GetSubscriptionAttributes"),
    },
    "AWS::CloudWatch::Alarm": {
        "create": ("cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:TagResource"),
        "read": ("cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"),
        "update": ("cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:TagResource",
                   "cloudwatch:UntagResource"),
        "delete": ("cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms"),
    },
    "AWS::Lambda::EventSourceMapping": {
        "create": ("lambda:CreateEventSourceMapping", "lambda:GetEventSourceMapping", "lambda:TagResource",
                   "kms:DescribeKey", "kms:GenerateDataKey", "kms:Decrypt"),
        "read": ("lambda:GetEventSourceMapping", "lambda:ListTags", "kms:Decrypt"),
        "update": ("lambda:UpdateEventSourceMapping", "lambda:GetEventSourceMapping", "lambda:TagResource",
                   "lambda:UntagResource", "kms:DescribeKey", "kms:GenerateDataKey", "kms:Decrypt"),
        "delete": ("lambda:DeleteEventSourceMapping", "lambda:GetEventSourceMapping", "kms:Decrypt"),
    },
    "AWS::Events::Rule": {
        "create": ("iam:PassRole", "events:DescribeRule", "events:PutRule", "events:PutTargets",
                   "events:TagResource"),
        "read": ("iam:PassRole", "events:DescribeRule", "events:ListTargetsByRule", "events:ListTagsForResource"),
        "update": ("iam:PassRole", "events:DescribeRule", "events:PutRule", "events:RemoveTargets",
                   "events:PutTargets", "events:UntagResource", "events:TagResource"),
        "delete": ("iam:PassRole", "events:DescribeRule", "events:DeleteRule", "events:RemoveTargets",
                   "events:ListTargetsByRule"),
    },
    "AWS::Lambda::Permission": {
        "create": ("lambda:AddPermission",),
        "read": ("lambda:GetPolicy",),
        "delete": ("lambda:RemovePermission",),
    },
    "AWS::Lambda::EventInvokeConfig": {
        "create": ("lambda:PutFunctionEventInvokeConfig",),
        "read": ("lambda:GetFunctionEventInvokeConfig",),
        "update": ("lambda:UpdateFunctionEventInvokeConfig",),
        "delete": ("lambda:DeleteFunctionEventInvokeConfig",),
    },
    # AWS_Scheduler_Schedule.json (the same repository, read 2026-12-05); the schema also says
    # the type is not taggable. iam:PassRole: the target's RoleArn.
    "AWS::Scheduler::Schedule": {
        "create": ("scheduler:CreateSchedule", "scheduler:GetSchedule", "iam:PassRole"),
        "read": ("scheduler:GetSchedule",),
        "update": ("scheduler:UpdateSchedule", "scheduler:GetSchedule", "iam:PassRole"),
        "delete": ("scheduler:DeleteSchedule", "scheduler:GetSchedule"),
    },
}

# Resources the templates no longer declare, which a stage deployed before still has until its
# next deploy deletes them: CloudFormation deletes a removed resource in the update's cleanup,
# with the deployer's credentials, and a delete it may not do leaves the resource behind while
# the update succeeds. Their delete handlers (less unused features) stay allowed, on the ARNs
# they had, until every stage has been deployed without them. {(template, old logical id):
# (type, the properties that named it)}.
RETIRED = {
    # The daily EventBridge rule (07:00 UTC) and its permission to invoke reporter:live, replaced
    # by the Scheduler schedule DailyReportSchedule (07:00 in REPORT_TIMEZONE).
    ("wiring.yaml", "ReportSchedule"): ("AWS::Events::Rule", {"Name": {"Fn::Sub": "cv-analytics-${Stage}-report"}}),
    ("wiring.yaml", "ReportSchedulePermission"):
        ("AWS::Lambda::Permission", {"FunctionName": {"Fn::Sub": "cv-analytics-${Stage}-reporter:live"}}),
}

# Handler permissions that serve only a property the templates do not set, left out: the test
# fails if a template starts to set it. (None: no property of the type asks for it.)
UNUSED_FEATURES = {
    "AWS::DynamoDB::Table": [
        ("ImportSourceSpecification",  # an import from S3, which logs to CloudWatch Logs
         {"dynamodb:DescribeImport", "dynamodb:ImportTable", "s3:GetObject", "s3:GetObjectMetadata",
          "s3:ListBucket", "logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogGroups",
          "logs:DescribeLogStreams", "logs:PutLogEvents", "logs:PutRetentionPolicy"}),
        ("KinesisStreamSpecification",
         {"dynamodb:EnableKinesisStreamingDestination", "dynamodb:DisableKinesisStreamingDestination",
          "dynamodb:UpdateKinesisStreamingDestination", "kinesis:DescribeStream", "kinesis:PutRecords"}),
        ("ContributorInsightsSpecification", {"dynamodb:UpdateContributorInsights"}),
        ("ResourcePolicy", {"dynamodb:PutResourcePolicy", "dynamodb:DeleteResourcePolicy"}),
        ("SSESpecification",  # a customer-managed KMS key; without it the key is AWS-owned
         {"kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:ListAliases", "kms:Encrypt",
          "kms:RevokeGrant"}),
        # Replicas (a global table: its service-linked role and the copy of the items), which an
        # AWS::DynamoDB::Table does not declare (AWS::DynamoDB::GlobalTable does).
        (None,
         {"dynamodb:CreateTableReplica", "dynamodb:AssociateTableReplica", "iam:CreateServiceLinkedRole",
          "dynamodb:Scan", "dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:PutItem", "dynamodb:GetItem",
          "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}),
    ],
    "AWS::Logs::LogGroup": [
        # A data protection policy, and the delivery of its audit findings (S3, Firehose, or a log
        # group with a resource policy). Its read (Get) and delete (Delete) stay: the handlers
        # call them on any log group.
        ("DataProtectionPolicy",
         {"logs:PutDataProtectionPolicy", "logs:CreateLogDelivery", "s3:REST.PUT.OBJECT",
          "firehose:TagDeliveryStream", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies"}),
        ("KmsKeyId", {"logs:AssociateKmsKey", "logs:DisassociateKmsKey"}),
    ],
    "AWS::IAM::Role": [
        # Detaching stays: the delete handler detaches whatever is attached.
        ("ManagedPolicyArns", {"iam:AttachRolePolicy"}),
        ("PermissionsBoundary", {"iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary"}),
    ],
    "AWS::IAM::ManagedPolicy": [
        # Detaching stays: deleting a policy detaches it from whoever has it.
        ("Roles", {"iam:AttachRolePolicy"}),
        ("Users", {"iam:AttachUserPolicy"}),
        ("Groups", {"iam:AttachGroupPolicy"}),
    ],
    "AWS::SNS::Topic": [
        ("DataProtectionPolicy", {"sns:PutDataProtectionPolicy"}),
        ("DeliveryStatusLogging", {"iam:GetRole", "iam:PassRole"}),
        # Inline subscriptions (the e-mail one is an AWS::SNS::Subscription, which has its own).
        ("Subscription", {"sns:Subscribe", "sns:Unsubscribe"}),
    ],
    "AWS::SNS::Subscription": [
        ("SubscriptionRoleArn", {"iam:GetRole", "iam:PassRole"}),  # Firehose subscriptions
    ],
    "AWS::Lambda::EventSourceMapping": [
        ("KmsKeyArn", {"kms:DescribeKey", "kms:GenerateDataKey", "kms:Decrypt"}),  # filter criteria encryption
    ],
    "AWS::Events::Rule": [
        ("RoleArn", {"iam:PassRole"}),  # a rule's or a target's role (a Lambda target needs none)
    ],
}

# ---------------------------------------------------------------------------------------------
# Where `*` is the resource, and why: each action has no resource type in IAM.
STAR_ALLOWED = {
    ("DeployerPolicy", "ListTriggers"): "lambda:ListEventSourceMappings (verify reads the trigger's state)",
    ("DeployerPolicy", "EmailAccount"): "ses:GetAccount (verify reads sandbox or production, the quota)",
    ("DeployerResourcesPolicy", "LookUpLogGroups"): "logs:DescribeLogGroups (the log group handler's lookup)",
    ("DeployerResourcesPolicy", "CreateTrigger"):
        "lambda:CreateEventSourceMapping (the mapping does not exist yet); the processor only, by lambda:FunctionArn",
}
# Resources not named after the stage, why, and the condition key that narrows them (if any).
BEYOND_THE_STAGE = {
    ("DeployerPolicy", "EmailIdentities"): ("the sender's and the recipients' SES identities, whichever they are",
                                            None),
    ("DeployerPolicy", "EmailConfigurationSet"): ("the reporter's SES configuration set, whatever its name", None),
    ("DeployerResourcesPolicy", "DetachStagePolicies"):
        ("whoever the stage's producer and maintainer policies are attached to; those two only", "iam:PolicyARN"),
    ("DeployerResourcesPolicy", "TriggerMapping"): ("a mapping's ARN ends in an id Lambda picks (read, tags)", None),
    ("DeployerResourcesPolicy", "ChangeTrigger"): ("the same; the processor's mapping only", "lambda:FunctionArn"),
}

# The values the tests render `${...}` with (moto's account and region).
PARTITION, REGION, ACCOUNT, STAGE = "aws", "us-east-1", "123456789012", "dev"
REPOSITORY = "example/cv-analytics"
NAMES = {"AWS::Partition": PARTITION, "AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "Stage": STAGE,
         "GitHubRepository": REPOSITORY}
# A stack's or a mapping's id, as AWS makes them.
SOME_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def render(value, names=None):
    """A string, or an `Fn::Sub` of one, with the pseudo parameters and parameters filled in."""
    names = names or NAMES
    if isinstance(value, dict):
        [(function, text)] = value.items()
        if function != "Fn::Sub" or not isinstance(text, str):
            raise AssertionError(f"cannot render {value}")
        return re.sub(r"\$\{([^}!]+)\}", lambda m: names[m.group(1)], text)
    return value


def policy_statements(template, policy):
    return list(expand_conditions(template["Resources"][policy]["Properties"]["PolicyDocument"]["Statement"]))


def statements():
    """(policy, statement, rendered resources) for every statement of the two policies."""
    template = load(TEMPLATE)
    for policy in POLICIES:
        for statement in policy_statements(template, policy):
            yield policy, statement, [render(r) for r in as_list(statement["Resource"])]


def rendered_document(policy, names=None):
    document = load(TEMPLATE)["Resources"][policy]["Properties"]["PolicyDocument"]
    return json.loads(json.dumps(document), object_hook=lambda d: render(d, names) if "Fn::Sub" in d else d)


def allowed_actions(policy):
    return {a for s in policy_statements(load(TEMPLATE), policy) for a in as_list(s["Action"])}


def allows(policy, action, arn):
    """Whether a statement of the policy allows the action on the resource (conditions aside)."""
    return any(p == policy and action in as_list(s["Action"]) and any(fnmatch.fnmatchcase(arn, r) for r in rs)
               for p, s, rs in statements())


def sets_property(value, name):
    """Whether a resource's properties set `name` anywhere (in a list, an `Fn::If` branch...)."""
    if isinstance(value, dict):
        return name in value or any(sets_property(v, name) for v in value.values())
    if isinstance(value, list):
        return any(sets_property(v, name) for v in value)
    return False


def stage_resources():
    """[(template, logical id, resource)] of stack.yaml and wiring.yaml."""
    return [(name, logical_id, resource) for name in ("stack.yaml", "wiring.yaml")
            for logical_id, resource in load(name)["Resources"].items()]


def unused_permissions(kind):
    unused = set()
    for _, permissions in UNUSED_FEATURES.get(kind, []):
        unused |= permissions
    return unused


def retired_deletes(kind):
    """The delete handler's permissions of a retired type, less unused features."""
    return set(HANDLER_PERMISSIONS[kind]["delete"]) - unused_permissions(kind)


def retired_resources():
    """[(template, old logical id, type, ARN)] of the resources in RETIRED."""
    return [(template, logical_id, kind, arn_from(template, kind, props))
            for (template, logical_id), (kind, props) in RETIRED.items()]


def handler_actions():
    """What CloudFormation calls for the types the two templates use, less unused features, and
    the deletes of the retired resources."""
    needed = set()
    for _, _, resource in stage_resources():
        kind = resource["Type"]
        if kind not in HANDLER_PERMISSIONS:
            raise AssertionError(f"{kind}: add its registry schema's handler permissions to HANDLER_PERMISSIONS")
        needed |= {a for permissions in HANDLER_PERMISSIONS[kind].values() for a in permissions} - unused_permissions(kind)
    for kind, _ in RETIRED.values():
        needed |= retired_deletes(kind)
    return needed


def direct_actions():
    return deploy_actions() | CARGO_LAMBDA_CALLS | maintainer_actions()


def arn_of(template, logical_id):
    """The ARN of a resource of stack.yaml or wiring.yaml, from the names the template gives it."""
    resource = load(template)["Resources"][logical_id]
    return arn_from(template, resource["Type"], resource.get("Properties", {}))


def arn_from(template, kind, props):
    """The ARN of a resource of type `kind` with these properties."""
    base = f"arn:{PARTITION}:{{}}:{REGION}:{ACCOUNT}:"
    builders = {
        "AWS::SQS::Queue": lambda: base.format("sqs") + render(props["QueueName"]),
        "AWS::DynamoDB::Table": lambda: base.format("dynamodb") + "table/" + render(props["TableName"]),
        "AWS::Logs::LogGroup": lambda: base.format("logs") + "log-group:" + render(props["LogGroupName"]),
        "AWS::IAM::Role": lambda: f"arn:{PARTITION}:iam::{ACCOUNT}:role/" + render(props["RoleName"]),
        "AWS::IAM::ManagedPolicy":
            lambda: f"arn:{PARTITION}:iam::{ACCOUNT}:policy/" + render(props["ManagedPolicyName"]),
        "AWS::SNS::Topic": lambda: base.format("sns") + render(props["TopicName"]),
        "AWS::SNS::Subscription": lambda: arn_of(template, props["TopicArn"]["Ref"]) + ":" + SOME_ID,
        "AWS::CloudWatch::Alarm": lambda: base.format("cloudwatch") + "alarm:" + render(props["AlarmName"]),
        "AWS::Events::Rule": lambda: base.format("events") + "rule/" + render(props["Name"]),
        "AWS::Lambda::EventSourceMapping": lambda: base.format("lambda") + "event-source-mapping:" + SOME_ID,
        "AWS::Lambda::Permission": lambda: base.format("lambda") + "function:" + render(props["FunctionName"]),
        "AWS::Lambda::EventInvokeConfig":
            lambda: base.format("lambda") + "function:" + render(props["FunctionName"]) + ":" + props["Qualifier"],
        # In the default group (no GroupName), as the schedule role's trust names it.
        "AWS::Scheduler::Schedule":
            lambda: base.format("scheduler") + "schedule/" + props.get("GroupName", "default") + "/" + render(props["Name"]),
    }
    return builders[kind]()


def resolve(template, value):
    """A resource of a stack.yaml policy statement as an ARN (`Ref AWS::StackId`, `GetAtt X.Arn`,
    `${X.Arn}` inside a `Sub`)."""
    if value == {"Ref": "AWS::StackId"}:
        return f"arn:{PARTITION}:cloudformation:{REGION}:{ACCOUNT}:stack/cv-analytics-{STAGE}/{SOME_ID}"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        logical_id, attribute = value["Fn::GetAtt"]
        assert attribute == "Arn", value
        return arn_of(template, logical_id)
    if isinstance(value, dict) and "Fn::Sub" in value:
        text = re.sub(r"\$\{(\w+)\.Arn\}", lambda m: arn_of(template, m.group(1)), value["Fn::Sub"])
        return render({"Fn::Sub": text})
    return value


@functools.lru_cache(maxsize=None)
def sar():
    """The IAM service authorization reference as cfn-lint ships it: per service, each action's
    resource types and each resource type's ARN formats."""
    return load_resource(AdditionalSpecs, "Policies.json")


@functools.lru_cache(maxsize=None)
def arn_patterns(action):
    """The ARN formats of the action's resource types, as regular expressions (none when the action
    has no resource type)."""
    service, name = action.split(":")
    entry = sar()[service]
    types = {t.lower() for t in entry["Actions"][name.lower()].get("Resources", [])}
    formats = [f for t, r in entry["Resources"].items() if t.lower() in types for f in r["ARNFormats"]]
    patterns = []
    for arn_format in formats:
        parts = re.split(r"(\$\{[^}]+\}|\.\*)", arn_format)
        patterns.append("".join("[^:]*" if p.startswith("${") else ".*" if p == ".*" else re.escape(p)
                                for p in parts))
    return tuple(patterns)


# ---------------------------------------------------------------------------------------------

class WhatTheDeployerNeeds(unittest.TestCase):
    """The two policies' actions against their sources: a missing one fails, and so does one no
    source calls."""

    def test_the_deployer_policy_allows_what_the_commands_call_and_nothing_more(self):
        allowed, needed = allowed_actions("DeployerPolicy"), direct_actions()
        self.assertEqual(needed - allowed, set(), "DeployerPolicy lacks what the deploy, cargo-lambda or cv-analytics call")
        self.assertEqual(allowed - needed, set(), "DeployerPolicy allows what nothing calls")

    def test_the_resources_policy_allows_what_cloudformation_calls_and_nothing_more(self):
        allowed, needed = allowed_actions("DeployerResourcesPolicy"), handler_actions()
        self.assertEqual(needed - allowed, set(), "DeployerResourcesPolicy lacks handler permissions of a type in use")
        self.assertEqual(allowed - needed, set(), "DeployerResourcesPolicy allows what no handler needs")

    def test_every_resource_type_of_the_templates_has_its_handler_permissions_and_no_entry_is_stale(self):
        used = {resource["Type"] for _, _, resource in stage_resources()}
        retired = {kind for kind, _ in RETIRED.values()}
        self.assertEqual(used - set(HANDLER_PERMISSIONS), set(), "add the registry schema's handler permissions")
        self.assertEqual(set(HANDLER_PERMISSIONS) - used - retired, set(), "no template uses these types any more")

    def test_a_retired_resource_is_gone_from_its_template_and_its_id_not_reused_by_another_type(self):
        """CloudFormation refuses an update that changes a logical id's type ("Update of resource
        type is not permitted"): a new type takes a new id, and the old resource is deleted."""
        for (template, logical_id), (kind, _) in RETIRED.items():
            resources = load(template)["Resources"]
            if logical_id in resources:
                self.assertEqual(resources[logical_id]["Type"], kind,
                                 f"{template}/{logical_id} was {kind}: give the new resource another id")
                self.fail(f"{template}/{logical_id} is back: drop it from RETIRED")

    def test_the_schedule_is_the_schedulers_not_an_eventbridge_rule(self):
        types = {resource["Type"] for _, _, resource in stage_resources()}
        self.assertIn("AWS::Scheduler::Schedule", types)
        self.assertFalse(types & {"AWS::Events::Rule", "AWS::Lambda::Permission"})
        allowed = allowed_actions("DeployerResourcesPolicy")
        self.assertLessEqual({"scheduler:CreateSchedule", "scheduler:GetSchedule", "scheduler:UpdateSchedule",
                              "scheduler:DeleteSchedule"}, allowed)
        # Nothing creates or changes a rule or a permission any more: their deletes only.
        self.assertFalse(allowed & {"events:PutRule", "events:PutTargets", "events:TagResource",
                                    "events:UntagResource", "events:ListTagsForResource", "lambda:AddPermission",
                                    "lambda:GetPolicy"})

    def test_the_handler_permissions_left_out_belong_to_properties_no_template_sets(self):
        for kind, features in UNUSED_FEATURES.items():
            handlers = {a for permissions in HANDLER_PERMISSIONS[kind].values() for a in permissions}
            for prop, permissions in features:
                self.assertEqual(permissions - handlers, set(), f"{kind}: not among its handler permissions")
                if prop is None:
                    continue
                for template, logical_id, resource in stage_resources():
                    if resource["Type"] == kind:
                        self.assertFalse(sets_property(resource.get("Properties", {}), prop),
                                         f"{template}/{logical_id} sets {prop}: its permissions are needed now")

    def test_the_code_scan_finds_the_calls_we_know_of(self):
        # Guards the scan itself: if it stopped finding calls, the tests above would prove nothing.
        calls = deploy_calls()
        self.assertEqual(calls["cloudformation:DescribeStacks"], {"stacks.rs", "import_table.rs"})
        self.assertEqual(calls["cloudformation:DescribeChangeSet"], {"import_table.rs"})
        self.assertEqual(calls["cloudformation:DescribeStackEvents"], {"stacks.rs"})
        self.assertEqual(calls["lambda:DeleteFunction"], {"destroy.rs"})
        self.assertEqual(calls["lambda:UntagResource"], {"functions.rs"})
        self.assertEqual(calls["lambda:GetAlias"], {"checks.rs", "functions.rs"})
        self.assertEqual(calls["sqs:GetQueueAttributes"], {"destroy.rs"})
        self.assertEqual(calls["dynamodb:DescribeTable"], {"checks.rs", "import_table.rs"})
        # What a message tells a person to type is not a call, nor a test's mock.
        for advice in ("dynamodb:CreateBackup", "dynamodb:DeleteTable", "dynamodb:UpdateTable"):
            self.assertNotIn(advice, calls)

    def test_cli_names_become_iam_actions(self):
        self.assertEqual(cli_action("lambda", "get-function-configuration"), "lambda:GetFunctionConfiguration")
        self.assertEqual(cli_action("cloudformation", "wait", "stack-create-complete"), "cloudformation:DescribeStacks")
        self.assertEqual(cli_action("cloudformation", "wait", "change-set-create-complete"),
                         "cloudformation:DescribeChangeSet")
        self.assertEqual(cli_action("sesv2", "get-account"), "ses:GetAccount")
        self.assertEqual(cli_action("lambda", "invoke"), "lambda:InvokeFunction")


class Scope(unittest.TestCase):
    """Every statement is on the stage's own resources, by ARNs IAM accepts for its actions."""

    def test_no_wildcard_action_and_every_action_exists(self):
        reference = sar()
        for policy, statement, _ in statements():
            for action in as_list(statement["Action"]):
                self.assertNotIn("*", action, f"{policy}/{statement['Sid']}")
                service, name = action.split(":")
                self.assertIn(name.lower(), reference[service]["Actions"], f"{policy}: no IAM action {action}")

    def test_star_only_where_iam_has_no_resource_type(self):
        starred = set()
        for policy, statement, resources in statements():
            if "*" in resources:
                starred.add((policy, statement["Sid"]))
                self.assertEqual(resources, ["*"], statement["Sid"])
                for action in as_list(statement["Action"]):
                    self.assertEqual(arn_patterns(action), (), f"{action} has a resource type: name it")
        self.assertEqual(starred, set(STAR_ALLOWED))
        self.assertLessEqual(len(STAR_ALLOWED), 4)

    def test_every_arn_fits_its_actions_and_names_the_stage(self):
        for policy, statement, resources in statements():
            if resources == ["*"]:
                continue
            sid, actions = statement["Sid"], as_list(statement["Action"])
            patterns = {a: arn_patterns(a) for a in actions}
            for action in actions:
                self.assertTrue(any(re.fullmatch(p, r) for p in patterns[action] for r in resources),
                                f"{sid}: no resource of {action}'s type")
            for resource in resources:
                self.assertTrue(any(re.fullmatch(p, resource) for ps in patterns.values() for p in ps),
                                f"{sid}: {resource} is no resource of its actions")
                if (policy, sid) not in BEYOND_THE_STAGE:
                    self.assertIn(f"cv-analytics-{STAGE}", resource, f"{policy}/{sid}")
        for (policy, sid), (_, key) in BEYOND_THE_STAGE.items():
            [statement] = [s for p, s, _ in statements() if (p, s["Sid"]) == (policy, sid)]
            keys = {k for test in statement.get("Condition", {}).values() for k in test}
            self.assertEqual(keys, {key} if key else set(), sid)

    def test_each_resource_of_the_stage_is_covered_by_its_handler_permissions(self):
        """A name changed in stack.yaml or wiring.yaml (or a new named resource) fails here."""
        needed = handler_actions()
        for template, logical_id, resource in stage_resources():
            arn = arn_of(template, logical_id)
            actions = set()
            for permissions in HANDLER_PERMISSIONS[resource["Type"]].values():
                actions |= {a for a in permissions if a in needed
                            and any(re.fullmatch(p, arn) for p in arn_patterns(a))}
            self.assertTrue(actions, logical_id)
            for action in actions:
                self.assertTrue(allows("DeployerResourcesPolicy", action, arn), f"{logical_id}: {action} on {arn}")
        # The trigger is created for the processor's alias live only.
        [create] = [s for p, s, _ in statements() if s["Sid"] == "CreateTrigger"]
        function = load("wiring.yaml")["Resources"]["ProcessorTrigger"]["Properties"]["FunctionName"]
        arn = f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT}:function:" + render(function)
        self.assertTrue(any(fnmatch.fnmatchcase(arn, render(v))
                            for v in create["Condition"]["ArnLike"]["lambda:FunctionArn"]))

    def test_the_retired_resources_may_be_deleted_and_nothing_more(self):
        """The EventBridge rule and its Lambda permission of a stage deployed before the schedule:
        the first deploy with the schedule deletes them."""
        self.assertEqual({(t, i, arn) for t, i, _, arn in retired_resources()}, {
            ("wiring.yaml", "ReportSchedule", f"arn:{PARTITION}:events:{REGION}:{ACCOUNT}:rule/cv-analytics-{STAGE}-report"),
            ("wiring.yaml", "ReportSchedulePermission",
             f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT}:function:cv-analytics-{STAGE}-reporter:live"),
        })
        for _, logical_id, kind, arn in retired_resources():
            deletes = {a for a in retired_deletes(kind) if any(re.fullmatch(p, arn) for p in arn_patterns(a))}
            self.assertTrue(deletes, logical_id)
            for action in deletes:
                self.assertTrue(allows("DeployerResourcesPolicy", action, arn), f"{logical_id}: {action} on {arn}")
        [retired] = [s for _, s, _ in statements() if s["Sid"] == "RetiredReportRule"]
        self.assertEqual(set(retired["Action"]), {"events:DescribeRule", "events:DeleteRule", "events:RemoveTargets",
                                                  "events:ListTargetsByRule"})
        [wiring] = [s for _, s, _ in statements() if s["Sid"] == "ReporterWiring"]
        self.assertIn("lambda:RemovePermission", wiring["Action"])

    def test_the_commands_own_calls_are_allowed_on_the_stage(self):
        stack = load("stack.yaml")
        outputs = stack["Outputs"]
        functions = [f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT}:function:" + render(outputs[o]["Value"]) + q
                     for o in ("ProcessorFunctionName", "ReporterFunctionName") for q in ("", ":live")]
        stacks = [f"arn:{PARTITION}:cloudformation:{REGION}:{ACCOUNT}:stack/cv-analytics-{STAGE}{s}/{SOME_ID}"
                  for s in ("", "-wiring")]
        targets = {"cloudformation": stacks, "lambda": functions,
                   "dynamodb": [arn_of("stack.yaml", "RecordsTable")],
                   "sqs": [arn_of("stack.yaml", "DeadLetterQueue")],
                   "iam": [arn_of("stack.yaml", r) for r in ("ProcessorRole", "ReporterRole")]}
        for action in deploy_actions() | CARGO_LAMBDA_CALLS:
            for arn in targets[action.split(":")[0]]:
                self.assertTrue(allows("DeployerPolicy", action, arn), f"{action} on {arn}")

    def test_the_maintainer_calls_are_allowed_and_scoped_as_the_maintainer_policy_scopes_them(self):
        maintainer = {}
        for statement in templates.expand_conditions(load("stack.yaml")["Resources"]["MaintainerPolicy"]
                                                     ["Properties"]["PolicyDocument"]["Statement"]):
            for action in as_list(statement["Action"]):
                maintainer.setdefault(action, set()).update(resolve("stack.yaml", r) for r in as_list(statement["Resource"]))
        self.assertEqual(set(maintainer), maintainer_actions())
        for action, arns in maintainer.items():
            for arn in arns:
                self.assertTrue(allows("DeployerPolicy", action, arn), f"{action} on {arn}")
        # What only the maintainer command calls is on exactly the maintainer policy's resources.
        for action in maintainer_actions() - deploy_actions() - CARGO_LAMBDA_CALLS:
            deployer = {r for p, s, rs in statements() if p == "DeployerPolicy" and action in as_list(s["Action"])
                        for r in rs}
            self.assertEqual(deployer, maintainer[action], action)

    def test_passrole_only_for_the_stages_roles_each_to_its_service_only(self):
        """The function roles to Lambda (cargo lambda deploy), the schedule's role to Scheduler
        (the schedule's handler); each statement passes nothing else."""
        passing = {(p, s["Sid"]): (s, rs) for p, s, rs in statements() if "iam:PassRole" in as_list(s["Action"])}
        self.assertEqual(set(passing), {("DeployerPolicy", "PassFunctionRoles"),
                                        ("DeployerResourcesPolicy", "PassScheduleRole")})
        services = {"PassFunctionRoles": "lambda.amazonaws.com", "PassScheduleRole": "scheduler.amazonaws.com"}
        roles = {"PassFunctionRoles": ("ProcessorRole", "ReporterRole"), "PassScheduleRole": ("ReportScheduleRole",)}
        for (policy, sid), (statement, resources) in passing.items():
            self.assertEqual(statement["Action"], "iam:PassRole", sid)
            self.assertEqual(sorted(resources), sorted(arn_of("stack.yaml", r) for r in roles[sid]), sid)
            self.assertEqual(statement["Condition"], {"StringEquals": {"iam:PassedToService": services[sid]}}, sid)
        every_role = [name for name, r in load("stack.yaml")["Resources"].items() if r["Type"] == "AWS::IAM::Role"]
        self.assertEqual(sorted(every_role), sorted(r for rs in roles.values() for r in rs))

    def test_iam_names_are_exact_so_the_deployer_cannot_change_itself(self):
        stack = load("stack.yaml")["Resources"]
        names = {r["Type"]: set() for r in stack.values()}
        for logical_id, r in stack.items():
            names[r["Type"]].add(arn_of("stack.yaml", logical_id))
        for sid, kind in (("FunctionRoles", "AWS::IAM::Role"), ("StagePolicies", "AWS::IAM::ManagedPolicy")):
            [resources] = [rs for _, s, rs in statements() if s["Sid"] == sid]
            self.assertEqual(set(resources), names[kind], sid)
        own = [f"arn:{PARTITION}:iam::{ACCOUNT}:role/cv-analytics-{STAGE}-github-deploy",
               f"arn:{PARTITION}:iam::{ACCOUNT}:policy/cv-analytics-{STAGE}-deployer",
               f"arn:{PARTITION}:iam::{ACCOUNT}:policy/cv-analytics-{STAGE}-deployer-resources",
               f"arn:{PARTITION}:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com",
               f"arn:{PARTITION}:cloudformation:{REGION}:{ACCOUNT}:stack/cv-analytics-{STAGE}-deployer/{SOME_ID}"]
        for policy, statement, resources in statements():
            services = {a.split(":")[0] for a in as_list(statement["Action"])}
            if resources == ["*"]:
                self.assertFalse(services & {"iam", "cloudformation"}, statement["Sid"])
                continue
            for arn in own:
                if any(fnmatch.fnmatchcase(arn, r) for r in resources):
                    # Only detaching, and only the stage's producer and maintainer policies.
                    self.assertEqual(statement["Sid"], "DetachStagePolicies", arn)
                    detachable = [render(v) for v in statement["Condition"]["ArnEquals"]["iam:PolicyARN"]]
                    self.assertEqual(set(detachable), names["AWS::IAM::ManagedPolicy"])

    def test_each_policy_fits_iams_quota(self):
        # The longest partition and region names, for a margin in any of them.
        longest = {**NAMES, "AWS::Partition": "aws-us-gov", "AWS::Region": "ap-southeast-2", "Stage": "prod"}
        for policy in POLICIES:
            rendered = rendered_document(policy, longest)
            size = len(re.sub(r"\s", "", json.dumps(rendered, separators=(",", ":"))))
            self.assertLessEqual(size, MANAGED_POLICY_MAX, f"{policy}: {size} characters")


class GitHubRole(unittest.TestCase):
    """The role GitHub Actions assumes: one repository, its environment named after the stage."""

    def setUp(self):
        self.template = load(TEMPLATE)
        self.resources = self.template["Resources"]

    def test_the_trust_policy_checks_audience_and_subject(self):
        role = self.resources["GitHubDeployRole"]
        self.assertEqual(role["Condition"], "HasGitHubRepository")
        props = role["Properties"]
        self.assertEqual(props["RoleName"], {"Fn::Sub": "cv-analytics-${Stage}-github-deploy"})
        self.assertEqual(props["MaxSessionDuration"], 3600)
        [trust] = props["AssumeRolePolicyDocument"]["Statement"]
        self.assertEqual(trust["Action"], "sts:AssumeRoleWithWebIdentity")
        self.assertEqual(trust["Principal"], {"Federated": {"Fn::If": [
            "CreateOidcProvider", {"Ref": "GitHubOidcProvider"},
            {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:oidc-provider/token.actions.githubusercontent.com"},
        ]}})
        # Exact matches only (no StringLike): this repository, this stage's environment, from the
        # branch main only (the subject as the repository's template `repo, context, ref` makes
        # it: GitHub's default subject for an environment carries no branch).
        self.assertEqual(trust["Condition"], {"StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub":
                {"Fn::Sub": "repo:${GitHubRepository}:environment:${Stage}:ref:refs/heads/main"},
        }})

    def test_the_subject_is_the_environment_the_workflow_deploys_in(self):
        workflow = workflows.load("deploy.yml")
        [job] = workflow["jobs"].values()
        self.assertEqual(job["environment"], "${{ inputs.stage }}")
        self.assertEqual(workflow["on"]["workflow_dispatch"]["inputs"]["stage"]["options"],
                         self.template["Parameters"]["Stage"]["AllowedValues"])
        self.assertEqual(self.template["Parameters"]["Stage"]["AllowedValues"],
                         load("stack.yaml")["Parameters"]["Stage"]["AllowedValues"])

    def test_both_policies_are_attached_to_the_role(self):
        for policy in POLICIES:
            self.assertEqual(self.resources[policy]["Properties"]["Roles"],
                             {"Fn::If": ["HasGitHubRepository", [{"Ref": "GitHubDeployRole"}], {"Ref": "AWS::NoValue"}]})

    def test_the_oidc_provider_is_created_once_per_account_and_kept(self):
        provider = self.resources["GitHubOidcProvider"]
        self.assertEqual(provider["Condition"], "CreateOidcProvider")
        self.assertEqual(provider["Properties"]["Url"], "https://token.actions.githubusercontent.com")
        self.assertEqual(provider["Properties"]["ClientIdList"], ["sts.amazonaws.com"])
        # Kept when the stack is deleted (other roles may trust it), but not when the stack's
        # first creation rolls back, which would leave it behind for the retry to trip on.
        self.assertEqual(provider["DeletionPolicy"], "RetainExceptOnCreate")
        self.assertEqual(provider["UpdateReplacePolicy"], "Retain")
        self.assertEqual(self.template["Conditions"]["CreateOidcProvider"], {"Fn::And": [
            {"Fn::Not": [{"Fn::Equals": [{"Ref": "GitHubRepository"}, ""]}]},
            {"Fn::Equals": [{"Ref": "CreateGitHubOidcProvider"}, "true"]},
        ]})

    def test_taggable_resources_carry_the_cost_allocation_tags(self):
        tagged = [name for name, r in self.resources.items() if taggable(r["Type"])]
        self.assertEqual(sorted(tagged), ["GitHubDeployRole", "GitHubOidcProvider"])
        for name in tagged:
            self.assertEqual(self.resources[name]["Properties"]["Tags"], templates.Tags.EXPECTED, name)

    def test_cfn_lint_passes(self):
        lint = subprocess.run([sys.executable, "-c", "import sys; from cfnlint.runner import main; sys.exit(main())",
                               str(INFRA / TEMPLATE)], cwd=ROOT, capture_output=True, text=True)
        self.assertEqual(lint.returncode, 0, lint.stdout + lint.stderr)


def create(moto, stack, **parameters):
    return deploy(moto.client("cloudformation"), stack, TEMPLATE, parameters, capabilities=["CAPABILITY_NAMED_IAM"])


class DeployerOnEmulator(unittest.TestCase):
    """deployer.yaml deployed into moto. moto's CloudFormation does not create an
    AWS::IAM::OIDCProvider (the type is skipped, its Ref is empty) and IAM does not evaluate
    policies: the provider's principal is checked on the template above, and here for a stage
    that trusts a provider the account has already."""

    def test_two_stages_with_their_github_roles(self):
        moto = Moto()
        try:
            iam = moto.client("iam")
            outputs = create(moto, "cv-analytics-dev-deployer", Stage="dev", GitHubRepository=REPOSITORY,
                             CreateGitHubOidcProvider="true", Owner="data-team")
            stack = moto.client("cloudformation").describe_stacks(StackName="cv-analytics-dev-deployer")["Stacks"][0]
            self.assertEqual(stack["StackStatus"], "CREATE_COMPLETE")
            self.assertEqual(set(outputs), {"DeployerPolicyArn", "DeployerResourcesPolicyArn", "GitHubDeployRoleArn"})
            self.assertEqual(outputs["GitHubDeployRoleArn"], f"arn:aws:iam::{ACCOUNT}:role/cv-analytics-dev-github-deploy")
            role = iam.get_role(RoleName="cv-analytics-dev-github-deploy")["Role"]
            self.assertEqual(role["MaxSessionDuration"], 3600)
            self.assertEqual(role["Tags"], [{"Key": "Project", "Value": "cv-analytics"}, {"Key": "Stage", "Value": "dev"},
                                            {"Key": "Owner", "Value": "data-team"}])
            [trust] = role["AssumeRolePolicyDocument"]["Statement"]
            self.assertEqual(trust["Action"], "sts:AssumeRoleWithWebIdentity")
            self.assertEqual(trust["Condition"], {"StringEquals": {
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": "repo:example/cv-analytics:environment:dev:ref:refs/heads/main"}})
            attached = iam.list_attached_role_policies(RoleName="cv-analytics-dev-github-deploy")["AttachedPolicies"]
            self.assertEqual(sorted(p["PolicyArn"] for p in attached),
                             sorted([outputs["DeployerPolicyArn"], outputs["DeployerResourcesPolicyArn"]]))
            # The documents as deployed: every `${...}` filled in as the tests render them.
            for policy, key in zip(POLICIES, ("DeployerPolicyArn", "DeployerResourcesPolicyArn")):
                version = iam.get_policy(PolicyArn=outputs[key])["Policy"]["DefaultVersionId"]
                document = iam.get_policy_version(PolicyArn=outputs[key], VersionId=version)["PolicyVersion"]["Document"]
                self.assertEqual(document, rendered_document(policy), policy)

            # The second stage trusts the account's provider (made here by hand, as moto's
            # CloudFormation does not make it).
            provider = iam.create_open_id_connect_provider(
                Url="https://token.actions.githubusercontent.com", ClientIDList=["sts.amazonaws.com"],
                ThumbprintList=["0" * 40])["OpenIDConnectProviderArn"]
            outputs = create(moto, "cv-analytics-prod-deployer", Stage="prod", GitHubRepository=REPOSITORY,
                             CreateGitHubOidcProvider="false")
            [trust] = iam.get_role(RoleName="cv-analytics-prod-github-deploy")["Role"]["AssumeRolePolicyDocument"]["Statement"]
            self.assertEqual(trust["Principal"], {"Federated": provider})
            self.assertEqual(trust["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"],
                             "repo:example/cv-analytics:environment:prod:ref:refs/heads/main")
            self.assertEqual(outputs["DeployerPolicyArn"], f"arn:aws:iam::{ACCOUNT}:policy/cv-analytics-prod-deployer")
        finally:
            moto.stop()

    def test_without_a_repository_only_the_policies(self):
        moto = Moto()
        try:
            iam = moto.client("iam")
            # Through `make deployer-role`, as an administrator runs it.
            env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
            env.update({"AWS_ENDPOINT_URL": moto.endpoint, "AWS_REGION": "us-east-1",
                        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "STAGE": "dev"})
            run = subprocess.run(["make", "--no-print-directory", "deployer-role"], cwd=ROOT, env=env,
                                 capture_output=True, text=True, timeout=300)
            self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
            self.assertIn("cv-analytics-dev-deployer: CREATE_COMPLETE", run.stdout)
            self.assertIn("DeployerPolicyArn", run.stdout)
            stack = moto.client("cloudformation").describe_stacks(StackName="cv-analytics-dev-deployer")["Stacks"][0]
            outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
            self.assertEqual(set(outputs), {"DeployerPolicyArn", "DeployerResourcesPolicyArn"})
            for key in outputs:
                self.assertEqual(iam.get_policy(PolicyArn=outputs[key])["Policy"]["AttachmentCount"], 0)
            self.assertEqual([r["RoleName"] for r in iam.list_roles()["Roles"]], [])
            self.assertEqual(iam.list_open_id_connect_providers()["OpenIDConnectProviderList"], [])
        finally:
            moto.stop()


if __name__ == "__main__":
    unittest.main()
