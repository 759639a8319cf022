/**
 * The tags the stack puts on every managed secret. The stack writes them; the functions, the CLI
 * and the local world read them, so they are defined once, here.
 */

/** Marks a secret the rotator manages (value {@link MANAGED_TAG_VALUE}); the audit lists by it. */
export const MANAGED_TAG = 'api-key-rotator:managed';
export const MANAGED_TAG_VALUE = 'true';

/** Names the vendor of a managed secret, for people and cost reports; no function reads it. */
export const PROVIDER_TAG = 'api-key-rotator:provider';

/** Sets a secret's revoke policy without touching its value; the rotation reads it. */
export const REVOKE_POLICY_TAG = 'api-key-rotator:revoke-previous';
