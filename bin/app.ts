import { App } from 'aws-cdk-lib';
import { ApiKeyRotatorStack } from '../lib/api-key-rotator-stack';
import { loadRotatorConfig } from '../lib/config';
import { addComplianceChecks } from '../lib/nag';

/** Context key naming the config file: `npx cdk synth -c api-key-rotator:config=config/prod.json`. */
const CONFIG_CONTEXT_KEY = 'api-key-rotator:config';

const app = new App();
const configPath: unknown = app.node.tryGetContext(CONFIG_CONTEXT_KEY);
if (typeof configPath !== 'string') {
  throw new Error(`Set the context value "${CONFIG_CONTEXT_KEY}" to the path of a config file.`);
}
const config = loadRotatorConfig(configPath);
new ApiKeyRotatorStack(app, config.stackName, {
  config,
  description:
    'api-key-rotator: KMS-encrypted API keys rotated and audited by Lambdas, with alarms',
});
addComplianceChecks(app);
