import type { IntrinsicContext } from '../../../local/cloudformation';
import {
  IntrinsicError,
  RuleAssertionError,
  checkRules,
  evaluateConditions,
  findUnsupportedFunctions,
  pseudoParameters,
  resolveParameters,
  resolveValue,
} from '../../../local/cloudformation';

const pseudo = pseudoParameters({
  accountId: '111122223333',
  region: 'eu-west-1',
  stackName: 'Demo',
  stackId: 'arn:aws:cloudformation:eu-west-1:111122223333:stack/Demo/1234',
});

const deployed: Record<string, { physicalId: string; attributes: Record<string, unknown> }> = {
  Topic: {
    physicalId: 'arn:aws:sns:eu-west-1:111122223333:Demo-Topic',
    attributes: { TopicName: 'Demo-Topic' },
  },
  Role: {
    physicalId: 'Demo-Role-ABC',
    attributes: { Arn: 'arn:aws:iam::111122223333:role/Demo-Role-ABC', 'Endpoint.Address': 'h' },
  },
};

function context(overrides: Partial<IntrinsicContext> = {}): IntrinsicContext {
  return {
    pseudo,
    parameters: { Env: 'prod', Zones: ['a', 'b'] },
    conditions: { IsProd: true, IsDev: false },
    ref: (id) => {
      const resource = deployed[id];
      if (resource === undefined) throw new Error(`Resource ${id} is not created (yet)`);
      return resource.physicalId;
    },
    getAtt: (id, attribute) => {
      const value = deployed[id]?.attributes[attribute];
      if (value === undefined) throw new Error(`no ${id}.${attribute}`);
      return value;
    },
    ...overrides,
  };
}

const resolve = (value: unknown, overrides?: Partial<IntrinsicContext>): unknown =>
  resolveValue(value, context(overrides), 'Resources.R.Properties');

describe('pseudo parameters', () => {
  it.each([
    ['AWS::AccountId', '111122223333'],
    ['AWS::Region', 'eu-west-1'],
    ['AWS::Partition', 'aws'],
    ['AWS::StackName', 'Demo'],
    ['AWS::StackId', 'arn:aws:cloudformation:eu-west-1:111122223333:stack/Demo/1234'],
    ['AWS::URLSuffix', 'amazonaws.com'],
  ])('Ref %s', (name, expected) => {
    expect(resolve({ Ref: name })).toBe(expected);
  });

  it('derives partition and URL suffix from the region, and generates a stack id', () => {
    const china = pseudoParameters({ accountId: '1', region: 'cn-north-1', stackName: 'S' });
    expect([china.partition, china.urlSuffix]).toEqual(['aws-cn', 'amazonaws.com.cn']);
    expect(
      pseudoParameters({ accountId: '1', region: 'us-gov-west-1', stackName: 'S' }).partition,
    ).toBe('aws-us-gov');
    expect(china.stackId).toMatch(
      /^arn:aws-cn:cloudformation:cn-north-1:1:stack\/S\/[0-9a-f-]{36}$/,
    );
  });

  it('AWS::NoValue removes the property and the list item', () => {
    expect(
      resolve({
        Keep: 'x',
        Drop: { Ref: 'AWS::NoValue' },
        List: ['a', { Ref: 'AWS::NoValue' }, 'b'],
        Chosen: { 'Fn::If': ['IsDev', 'dev', { Ref: 'AWS::NoValue' }] },
      }),
    ).toEqual({ Keep: 'x', List: ['a', 'b'] });
    expect(resolve({ Ref: 'AWS::NoValue' })).toBeUndefined();
  });

  it('an unknown pseudo parameter fails', () => {
    expect(() => resolve({ Ref: 'AWS::Nope' })).toThrow(
      'Ref to unknown pseudo parameter AWS::Nope',
    );
  });
});

