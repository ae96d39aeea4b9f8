import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { defaultLedgerOptions } from '../../../core/ledger/ledger-options';
import { NodeLogging } from '../../../core/node/logger';
import { ChannelManager, type JoinedChannel } from '../../../core/peer/channel/channel-manager';
import { BlockValidator } from '../../../core/peer/validation/block-validator';
import { EndorsementPolicies } from '../../../core/peer/validation/endorsement-policies';
import { ThreadPoolSignatureVerifier } from '../../../core/peer/validation/signature-verifier';
import { SqliteLedgerStoreProvider } from '../../../plugins/ledger-sqlite';
import { X509MspProvider } from '../../../plugins/msp-x509';
import { FabricPolicyProvider } from '../../../plugins/policy-fabric';
import { type Harness, commitBlock, definitionWrites, endorsedTx } from './channel-harness';
import { CHANNEL, generateMaterial, genesisBlock, signerOf, tmpDir } from './network-fixture';

/**
 * Once a block is durable in the ledger its events go out, whatever fails in the housekeeping
 * after it: Fabric's coordinator logs a transient store purge that fails and carries on.
 */
describe('events of a committed block', () => {
  let dir: string;
  let h: Harness;

  beforeAll(async () => {
    dir = tmpDir('weft-peer-commit-events-');
    const m = await generateMaterial(dir);
    const policies = new FabricPolicyProvider();
    const msp = new X509MspProvider();
    const channels = new ChannelManager({
      ledgers: new SqliteLedgerStoreProvider({ rootDir: path.join(dir, 'ledgers') }),
      ledgerOptions: defaultLedgerOptions,
      msp,
      policy: policies,
      validator: new BlockValidator(new ThreadPoolSignatureVerifier(), new EndorsementPolicies(policies)),
      logger: new NodeLogging('silent').logger('committer'),
      localMspId: 'Org1MSP',
      transientDir: path.join(dir, 'transient'),
    });
    channels.join(genesisBlock(m, 7050));
    h = {
      channels,
      joined: channels.get(CHANNEL) as JoinedChannel,
      orderer: msp.loadSigningIdentity(m.ordererOrg.nodes.orderer.mspDir, 'OrdererMSP'),
      peers: [msp.loadSigningIdentity(m.orgs[0].nodes.peer0.mspDir, 'Org1MSP'), msp.loadSigningIdentity(m.orgs[1].nodes.peer0.mspDir, 'Org2MSP')],
      users: [signerOf(m.orgs[0]), signerOf(m.orgs[1])],
    };
  }, 60_000);

  afterAll(() => {
    h?.channels.close();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('go out, and commits go on, when the transient store cannot purge the block', async () => {
    const channel = h.joined.channel;
    const tx = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: '_lifecycle', results: definitionWrites('cc1') });
    // This peer endorsed the transaction: the commit drops its entry from the store's file.
    channel.transient.persist(tx.txId, new Uint8Array(0), channel.height());
    const blocker = new Database(path.join(dir, 'transient', `${CHANNEL}.sqlite`), { timeout: 0 });
    blocker.exec('BEGIN EXCLUSIVE');
    try {
      expect(await commitBlock(h, [tx.envelope])).toEqual([TxValidationCode.VALID]);
    } finally {
      blocker.exec('ROLLBACK');
      blocker.close();
    }
    expect(channel.height()).toBe(2);
    expect(h.joined.committer.failure()).toBeUndefined();
    const next = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: '_lifecycle', results: definitionWrites('cc2') });
    expect(await commitBlock(h, [next.envelope])).toEqual([TxValidationCode.VALID]);
  });
});
