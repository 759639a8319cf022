import { App } from 'aws-cdk-lib';
import { ApiKeyRotatorStack } from '../lib/api-key-rotator-stack';
import {
  CONFIG_CONTEXT_KEY,
  ConfigError,
  loadRotatorConfig,
  MissingConfigError,
  resolveConfigPath,
  type RotatorConfig,
} from '../lib/config';
import { addComplianceChecks } from '../lib/nag';

const app = new App();
let configPath: string | undefined;
try {
  configPath = resolveConfigPath(app.node.tryGetContext(CONFIG_CONTEXT_KEY));
} catch (error) {
  if (!(error instanceof MissingConfigError)) throw error;
  // A plain message and a failed exit, before any construct exists: cdk deploy stops here.
  console.error(error.message);
  process.exit(1);
}
let config: RotatorConfig;
try {
  config = loadRotatorConfig(configPath);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // Each problem once, plainly: an uncaught error would print a stack and its problems again.
  console.error(error.message);
  process.exit(1);
}
new ApiKeyRotatorStack(app, config.stackName, {
  config,
  description:
    'api-key-rotator: KMS-encrypted API keys rotated and audited by Lambdas, with alarms',
});
addComplianceChecks(app);
