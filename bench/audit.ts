/**
 * Figure 6, audit throughput: the bundled audit function checks many Poelis secrets of one
 * organization in one on-demand run, against the organization's rate limit. The baseline is the
 * limit's theoretical minimum: the vendor calls the run made ÷ the limit.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FunctionEnv } from '../lambda/shared/contracts';
import { newPoelisOrganization, provisionPoelisSecret } from '../local/scenarios';
import { formatMs, formatRatio, ratio } from './stats';
import type { BenchOptions, FigureResult } from './types';
import { drainRateLimit, inParallel, startBenchWorld } from './world';

const AUDIT_BUNDLE = join(__dirname, '..', 'dist', 'lambda', 'audit', 'index.js');
/** The same limit as the fleet figure, for the same reason: the vendor, not this machine, binds. */
const RATE_LIMIT = { perMinute: 300, burst: 0 };
const RATE_PER_SECOND = RATE_LIMIT.perMinute / 60;
/** The stack's timeout for the audit function (lib/audit-function.ts). */
const AUDIT_TIMEOUT_MS = 15 * 60 * 1000;

interface AuditRunPayload {
  readonly secretsAudited: number;
  readonly continued: boolean;
  readonly continuation?: unknown;
}

export async function auditThroughput(options: BenchOptions): Promise<FigureResult> {
  const secretCount = options.quick ? 30 : 1000;
  const bench = await startBenchWorld({ poelisRateLimit: RATE_LIMIT, memoryMb: 256 });
  try {
    const organizationId = newPoelisOrganization(bench.world, 'Audited');
    await inParallel(secretCount, (index) =>
      provisionPoelisSecret(bench.world, bench.clients, {
        name: `bench/audited-${index}`,
        organizationId,
        kmsKeyId: bench.kmsKeyArn,
      }),
    );
    bench.world.runner.register('api-key-rotator-audit', {
      kind: 'bundle',
      file: AUDIT_BUNDLE,
      timeoutMs: AUDIT_TIMEOUT_MS,
      memoryMb: 256,
      environment: bench.world.rotationEnvironment({
        [FunctionEnv.ExpectedKmsKeyArn]: bench.kmsKeyArn,
      }),
    });
    await drainRateLimit(bench.world, organizationId);

    const requestsBefore = new Set(bench.world.poelis.requests().map((r) => r.requestId));
    const started = performance.now();
    const result = await bench.world.runner.invoke('api-key-rotator-audit', {});
    const elapsedMs = performance.now() - started;
    if (!result.ok) {
      throw new Error(`The audit run failed: ${result.errorType}: ${result.errorMessage}`);
    }
    const payload = result.payload as AuditRunPayload;
    const newRequests = bench.world.poelis
      .requests()
      .filter((r) => !requestsBefore.has(r.requestId));
    const refused = newRequests.filter((r) => r.status === 429).length;
    const allowedCalls = newRequests.length - refused;
    const minimumMs = (allowedCalls / RATE_PER_SECOND) * 1000;
    const auditRatio = ratio(elapsedMs, minimumMs);
    const complete = payload.secretsAudited === secretCount && payload.continuation === undefined;
    return {
      id: 'auditThroughput',
      title: `6. Audit throughput (${secretCount} Poelis secrets, one organization, one run)`,
      goal: 'every secret audited in one invocation, within the rate limit (reported)',
      goalMet: undefined,
      rows: [
        {
          measure: `audit run (${payload.secretsAudited} secrets audited${complete ? '' : ', incomplete'})`,
          value: formatMs(elapsedMs),
          baseline: `${formatMs(minimumMs)} (${allowedCalls} vendor calls ÷ ${RATE_PER_SECOND}/s)`,
          ratio: formatRatio(auditRatio),
        },
        {
          measure: 'secrets per second',
          value: ((payload.secretsAudited / elapsedMs) * 1000).toFixed(2),
          baseline: `${RATE_PER_SECOND} (the limit, one identity call per secret)`,
          ratio: formatRatio(ratio(RATE_PER_SECOND, (payload.secretsAudited / elapsedMs) * 1000)),
        },
        {
          measure: '429s absorbed (retried)',
          value: String(refused),
          baseline: `${allowedCalls} allowed calls`,
          ratio: 'n/a',
        },
      ],
      notes: [
        `The bundled audit function (dist/lambda/audit/index.js) runs on demand ({}) with the stack's 15-minute timeout and default concurrency (4 secrets, 1 vendor call per origin at a time); the bucket is drained first so the limit binds from the first call.`,
        'The secrets have rotated no key yet, so each needs one vendor call (the current key); a rotated secret adds one for its previous key.',
      ],
      data: {
        secretCount,
        elapsedMs,
        minimumMs,
        ratio: auditRatio,
        allowedCalls,
        refused,
        secretsAudited: payload.secretsAudited,
        continued: payload.continued,
      },
    };
  } finally {
    await bench.close();
  }
}