describe('Ref and Fn::GetAtt', () => {
  it('Ref gives parameters and physical ids', () => {
    expect(resolve([{ Ref: 'Env' }, { Ref: 'Zones' }, { Ref: 'Topic' }])).toEqual([
      'prod',
      ['a', 'b'],
      'arn:aws:sns:eu-west-1:111122223333:Demo-Topic',
    ]);
  });

  it('Fn::GetAtt takes the array and the dotted form (split at the first dot)', () => {
    expect(resolve({ 'Fn::GetAtt': ['Role', 'Arn'] })).toBe(
      'arn:aws:iam::111122223333:role/Demo-Role-ABC',
    );
    expect(resolve({ 'Fn::GetAtt': 'Role.Arn' })).toBe(
      'arn:aws:iam::111122223333:role/Demo-Role-ABC',
    );
    expect(resolve({ 'Fn::GetAtt': 'Role.Endpoint.Address' })).toBe('h');
    expect(resolve({ 'Fn::GetAtt': ['Role', { 'Fn::Join': ['', ['A', 'rn']] }] })).toBe(
      'arn:aws:iam::111122223333:role/Demo-Role-ABC',
    );
  });

  it('a reference to what is not deployed fails with the path', () => {
    expect(() => resolve({ Nested: [{ Ref: 'Later' }] })).toThrow(
      'Resource Later is not created (yet) (at Resources.R.Properties.Nested[0].Ref)',
    );
    expect(() => resolve({ 'Fn::GetAtt': ['Role', 'Nope'] })).toThrow(IntrinsicError);
  });
});

describe('Fn::Join, Fn::Select, Fn::Split, Fn::Base64, Fn::GetAZs', () => {
  it('joins, including a list a function returns', () => {
    expect(
      resolve({
        'Fn::Join': [':', ['arn', { Ref: 'AWS::Partition' }, { Ref: 'AWS::NoValue' }, 3]],
      }),
    ).toBe('arn:aws:3');
    expect(resolve({ 'Fn::Join': ['-', { Ref: 'Zones' }] })).toBe('a-b');
  });

  it('selects by number or numeric string, and fails out of range', () => {
    expect(resolve({ 'Fn::Select': [1, ['x', 'y']] })).toBe('y');
    expect(resolve({ 'Fn::Select': ['0', { 'Fn::GetAZs': '' }] })).toBe('eu-west-1a');
    expect(() => resolve({ 'Fn::Select': [2, ['x', 'y']] })).toThrow(
      'Fn::Select cannot select nonexistent value at index 2 of a list of 2',
    );
  });

  it('splits', () => {
    expect(resolve({ 'Fn::Split': [',', 'a,b,,c'] })).toEqual(['a', 'b', '', 'c']);
    expect(
      resolve({ 'Fn::Select': [5, { 'Fn::Split': [':', { 'Fn::GetAtt': ['Role', 'Arn'] }] }] }),
    ).toBe('role/Demo-Role-ABC');
  });

  it('encodes base64', () => {
    expect(resolve({ 'Fn::Base64': { 'Fn::Sub': '#!/bin/sh ${AWS::Region}' } })).toBe(
      Buffer.from('#!/bin/sh eu-west-1').toString('base64'),
    );
  });

  it("gives the region's zones a, b, c", () => {
    expect(resolve({ 'Fn::GetAZs': { Ref: 'AWS::Region' } })).toEqual([
      'eu-west-1a',
      'eu-west-1b',
      'eu-west-1c',
    ]);
    expect(resolve({ 'Fn::GetAZs': 'us-east-2' })).toEqual([
      'us-east-2a',
      'us-east-2b',
      'us-east-2c',
    ]);
  });
});

describe('Fn::Sub', () => {
  it('substitutes pseudo parameters, parameters, logical ids and attributes, and keeps ${!Literal}', () => {
    expect(
      resolve({
        'Fn::Sub':
          'arn:${AWS::Partition}:x:${AWS::Region}:${AWS::AccountId}:${Env}/${Topic}/${Role.Arn}/${!Literal}',
      }),
    ).toBe(
      'arn:aws:x:eu-west-1:111122223333:prod/arn:aws:sns:eu-west-1:111122223333:Demo-Topic/arn:aws:iam::111122223333:role/Demo-Role-ABC/${Literal}',
    );
  });

  it('takes variables, which win over names and may be functions', () => {
    expect(
      resolve({
        'Fn::Sub': [
          '${Env}-${Name}-${AWS::StackName}',
          { Env: 'overridden', Name: { 'Fn::GetAtt': ['Topic', 'TopicName'] } },
        ],
      }),
    ).toBe('overridden-Demo-Topic-Demo');
  });

  it('fails on a list and on a name that is nothing', () => {
    expect(() => resolve({ 'Fn::Sub': '${Zones}' })).toThrow(
      'Fn::Sub cannot substitute ${Zones}: it is not a string',
    );
    expect(() => resolve({ 'Fn::Sub': 'x-${Missing}' })).toThrow('Resource Missing is not created');
  });
});

