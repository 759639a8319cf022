export * from './errors';
export * from './fingerprint';
export * from './secret';
