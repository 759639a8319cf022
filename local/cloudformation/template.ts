/**
 * CloudFormation template and CDK cloud assembly loading for the local CloudFormation engine.
 *
 * The template is validated at its top level only (sections, and each resource's `Type`,
 * `Properties`, `DependsOn` and `Condition`): property values stay {@link TemplateValue}s, which
 * the intrinsic resolver narrows.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';

/** Any JSON value that can appear in a template: a literal or an intrinsic function object. */
export type TemplateValue =
  | string
  | number
  | boolean
  | null
  | readonly TemplateValue[]
  | { readonly [key: string]: TemplateValue };

/** One entry of the template's `Resources` section. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: { readonly [name: string]: TemplateValue };
  readonly DependsOn?: string | readonly string[];
  readonly Condition?: string;
  readonly Metadata?: { readonly [name: string]: TemplateValue };
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

/** One entry of the template's `Parameters` section. */
export interface TemplateParameter {
  readonly Type: string;
  readonly Default?: string | number;
  readonly AllowedValues?: readonly (string | number)[];
  readonly AllowedPattern?: string;
  readonly Description?: string;
  readonly NoEcho?: boolean | string;
}

/** One entry of the template's `Outputs` section. */
export interface TemplateOutput {
  readonly Value: TemplateValue;
  readonly Description?: string;
  readonly Condition?: string;
  readonly Export?: { readonly Name: TemplateValue };
}

/** One assertion of a rule. */
export interface TemplateAssertion {
  readonly Assert: TemplateValue;
  readonly AssertDescription?: string;
}

/** One entry of the template's `Rules` section. */
export interface TemplateRule {
  readonly RuleCondition?: TemplateValue;
  readonly Assertions: readonly TemplateAssertion[];
}

/** A CloudFormation template, as JSON. */
export interface CloudFormationTemplate {
  readonly AWSTemplateFormatVersion?: string;
  readonly Description?: string;
  readonly Metadata?: { readonly [name: string]: TemplateValue };
  readonly Parameters?: { readonly [name: string]: TemplateParameter };
  readonly Rules?: { readonly [name: string]: TemplateRule };
  readonly Mappings?: { readonly [name: string]: TemplateValue };
  readonly Conditions?: { readonly [name: string]: TemplateValue };
  readonly Resources: { readonly [logicalId: string]: TemplateResource };
  readonly Outputs?: { readonly [name: string]: TemplateOutput };
}

/** How a file asset is packaged (`zip`: a directory CDK zips on publishing; `file`: as is). */
export type AssetPackaging = 'zip' | 'file';

/** A file asset of a cloud assembly, by the object key the template names it with. */
export interface FileAsset {
  /** The asset's id in the asset manifest (its source hash). */
  readonly id: string;
  /** Absolute local path of the asset's source (a directory for `zip` packaging). */
  readonly path: string;
  readonly packaging: AssetPackaging;
  /** The bucket it is published to, with `${AWS::AccountId}`-style placeholders left in. */
  readonly bucketName: string;
  /** The object key it is published as, e.g. `<hash>.zip`: what `Code.S3Key` names. */
  readonly objectKey: string;
  readonly displayName?: string;
}

/** One stack of a cloud assembly, ready to deploy. */
export interface CloudAssemblyStack {
  readonly stackName: string;
  /** Absolute path of the template file. */
  readonly templateFile: string;
  readonly template: CloudFormationTemplate;
  /** File assets by destination object key (`<hash>.zip`). */
  readonly assets: ReadonlyMap<string, FileAsset>;
}

/** A template or assembly that is not what CloudFormation (or the CDK) would accept. */
export class TemplateFormatError extends Error {
  override readonly name = 'TemplateFormatError';
}

const TOP_LEVEL_SECTIONS = new Set([
  'AWSTemplateFormatVersion',
  'Description',
  'Metadata',
  'Parameters',
  'Rules',
  'Mappings',
  'Conditions',
  'Transform',
  'Resources',
  'Outputs',
]);

const RESOURCE_ATTRIBUTES = new Set([
  'Type',
  'Properties',
  'DependsOn',
  'Condition',
  'Metadata',
  'DeletionPolicy',
  'UpdateReplacePolicy',
  'UpdatePolicy',
  'CreationPolicy',
]);

/** Whether `value` is a plain JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether `value` is JSON all the way down (what `JSON.parse` can return). */
function isTemplateValue(value: unknown): value is TemplateValue {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return true;
  if (Array.isArray(value)) return value.every(isTemplateValue);
  return isJsonObject(value) && Object.values(value).every(isTemplateValue);
}