describe('conditions', () => {
  it('Fn::If picks a branch by condition', () => {
    expect(resolve({ 'Fn::If': ['IsProd', 'p', 'd'] })).toBe('p');
    expect(resolve({ 'Fn::If': ['IsDev', 'p', { Ref: 'Env' }] })).toBe('prod');
    expect(() => resolve({ 'Fn::If': ['Nope', 'p', 'd'] })).toThrow(
      'Unresolved condition dependency Nope',
    );
  });

  it('evaluates Fn::Equals, Fn::Not, Fn::And, Fn::Or and Condition', () => {
    const conditions = evaluateConditions(
      {
        Conditions: {
          IsProd: { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] },
          IsEu: { 'Fn::Equals': ['eu-west-1', { Ref: 'AWS::Region' }] },
          NotProd: { 'Fn::Not': [{ Condition: 'IsProd' }] },
          ProdInEu: { 'Fn::And': [{ Condition: 'IsProd' }, { Condition: 'IsEu' }] },
          Either: { 'Fn::Or': [{ Condition: 'NotProd' }, { 'Fn::Equals': ['1', 1] }] },
          Alias: { Condition: 'NotProd' },
        },
      },
      { pseudo, parameters: { Env: 'prod' } },
    );
    expect(conditions).toEqual({
      IsProd: true,
      IsEu: true,
      NotProd: false,
      ProdInEu: true,
      Either: true,
      Alias: false,
    });
  });

  it('fails on circular conditions and on resource references in Conditions', () => {
    expect(() =>
      evaluateConditions(
        { Conditions: { A: { Condition: 'B' }, B: { 'Fn::Not': [{ Condition: 'A' }] } } },
        { pseudo, parameters: {} },
      ),
    ).toThrow('Circular dependency between conditions: [A, B]');
    expect(() =>
      evaluateConditions(
        { Conditions: { A: { 'Fn::Equals': [{ Ref: 'Topic' }, 'x'] } } },
        { pseudo, parameters: {} },
      ),
    ).toThrow('Conditions can only reference parameters and pseudo parameters, not Topic');
  });

  it('leaves IAM-style Condition objects in properties alone', () => {
    const statement = { Effect: 'Allow', Condition: { StringEquals: { 'aws:x': 'y' } } };
    expect(resolve(statement)).toEqual(statement);
  });

  it('Fn::And and Fn::Or take 2 to 10 conditions', () => {
    expect(() => resolve({ 'Fn::And': [true] })).toThrow(
      'Fn::And takes a list of 2 to 10 conditions',
    );
  });
});

describe('unsupported functions', () => {
  it('an unknown Fn:: fails naming the function and the path', () => {
    expect(() => resolve({ Code: { Body: [{ 'Fn::FindInMap': ['M', 'K', 'V'] }] } })).toThrow(
      /unsupported intrinsic function Fn::FindInMap .*\(at Resources\.R\.Properties\.Code\.Body\[0\]\.Fn::FindInMap\)/,
    );
  });

  it('Fn::ImportValue fails loudly', () => {
    expect(() => resolve({ 'Fn::ImportValue': 'SharedVpc' })).toThrow(
      'Fn::ImportValue is not emulated',
    );
  });

  it('Fn::Contains is only valid in Rules', () => {
    expect(() => resolve({ 'Fn::Contains': [['a'], 'a'] })).toThrow(
      'Fn::Contains is only valid in Rules',
    );
  });

  it('an intrinsic key beside other keys fails', () => {
    expect(() => resolve({ Ref: 'Env', Other: 1 })).toThrow(
      'an intrinsic function must be the only key of its object, got {Ref, Other}',
    );
  });

  it('findUnsupportedFunctions lists them all across the template', () => {
    expect(
      findUnsupportedFunctions({
        Resources: {
          A: { Type: 'T', Properties: { X: { 'Fn::Cidr': ['10.0.0.0/16', 2, 8] } } },
          B: { Type: 'T', Properties: { Y: [{ 'Fn::Contains': [['a'], 'a'] }] } },
        },
        Outputs: { O: { Value: { 'Fn::ImportValue': 'E' } } },
        Rules: { R: { Assertions: [{ Assert: { 'Fn::EachMemberIn': [[], []] } }] } },
      }),
    ).toEqual([
      expect.stringMatching(/Fn::Cidr .*\(at Resources\.A\.Properties\.X\.Fn::Cidr\)$/),
      'Fn::Contains is only valid in Rules (at Resources.B.Properties.Y[0].Fn::Contains)',
      'Fn::ImportValue is not emulated (at Outputs.O.Value.Fn::ImportValue)',
      expect.stringMatching(
        /Fn::EachMemberIn .*\(at Rules\.R\.Assertions\[0\]\.Assert\.Fn::EachMemberIn\)$/,
      ),
    ]);
  });
});

