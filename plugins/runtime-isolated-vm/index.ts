import module from './runtime-isolated-vm-module';

export const manifest = {
  name: 'runtime-isolated-vm',
  version: '0.1.0',
  slots: ['runtime'],
  description: 'Chaincode in isolated-vm with the fabric-contract-api / fabric-shim surface',
} as const;

export { module };
export { IsolatedVmRuntime } from './isolated-vm-runtime';
export { IsolatedVmRuntimeOptions } from './isolated-vm-runtime-options';
export { ChaincodeSandbox } from './chaincode-sandbox';

/** The shape the plugin loader looks for (`module` alone is awkward as a CommonJS export name). */
export const plugin = { manifest, module };
