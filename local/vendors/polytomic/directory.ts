/** Polytomic's accounts: organizations, users, the partner, and who holds which key. */
import { randomUUID } from 'node:crypto';
import type { LedgerEntry, PolytomicAdmin } from '../types';
import { SimulatorAdminError } from '../shared/admin-error';
import type { KeyLedger } from '../shared/ledger';
import type { PersistentDirectory } from '../shared/persistence';

export interface PolytomicOrganization {
  readonly id: string;
  readonly name: string;
}

export interface PolytomicUser {
  readonly id: string;
  readonly organizationId: string;
  readonly email: string;
  readonly role: string;
}

/** The partner account every partner key belongs to. */
export interface PolytomicPartner {
  readonly id: string;
  readonly email: string;
  readonly organizationId: string;
  readonly organizationName: string;
}

/** Polytomic's built-in roles (Admin, Editor, Sync Editor, Viewer), as legacy role names. */
export const POLYTOMIC_ROLES: readonly string[] = ['admin', 'editor', 'sync_editor', 'viewer'];

/** What the partner API's organization create did. */
export type OrganizationOutcome =
  | { readonly kind: 'created'; readonly organization: PolytomicOrganization }
  | { readonly kind: 'name-taken' };

/** What the partner API's user create did. */
export type UserOutcome =
  | { readonly kind: 'created'; readonly user: PolytomicUser }
  | { readonly kind: 'organization-not-found' }
  | { readonly kind: 'unknown-role' }
  | { readonly kind: 'email-taken'; readonly elsewhere: boolean };

export type UserKeyOutcome =
  | { readonly kind: 'issued'; readonly value: string }
  | { readonly kind: 'organization-not-found' }
  | { readonly kind: 'user-not-found' }
  | { readonly kind: 'user-has-key' };

/** Keys are UUID v4, like the one in Polytomic's documentation. */
function newKeyValue(): string {
  return randomUUID();
}

/** What a state file keeps of a {@link PolytomicDirectory} (`shared/persistence.ts`). */
export interface PolytomicDirectoryState {
  readonly partner: PolytomicPartner;
  readonly organizations: readonly PolytomicOrganization[];
  readonly users: readonly PolytomicUser[];
}