function objectSection(
  raw: Record<string, unknown>,
  section: string,
): Record<string, unknown> | undefined {
  const value = raw[section];
  if (value === undefined) return undefined;
  if (!isJsonObject(value)) {
    throw new TemplateFormatError(`Template format error: ${section} must be an object`);
  }
  return value;
}

/**
 * Checks a parsed template's top level and returns it typed.
 *
 * Fails with the logical id (or section) that is wrong: a template without `Resources`, a resource
 * without a string `Type`, `Properties` that are not an object, `DependsOn` that is not a logical id
 * or a list of them, an unknown top-level section, or a `Transform` (macros are not emulated).
 *
 * @example
 * ```ts
 * const template = validateTemplate(JSON.parse(readFileSync('cdk.out/ApiKeyRotator.template.json', 'utf8')));
 * Object.keys(template.Resources); // ['RotationKey56E79F42', ...]
 * ```
 */
export function validateTemplate(raw: unknown): CloudFormationTemplate {
  if (!isJsonObject(raw)) {
    throw new TemplateFormatError('Template format error: a template must be a JSON object');
  }
  const unknownSections = Object.keys(raw).filter((key) => !TOP_LEVEL_SECTIONS.has(key));
  if (unknownSections.length > 0) {
    throw new TemplateFormatError(
      `Template format error: Invalid template property or properties [${unknownSections.join(', ')}]`,
    );
  }
  if (raw.Transform !== undefined) {
    throw new TemplateFormatError(
      `Template format error: Transform ${JSON.stringify(raw.Transform)} is not emulated (macros run in the AWS service)`,
    );
  }
  if (!isTemplateValue(raw)) {
    throw new TemplateFormatError('Template format error: a template must be plain JSON');
  }
  const resources = objectSection(raw, 'Resources');
  if (resources === undefined || Object.keys(resources).length === 0) {
    throw new TemplateFormatError(
      'Template format error: At least one Resources member must be defined.',
    );
  }
  for (const [logicalId, resource] of Object.entries(resources)) {
    validateResource(logicalId, resource);
  }
  for (const section of ['Metadata', 'Mappings', 'Conditions', 'Outputs']) {
    objectSection(raw, section);
  }
  for (const [name, parameter] of Object.entries(objectSection(raw, 'Parameters') ?? {})) {
    if (!isJsonObject(parameter) || typeof parameter.Type !== 'string') {
      throw new TemplateFormatError(
        `Template format error: Parameter ${name} must be an object with a string Type`,
      );
    }
  }
  for (const [name, output] of Object.entries(objectSection(raw, 'Outputs') ?? {})) {
    if (!isJsonObject(output) || output.Value === undefined) {
      throw new TemplateFormatError(
        `Template format error: Every Outputs member must contain a Value object (output ${name})`,
      );
    }
    if (output.Condition !== undefined && typeof output.Condition !== 'string') {
      throw new TemplateFormatError(
        `Template format error: the Condition of output ${name} must be a condition name`,
      );
    }
  }
  for (const [name, rule] of Object.entries(objectSection(raw, 'Rules') ?? {})) {
    if (
      !isJsonObject(rule) ||
      !Array.isArray(rule.Assertions) ||
      !rule.Assertions.every((a) => isJsonObject(a) && a.Assert !== undefined)
    ) {
      throw new TemplateFormatError(
        `Template format error: Rule ${name} must have a list of Assertions, each with an Assert`,
      );
    }
  }
  return raw as unknown as CloudFormationTemplate;
}

function validateResource(logicalId: string, resource: unknown): void {
  if (!/^[A-Za-z0-9]+$/.test(logicalId)) {
    throw new TemplateFormatError(
      `Template format error: Resource name ${logicalId} is non alphanumeric.`,
    );
  }
  if (!isJsonObject(resource)) {
    throw new TemplateFormatError(
      `Template format error: [/Resources/${logicalId}] resource must be an object`,
    );
  }
  if (typeof resource.Type !== 'string' || resource.Type === '') {
    throw new TemplateFormatError(
      `Template format error: [/Resources/${logicalId}] Every Resources object must contain a Type member.`,
    );
  }
  const unknownAttributes = Object.keys(resource).filter((key) => !RESOURCE_ATTRIBUTES.has(key));
  if (unknownAttributes.length > 0) {
    throw new TemplateFormatError(
      `Template format error: Unrecognized resource attributes [${unknownAttributes.join(', ')}] of resource ${logicalId}`,
    );
  }
  if (resource.Properties !== undefined && !isJsonObject(resource.Properties)) {
    throw new TemplateFormatError(
      `Template format error: [/Resources/${logicalId}/Properties] Properties must be an object`,
    );
  }
  const dependsOn = resource.DependsOn;
  const dependsOnOk =
    dependsOn === undefined ||
    typeof dependsOn === 'string' ||
    (Array.isArray(dependsOn) && dependsOn.every((d) => typeof d === 'string'));
  if (!dependsOnOk) {
    throw new TemplateFormatError(
      `Template format error: [/Resources/${logicalId}/DependsOn] DependsOn must be a logical id or a list of logical ids`,
    );
  }
  if (resource.Condition !== undefined && typeof resource.Condition !== 'string') {
    throw new TemplateFormatError(
      `Template format error: [/Resources/${logicalId}/Condition] Condition must be a condition name`,
    );
  }
}

