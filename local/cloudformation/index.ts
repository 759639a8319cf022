/**
 * Local CloudFormation engine: deploys a synthesized CDK template into the local emulator through
 * per-resource-type handlers. See README.md beside this file.
 */
export {
  type AssetPackaging,
  type CloudAssemblyStack,
  type CloudFormationTemplate,
  type FileAsset,
  type TemplateAssertion,
  type TemplateOutput,
  type TemplateParameter,
  type TemplateResource,
  type TemplateRule,
  type TemplateValue,
  TemplateFormatError,
  lambdaCodeFile,
  loadCloudAssembly,
  validateTemplate,
} from './template';
export {
  type IntrinsicContext,
  type ParameterValue,
  type PseudoParameters,
  type TemplateSection,
  IntrinsicError,
  PSEUDO_PARAMETERS,
  RuleAssertionError,
  SUPPORTED_FUNCTIONS,
  availabilityZones,
  checkRules,
  evaluateConditions,
  findUnsupportedFunctions,
  partitionOf,
  pseudoParameters,
  resolveParameters,
  resolveValue,
  urlSuffixOf,
} from './intrinsics';
export {
  type CollectReferencesOptions,
  type DependencyGraph,
  DependencyError,
  buildDependencyGraph,
  collectReferences,
  topologicalOrder,
} from './dependencies';
export {
  type DeployStackOptions,
  type DeployedResource,
  type DeployedStack,
  type ResourceCreateInput,
  type ResourceCreateResult,
  type ResourceHandler,
  type RollbackReport,
  METADATA_RESOURCE_TYPES,
  StackDeployError,
  deleteStack,
  deployStack,
  generatePhysicalName,
  randomNameSuffix,
} from './engine';