export class PolytomicDirectory
  implements PolytomicAdmin, PersistentDirectory<PolytomicDirectoryState>
{
  private partnerAccount: PolytomicPartner = {
    id: randomUUID(),
    email: 'partner@polytomic-simulator.invalid',
    organizationId: randomUUID(),
    organizationName: 'Partner',
  };
  private readonly organizations = new Map<string, PolytomicOrganization>();
  private readonly users = new Map<string, PolytomicUser>();

  constructor(private readonly ledger: KeyLedger) {}

  /** The partner account every partner key belongs to (kept across restarts with its keys). */
  get partner(): PolytomicPartner {
    return this.partnerAccount;
  }

  snapshot(): PolytomicDirectoryState {
    return {
      partner: { ...this.partnerAccount },
      organizations: [...this.organizations.values()],
      users: [...this.users.values()],
    };
  }

  restore(state: PolytomicDirectoryState): void {
    const shape: Record<string, unknown> = { ...state };
    if (!Array.isArray(shape.organizations) || !Array.isArray(shape.users)) {
      throw new TypeError('A Polytomic state needs organizations and users arrays.');
    }
    this.partnerAccount = { ...state.partner };
    this.organizations.clear();
    for (const organization of state.organizations) {
      this.organizations.set(organization.id, { ...organization });
    }
    this.users.clear();
    for (const user of state.users) this.users.set(user.id, { ...user });
  }

  createOrganization(name: string): { id: string; name: string } {
    if (name.trim() === '') throw new SimulatorAdminError(400, 'An organization needs a name.');
    const organization = { id: randomUUID(), name };
    this.organizations.set(organization.id, organization);
    return { ...organization };
  }

  createUser(organizationId: string, email: string, role = 'admin'): { id: string; email: string } {
    if (!this.organizations.has(organizationId)) {
      throw new SimulatorAdminError(404, `No organization ${organizationId}.`);
    }
    if (email.trim() === '') throw new SimulatorAdminError(400, 'A user needs an email.');
    const user: PolytomicUser = { id: randomUUID(), organizationId, email, role };
    this.users.set(user.id, user);
    return { id: user.id, email };
  }

  /**
   * The partner API's create: names are unique across the partner account (Polytomic answers
   * 409; apidocs.polytomic.com/2025-09-18/api-reference/organization/create), unlike the
   * admin's, which lets tests reuse names.
   */
  createPartnerOrganization(name: string): OrganizationOutcome {
    const taken = [...this.organizations.values()].some(
      (organization) => organization.name === name,
    );
    if (taken) return { kind: 'name-taken' };
    return { kind: 'created', organization: this.createOrganization(name) };
  }

  /**
   * The partner API's create: an email signs one user in, so it is unique across organizations
   * (compared case-insensitively); `role` is one of {@link POLYTOMIC_ROLES}, `admin` when absent.
   */
  createPartnerUser(organizationId: string, email: string, role = 'admin'): UserOutcome {
    if (!this.organizations.has(organizationId)) return { kind: 'organization-not-found' };
    if (!POLYTOMIC_ROLES.includes(role)) return { kind: 'unknown-role' };
    const existing = [...this.users.values()].find(
      (user) => user.email.toLowerCase() === email.toLowerCase(),
    );
    if (existing !== undefined) {
      return { kind: 'email-taken', elsewhere: existing.organizationId !== organizationId };
    }
    const { id } = this.createUser(organizationId, email, role);
    return { kind: 'created', user: this.users.get(id) as PolytomicUser };
  }

  /** Every organization of the partner account, oldest first. */
  listOrganizations(): PolytomicOrganization[] {
    return [...this.organizations.values()];
  }

  /** The users of an organization, oldest first; undefined when it does not exist. */
  usersOf(organizationId: string): PolytomicUser[] | undefined {
    if (!this.organizations.has(organizationId)) return undefined;
    return [...this.users.values()].filter((user) => user.organizationId === organizationId);
  }

  createPartnerKey(): string {
    const value = newKeyValue();
    this.ledger.record(value, { kind: 'partner', organizationId: this.partner.organizationId });
    return value;
  }

  issueUserKey(organizationId: string, userId: string): string {
    const outcome = this.createUserKey(organizationId, userId, true);
    switch (outcome.kind) {
      case 'issued':
        return outcome.value;
      case 'organization-not-found':
        throw new SimulatorAdminError(404, `No organization ${organizationId}.`);
      case 'user-not-found':
        throw new SimulatorAdminError(404, `No user ${userId} in organization ${organizationId}.`);
      case 'user-has-key':
        throw new SimulatorAdminError(409, 'The user already has a key.');
    }
  }

  /**
   * Issues a user key. One live key per user: without `force` a user holding one is refused;
   * with it, the existing key is revoked first. `value` replaces the random value (a fault).
   */
  createUserKey(
    organizationId: string,
    userId: string,
    force: boolean,
    value: string = newKeyValue(),
  ): UserKeyOutcome {
    if (!this.organizations.has(organizationId)) return { kind: 'organization-not-found' };
    const user = this.users.get(userId);
    if (user === undefined || user.organizationId !== organizationId)
      return { kind: 'user-not-found' };
    const live = this.liveKeysOf(userId);
    if (live.length > 0 && !force) return { kind: 'user-has-key' };
    for (const entry of live) this.ledger.revoke(entry.sha256, 'force-reissue');
    this.ledger.record(value, { kind: 'user', organizationId, userId });
    return { kind: 'issued', value };
  }

  revokeKey(fingerprint: string): void {
    const matching = this.ledger.entries((entry) => entry.fingerprint === fingerprint);
    if (matching.length === 0)
      throw new SimulatorAdminError(404, `No key with fingerprint ${fingerprint}.`);
    const live = matching.filter((entry) => entry.status === 'live');
    if (live.length > 1) {
      throw new SimulatorAdminError(409, `Fingerprint ${fingerprint} names several live keys.`);
    }
    for (const entry of live) this.ledger.revoke(entry.sha256, 'admin');
  }

  keyStatus(value: string): 'live' | 'revoked' | 'unknown' {
    return this.ledger.statusOf(value);
  }

  liveKeysOf(userId: string): LedgerEntry[] {
    return this.ledger.entries((entry) => entry.userId === userId && entry.status === 'live');
  }

  organization(id: string): PolytomicOrganization | undefined {
    return this.organizations.get(id);
  }

  user(id: string): PolytomicUser | undefined {
    return this.users.get(id);
  }
}