function readJson(path: string, what: string): unknown {
  if (!existsSync(path)) throw new TemplateFormatError(`${what} not found: ${path}`);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (error) {
    throw new TemplateFormatError(
      `${what} is not valid JSON: ${path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function stringProperty(object: Record<string, unknown>, key: string): string | undefined {
  const value = object[key];
  return typeof value === 'string' ? value : undefined;
}

interface StackArtifact {
  readonly artifactId: string;
  readonly stackName: string;
  readonly templateFile: string;
  readonly dependencies: readonly string[];
}

function stackArtifacts(artifacts: Record<string, unknown>): StackArtifact[] {
  const stacks: StackArtifact[] = [];
  for (const [artifactId, artifact] of Object.entries(artifacts)) {
    if (!isJsonObject(artifact) || artifact.type !== 'aws:cloudformation:stack') continue;
    const properties = isJsonObject(artifact.properties) ? artifact.properties : {};
    const templateFile = stringProperty(properties, 'templateFile');
    if (templateFile === undefined) {
      throw new TemplateFormatError(`Stack artifact ${artifactId} has no templateFile`);
    }
    const dependencies = Array.isArray(artifact.dependencies)
      ? artifact.dependencies.filter((d): d is string => typeof d === 'string')
      : [];
    stacks.push({
      artifactId,
      stackName: stringProperty(properties, 'stackName') ?? artifactId,
      templateFile,
      dependencies,
    });
  }
  return stacks;
}

function assetManifestFile(
  dir: string,
  stack: StackArtifact,
  artifacts: Record<string, unknown>,
): string | undefined {
  for (const dependency of stack.dependencies) {
    const artifact = artifacts[dependency];
    if (!isJsonObject(artifact) || artifact.type !== 'cdk:asset-manifest') continue;
    const properties = isJsonObject(artifact.properties) ? artifact.properties : {};
    const file = stringProperty(properties, 'file');
    if (file !== undefined) return join(dir, file);
  }
  const conventional = join(dir, `${stack.artifactId}.assets.json`);
  return existsSync(conventional) ? conventional : undefined;
}

function readFileAssets(manifestFile: string): Map<string, FileAsset> {
  const manifest = readJson(manifestFile, 'Asset manifest');
  const files = isJsonObject(manifest) && isJsonObject(manifest.files) ? manifest.files : {};
  const assets = new Map<string, FileAsset>();
  for (const [id, entry] of Object.entries(files)) {
    if (!isJsonObject(entry) || !isJsonObject(entry.source) || !isJsonObject(entry.destinations))
      continue;
    const sourcePath = stringProperty(entry.source, 'path');
    if (sourcePath === undefined) {
      throw new TemplateFormatError(
        `Asset ${id} in ${manifestFile} has no source path (only file assets built by the CDK are supported)`,
      );
    }
    const packaging = entry.source.packaging === 'zip' ? 'zip' : 'file';
    const path = isAbsolute(sourcePath) ? sourcePath : join(dirname(manifestFile), sourcePath);
    for (const destination of Object.values(entry.destinations)) {
      if (!isJsonObject(destination)) continue;
      const objectKey = stringProperty(destination, 'objectKey');
      const bucketName = stringProperty(destination, 'bucketName');
      if (objectKey === undefined || bucketName === undefined) continue;
      const displayName = stringProperty(entry, 'displayName');
      assets.set(objectKey, {
        id,
        path,
        packaging,
        bucketName,
        objectKey,
        ...(displayName === undefined ? {} : { displayName }),
      });
    }
  }
  return assets;
}

/**
 * Reads a CDK cloud assembly (`cdk synth`'s output directory): the stack's template and its file
 * assets, by the object key the template names them with.
 *
 * `stackName` picks a stack by its stack name or artifact id; without it the assembly must hold
 * exactly one stack. Nested assemblies (CDK stages) are not followed.
 *
 * @example
 * ```ts
 * const { stackName, template, assets } = loadCloudAssembly('cdk.out');
 * // stackName: 'ApiKeyRotator'; assets.get('<hash>.zip')?.path: '/…/cdk.out/asset.<hash>'
 * ```
 */
export function loadCloudAssembly(dir = 'cdk.out', stackName?: string): CloudAssemblyStack {
  const root = resolve(dir);
  const manifest = readJson(join(root, 'manifest.json'), 'Cloud assembly manifest');
  const artifacts =
    isJsonObject(manifest) && isJsonObject(manifest.artifacts) ? manifest.artifacts : {};
  const stacks = stackArtifacts(artifacts);
  const candidates =
    stackName === undefined
      ? stacks
      : stacks.filter((s) => s.stackName === stackName || s.artifactId === stackName);
  const names = stacks.map((s) => s.stackName).join(', ') || 'none';
  if (candidates.length === 0) {
    throw new TemplateFormatError(
      stackName === undefined
        ? `Cloud assembly ${root} has no stack`
        : `Cloud assembly ${root} has no stack ${stackName} (stacks: ${names})`,
    );
  }
  if (candidates.length > 1) {
    throw new TemplateFormatError(
      `Cloud assembly ${root} has several stacks (${names}): name the one to deploy`,
    );
  }
  const [stack] = candidates;
  const templateFile = join(root, stack.templateFile);
  const template = validateTemplate(readJson(templateFile, `Template of stack ${stack.stackName}`));
  const manifestFile = assetManifestFile(root, stack, artifacts);
  const assets =
    manifestFile === undefined ? new Map<string, FileAsset>() : readFileAssets(manifestFile);
  return { stackName: stack.stackName, templateFile, template, assets };
}

/** Whether `bucket` is the asset's destination bucket, its `${...}` placeholders taken as wildcards. */
function matchesBucket(pattern: string, bucket: string): boolean {
  const parts = pattern
    .split(/\$\{[^}]*\}/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('[^/]+')}$`).test(bucket);
}

/**
 * The absolute path of the JavaScript file a Lambda function's `Handler` names, inside the asset
 * its `Code` property (`{ S3Bucket, S3Key }`, resolved or not) points at.
 *
 * Fails naming the key when it is not an asset of the assembly, when the asset is not a directory
 * (zip packaging), when the bucket is not the asset's destination bucket, or when the handler's
 * module file does not exist (looked up as Node's Lambda runtime does: `.js`, `.mjs`, `.cjs`).
 *
 * @example
 * ```ts
 * const { template, assets } = loadCloudAssembly('cdk.out');
 * const fn = template.Resources.RotationFunction4CFF70D7.Properties;
 * lambdaCodeFile(fn.Code, assets, 'index.handler'); // '/…/cdk.out/asset.<hash>/index.js'
 * ```
 */
export function lambdaCodeFile(
  code: unknown,
  assets: ReadonlyMap<string, FileAsset>,
  handler = 'index.handler',
): string {
  if (!isJsonObject(code)) {
    throw new TemplateFormatError('Lambda Code must be an object with S3Bucket and S3Key');
  }
  if (code.ZipFile !== undefined || code.ImageUri !== undefined) {
    throw new TemplateFormatError(
      'Lambda Code with ZipFile or ImageUri is not an asset: only S3Bucket/S3Key code is supported',
    );
  }
  const key = code.S3Key;
  if (typeof key !== 'string') {
    throw new TemplateFormatError(
      `Lambda Code.S3Key must be a resolved string, got ${JSON.stringify(key)}`,
    );
  }
  const asset = assets.get(key);
  if (asset === undefined) {
    const known = [...assets.keys()].join(', ') || 'none';
    throw new TemplateFormatError(
      `Lambda code object key ${key} is not an asset of the cloud assembly (assets: ${known})`,
    );
  }
  if (typeof code.S3Bucket === 'string' && !matchesBucket(asset.bucketName, code.S3Bucket)) {
    throw new TemplateFormatError(
      `Lambda code ${key} is in bucket ${code.S3Bucket}, but the asset is published to ${asset.bucketName}`,
    );
  }
  if (asset.packaging !== 'zip' || !existsSync(asset.path) || !statSync(asset.path).isDirectory()) {
    throw new TemplateFormatError(
      `Lambda code asset ${key} (${asset.path}) is not a directory: only zip-packaged directory assets are supported`,
    );
  }
  const separator = handler.lastIndexOf('.');
  if (separator <= 0 || separator === handler.length - 1) {
    throw new TemplateFormatError(
      `Lambda Handler ${handler} must be <module>.<function>, e.g. index.handler`,
    );
  }
  const modulePath = join(asset.path, handler.slice(0, separator));
  for (const extension of ['.js', '.mjs', '.cjs']) {
    const file = `${modulePath}${extension}`;
    if (existsSync(file)) return file;
  }
  throw new TemplateFormatError(
    `Lambda Handler ${handler}: no ${modulePath}.js (.mjs, .cjs) in asset ${key}`,
  );
}
