import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openNetwork } from '../../../cli/services/network/network-access';
import { addPeer } from '../../../cli/services/network/network-add-peer';
import { DEFAULT_INIT_OPTIONS, initNetwork } from '../../../cli/services/network/network-init';
import { addUsers } from '../../../cli/services/network/network-users';
import { parseConfigBlock } from '../../../core/protocol/config-parse';
import { closeAllTokenSessions, PKCS11_PIN_ENV, X509Msp } from '../../../plugins/msp-x509';
import { serializeIdentity } from '../../../plugins/msp-x509/crypto-material/test-org';
import { SOFTHSM_LIBRARY, softHsm, type SoftHsm } from '../../unit/plugins/msp-x509/softhsm';
import { expectKeyInToken, expectSigns, signcertOf, TOKEN_PIN, tokenOptions } from './token-keys';

const quiet = (): void => {};

/**
 * `weft network init --intermediate-ca --hsm-library`: members' keys in a SoftHSM token, their
 * certificates issued by the org's intermediate CA (a file key, as cryptogen's CA keys are), and
 * add-peer / add-user in the same token and chain. No processes.
 */
describe('a network issuing from intermediate CAs with its members\' keys in a PKCS#11 token', () => {
  let hsm: SoftHsm;
  let tmp: string;
  let label: string;
  let dir: string;

  beforeAll(async () => {
    hsm = softHsm('ica');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-ica-hsm-'));
    process.env[PKCS11_PIN_ENV] = TOKEN_PIN;
    label = hsm.initToken('net', TOKEN_PIN);
    dir = path.join(tmp, 'net');
    await initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, basePort: 48400, intermediateCa: true }, quiet, { hsmLibrary: SOFTHSM_LIBRARY, hsmLabel: label });
  }, 60_000);
  afterAll(() => {
    closeAllTokenSessions();
    delete process.env[PKCS11_PIN_ENV];
    hsm.remove();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('every member signs in the token with a certificate of its intermediate, valid under the genesis MSP; a new peer and user too', async () => {
    await addPeer(dir, { org: 'Org1', start: false }, quiet);
    await addUsers(dir, { org: 'Org1', names: ['Dave'] }, quiet);
    const layout = openNetwork(dir);
    const msps = parseConfigBlock(fs.readFileSync(layout.genesisBlockFile)).msps;
    const members = [...layout.nodes().map((n) => ({ mspDir: n.mspDir, mspId: n.mspId })), ...layout.users().map((u) => ({ mspDir: u.mspDir, mspId: u.mspId }))];
    expect(members.length).toBe(9);
    for (const { mspDir, mspId } of members) {
      expectKeyInToken(label, mspDir);
      expectSigns(tokenOptions(label), mspDir, mspId);
      const cert = signcertOf(mspDir);
      expect([mspDir, /CN=ica\./.test(cert.issuer)]).toEqual([mspDir, true]);
      const identity = new X509Msp(msps.get(mspId)!).deserializeIdentity(serializeIdentity(mspId, cert.toString()));
      expect(() => identity.validate()).not.toThrow();
    }
  });
});
