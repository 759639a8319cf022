export * from './kms';
export * from './notifications';
export * from './secrets';
