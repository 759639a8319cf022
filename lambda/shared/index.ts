export * from './errors';
export * from './fingerprint';
export * from './key-reference';
export * from './secret';
export * from './tags';
