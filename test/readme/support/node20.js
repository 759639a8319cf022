// Preloaded with `node --require`: this process reports itself as Node 20, as the machine's does.
Object.defineProperty(process, 'version', { value: 'v20.20.2' });
