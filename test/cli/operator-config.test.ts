/**
 * What README "Operator IAM" asks of the deploy config: the operator's role among each secret's
 * readers, and among the partner key's readers for `recover` on Polytomic secrets
 * (`partnerKey.readerRoleArns`, validated here; the deployed effect is in operator-policy.test.ts).
 */
import { ConfigError, loadRotatorConfig, parseRotatorConfig } from '../../lib/config';
import { OPERATOR_ROLE_NAME } from '../../local/stack/deploy';
import { CLI_STACK_CONFIG } from './support/cli-world';

const OPERATOR = 'arn:aws:iam::111122223333:role/api-key-rotator-operator';
const secrets = [
  {
    name: 'api-key-rotator/polytomic/prod',
    provider: 'polytomic',
    schedule: 'rate(30 days)',
    rotationWindow: '4h',
    readerRoleArns: [OPERATOR],
  },
];

function problemsOf(raw: unknown): readonly string[] {
  try {
    parseRotatorConfig(raw);
  } catch (error: unknown) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('the config was accepted');
}

describe('partnerKey.readerRoleArns', () => {
  it('lists the roles besides the rotation function that may read a partner key the stack creates', () => {
    const config = parseRotatorConfig({
      partnerKey: { secretName: 'polytomic/partner', readerRoleArns: [OPERATOR, OPERATOR] },
      secrets,
    });
    expect(config.partnerKey).toEqual({
      kind: 'created',
      secretName: 'polytomic/partner',
      readerRoleArns: [OPERATOR],
    });
  });

  it('is absent by default: only the rotation function reads the partner key', () => {
    expect(parseRotatorConfig({ secrets }).partnerKey).toEqual({
      kind: 'created',
      secretName: 'api-key-rotator/polytomic-partner-key',
    });
    expect(parseRotatorConfig({ partnerKey: { readerRoleArns: [] }, secrets }).partnerKey).toEqual({
      kind: 'created',
      secretName: 'api-key-rotator/polytomic-partner-key',
    });
  });

  it('rejects role ARNs that are not, and readers of an imported partner key', () => {
    expect(problemsOf({ partnerKey: { readerRoleArns: ['operator', OPERATOR] }, secrets })).toEqual(
      ['partnerKey.readerRoleArns[0]: "operator" is not an IAM role ARN'],
    );
    expect(problemsOf({ partnerKey: { readerRoleArns: OPERATOR }, secrets })).toEqual([
      `partnerKey.readerRoleArns: must be a list, got "${OPERATOR}"`,
    ]);
    expect(
      problemsOf({
        partnerKey: {
          secretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:partner-AbC123',
          readerRoleArns: [OPERATOR],
        },
        secrets,
      }),
    ).toEqual([
      expect.stringMatching(
        /^partnerKey\.readerRoleArns: only applies to a partner key this stack creates \(secretName\)/,
      ),
    ]);
  });
});

describe("the CLI tests' config", () => {
  it('makes the operator role a reader of every secret and of the partner key, as the README says', () => {
    const config = loadRotatorConfig(CLI_STACK_CONFIG);
    const operator = `arn:aws:iam::000000000000:role/${OPERATOR_ROLE_NAME}`;
    for (const secret of config.secrets) expect(secret.readerRoleArns).toContain(operator);
    expect(config.partnerKey).toMatchObject({ kind: 'created', readerRoleArns: [operator] });
  });
});
