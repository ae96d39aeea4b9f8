import * as path from 'node:path';
import type { Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import Database from 'better-sqlite3';
import type { BlockPvtData, KvLedger, PrivateDataPolicy, TxSimulator } from '../../../../core/ledger';
import { pvtNamespace } from '../../../../core/ledger/private-data';
import { CC, COLL, copy, usePvtLedgerFixture } from './pvt-ledger-fixture';

const SHORT = 'short';
/** `short` lives 2 blocks; `secrets` forever. */
const POLICY: PrivateDataPolicy = { blockToLive: (_ns, coll) => (coll === SHORT ? 2 : 0) };
const INDEX = { name: 'i.json', content: JSON.stringify({ index: { fields: ['owner'] }, ddoc: 'd', name: 'byOwner', type: 'json' }) };
const PVT_INDEX = { name: 'p.json', content: JSON.stringify({ index: { fields: ['size'] }, ddoc: 'p', name: 'bySize', type: 'json' }) };

interface Sent {
  readonly block: Block;
  readonly pvt: BlockPvtData | undefined;
}

/**
 * `weft peer rebuild-dbs` and `rollback` on a ledger that holds everything at once: public and
 * private writes, a purge, an expiry, a delete, data reconciled late and data still missing,
 * history, and declared indexes on public and private data. A rebuild must give back exactly the
 * state file's rows, the history and the rich queries' answers; a rollback followed by the same
 * blocks again must too.
 */
describe('rebuild and rollback give back the same ledger (SQLite)', () => {
  const f = usePvtLedgerFixture();
  const { open, simulate } = f;

  /** Every row of the state file (private, hashed, missing and expiry namespaces included) and every key's history. */
  function dump(ledger: KvLedger): unknown {
    const db = new Database(path.join(f.dir, 'a', 'ch1_state.sqlite'), { readonly: true });
    const state = db.prepare('SELECT ns, key, hex(value), block_num, tx_num, hex(metadata) FROM state ORDER BY ns, key').raw().all();
    const indexes = db.prepare('SELECT ns, ddoc, name, sql_name FROM declared_indexes ORDER BY ns, name').raw().all();
    db.close();
    const q = ledger.newQueryExecutor();
    const text = (kv: { key: string; value: Uint8Array }): string[] => [kv.key, Buffer.from(kv.value).toString()];
    const out = {
      state,
      indexes,
      history: ['a0', 'a1', 'a2'].map((k) => [...q.getHistoryForKey(CC, k)].map((h) => [h.txId, Buffer.from(h.value).toString(), h.isDelete])),
      query: [...q.executeQuery(CC, JSON.stringify({ selector: { owner: 'bob' }, use_index: ['d', 'byOwner'], allow_fallback: false }))].map(text),
      pvtQuery: [...q.executeQueryOnPrivateData(CC, COLL, JSON.stringify({ selector: { size: { $gt: 0 } }, sort: [{ size: 'asc' }] }))].map(text),
      missing: ledger.missingPvtData(100),
      served: [...Array(ledger.height()).keys()].map((n) => [...ledger.getPrivateDataByBlock(n)].map(([t, b]) => [t, Buffer.from(b).toString('hex')])),
    };
    q.done();
    return out;
  }

  it('after a rebuild, and after a rollback and the same blocks again', async () => {
    const ledger = open('a', POLICY);
    const member = open('member', POLICY);
    const sent: Sent[] = [];
    /** Commits on both; the peer under test (`a`) gets the private data unless `aLacks`. */
    const commit = (body?: (sim: TxSimulator) => void, aLacks = false): number => {
      const tx = body === undefined ? undefined : simulate(member, body);
      const block = f.chain.block(tx === undefined ? [] : [tx.envelope]);
      const pvt = tx?.pvt === undefined ? undefined : new Map([[0, tx.pvt]]);
      sent.push({ block: copy(block), pvt });
      ledger.commit(copy(block), undefined, aLacks ? undefined : pvt);
      member.commit(block, undefined, pvt);
      return ledger.height() - 1;
    };
    const doc = (owner: string): Buffer => Buffer.from(JSON.stringify({ owner }));
    const size = (n: number): Buffer => Buffer.from(JSON.stringify({ size: n }));
    ledger.declareIndexes(CC, [INDEX]);
    await ledger.declareIndexesInBackground(pvtNamespace(CC, COLL), [PVT_INDEX]);
    commit((sim) => {
      sim.setState(CC, 'a0', doc('bob'));
      sim.setState(CC, 'a1', doc('alice'));
      sim.setPrivateData(CC, COLL, 'p0', size(3));
      sim.setPrivateData(CC, COLL, 'p1', size(1));
      sim.setPrivateData(CC, SHORT, 's0', Buffer.from('brief'));
    });
    const late = commit((sim) => {
      sim.setState(CC, 'a2', doc('bob'));
      sim.setPrivateData(CC, COLL, 'p2', size(2));
    }, true);
    commit((sim) => sim.purgePrivateData(CC, COLL, 'p1'));
    commit((sim) => {
      sim.setState(CC, 'a1', doc('bob'));
      sim.deleteState(CC, 'a0');
      sim.deletePrivateData(CC, COLL, 'p0');
    });
    commit((sim) => sim.setPrivateData(CC, COLL, 'p3', size(5)), true);
    commit((sim) => sim.setPrivateData(CC, SHORT, 's1', Buffer.from('later')));
    expect(ledger.commitPvtDataOfOldBlocks(new Map([[late, member.getPrivateDataByBlock(late)]])).reconciled).toHaveLength(1);
    commit();
    commit();
    const before = dump(ledger);
    expect(before).toMatchObject({ query: [['a1', '{"owner":"bob"}'], ['a2', '{"owner":"bob"}']], missing: [expect.objectContaining({ blockNum: 5 })] });

    ledger.rebuild();
    expect(dump(ledger)).toEqual(before);

    ledger.rollback(3);
    f.closeAll();
    const reopened = open('a', POLICY, false);
    for (const s of sent.slice(3)) reopened.commit(copy(s.block), undefined, undefined);
    expect(reopened.height()).toBe(sent.length + 1);
    expect(dump(reopened)).toEqual(before);
  });
});
