import type { CloudFormationTemplate, TemplateResource } from '../../../local/cloudformation';
import {
  DependencyError,
  buildDependencyGraph,
  collectReferences,
  topologicalOrder,
} from '../../../local/cloudformation';

function template(
  resources: Record<string, Omit<TemplateResource, 'Type'> & { Type?: string }>,
  extra: Partial<CloudFormationTemplate> = {},
): CloudFormationTemplate {
  return {
    ...extra,
    Resources: Object.fromEntries(
      Object.entries(resources).map(([id, r]) => [id, { Type: 'Test::Thing', ...r }]),
    ),
  };
}

describe('collectReferences', () => {
  it('finds Ref, Fn::GetAtt (both forms) and Fn::Sub names, not pseudo parameters, variables or literals', () => {
    expect(
      [
        ...collectReferences({
          A: { Ref: 'Topic' },
          B: [{ 'Fn::GetAtt': ['Role', 'Arn'] }, { 'Fn::GetAtt': 'Key.Arn' }],
          C: { Ref: 'AWS::Region' },
          D: {
            'Fn::Sub': [
              '${Fn.Arn}/${Bucket}/${AWS::AccountId}/${!Literal}/${v}',
              { v: { Ref: 'FromVariable' } },
            ],
          },
          E: { 'Fn::Sub': '${Queue}' },
        }),
      ].sort(),
    ).toEqual(['Bucket', 'Fn', 'FromVariable', 'Key', 'Queue', 'Role', 'Topic']);
  });

  it('follows only the taken branch of Fn::If when conditions are known', () => {
    const value = { 'Fn::If': ['IsProd', { Ref: 'Prod' }, { Ref: 'Dev' }] };
    expect([...collectReferences(value)].sort()).toEqual(['Dev', 'Prod']);
    expect([...collectReferences(value, { conditions: { IsProd: false } })]).toEqual(['Dev']);
  });
});

describe('topologicalOrder', () => {
  it('keeps template order among ready resources', () => {
    const dependencies = new Map([
      ['A', new Set(['C'])],
      ['B', new Set<string>()],
      ['C', new Set<string>()],
      ['D', new Set(['A'])],
    ]);
    expect(topologicalOrder(['A', 'B', 'C', 'D'], dependencies)).toEqual(['B', 'C', 'A', 'D']);
  });
});

describe('buildDependencyGraph', () => {
  it('orders by Ref, Fn::GetAtt, Fn::Sub and DependsOn (string or list)', () => {
    const graph = buildDependencyGraph(
      template(
        {
          Function: {
            Properties: { Role: { 'Fn::GetAtt': ['Role', 'Arn'] } },
            DependsOn: ['Policy'],
          },
          Policy: { Properties: { Roles: [{ Ref: 'Role' }] } },
          Alarm: { Properties: { Name: { 'Fn::Sub': '${Function}-errors-${Env}' } } },
          Role: {},
          Log: { DependsOn: 'Role' },
        },
        { Parameters: { Env: { Type: 'String' } } },
      ),
    );
    expect(graph.order).toEqual(['Role', 'Policy', 'Function', 'Alarm', 'Log']);
    expect([...(graph.dependencies.get('Function') ?? [])].sort()).toEqual(['Policy', 'Role']);
  });

  it('leaves out resources whose condition is false', () => {
    const graph = buildDependencyGraph(
      template({
        Always: { Properties: { X: { 'Fn::If': ['IsProd', { Ref: 'ProdOnly' }, 'none'] } } },
        ProdOnly: { Condition: 'IsProd' },
      }),
      { conditions: { IsProd: false } },
    );
    expect(graph).toMatchObject({ order: ['Always'], excluded: ['ProdOnly'] });
  });

  it("fails on a cycle with CloudFormation's message, naming the resources in it", () => {
    const run = (): unknown =>
      buildDependencyGraph(
        template({
          Free: {},
          A: { Properties: { X: { Ref: 'B' } } },
          B: { Properties: { X: { 'Fn::Sub': '${C.Arn}' } } },
          C: { DependsOn: 'A' },
          AfterCycle: { DependsOn: 'C' },
        }),
      );
    expect(run).toThrow(DependencyError);
    expect(run).toThrow('Circular dependency between resources: [A, B, C]');
  });

  it('a resource depending on itself is a cycle', () => {
    expect(() => buildDependencyGraph(template({ A: { DependsOn: 'A' } }))).toThrow(
      'Circular dependency between resources: [A]',
    );
  });

  it("fails on unknown references with CloudFormation's message, naming them all", () => {
    expect(() =>
      buildDependencyGraph(
        template({
          A: { Properties: { X: { Ref: 'Missing' }, Y: { 'Fn::GetAtt': ['Gone', 'Arn'] } } },
          B: { DependsOn: ['A', 'Absent'] },
        }),
      ),
    ).toThrow(
      'Template format error: Unresolved resource dependencies [Missing, Gone, Absent] in the Resources block of the template',
    );
  });

  it('a reference to a resource whose condition is false is unresolved', () => {
    expect(() =>
      buildDependencyGraph(
        template({
          A: { Properties: { X: { Ref: 'ProdOnly' } } },
          ProdOnly: { Condition: 'IsProd' },
        }),
        { conditions: { IsProd: false } },
      ),
    ).toThrow('Unresolved resource dependencies [ProdOnly] in the Resources block');
  });

  it('checks the references of Outputs', () => {
    expect(() =>
      buildDependencyGraph(template({ A: {} }, { Outputs: { O: { Value: { Ref: 'Nope' } } } })),
    ).toThrow('Unresolved resource dependencies [Nope] in the Outputs block of the template');
  });

  it('fails on a Condition that names no condition', () => {
    expect(() => buildDependencyGraph(template({ A: { Condition: 'Nope' } }))).toThrow(
      'Unresolved condition dependency Nope in Resources.A',
    );
  });
});
