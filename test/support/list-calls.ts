import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** The list operations a caller pages through. */
export type ListOperation = 'ListSecrets' | 'ListSecretVersionIds';

/** How many times each list operation was sent through a client. */
export type ListCalls = Record<ListOperation, number>;

/**
 * Counts the client's ListSecrets and ListSecretVersionIds calls, and fails a call past its
 * operation's limit: a listing that never stops then fails the test at once instead of running
 * into its timeout.
 */
export function countListCalls(client: SecretsManagerClient, limits: ListCalls): ListCalls {
  const calls: ListCalls = { ListSecrets: 0, ListSecretVersionIds: 0 };
  client.middlewareStack.add(
    (next, context) => (args) => {
      const operation = context.commandName?.replace(/Command$/, '');
      if (operation === 'ListSecrets' || operation === 'ListSecretVersionIds') {
        calls[operation] += 1;
        if (calls[operation] > limits[operation]) {
          return Promise.reject(
            new Error(`${operation} sent ${calls[operation]} times: the listing does not stop`),
          );
        }
      }
      return next(args);
    },
    { step: 'initialize', name: 'countListCalls' },
  );
  return calls;
}
