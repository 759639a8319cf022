export * from './errors';
export * from './poelis';
export * from './polytomic';
export * from './provider';
export * from './registry';
export * from './probe';
