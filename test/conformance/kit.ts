/**
 * The conformance kit: what every vendor under test is run through, derived from its
 * registration alone (its variants and how its keys are revoked), with no per-vendor code.
 */
import fc from 'fast-check';
import type { MatrixScenario } from '../support/fault-matrix';
import type { SecretSpec } from '../support/safety-world';
import type { VendorUnderTest } from './vendor-under-test';
import { VENDORS_UNDER_TEST } from './vendors';

/**
 * The fault-matrix scenarios of a vendor: every variant under `on-finish`, and its first variant
 * under `next-rotation` set by the stack's tag.
 */
export function matrixScenarios(vendor: VendorUnderTest): MatrixScenario[] {
  const provider = vendor.provider.name;
  const [first] = vendor.variants;
  return [
    ...vendor.variants.map((variant) => ({
      name: `${vendor.provider.displayName}, ${variant.name}, on-finish`,
      spec: { provider, options: variant.options },
    })),
    {
      name: `${vendor.provider.displayName}, ${first.name}, next-rotation from the stack tag`,
      spec: {
        provider,
        options: first.options,
        policy: 'next-rotation' as const,
        policyIn: 'tag' as const,
      },
    },
  ];
}

/** Secrets of a vendor for property runs: any variant, either policy, set in the value or the tag. */
export function specArbitrary(vendor: VendorUnderTest): fc.Arbitrary<SecretSpec> {
  return fc.record({
    provider: fc.constant(vendor.provider.name),
    options: fc.constantFrom(...vendor.variants.map((variant) => variant.options)),
    policy: fc.constantFrom('on-finish' as const, 'next-rotation' as const),
    policyIn: fc.constantFrom('value' as const, 'tag' as const),
  });
}

/**
 * One of `shards` parts of every registered vendor's items: each kit suite is split over a few
 * test files so that jest runs the parts side by side.
 */
export function shardOf<T>(
  itemsOf: (vendor: VendorUnderTest) => readonly T[],
  shard: number,
  shards: number,
): T[] {
  return VENDORS_UNDER_TEST.flatMap(itemsOf).filter((_, index) => index % shards === shard);
}
