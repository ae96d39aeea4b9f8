import module from './runtime-ccaas-module';

export const manifest = {
  name: 'runtime-ccaas',
  version: '0.1.0',
  slots: ['runtime'],
  description: 'Chaincode as a service: the peer dials Fabric chaincode servers (any language, any Fabric shim) for packages of type ccaas',
} as const;

export { module };
export { CcaasRuntime, CCAAS_PACKAGE_TYPE } from './ccaas-runtime';
export { chaincodeProtocol, DEFAULT_PROTOCOL, type ChaincodeProtocol, type RuntimeParams } from './ccaas-runtime-options';
export { parseConnectionJson, parseGoDuration, CONNECTION_FILE, type ChaincodeServerInfo } from '../../core/chaincode/ccaas-connection';

/** The shape the plugin loader looks for (`module` alone is awkward as a CommonJS export name). */
export const plugin = { manifest, module };
