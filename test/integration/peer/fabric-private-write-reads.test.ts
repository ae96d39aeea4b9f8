import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { ChaincodeAction } from '@hyperledger/fabric-protos/lib/peer/proposal_pb';
import { ProposalResponsePayload } from '@hyperledger/fabric-protos/lib/peer/proposal_response_pb';
import { TxReadWriteSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/rwset_pb';
import { KVRWSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/kvrwset/kv_rwset_pb';
import { LedgerManagerImpl } from '../../../core/ledger/ledger-manager-impl';
import type { Ledger } from '../../../core/ledger/ledger';
import { currentSequence, readDefinition } from '../../../core/peer/lifecycle/lifecycle-state';
import { CollectionCheckedSimulator } from '../../../core/peer/privdata/collection-access';
import { SqliteLedgerStoreProvider } from '../../../plugins/ledger-sqlite';

const FIXTURES = path.join(__dirname, '../../fixtures/fabric-2.4.9/mixed-channel');

/** The fixture's blocks: each a 4-byte big-endian length, then the block as the Fabric peer stored it. */
function fabricBlocks(): Block[] {
  const all = gunzipSync(fs.readFileSync(path.join(FIXTURES, 'blocks-0-23.bin.gz')));
  const blocks: Block[] = [];
  for (let at = 0; at < all.length; ) {
    const length = all.readUInt32BE(at);
    blocks.push(Block.deserializeBinary(all.subarray(at + 4, at + 4 + length)));
    at += 4 + length;
  }
  return blocks;
}

/** The read-write set a Fabric 2.4.9 peer endorsed for `putp both p1 v1` at height 27 (no `_lifecycle` change after block 23). */
function fabricResults(): Uint8Array {
  const payload = ProposalResponsePayload.deserializeBinary(fs.readFileSync(path.join(FIXTURES, 'kv-private-write-proposal-response-payload.bin')));
  return ChaincodeAction.deserializeBinary(payload.getExtension_asU8()).getResults_asU8();
}

/** The `_lifecycle` keys a read-write set read. */
function lifecycleReads(results: Uint8Array): string[] {
  const ns = TxReadWriteSet.deserializeBinary(results)
    .getNsRwsetList()
    .find((n) => n.getNamespace() === '_lifecycle');
  return ns === undefined ? [] : KVRWSet.deserializeBinary(ns.getRwset_asU8()).getReadsList().map((r) => r.getKey());
}

/**
 * A Weft peer and a Fabric peer endorsing the same private-data write must produce the same
 * read-write set, or a client cannot assemble their endorsements into one transaction ("could not
 * assemble transaction: ProposalResponsePayloads do not match"). Fabric reads the chaincode's whole
 * definition through the simulator to find the collection, once per collection; the blocks are a
 * mixed Weft/Fabric channel's, as the Fabric peer stored them, committed into a real SQLite ledger.
 */
describe('a private-data write endorsed as a Fabric 2.4.9 peer endorses it', () => {
  let dir: string;
  let manager: LedgerManagerImpl;
  let ledger: Ledger;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-fabric-pvt-reads-'));
    manager = new LedgerManagerImpl(new SqliteLedgerStoreProvider({ rootDir: dir }));
    ledger = manager.create('mychannel');
    for (const block of fabricBlocks()) ledger.commit(block);
  });

  afterAll(() => {
    manager.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function checked(txId: string): CollectionCheckedSimulator {
    const committed = ledger.newQueryExecutor();
    const definition = readDefinition(committed, 'kv');
    committed.done();
    const simulator = ledger.newTxSimulator(txId);
    // What the endorser reads through the simulator before the chaincode runs (Fabric's CachedChaincodeInfo).
    expect(currentSequence(simulator, 'kv')).toBe(2);
    return new CollectionCheckedSimulator(simulator, {
      channelId: 'mychannel',
      creatorMspId: 'Org2MSP',
      isMember: () => true,
      definition: (chaincode) => (chaincode === 'kv' ? definition : undefined),
      purgeEnabled: true,
    });
  }

  it('records the same read-write set, byte for byte', () => {
    const simulator = checked('putp');
    simulator.setPrivateData('kv', 'both', 'p1', Buffer.from('v1'));
    expect(Buffer.from(simulator.getTxSimulationResults()).toString('hex')).toBe(Buffer.from(fabricResults()).toString('hex'));
    simulator.done();
  });

  it('reads the definition once however many private calls the chaincode makes, and not for a hash', () => {
    const simulator = checked('twice');
    simulator.setPrivateData('kv', 'both', 'p1', Buffer.from('v0'));
    simulator.setPrivateData('kv', 'both', 'p1', Buffer.from('v1'));
    expect(Buffer.from(simulator.getTxSimulationResults()).toString('hex')).toBe(Buffer.from(fabricResults()).toString('hex'));
    simulator.done();
    // Fabric's HandleGetPrivateDataHash checks no permission, so it finds no collection: only the endorser's Sequence read.
    const hashOnly = checked('hash');
    hashOnly.getPrivateDataHash('kv', 'both', 'p1');
    expect(lifecycleReads(hashOnly.getTxSimulationResults())).toEqual(['namespaces/fields/kv/Sequence']);
    hashOnly.done();
  });
});
