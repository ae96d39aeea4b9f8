import type { SimulationFootprint } from '../../../../../core/ledger/tx-simulator';
import type { ChaincodeCall } from '../../../../../core/protocol/chaincode-interest';
import { buildChaincodeInterest } from '../../../../../core/peer/endorser/chaincode-interest';

const SBE = Uint8Array.from([0x12, 0x02, 0x08, 0x00]);
const sbe = { VALIDATION_PARAMETER: SBE };
const isSystem = (name: string): boolean => name === '_lifecycle' || name === 'qscc';

function footprint(parts: Partial<SimulationFootprint>): SimulationFootprint {
  return { namespaces: [], writes: [], privateReads: [], ...parts };
}

function call(name: string, fields: Partial<ChaincodeCall> = {}): ChaincodeCall {
  return { name, collections: [], noPrivateReads: false, noPublicWrites: false, keyPolicies: [], disregardNamespacePolicy: false, ...fields };
}

const write = (namespace: string, collection: string, key: string, metadata?: Record<string, Uint8Array>) => ({ namespace, collection, key, metadata });

// The cases of Fabric's endorser_test.go "when building the ChaincodeInterest".
describe("the endorser's chaincode interest (Fabric's buildChaincodeInterest)", () => {
  it('names a collection a private value was read from and written to, without the chaincode when no public key was written', () => {
    const interest = buildChaincodeInterest(footprint({ writes: [write('myCC', 'c1', 'mykey')], privateReads: [{ namespace: 'myCC', collection: 'c1' }] }), isSystem);
    expect(interest.chaincodes).toEqual([call('myCC', { collections: ['c1'] })]);
  });

  it('names the chaincode for a namespace it only read, and the collection it read a private value of', () => {
    const interest = buildChaincodeInterest(footprint({ namespaces: ['myCC'], privateReads: [{ namespace: 'myCC', collection: 'c1' }] }), isSystem);
    expect(interest.chaincodes).toEqual([call('myCC'), call('myCC', { collections: ['c1'] })]);
  });

  it('marks a collection only written (or hash-read) as having no private reads', () => {
    const interest = buildChaincodeInterest(footprint({ namespaces: ['myCC'], writes: [write('myCC', 'c1', 'mykey')] }), isSystem);
    expect(interest.chaincodes).toEqual([call('myCC', { collections: ['c1'], noPrivateReads: true })]);
  });

  it('carries key-level policies, and disregards the chaincode policy when every public write has one', () => {
    const both = buildChaincodeInterest(footprint({ writes: [write('myCC', 'c1', 'k1'), write('myCC', 'c1', 'k2', sbe)] }), isSystem);
    expect(both.chaincodes).toEqual([call('myCC', { keyPolicies: [SBE], disregardNamespacePolicy: true }), call('myCC', { collections: ['c1'], noPrivateReads: true })]);
    const sbeOnly = buildChaincodeInterest(footprint({ namespaces: ['myCC'], writes: [write('myCC', '', 'myKey', sbe)] }), isSystem);
    expect(sbeOnly.chaincodes).toEqual([call('myCC', { keyPolicies: [SBE], disregardNamespacePolicy: true })]);
    const mixed = buildChaincodeInterest(footprint({ namespaces: ['myCC'], writes: [write('myCC', '', 'a', sbe), write('myCC', '', 'b', { other: SBE })] }), isSystem);
    expect(mixed.chaincodes).toEqual([call('myCC', { keyPolicies: [SBE] })]);
  });

  it('names every user chaincode a chaincode-to-chaincode call wrote, and no system chaincode', () => {
    const interest = buildChaincodeInterest(
      footprint({ namespaces: ['_lifecycle', 'myCC', 'otherCC'], writes: [write('myCC', '', 'mykey'), write('otherCC', '', 'mykey'), write('_lifecycle', '', 'x')] }),
      isSystem,
    );
    expect(interest.chaincodes).toEqual([call('myCC'), call('otherCC')]);
  });
});
