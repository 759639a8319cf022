import type { ResourceHandler } from '../engine';

/** Handlers by CloudFormation resource type. */
export type ResourceHandlerMap = Record<string, ResourceHandler>;
