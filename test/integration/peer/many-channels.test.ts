/**
 * A peer on many channels among the same orgs: what each channel costs it. Real MSP, policy and
 * SQLite ledger plugins under the peer's channel manager, no gRPC.
 */
import * as fs from 'node:fs';
import { defaultLedgerOptions } from '../../../core/ledger/ledger-options';
import { NodeLogging } from '../../../core/node/logger';
import { ChannelManager } from '../../../core/peer/channel/channel-manager';
import { BlockValidator } from '../../../core/peer/validation/block-validator';
import { EndorsementPolicies } from '../../../core/peer/validation/endorsement-policies';
import { ThreadPoolSignatureVerifier } from '../../../core/peer/validation/signature-verifier';
import { SqliteLedgerStoreProvider } from '../../../plugins/ledger-sqlite';
import { FabricPolicyProvider } from '../../../plugins/policy-fabric';
import { type Material, generateMaterial, genesisBlock, signerOf, tmpDir } from './network-fixture';
import { CountingMspProvider } from '../../support/counting-msp-provider';

const CHANNELS = 20;

describe('a peer on many channels among the same orgs', () => {
  let dir: string;
  let m: Material;

  beforeAll(async () => {
    dir = tmpDir('weft-many-channels-');
    m = await generateMaterial(dir);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const manager = (msp: CountingMspProvider): ChannelManager => {
    const policies = new FabricPolicyProvider();
    return new ChannelManager({
      ledgers: new SqliteLedgerStoreProvider({ rootDir: `${dir}/ledgers` }),
      ledgerOptions: defaultLedgerOptions,
      msp,
      policy: policies,
      validator: new BlockValidator(new ThreadPoolSignatureVerifier(), new EndorsementPolicies(policies)),
      logger: new NodeLogging('error').logger('committer'),
      localMspId: 'Org1MSP',
    });
  };

  it('builds each org MSP once, not once per channel, on join and on restart, and each channel still judges identities', () => {
    const msp = new CountingMspProvider();
    const channels = manager(msp);
    const ids = Array.from({ length: CHANNELS }, (_, i) => `ch${i}`);
    for (const id of ids) channels.join(genesisBlock(m, 7050, '100ms', id));
    // Two application orgs and the orderer org, whatever the number of channels.
    expect(msp.built).toBe(3);
    const user = signerOf(m.orgs[1]).serialized;
    for (const id of ids) {
      const identity = channels.channel(id)!.resources().deserializer.deserializeIdentity(user);
      expect(identity.mspId).toBe('Org2MSP');
      expect(() => identity.validate()).not.toThrow();
    }
    channels.close();

    const restarted = new CountingMspProvider();
    const reopened = manager(restarted);
    reopened.openAll();
    expect(reopened.list()).toEqual([...ids].sort());
    expect(restarted.built).toBe(3);
    reopened.close();
  });
});
