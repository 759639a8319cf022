import { kmsAliasFor, physicalNamePrefixFor } from '../../lib/construct-id';

describe('physicalNamePrefixFor', () => {
  it.each([
    ['ApiKeyRotator', 'api-key-rotator'],
    ['ApiKeyRotatorE2E', 'api-key-rotator-e2e'],
    ['APIKeyRotator', 'api-key-rotator'],
    ['Rotator-Staging', 'rotator-staging'],
    ['rotator--eu-1', 'rotator-eu-1'],
    ['Probe', 'probe'],
  ])('turns the stack name %s into %s', (stackName, prefix) => {
    expect(physicalNamePrefixFor(stackName)).toBe(prefix);
  });

  it('gives KMS aliases only the characters KMS allows, outside the reserved alias/aws/', () => {
    for (const stackName of ['ApiKeyRotator', 'A', 'x'.repeat(128), 'Aws', 'a1-B2-C3']) {
      const alias = kmsAliasFor(stackName);
      expect(alias).toMatch(/^alias\/[a-z0-9-]{1,250}$/);
      expect(alias.startsWith('alias/aws/')).toBe(false);
    }
    expect(kmsAliasFor('ApiKeyRotator')).toBe('alias/api-key-rotator');
  });

  it('refuses a name with nothing to keep', () => {
    expect(() => physicalNamePrefixFor('--')).toThrow(/leaves no physical name prefix/);
  });
});
