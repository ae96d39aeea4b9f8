import module from './policy-fabric-module';

export const manifest = {
  name: 'policy-fabric',
  version: '0.1.0',
  slots: ['policy'],
  description: "Fabric's policies: the AND/OR/OutOf language, cauthdsl signature policies, implicit meta policies and the channel policy tree",
} as const;
export { module };
/** The shape the plugin loader looks for (`module` alone is awkward as a CommonJS export name). */
export const plugin = { manifest, module };
export { FabricPolicyProvider } from './fabric-policy-provider';
export { FabricSignaturePolicy, decodeEnvelope } from './fabric-signature-policy';
export { ImplicitMetaPolicy, type SubPolicy } from './implicit-meta-policy';
export { FabricPolicyManager, ROOT_GROUP } from './fabric-policy-manager';
export { newApplicationPolicy } from './application-policy';
export { SignatureSet } from './signature-set';
export type { SignatureSetPolicy } from './signature-set-policy';
export { describePrincipal, describeSignaturePolicy } from './describe-signature-policy';
