import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, type NagPack, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** The cdk-nag packs the stack must pass: AWS Solutions and Serverless. */
export function compliancePacks(scope?: IConstruct): NagPack[] {
  return [
    new AwsSolutionsChecks(scope, { verbose: true }),
    new ServerlessChecks(scope, { verbose: true }),
  ];
}

/** Runs the packs at synthesis: an unacknowledged finding fails `cdk synth`. */
export function addComplianceChecks(app: IConstruct): void {
  Validations.of(app).addPlugins(...compliancePacks(app));
}
