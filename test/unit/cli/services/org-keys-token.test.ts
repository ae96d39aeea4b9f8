import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { CLI_PKCS11_LABEL_ENV, CLI_PKCS11_LIBRARY_ENV } from '../../../../cli/services/client/cli-token';
import { signingKeyHere } from '../../../../cli/services/network/org-keys';

/** An Admin's MSP folder: its keystore holding `priv_sk`, or emptied (its key moved into a token). */
function adminFolder(withKey: boolean): { keyPath: string; mspDir: string } {
  const mspDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'weft-org-keys-')), 'msp');
  fs.mkdirSync(path.join(mspDir, 'keystore'), { recursive: true });
  const keyPath = path.join(mspDir, 'keystore', 'priv_sk');
  if (withKey) fs.writeFileSync(keyPath, 'key');
  return { keyPath, mspDir };
}

describe('signingKeyHere: the flows that pick a signer (channel updates, submitters) see an Admin whose key is in a token', () => {
  afterEach(() => {
    delete process.env[CLI_PKCS11_LIBRARY_ENV];
    delete process.env[CLI_PKCS11_LABEL_ENV];
  });

  it('a key file is here; an emptied keystore is here only when the CLI names a token', () => {
    expect(signingKeyHere(adminFolder(true))).toBe(true);
    const moved = adminFolder(false);
    expect(signingKeyHere(moved)).toBe(false);
    process.env[CLI_PKCS11_LIBRARY_ENV] = '/usr/lib/softhsm/libsofthsm2.so';
    process.env[CLI_PKCS11_LABEL_ENV] = 'org1';
    expect(signingKeyHere(moved)).toBe(true);
  });

  it("another org's Admin in an exported directory (no keystore folder at all) is not here, token or not", () => {
    const elsewhere = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'weft-org-keys-')), 'msp');
    fs.mkdirSync(path.join(elsewhere, 'signcerts'), { recursive: true });
    process.env[CLI_PKCS11_LIBRARY_ENV] = '/usr/lib/softhsm/libsofthsm2.so';
    process.env[CLI_PKCS11_LABEL_ENV] = 'org1';
    expect(signingKeyHere({ keyPath: path.join(elsewhere, 'keystore', 'priv_sk'), mspDir: elsewhere })).toBe(false);
  });
});
