import module from './msp-x509-module';

export const manifest = {
  name: 'msp-x509',
  version: '0.1.0',
  slots: ['msp'],
  description: "Fabric's X.509 MSP: NodeOUs, CRLs, low-S ECDSA and Ed25519, plus cryptogen-style crypto material",
} as const;

export { module };
export const plugin = { manifest, module };

export { X509Msp, X509MspOptions, assertWellFormedIdentity, type OuIdentifier, type NodeOuRoleName } from './x509-msp';
export { goPemDecode, type GoPemBlock } from './go-pem';
export { X509Identity } from './x509-identity';
export { X509SigningIdentity } from './x509-signing-identity';
export { MspManagerImpl, type MspManagerOptions } from './msp-manager-impl';
export { X509MspProvider } from './x509-msp-provider';
export { loadLocalMsp, loadMspConfig, loadSigningIdentity, MspFolderConfigYaml } from './msp-folder';
export { mspOptionsFrom } from './msp-x509-module';
export {
  parseEcdsaSignature,
  encodeEcdsaSignature,
  isLowS,
  toLowS,
  CURVE_ORDERS,
  type EcdsaSignature,
} from './ecdsa-signature';
export { signatureProblem, type SignatureProblem } from './signature-check';
export { BccspOptions, Pkcs11Options, PKCS11_PIN_ENV, keyIdForSki, tokenAddressOf } from './bccsp-options';
export { Pkcs11ErrorCode } from './pkcs11-library';
export { closeAllTokenSessions, openToken, openTokenSessions, Pkcs11Token, type TokenAddress, type TokenLease } from './pkcs11-token';
export { TokenLeases } from './token-leases';
export { TokenSigningKey, subjectKeyIdentifier } from './token-signing-key';
export { importTokenKey, type ImportedTokenKey } from './token-key-import';
export { destroyTokenKeys, generateTokenKey, type GeneratedTokenKey } from './token-key-generation';
export { importMspKey, type MspKeyImport, type MspKeyImportRequest } from './msp-key-import';
export * from './crypto-material';
