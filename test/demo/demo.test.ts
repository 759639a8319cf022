/**
 * `npm start`: the demo runs as a user runs it (tsx, a child process, the bundled rotation
 * function) and its story's facts hold.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RotationFact, StorySummary } from '../../demo/summary';
import { RotationMetric } from '../../lambda/shared/contracts';

const root = join(__dirname, '..', '..');
const bundle = join(root, 'dist', 'lambda', 'rotation', 'index.js');
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
      process.execPath,
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
      ...(summary.deployment.kmsKeyArn.match(UUID) ?? []),
    ].map((id) => id.toLowerCase()),
  );
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
    // The five checks on each of the two secrets.
    expect(summary.audit).toHaveLength(10);
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

describe('npm start (narrated, not a terminal)', () => {
  it('tells the story in plain lines, without colours or a spinner, and exits 0', async () => {
    const run = await runDemo([], { NO_COLOR: '1' });

    // On failure the diff shows the whole output, which says which fact did not hold.
    expect(run).toMatchObject({ code: 0 });
    expect(run.stdout).not.toContain(ANSI_ESCAPE);
    expect(run.stdout).toContain('createSecret');
    expect(run.stdout).toContain('finishSecret');
    expect(run.stdout).toMatch(/app: \d+ calls during both rotations, 0 failed/);
    expect(run.stdout).toMatch(
      /stack ApiKeyRotator: \d+ resources created from the synthesized template \(cdk\.out\), authorization on/,
    );
    expect(run.stdout).toMatch(/The story holds/);
    expect(run.stdout + run.stderr).not.toContain('poelis_api_');
  }, 180_000);
});
