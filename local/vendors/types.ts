/** Public contracts of the vendor simulators; everything here is re-exported from `local/vendors`. */
import type { Clock } from '../aws/types';

/** The vendor a simulator stands in for (`polytomic`, `poelis`, or a test-only vendor). */
export type Vendor = string;

/** One key a simulator ever issued: named by fingerprint and hash, never by value. */
export interface LedgerEntry {
  vendor: Vendor;
  kind: 'partner' | 'user' | 'organization';
  fingerprint: string;
  sha256: string;
  organizationId: string;
  userId?: string;
  keyName?: string;
  status: 'live' | 'revoked';
  issuedAt: string;
  revokedAt?: string;
  revokedBy?: 'force-reissue' | 'admin';
}

export type FaultKind =
  | 'latency'
  | 'status'
  | 'rate-limit'
  | 'reset'
  | 'commit-then-drop'
  | 'malformed-json'
  | 'html'
  | 'empty'
  | 'huge'
  | 'redirect'
  | 'reflect-auth'
  /** The request is handled, but the key it issues has the value `value` (a hostile vendor). */
  | 'issued-value';

/**
 * A failure to inject into the next matching vendor request(s).
 * `route` matches either a route pattern (`/api/organizations/:org/users/:user/keys`) or a concrete path.
 */
export interface FaultSpec {
  kind: FaultKind;
  method?: string;
  route?: string;
  /** How many matching requests the fault hits. @default 1 */
  times?: number;
  latencyMs?: number;
  status?: number;
  retryAfterSeconds?: number;
  location?: string;
  /**
   * What `reflect-auth` echoes into `X-Request-Id` and the body's ids and messages;
   * `{authorization}` stands for the request's Authorization header. @default '{authorization}'
   */
  reflected?: string;
  /** The value of the key an `issued-value` fault makes the request issue. */
  value?: string;
}

export interface SimulatorOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 0 (a free port) */
  port?: number;
  /** @default the system clock */
  clock?: Clock;
  /** JSON file the simulator's accounts and key ledger are kept in across restarts. @default none */
  statePath?: string;
}

/** One vendor API request as the simulator saw it; admin calls are not logged. */
export interface RequestRecord {
  method: string;
  /** The matched route pattern, or the raw path when no route matched. */
  route: string;
  /** 0 when the connection was dropped instead of answered. */
  status: number;
  requestId: string;
  at: string;
}

/** What both simulators offer besides their vendor-specific admin. */
export interface SimulatorBase {
  readonly url: string;
  injectFault(f: FaultSpec): void;
  clearFaults(): void;
  ledger(): LedgerEntry[];
  requests(): RequestRecord[];
  /** Requests per `METHOD route`, counted since start (never truncated, unlike `requests()`). */
  routeCounts(): Record<string, number>;
  isIssuedKey(candidate: string): boolean;
  close(): Promise<void>;
}

export interface PolytomicAdmin {
  createOrganization(name: string): { id: string; name: string };
  createUser(organizationId: string, email: string, role?: string): { id: string; email: string };
  /** Returns the value once; the simulator keeps only its hash. */
  createPartnerKey(): string;
  /** Issues a user key as the settings panel would, replacing the user's live key if any. */
  issueUserKey(organizationId: string, userId: string): string;
  revokeKey(fingerprint: string): void;
  keyStatus(value: string): 'live' | 'revoked' | 'unknown';
  liveKeysOf(userId: string): LedgerEntry[];
}

export interface PolytomicSimulator extends SimulatorBase {
  readonly admin: PolytomicAdmin;
}

export interface PoelisAdmin {
  createOrganization(name: string): { id: string; name: string };
  createWorkspace(organizationId: string, name: string): { id: string; name: string };
  /** Returns the value once, as the web app shows it; the simulator keeps only its hash. */
  createKey(organizationId: string, name: string): string;
  revokeKey(organizationId: string, nameOrFingerprint: string): void;
  keyStatus(value: string): 'live' | 'revoked' | 'unknown';
  listKeys(organizationId: string): LedgerEntry[];
}

export interface PoelisSimulator extends SimulatorBase {
  readonly admin: PoelisAdmin;
}

export interface RateLimitOptions {
  /** Sustained requests per minute per organization. */
  perMinute: number;
  /** Extra requests allowed in a burst beyond `perMinute`. */
  burst: number;
}

export type PoelisSimulatorOptions = SimulatorOptions & { rateLimit?: RateLimitOptions };
