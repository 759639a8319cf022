/**
 * The operator CLI against the local world: `npx tsx local/cli.ts <command>`, configured as the
 * binary is (AWS_ENDPOINT_URL, AWS_REGION, the operator's session, ROTATOR_*), plus the AWS
 * emulator's rotation history, so `rotate --wait`, `status` and `recover` also name each step
 * and the one that failed. The binary itself never reads the emulator's admin routes.
 */
import { ExitCode } from '../cli/exit-codes';
import { runProcess } from '../cli/main';
import { emulatorRotationHistory } from './aws/rotation-history';

// The SDK's own precedence: the service-specific endpoint wins over the global one.
const endpoint = [process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER, process.env.AWS_ENDPOINT_URL].find(
  (url) => url !== undefined && url !== '',
);

if (endpoint === undefined) {
  process.stderr.write(
    'local/cli.ts: set AWS_ENDPOINT_URL to the local world\'s "aws" URL (`npm run local` prints it).\n',
  );
  process.exitCode = ExitCode.Usage;
} else {
  void runProcess({ history: emulatorRotationHistory(endpoint) });
}
