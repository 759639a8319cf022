/**
 * Polytomic and Poelis as the conformance kit sees them: their providers, and the local
 * world's simulators with the hands of a person at each vendor.
 */
import { poelisProvider } from '../../lambda/providers/poelis';
import { polytomicProvider } from '../../lambda/providers/polytomic';
import { keyShapedStrings } from '../../local/vendors';
import type { LocalWorld } from '../../local/world';
import { simulatedVendor, type VendorUnderTest } from './vendor-under-test';

/** Polytomic: keys per user, minted by the partner key; two users alternate unless single-user. */
export const polytomicUnderTest: VendorUnderTest = {
  provider: polytomicProvider,
  revocation: 'automatic',
  revokesByReissue: true,
  variants: [
    { name: 'two users', options: { standby: true } },
    { name: 'single user', options: { standby: false } },
  ],
  start: (world: LocalWorld) => {
    const { admin } = world.polytomic;
    return Promise.resolve(
      simulatedVendor(
        world.polytomic,
        {
          keyShapedStrings,
          keyStatus: (value) => admin.keyStatus(value),
          async openAccount({ name, options, storeCredential }) {
            const organization = admin.createOrganization(`${name} org`);
            const user = admin.createUser(
              organization.id,
              `rotation-a+${organization.id}@example.com`,
            );
            const standby =
              options.standby === false
                ? undefined
                : admin.createUser(organization.id, `rotation-b+${organization.id}@example.com`);
            const partnerKeySecretId =
              typeof options.partnerKeySecretId === 'string'
                ? options.partnerKeySecretId
                : await storeCredential(
                    `${name}/partner-key`,
                    JSON.stringify({ partnerKey: admin.createPartnerKey() }),
                  );
            return {
              value: {
                provider: 'polytomic',
                apiKey: admin.issueUserKey(organization.id, user.id),
                organizationId: organization.id,
                userId: user.id,
                ...(standby === undefined ? {} : { standbyUserId: standby.id }),
                baseUrl: world.urls.polytomic,
                apiVersion: '2025-09-18',
                partnerKeySecretId,
              },
              organizationId: organization.id,
              principals: standby === undefined ? [user.id] : [user.id, standby.id],
              currentKeyDiesAtIssue: standby === undefined,
            };
          },
          revokeByHand: (_organizationId, fingerprint) => admin.revokeKey(fingerprint),
        },
        false,
      ),
    );
  },
};

/** Poelis: keys are made and revoked by a person in the web app; the rotation is assisted. */
export const poelisUnderTest: VendorUnderTest = {
  provider: poelisProvider,
  revocation: 'manual',
  revokesByReissue: false,
  variants: [{ name: 'staged keys', options: {} }],
  start: (world: LocalWorld) => {
    const { admin } = world.poelis;
    return Promise.resolve(
      simulatedVendor(
        world.poelis,
        {
          keyShapedStrings,
          keyStatus: (value) => admin.keyStatus(value),
          openAccount({ name }) {
            const organization = admin.createOrganization(`${name} org`);
            admin.createWorkspace(organization.id, 'Main');
            const keyName = `${name} #1`;
            return Promise.resolve({
              value: {
                provider: 'poelis',
                apiKey: admin.createKey(organization.id, keyName),
                keyName,
                baseUrl: world.urls.poelis,
              },
              organizationId: organization.id,
              principals: [],
              currentKeyDiesAtIssue: false,
            });
          },
          revokeByHand: (organizationId, fingerprint) =>
            admin.revokeKey(organizationId, fingerprint),
          createKeyByHand: (organizationId, keyName) => admin.createKey(organizationId, keyName),
        },
        false,
      ),
    );
  },
};
