/** What {@link MspKeyImporter.importKey} is asked to move, and into which token. */
export interface MspKeyImportRequest {
  /** The MSP folder: `signcerts/` names the key, `keystore/` holds it. */
  readonly mspDir: string;
  /** The PKCS#11 module (a `.so` path). */
  readonly library: string;
  /** The token's label. */
  readonly label: string;
  /** The token's user PIN. */
  readonly pin: string;
  /** File the key under this CKA_ID instead of the SKI (Fabric's AltID). */
  readonly altId?: string;
}

/** What {@link MspKeyImporter.importKey} did. */
export interface MspKeyImport {
  /** The certificate public key's SKI (hex). */
  readonly ski: string;
  /** The CKA_ID the key is filed under (hex). */
  readonly keyId: string;
  /** False when the token held this key already. */
  readonly created: boolean;
  /** The keystore file removed, if one was. */
  readonly removedFile: string | undefined;
  /** `plugins.msp.options` for the node's YAML (no PIN). */
  readonly mspOptions: Readonly<Record<string, unknown>>;
}

/**
 * Moves an MSP folder's signing key into a PKCS#11 token (`weft msp import-key`); an MSP plugin
 * may provide it. Throws `MspError` (token missing, login, another key under the id, a folder
 * without a key) and removes the keystore file only after a signature read back from the token
 * verified under the certificate.
 */
export interface MspKeyImporter {
  importKey(request: MspKeyImportRequest): MspKeyImport;
}
export const MspKeyImporter = Symbol('MspKeyImporter');
