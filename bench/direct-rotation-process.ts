/**
 * Runs DirectRotation in its own process, as the rotation function runs in its container, so
 * that baseline and function both reach the emulator and simulators across processes.
 * The parent sends `{ secretArn }`; the child answers `{ ok: true }` or `{ ok: false, error }`.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DirectRotation } from './direct-rotation';

interface RotateRequest {
  readonly secretArn: string;
}

const endpoint = process.env.BENCH_AWS_ENDPOINT;
if (endpoint === undefined || process.send === undefined) {
  throw new Error('Start this module with fork() and BENCH_AWS_ENDPOINT set.');
}
const config = {
  endpoint,
  region: process.env.AWS_REGION ?? 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
};
const rotation = new DirectRotation({
  secrets: new SecretsManagerClient(config),
  kms: new KMSClient(config),
});

process.on('message', (message: RotateRequest) => {
  rotation.rotate(message.secretArn).then(
    () => process.send?.({ ok: true }),
    (error: unknown) => process.send?.({ ok: false, error: String(error) }),
  );
});
process.on('disconnect', () => {
  void rotation.close();
});