describe('parameters', () => {
  it('takes supplied values, then defaults; lists are split and trimmed', () => {
    expect(
      resolveParameters(
        {
          Env: { Type: 'String', Default: 'dev', AllowedValues: ['dev', 'prod'] },
          Size: { Type: 'Number', Default: 3 },
          Subnets: { Type: 'CommaDelimitedList', Default: 'a, b,c' },
          Given: { Type: 'List<Number>' },
        },
        { Env: 'prod', Given: ['1', '2'] },
      ),
    ).toEqual({ Env: 'prod', Size: '3', Subnets: ['a', 'b', 'c'], Given: ['1', '2'] });
  });

  it('fails as CloudFormation does', () => {
    expect(() => resolveParameters({ A: { Type: 'String' } }, { B: 'x' })).toThrow(
      'Parameters: [B] do not exist in the template',
    );
    expect(() => resolveParameters({ A: { Type: 'String' }, B: { Type: 'String' } })).toThrow(
      'Parameters: [A, B] must have values',
    );
    expect(() =>
      resolveParameters({ A: { Type: 'String', AllowedValues: ['x'] } }, { A: 'y' }),
    ).toThrow("Parameter 'A' must be one of AllowedValues");
    expect(() =>
      resolveParameters({ A: { Type: 'String', AllowedPattern: '[a-z]+' } }, { A: 'a1' }),
    ).toThrow("Parameter 'A' must match pattern [a-z]+");
    expect(() => resolveParameters({ N: { Type: 'Number' } }, { N: 'ten' })).toThrow(
      "Parameter 'N' must be a number",
    );
  });

  it('SSM parameter types need the value supplied', () => {
    const definitions = {
      BootstrapVersion: {
        Type: 'AWS::SSM::Parameter::Value<String>',
        Default: '/cdk-bootstrap/hnb659fds/version',
      },
    };
    expect(() => resolveParameters(definitions)).toThrow(
      'SSM parameter types are not emulated: supply the value of BootstrapVersion (AWS::SSM::Parameter::Value<String> from /cdk-bootstrap/hnb659fds/version) in parameters',
    );
    expect(resolveParameters(definitions, { BootstrapVersion: '30' })).toEqual({
      BootstrapVersion: '30',
    });
  });
});

describe('rules', () => {
  const rules = {
    CheckBootstrapVersion: {
      Assertions: [
        {
          Assert: {
            'Fn::Not': [
              { 'Fn::Contains': [['1', '2', '3', '4', '5'], { Ref: 'BootstrapVersion' }] },
            ],
          },
          AssertDescription:
            "CDK bootstrap stack version 6 required. Please run 'cdk bootstrap' with a recent version of the CDK CLI.",
        },
      ],
    },
  };

  it("CDK's CheckBootstrapVersion holds for version 6 and later", () => {
    expect(() =>
      checkRules(
        { Rules: rules },
        { pseudo, parameters: { BootstrapVersion: '30' }, conditions: {} },
      ),
    ).not.toThrow();
  });

  it('a false assertion fails with its AssertDescription', () => {
    const run = (): void =>
      checkRules(
        { Rules: rules },
        { pseudo, parameters: { BootstrapVersion: '5' }, conditions: {} },
      );
    expect(run).toThrow(RuleAssertionError);
    expect(run).toThrow(
      "Rule CheckBootstrapVersion failed: CDK bootstrap stack version 6 required. Please run 'cdk bootstrap' with a recent version of the CDK CLI.",
    );
  });

  it('a rule whose RuleCondition is false is not checked', () => {
    expect(() =>
      checkRules(
        {
          Rules: {
            ProdOnly: {
              RuleCondition: { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] },
              Assertions: [{ Assert: { 'Fn::Equals': ['a', 'b'] } }],
            },
          },
        },
        { pseudo, parameters: { Env: 'dev' }, conditions: {} },
      ),
    ).not.toThrow();
  });
});
