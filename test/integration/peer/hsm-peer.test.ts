import * as fs from 'node:fs';
import * as path from 'node:path';
import { connect } from '@hyperledger/fabric-gateway';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { parse as parseYaml, stringify } from 'yaml';
import { closeCliTokenProvider } from '../../../cli/services/client/cli-token';
import { loadClientIdentity } from '../../../cli/services/client/client-identity';
import { gatewaySigning } from '../../../cli/services/client/gateway-session';
import type { UserLayout } from '../../../cli/services/network/network-layout';
import { loadNodeConfig } from '../../../core/node/config';
import { parsePeerConfig } from '../../../core/peer/peer-config';
import { PeerNode } from '../../../core/peer/peer-node';
import { closeAllTokenSessions, importMspKey, openTokenSessions, PKCS11_PIN_ENV } from '../../../plugins/msp-x509';
import { SOFTHSM_LIBRARY, softHsm, type SoftHsm } from '../../unit/plugins/msp-x509/softhsm';
import { deployKvInProcess, gatewayOn, peersInSync, startInProcessNetwork, type InProcessNetwork } from './in-process-network';
import { CHANNEL } from './network-fixture';

const PIN = '13572468';
const utf8 = new TextDecoder();

/**
 * Org2's peer restarted with its signing key moved into a SoftHSM token (keystore/ gone) and
 * `bccsp.default: PKCS11` in its YAML: its endorsements, signed in the token, satisfy the channel's
 * majority endorsement policy on both peers.
 */
describe('a peer signing with a key in a PKCS#11 token', () => {
  let net: InProcessNetwork;
  let hsm: SoftHsm;
  let label: string;

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-peer-hsm-' });
    await deployKvInProcess(net);
    hsm = softHsm('peer');
    label = hsm.initToken('org2', PIN);

    await net.peers[1]!.stop();
    const mspDir = net.m.orgs[1].nodes.peer0!.mspDir;
    expect(importMspKey({ mspDir, library: SOFTHSM_LIBRARY, label, pin: PIN }).created).toBe(true);
    expect(fs.readdirSync(path.join(mspDir, 'keystore'))).toEqual([]);
    const configFile = net.peerFiles[1].configFile;
    const yaml = parseYaml(fs.readFileSync(configFile, 'utf8')) as { plugins: Record<string, unknown> };
    yaml.plugins.msp = { plugin: 'msp-x509', options: { bccsp: { default: 'PKCS11', pkcs11: { library: SOFTHSM_LIBRARY, label } } } };
    fs.writeFileSync(configFile, stringify(yaml));
    process.env[PKCS11_PIN_ENV] = PIN;
    const restarted = new PeerNode(parsePeerConfig(loadNodeConfig(configFile)));
    await restarted.start();
    net.peers[1] = restarted;
  }, 180_000);

  afterAll(async () => {
    await net?.close();
    closeCliTokenProvider();
    // A stopped peer closes its MSP provider's token sessions: none is left open in this worker.
    const leftOpen = openTokenSessions();
    closeAllTokenSessions();
    delete process.env[PKCS11_PIN_ENV];
    delete process.env.WEFT_PKCS11_LIBRARY;
    delete process.env.WEFT_PKCS11_LABEL;
    hsm?.remove();
    expect(leftOpen).toBe(0);
  });

  it('endorses with the token key: the transaction, endorsed by both orgs, commits VALID on both peers', async () => {
    const contract = gatewayOn(net, 0).getNetwork(CHANNEL).getContract('kv');
    const submitted = await contract.submitAsync('Put', { arguments: ['hsm', 'signed-in-a-token'] });
    expect((await submitted.getStatus()).code).toBe(TxValidationCode.VALID);
    await peersInSync(net.peers);
    const viaOrg2 = gatewayOn(net, 1).getNetwork(CHANNEL).getContract('kv');
    expect(utf8.decode(await viaOrg2.evaluateTransaction('Get', 'hsm'))).toBe('signed-in-a-token');
  }, 120_000);

  it("the CLI's user whose key was moved into the token (weft msp import-key) submits through the Gateway once WEFT_PKCS11_LIBRARY and WEFT_PKCS11_LABEL name it; KEY_NOT_HERE names them before", async () => {
    const org = net.m.orgs[0];
    const userOf = (name: 'User1' | 'Admin'): UserLayout => {
      const member = org.users[name]!;
      return { id: member.name, name, mspId: org.mspId, org: 'Org1', admin: name === 'Admin', mspDir: member.mspDir, certPath: member.signCertPath, keyPath: member.keyPath, tlsCertPath: member.tlsCertPath, tlsKeyPath: member.tlsKeyPath };
    };
    const gatewayAs = (user: UserLayout): ReturnType<typeof connect> => {
      const identity = loadClientIdentity(user);
      const gateway = connect({ client: net.clients[0]!, identity: { mspId: org.mspId, credentials: identity.certPem }, ...gatewaySigning(identity) });
      net.gateways.push(gateway);
      return gateway;
    };
    const user = userOf('User1');
    const mspDir = user.mspDir;
    expect(importMspKey({ mspDir, library: SOFTHSM_LIBRARY, label, pin: PIN }).created).toBe(true);
    let refused: unknown;
    try {
      loadClientIdentity(user);
    } catch (err) {
      refused = err;
    }
    expect(refused).toMatchObject({ code: 'KEY_NOT_HERE', details: { suggestions: expect.arrayContaining([expect.stringContaining('WEFT_PKCS11_LIBRARY, WEFT_PKCS11_LABEL and WEFT_PKCS11_PIN')]) } });

    process.env.WEFT_PKCS11_LIBRARY = SOFTHSM_LIBRARY;
    process.env.WEFT_PKCS11_LABEL = label;
    const submitted = await gatewayAs(user).getNetwork(CHANNEL).getContract('kv').submitAsync('Put', { arguments: ['cli-hsm', 'user-in-a-token'] });
    expect((await submitted.getStatus()).code).toBe(TxValidationCode.VALID);
    expect(fs.readdirSync(path.join(mspDir, 'keystore'))).toEqual([]);
    // The same signing path with a keystore file (Org1's Admin, the token variables still set): the file wins.
    expect(utf8.decode(await gatewayAs(userOf('Admin')).getNetwork(CHANNEL).getContract('kv').evaluateTransaction('Get', 'cli-hsm'))).toBe('user-in-a-token');
  }, 120_000);
});
