/**
 * The vendors the conformance kit runs: each entry gets the fault matrix, the property
 * schedules, the hostile vendor answers, the audit checks and the leak scanner.
 */
import { acmeUnderTest } from './acme/simulator';
import { poelisUnderTest, polytomicUnderTest } from './built-in-vendors';
import type { VendorUnderTest } from './vendor-under-test';

export const VENDORS_UNDER_TEST: readonly VendorUnderTest[] = [
  polytomicUnderTest,
  poelisUnderTest,
  acmeUnderTest,
];
