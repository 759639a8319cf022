/**
 * @deprecated The tags moved to `./contracts`; import them from there. This re-export remains
 * only until its last importers switch.
 */
export { MANAGED_TAG, MANAGED_TAG_VALUE, PROVIDER_TAG, REVOKE_POLICY_TAG } from './contracts';
