import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openNetwork } from '../../../cli/services/network/network-access';
import { addPeer } from '../../../cli/services/network/network-add-peer';
import { addUsers } from '../../../cli/services/network/network-users';
import { parseConfigBlock } from '../../../core/protocol/config-parse';
import { X509Msp } from '../../../plugins/msp-x509';
import { serializeIdentity } from '../../../plugins/msp-x509/crypto-material/test-org';
import { expectKeyInToken, expectSigns, initTokenNetwork, signcertOf, tokenOptions, type TokenNetwork } from './token-keys';

const quiet = (): void => {};

/**
 * `weft network init --intermediate-ca --hsm-library`: members' keys in a SoftHSM token, their
 * certificates issued by the org's intermediate CA (a file key, as cryptogen's CA keys are), and
 * add-peer / add-user in the same token and chain. No processes.
 */
describe('a network issuing from intermediate CAs with its members\' keys in a PKCS#11 token', () => {
  let net: TokenNetwork;
  let label: string;
  let dir: string;

  beforeAll(async () => {
    net = await initTokenNetwork('ica', { basePort: 48400, intermediateCa: true });
    ({ label, dir } = net);
  }, 60_000);
  afterAll(() => net?.close());

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
