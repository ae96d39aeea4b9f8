import { createHash, verify as cryptoVerify, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MspError } from '../../core/errors';
import { MspErrorCode } from '../../core/msp/msp-error-code';
import type { MspKeyImport as CoreMspKeyImport, MspKeyImportRequest as CoreMspKeyImportRequest } from '../../core/msp/msp-key-importer';
import { keyIdForSki, Pkcs11Options } from './bccsp-options';
import { firstPemBlock, keystoreHoldsKey, keystoreKey } from './msp-folder';
import { openToken, type TokenAddress } from './pkcs11-token';
import { importTokenKey } from './token-key-import';
import { TokenSigningKey } from './token-signing-key';

/** What {@link importMspKey} is asked to do. */
export interface MspKeyImportRequest extends CoreMspKeyImportRequest, TokenAddress {}

/** What {@link importMspKey} did. */
export interface MspKeyImport extends CoreMspKeyImport {
  readonly mspOptions: { bccsp: { default: 'PKCS11'; pkcs11: { library: string; label: string; altId?: string } } };
}

const PROBE = Buffer.from('weft msp import-key: read back');

/**
 * Moves an MSP folder's signing key into a PKCS#11 token: filed as Fabric's PKCS#11 BCCSP finds it
 * ({@link importTokenKey}), found again by its SKI and a test signature verified under the
 * certificate, and only then is the keystore file removed. Run again on a folder whose key is
 * already in the token (keystore emptied or not), it changes nothing and reports `created: false`.
 * Throws MSP_BAD_FOLDER / MSP_KEY_MISMATCH (no key for the certificate, in the folder or the token),
 * MSP_PKCS11_KEY_EXISTS (another key under that CKA_ID) and the token's own refusals.
 */
export function importMspKey(request: MspKeyImportRequest): MspKeyImport {
  const pkcs11 = Pkcs11Options.parse({ library: request.library, label: request.label, altId: request.altId });
  const signcerts = path.join(request.mspDir, 'signcerts');
  const publicKey = new X509Certificate(firstPemBlock(signcerts, 'CERTIFICATE')).publicKey;
  const keystore = path.join(request.mspDir, 'keystore');
  const lease = openToken(request);
  try {
    const inFolder = keystoreHoldsKey(request.mspDir) ? keystoreKey(publicKey, request.mspDir) : undefined;
    // Without a key in the folder the token must hold it already (a second run): found below or refused.
    const created = inFolder !== undefined && importTokenKey(lease.token, inFolder.key, pkcs11).created;
    let readBack: TokenSigningKey;
    try {
      readBack = TokenSigningKey.find(lease.token, publicKey, pkcs11);
    } catch (err) {
      if (inFolder !== undefined || !(err instanceof MspError)) throw err;
      throw new MspError(MspErrorCode.BadFolder, `${keystore} holds no key, and PKCS#11 token "${request.label}" has none for the certificate in ${signcerts} (SKI ${String(err.details.ski)}): nothing to import`, {
        file: keystore,
        label: request.label,
        ski: err.details.ski,
      });
    }
    const ski = readBack.ski.toString('hex');
    const signature = readBack.signDigest(createHash('sha256').update(PROBE).digest());
    if (!cryptoVerify('sha256', PROBE, { key: publicKey, dsaEncoding: 'der' }, signature)) {
      throw new MspError(MspErrorCode.KeyMismatch, `the key read back from PKCS#11 token "${request.label}" for SKI ${ski} does not match the certificate in ${signcerts}; ${keystore} was left as it was`, {
        label: request.label,
        ski,
      });
    }
    if (inFolder !== undefined) fs.rmSync(inFolder.file);
    return {
      ski,
      keyId: keyIdForSki(pkcs11, readBack.ski).toString('hex'),
      created,
      removedFile: inFolder?.file,
      mspOptions: { bccsp: { default: 'PKCS11', pkcs11: { library: request.library, label: request.label, ...(request.altId === undefined ? {} : { altId: request.altId }) } } },
    };
  } finally {
    lease.release();
  }
}
