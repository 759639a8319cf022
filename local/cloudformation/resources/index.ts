/** Handlers for every resource type the api-key-rotator stack uses, by CloudFormation type. */
import type { AwsEmulator } from '../../aws';
import type { Principal } from '../../aws/authorization';
import type { FileAsset } from '../template';
import { coreResourceHandlers } from './core';
import { serviceResourceHandlers } from './services';
import type { ResourceHandlerMap } from './types';

export { UnsupportedPropertyError } from './properties';
export type { ResourceHandlerMap } from './types';

/** Every handler, creating resources in `emulator` as `deployer` (CloudFormation's role). */
export function localResourceHandlers(dependencies: {
  readonly emulator: AwsEmulator;
  readonly deployer: Principal;
  readonly assets: ReadonlyMap<string, FileAsset>;
}): ResourceHandlerMap {
  return { ...coreResourceHandlers(dependencies), ...serviceResourceHandlers(dependencies) };
}
