/** Poelis's web app as far as keys go: organizations, their workspaces and their REST API keys. */
import { randomBytes, randomUUID } from 'node:crypto';
import type { LedgerEntry, PoelisAdmin } from '../types';
import { SimulatorAdminError } from '../shared/admin-error';
import { POELIS_KEY_PREFIX } from '../shared/key-shapes';
import type { KeyLedger } from '../shared/ledger';
import type { PersistentDirectory } from '../shared/persistence';

export interface PoelisWorkspace {
  readonly id: string;
  readonly readable_id: string;
  readonly name: string;
}

interface PoelisOrganization {
  readonly id: string;
  readonly name: string;
  readonly workspaces: PoelisWorkspace[];
}

/** What a state file keeps of a {@link PoelisDirectory} (`shared/persistence.ts`). */
export interface PoelisDirectoryState {
  readonly organizations: readonly PoelisOrganization[];
}

/** `poelis_api_` and 32 random bytes in url-safe base64 (43 characters), like the documented example. */
function newKeyValue(): string {
  return POELIS_KEY_PREFIX + randomBytes(32).toString('base64url');
}

export class PoelisDirectory implements PoelisAdmin, PersistentDirectory<PoelisDirectoryState> {
  private readonly organizations = new Map<string, PoelisOrganization>();

  constructor(private readonly ledger: KeyLedger) {}

  snapshot(): PoelisDirectoryState {
    return { organizations: [...this.organizations.values()] };
  }

  restore(state: PoelisDirectoryState): void {
    const shape: Record<string, unknown> = { ...state };
    if (!Array.isArray(shape.organizations)) {
      throw new TypeError('A Poelis state needs an organizations array.');
    }
    this.organizations.clear();
    for (const organization of state.organizations) {
      this.organizations.set(organization.id, {
        ...organization,
        workspaces: [...organization.workspaces],
      });
    }
  }

  createOrganization(name: string): { id: string; name: string } {
    if (name.trim() === '') throw new SimulatorAdminError(400, 'An organization needs a name.');
    const organization: PoelisOrganization = { id: randomUUID(), name, workspaces: [] };
    this.organizations.set(organization.id, organization);
    return { id: organization.id, name };
  }

  createWorkspace(organizationId: string, name: string): { id: string; name: string } {
    const organization = this.required(organizationId);
    if (name.trim() === '') throw new SimulatorAdminError(400, 'A workspace needs a name.');
    const readableId = `ws-${String(organization.workspaces.length + 1).padStart(3, '0')}`;
    const workspace: PoelisWorkspace = { id: randomUUID(), readable_id: readableId, name };
    organization.workspaces.push(workspace);
    return { id: workspace.id, name };
  }

  createKey(organizationId: string, name: string): string {
    this.required(organizationId);
    if (name.trim() === '') throw new SimulatorAdminError(400, 'A key needs a name.');
    const value = newKeyValue();
    this.ledger.record(value, { kind: 'organization', organizationId, keyName: name });
    return value;
  }

  /** Revokes the organization's live key with this name or fingerprint, as the web app's Revoke does. */
  revokeKey(organizationId: string, nameOrFingerprint: string): void {
    this.required(organizationId);
    const named = (entry: LedgerEntry): boolean =>
      entry.keyName === nameOrFingerprint || entry.fingerprint === nameOrFingerprint;
    const matching = this.listKeys(organizationId).filter(named);
    if (matching.length === 0) {
      throw new SimulatorAdminError(
        404,
        `No key "${nameOrFingerprint}" in organization ${organizationId}.`,
      );
    }
    const live = matching.filter((entry) => entry.status === 'live');
    if (live.length > 1) {
      throw new SimulatorAdminError(
        409,
        `"${nameOrFingerprint}" names ${live.length} live keys; revoke by fingerprint.`,
      );
    }
    for (const entry of live) this.ledger.revoke(entry.sha256, 'admin');
  }

  keyStatus(value: string): 'live' | 'revoked' | 'unknown' {
    return this.ledger.statusOf(value);
  }

  listKeys(organizationId: string): LedgerEntry[] {
    this.required(organizationId);
    return this.ledger.entries((entry) => entry.organizationId === organizationId);
  }

  workspacesOf(organizationId: string): readonly PoelisWorkspace[] {
    return this.organizations.get(organizationId)?.workspaces ?? [];
  }

  private required(organizationId: string): PoelisOrganization {
    const organization = this.organizations.get(organizationId);
    if (organization === undefined) {
      throw new SimulatorAdminError(404, `No organization ${organizationId}.`);
    }
    return organization;
  }
}
