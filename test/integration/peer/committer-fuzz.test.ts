import * as path from 'node:path';
import Database from 'better-sqlite3';
import { KVMetadataEntry, KVMetadataWrite, KVRWSet, KVRead, KVWrite, QueryReads, RangeQueryInfo, Version } from '@hyperledger/fabric-protos/lib/ledger/rwset/kvrwset/kv_rwset_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { FabricPolicyProvider } from '../../../plugins/policy-fabric';
import { TRANSACTION_LAYERS, resignEndorsements, resignSigned } from '../../support/fuzz-signing';
import { mutateMessage, rewriteAt } from '../../support/protobuf-mutator';
import { seededRandom } from '../../support/seeded-random';
import { commitBlock, endorsedTx, type Harness, PEER_PAIR_DIRS, usePeerPair, nsRwset, txRwset } from './channel-harness';

const BLOCKS = 24;
const TXS_PER_BLOCK = 20;
const KNOWN_CODES = new Set(Object.values(TxValidationCode).filter((c) => c !== TxValidationCode.NOT_VALIDATED));

/** A well-formed rwset on `kv`: reads at their committed versions, a range, writes, deletes, sometimes a key-level policy. */
function honestRwset(rnd: () => number, h: Harness, policy: Uint8Array): Uint8Array {
  const key = (): string => `k${Math.floor(rnd() * 20)}`;
  const kv = new KVRWSet();
  for (let i = Math.floor(rnd() * 3); i > 0; i--) {
    const read = new KVRead();
    read.setKey(key());
    const committed = h.joined.channel.ledger.getVersionedState('kv', read.getKey())?.version;
    if (committed !== undefined) {
      const v = new Version();
      v.setBlockNum(committed.blockNum);
      v.setTxNum(committed.txNum);
      read.setVersion(v);
    }
    kv.addReads(read);
  }
  if (rnd() < 0.3) {
    const range = new RangeQueryInfo();
    range.setStartKey('k1');
    range.setEndKey('k3');
    range.setItrExhausted(true);
    range.setRawReads(new QueryReads());
    kv.addRangeQueriesInfo(range);
  }
  for (let i = 1 + Math.floor(rnd() * 3); i > 0; i--) {
    const write = new KVWrite();
    write.setKey(key());
    if (rnd() < 0.15) write.setIsDelete(true);
    else write.setValue(Buffer.from(`v${Math.floor(rnd() * 1000)}`));
    kv.addWrites(write);
  }
  if (rnd() < 0.2) {
    const entry = new KVMetadataEntry();
    entry.setName('VALIDATION_PARAMETER');
    entry.setValue(policy);
    const meta = new KVMetadataWrite();
    meta.setKey(key());
    meta.setEntriesList([entry]);
    kv.addMetadataWrites(meta);
  }
  return txRwset(nsRwset('kv', kv));
}

/** Every state row of a ledger directory's state database, read beside the open ledger (WAL readers do not block it). */
function stateRows(ledgerDir: string): unknown[] {
  const db = new Database(path.join(ledgerDir, 'mychannel_state.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT ns, key, hex(value) AS value, block_num, tx_num, hex(metadata) AS metadata FROM state ORDER BY ns, key').all();
  } finally {
    db.close();
  }
}

/**
 * The committer against hostile transactions: endorsed transactions with one or two random changes
 * at any layer of the envelope (headers, endorsements, rwset, reads, ranges, writes, metadata,
 * events), re-signed by the endorsers and the creator as a colluding client and endorser would.
 * Two peers' channels commit the same blocks. No block may fail to commit, every transaction gets
 * a validation code, and both peers must decide the same codes and end with the same state.
 */
describe('the committer under mutated, re-signed transactions', () => {
  const pair = usePeerPair('weft-committer-fuzz-');

  it(`commits ${BLOCKS} blocks of ${TXS_PER_BLOCK} transactions, most of them mutated, with the same codes and state on both peers`, async () => {
    const { dir, peers } = pair;
    const h = peers[0];
    const rnd = seededRandom(0x5eed);
    const policy = new FabricPolicyProvider().compileExpression("OR('Org1MSP.member')");
    const seen = new Map<number, number>();
    for (let b = 0; b < BLOCKS; b++) {
      const envelopes: Uint8Array[] = [];
      for (let i = 0; i < TXS_PER_BLOCK; i++) {
        const creator = h.users[Math.floor(rnd() * 2)];
        const endorsers = rnd() < 0.8 ? h.peers : [h.peers[Math.floor(rnd() * 2)]];
        let tx = endorsedTx({ creator, endorsers, chaincode: 'kv', results: honestRwset(rnd, h, policy) }).envelope;
        if (rnd() < 0.8) {
          for (let n = 1 + Math.floor(rnd() * 2); n > 0; n--) {
            const layer = TRANSACTION_LAYERS[Math.floor(rnd() * TRANSACTION_LAYERS.length)];
            tx = layer.length === 0 ? mutateMessage(tx, rnd) : rewriteAt(tx, layer, (bytes) => mutateMessage(bytes, rnd, 0.5));
          }
          // One in ten keeps its broken signatures, to reach the signature checks too.
          if (rnd() < 0.9) tx = resignSigned(resignEndorsements(tx, h.peers), creator);
        }
        envelopes.push(tx);
      }
      const [a, c] = [await commitBlock(peers[0], envelopes), await commitBlock(peers[1], envelopes)];
      expect({ block: b, codes: c }).toEqual({ block: b, codes: a });
      expect(a).toHaveLength(TXS_PER_BLOCK);
      for (const code of a) {
        expect(KNOWN_CODES).toContain(code);
        seen.set(code, (seen.get(code) ?? 0) + 1);
      }
    }
    expect(peers.map((p) => p.joined.channel.height())).toEqual([BLOCKS + 2, BLOCKS + 2]);
    const rows = stateRows(path.join(dir, PEER_PAIR_DIRS[0]));
    expect(rows.length).toBeGreaterThan(0);
    expect(stateRows(path.join(dir, PEER_PAIR_DIRS[1]))).toEqual(rows);
    // The mutations reach many different checks, and valid transactions still commit among them.
    expect(seen.get(TxValidationCode.VALID) ?? 0).toBeGreaterThan(BLOCKS);
    expect([...seen.keys()].length).toBeGreaterThanOrEqual(10);
  }, 120_000);
});
