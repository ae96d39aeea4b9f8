import module from './orderer-solo-module';

export const manifest = {
  name: 'orderer-solo',
  version: '0.1.0',
  slots: ['ordering'],
  description: 'Single-node consenter for development and single-machine networks',
} as const;

export { module };
/** The shape the plugin loader looks for (`module` alone is awkward as a CommonJS export name). */
export const plugin = { manifest, module };
export { SoloConsenter, SoloOptions } from './solo-consenter';
export { SoloChain, encodeSoloMetadata, decodeSoloMetadata } from './solo-chain';
export { SoloWal, type OpenedWal, type WalRecord } from './solo-wal';
