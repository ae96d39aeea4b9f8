import { createCompositeKey } from '../../../../core/ledger/ledger-keys';
import type { KvLedger, TxSimulator } from '../../../../core/ledger';
import { buildChaincodeInterest } from '../../../../core/peer/endorser/chaincode-interest';
import { CC, COLL, usePvtLedgerFixture } from '../../plugins/ledger-sqlite/pvt-ledger-fixture';

const isSystem = (name: string): boolean => name === '_lifecycle';

/**
 * A private range or rich query reads values only the collection's members hold, as a point read
 * does: the simulation's footprint, and so the endorser's chaincode interest, must name the
 * collection as privately read (the Gateway then asks only members), though the query records
 * nothing in the read/write set (as Fabric records nothing for it).
 */
describe('the footprint of a simulation whose only action is a private query', () => {
  const f = usePvtLedgerFixture();

  /** A ledger whose `COLL` holds a plain key, a JSON document and a composite key. */
  function seeded(): KvLedger {
    const ledger = f.open('member');
    const seed = f.simulate(ledger, (sim) => {
      sim.setPrivateData(CC, COLL, 'plain', Buffer.from('v'));
      sim.setPrivateData(CC, COLL, 'doc', Buffer.from(JSON.stringify({ owner: 'alice' })));
      sim.setPrivateData(CC, COLL, createCompositeKey('asset', ['alice', '1']), Buffer.from('a1'));
    });
    ledger.commit(f.chain.block([seed.envelope]), undefined, new Map([[0, seed.pvt as Uint8Array]]));
    return ledger;
  }

  const partial = createCompositeKey('asset', ['alice']);
  const queries: [string, (sim: TxSimulator) => string[]][] = [
    ['a range query', (sim) => [...sim.getPrivateDataRange(CC, COLL, '', '')].map((kv) => kv.key)],
    ['a paginated range query', (sim) => sim.getPrivateDataRangeWithPagination(CC, COLL, 'a', 'q', 10, '').results.map((kv) => kv.key)],
    ['a partial composite key query', (sim) => [...sim.getPrivateDataRange(CC, COLL, partial, `${partial}\u{10ffff}`)].map((kv) => kv.key)],
    ['a rich query', (sim) => [...sim.executeQueryOnPrivateData(CC, COLL, JSON.stringify({ selector: { owner: 'alice' } }))].map((kv) => kv.key)],
    ['a paginated rich query', (sim) => sim.executeQueryOnPrivateDataWithPagination(CC, COLL, JSON.stringify({ selector: { owner: 'alice' } }), 5, '').results.map((kv) => kv.key)],
  ];

  it.each(queries)('%s marks the collection privately read, and records nothing in the read/write set', (_, query) => {
    const ledger = seeded();
    const sim = ledger.newTxSimulator('query-only');
    expect(query(sim).length).toBeGreaterThan(0);
    expect(sim.getTxSimulationResults()).toHaveLength(0);
    const footprint = sim.getSimulationFootprint();
    sim.done();
    expect(footprint).toEqual({ namespaces: [], writes: [], privateReads: [{ namespace: CC, collection: COLL }] });
    // The chaincode is in the interest through its collection, whose members alone may endorse.
    expect(buildChaincodeInterest(footprint, isSystem).chaincodes).toEqual([
      { name: CC, collections: [COLL], noPrivateReads: false, noPublicWrites: false, keyPolicies: [], disregardNamespacePolicy: false },
    ]);
  });

  it('counts a query that matched nothing, and leaves hash reads out, as point reads do', () => {
    const ledger = seeded();
    const sim = ledger.newTxSimulator('empty-and-hash');
    expect([...sim.getPrivateDataRange(CC, 'empty', 'x', 'y')]).toEqual([]);
    sim.getPrivateDataHash(CC, 'hashed', 'plain');
    expect(sim.getSimulationFootprint()).toEqual({ namespaces: [CC], writes: [], privateReads: [{ namespace: CC, collection: 'empty' }] });
    sim.done();
  });
});
