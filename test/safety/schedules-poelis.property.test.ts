/**
 * Property: for Poelis secrets, whatever sequence of rotations, retries, duplicated,
 * concurrent and out-of-order steps, forced rotations, operator staging and reminders, and
 * faults happens, the invariants hold after every action, and once faults stop the secret
 * settles, rotates again and stays idempotent. Half of PROPERTY_RUNS runs here.
 */
import { describeScheduleProperty, poelisSpecArbitrary } from '../support/rotation-schedule';

describeScheduleProperty('Poelis schedules property', poelisSpecArbitrary, 25, 0.5);
