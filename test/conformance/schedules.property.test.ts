/**
 * Property, for every registered vendor: whatever sequence of rotations, retries, duplicated,
 * concurrent and out-of-order steps, forced rotations, operator staging and reminders, and
 * faults happens, the invariants hold after every action, and once faults stop the secret
 * settles, rotates again and stays idempotent. PROPERTY_RUNS is shared among the vendors.
 */
import { describeScheduleProperty } from '../support/rotation-schedule';
import { specArbitrary } from './kit';
import { VENDORS_UNDER_TEST } from './vendors';

for (const vendor of VENDORS_UNDER_TEST) {
  describeScheduleProperty(
    `${vendor.provider.displayName} schedules property`,
    specArbitrary(vendor),
    25,
    1 / VENDORS_UNDER_TEST.length,
  );
}
