"""A rotation handler of the shape of AWS's SecretsManagerRotationTemplate, for the cold start
baseline: boto3's Secrets Manager client, the same four steps and checks, a random password as
the new secret (set_secret and test_secret are left to the integrator, as in the template)."""

import logging
import os

import boto3

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def service_client():
    """The template creates its client on each invocation, with an optional endpoint."""
    return boto3.client("secretsmanager", endpoint_url=os.environ.get("SECRETS_MANAGER_ENDPOINT"))


def lambda_handler(event, context):
    arn = event["SecretId"]
    token = event["ClientRequestToken"]
    step = event["Step"]
    client = service_client()

    metadata = client.describe_secret(SecretId=arn)
    if not metadata.get("RotationEnabled"):
        raise ValueError("Secret %s is not enabled for rotation" % arn)
    versions = metadata.get("VersionIdsToStages", {})
    if token not in versions:
        raise ValueError("Secret version %s has no stage for rotation of secret %s." % (token, arn))
    if "AWSCURRENT" in versions[token]:
        logger.info("Secret version %s already set as AWSCURRENT for secret %s.", token, arn)
        return
    if "AWSPENDING" not in versions[token]:
        raise ValueError("Secret version %s not set as AWSPENDING for rotation of secret %s." % (token, arn))

    steps = {
        "createSecret": create_secret,
        "setSecret": set_secret,
        "testSecret": test_secret,
        "finishSecret": finish_secret,
    }
    if step not in steps:
        raise ValueError("Invalid step parameter")
    steps[step](client, arn, token)


def create_secret(client, arn, token):
    client.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")
    try:
        client.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
        logger.info("createSecret: found the pending version of %s.", arn)
    except client.exceptions.ResourceNotFoundException:
        exclude = os.environ.get("EXCLUDE_CHARACTERS", "/@\"'\\")
        password = client.get_random_password(ExcludeCharacters=exclude)
        client.put_secret_value(
            SecretId=arn,
            ClientRequestToken=token,
            SecretString=password["RandomPassword"],
            VersionStages=["AWSPENDING"],
        )
        logger.info("createSecret: put the pending version of %s.", arn)


def set_secret(client, arn, token):
    """The service-specific step: the template leaves it to the integrator."""


def test_secret(client, arn, token):
    """The service-specific step: the template leaves it to the integrator."""


def finish_secret(client, arn, token):
    metadata = client.describe_secret(SecretId=arn)
    current = None
    for version, stages in metadata["VersionIdsToStages"].items():
        if "AWSCURRENT" in stages:
            if version == token:
                logger.info("finishSecret: %s is already AWSCURRENT for %s.", version, arn)
                return
            current = version
            break
    client.update_secret_version_stage(
        SecretId=arn,
        VersionStage="AWSCURRENT",
        MoveToVersionId=token,
        RemoveFromVersionId=current,
    )
    logger.info("finishSecret: moved AWSCURRENT to %s for %s.", token, arn)
