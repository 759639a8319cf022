/**
 * Property: for Polytomic secrets, whatever sequence of rotations, retries, duplicated,
 * concurrent and out-of-order steps, forced rotations and faults happens, the invariants hold
 * after every action, and once faults stop the secret settles, rotates again and stays
 * idempotent. Half of PROPERTY_RUNS runs here.
 */
import { describeScheduleProperty, polytomicSpecArbitrary } from '../support/rotation-schedule';

describeScheduleProperty('Polytomic schedules property', polytomicSpecArbitrary, 25, 0.5);
