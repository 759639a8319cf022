import type { StoredSecret } from './secrets';
import { AwsError } from './errors';

export interface SecretFilter {
  key: string;
  values: string[];
}

const FILTER_KEYS = [
  'description',
  'name',
  'tag-key',
  'tag-value',
  'primary-region',
  'owning-service',
  'all',
];

function fieldsFor(secret: StoredSecret, key: string, region: string): string[] {
  switch (key) {
    case 'name':
      return [secret.name];
    case 'description':
      return secret.description === undefined ? [] : [secret.description];
    case 'tag-key':
      return secret.tags.map((tag) => tag.Key);
    case 'tag-value':
      return secret.tags.map((tag) => tag.Value);
    case 'primary-region':
      return [region];
    case 'owning-service':
      return [];
    default:
      return [
        secret.name,
        secret.description ?? '',
        ...secret.tags.flatMap((tag) => [tag.Key, tag.Value]),
      ];
  }
}

export function validateFilters(filters: readonly SecretFilter[]): void {
  for (const filter of filters) {
    if (!FILTER_KEYS.includes(filter.key)) {
      throw new AwsError(
        'ValidationException',
        `1 validation error detected: Value '${filter.key}' at 'filters.member.key' failed to satisfy constraint: Member must satisfy enum value set: [${FILTER_KEYS.join(', ')}]`,
      );
    }
  }
}

/**
 * ListSecrets filtering: values match by prefix, a leading `!` negates; values of one filter
 * are OR-ed, filters are AND-ed.
 */
export function matchesFilters(
  secret: StoredSecret,
  filters: readonly SecretFilter[],
  region: string,
): boolean {
  return filters.every((filter) => {
    const fields = fieldsFor(secret, filter.key, region);
    return filter.values.some((value) =>
      value.startsWith('!')
        ? !fields.some((field) => field.startsWith(value.slice(1)))
        : fields.some((field) => field.startsWith(value)),
    );
  });
}
