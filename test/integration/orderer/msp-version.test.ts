import { sign } from 'node:crypto';
import * as fs from 'node:fs';
import { OrdererError } from '../../../core/errors';
import { buildChannelResources, type ChannelResources } from '../../../core/orderer/channel-resources';
import { MsgProcessor } from '../../../core/orderer/msg-processor';
import { parseConfigBlock } from '../../../core/protocol/config-parse';
import { parseEnvelope } from '../../../core/protocol/envelope';
import type { Signer } from '../../../core/protocol/signer';
import { createTestOrg, loadMspConfig, loadSigningIdentity, X509MspProvider, type TestOrg } from '../../../plugins/msp-x509';
import { FabricPolicyProvider } from '../../../plugins/policy-fabric';
import { generateMaterial, genesisBlock, testIdentitySigner, tmpDir, txEnvelope, type Material } from './orderer-fixture';

/**
 * The orderer builds a channel's MSPs at the version the channel capabilities select, as Fabric's
 * channelconfig does: on a V2_0 channel it refuses a broadcast signed by an Ed25519 identity, which
 * every Fabric orderer refuses there, and takes it on a V3_0 channel.
 */
describe('channel MSP version on the orderer (Broadcast filters with the real MSP and policy plugins)', () => {
  let dir: string;
  let m: Material;
  let org3: TestOrg;
  let edClient: Signer;
  let ecClient: Signer;
  let orderer: Signer;
  const providers = { mspProvider: new X509MspProvider(), policyProvider: new FabricPolicyProvider() };

  beforeAll(async () => {
    dir = tmpDir('weft-orderer-msp-version-');
    m = await generateMaterial(dir);
    org3 = await createTestOrg({ mspId: 'Org3MSP' });
    const ed = await org3.issue('ed-user', { role: 'client', keyAlgorithm: 'Ed25519' });
    edClient = { serialized: ed.serialized, sign: (message) => new Uint8Array(sign(null, message, ed.privateKey)) };
    ecClient = testIdentitySigner(await org3.issue('ec-user', { role: 'client' }));
    orderer = loadSigningIdentity(m.ordererOrg.nodes.orderer.mspDir, 'OrdererMSP');
  }, 60_000);

  afterAll(() => {
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  function resourcesAt(channel: string): ChannelResources {
    const block = genesisBlock(m, 'mychannel', {
      capabilities: { channel, orderer: 'V2_0', application: 'V2_5' },
      applicationOrgs: [
        { mspId: 'Org1MSP', mspConfig: loadMspConfig(m.peerOrg.mspDir, 'Org1MSP') },
        { mspId: 'Org3MSP', mspConfig: org3.mspConfig() },
      ],
    });
    return buildChannelResources('mychannel', parseConfigBlock(block).config, providers);
  }

  function broadcastProblem(resources: ChannelResources, signer: Signer): string | undefined {
    const processor = new MsgProcessor('mychannel', () => resources, providers, orderer);
    try {
      processor.process(parseEnvelope(txEnvelope(signer, 'mychannel')));
      return undefined;
    } catch (err) {
      if (err instanceof OrdererError) return err.message;
      throw err;
    }
  }

  it('refuses an Ed25519 creator on a V2_0 channel (MSPv1_4_3) with Fabric\'s reason', () => {
    const resources = resourcesAt('V2_0');
    expect(resources.mspVersion).toBe('MSPv1_4_3');
    expect(broadcastProblem(resources, edClient)).toMatch(/creator identity is not valid: .*could not validate identity's public key algorithm: Ed25519 is not supported/);
    expect(broadcastProblem(resources, ecClient)).toBeUndefined();
  });

  it('takes an Ed25519 creator on a V3_0 channel (MSPv3_0)', () => {
    const resources = resourcesAt('V3_0');
    expect(resources.mspVersion).toBe('MSPv3_0');
    expect(broadcastProblem(resources, edClient)).toBeUndefined();
    expect(broadcastProblem(resources, ecClient)).toBeUndefined();
  });
});
