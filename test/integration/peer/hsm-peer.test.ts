import * as fs from 'node:fs';
import * as path from 'node:path';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { parse as parseYaml, stringify } from 'yaml';
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

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-peer-hsm-' });
    await deployKvInProcess(net);
    hsm = softHsm('peer');
    const label = hsm.initToken('org2', PIN);

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
    // A stopped peer closes its MSP provider's token sessions: none is left open in this worker.
    const leftOpen = openTokenSessions();
    closeAllTokenSessions();
    delete process.env[PKCS11_PIN_ENV];
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
});
