/**
 * App-side reader of an API key kept in AWS Secrets Manager, that survives a rotation:
 * cached reads, one read for many callers, and a re-read when the vendor answers 401.
 */
export {
  createKeyReader,
  DEFAULT_KEY_FIELD,
  DEFAULT_MAX_AGE_MS,
  DEFAULT_REJECTED_KEY_BACKOFF,
} from './key-reader';
export type { KeyReader, KeyReaderOptions, KeyRotation } from './types';
export type { SecretValueClient } from './read-key';
export { keyAuthInterceptor } from './key-auth-interceptor';
export type { KeyAuthInterceptorOptions } from './key-auth-interceptor';
export { KeyReaderError, KeyRejectedError, SecretFormatError, SecretReadError } from './errors';
export type { SecretFormatProblem, SecretReadFailure } from './errors';
