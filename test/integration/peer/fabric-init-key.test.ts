import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChaincodeAction } from '@hyperledger/fabric-protos/lib/peer/proposal_pb';
import { ProposalResponsePayload } from '@hyperledger/fabric-protos/lib/peer/proposal_response_pb';
import { TxReadWriteSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/rwset_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import type { Ledger } from '../../../core/ledger/ledger';
import { LedgerManagerImpl } from '../../../core/ledger/ledger-manager-impl';
import { buildRwSetEnvelope, TestChain } from '../../../core/ledger/test-blocks';
import { checkInitInvocation, INITIALIZED_KEY } from '../../../core/peer/endorser/init-required';
import { SqliteLedgerStoreProvider } from '../../../plugins/ledger-sqlite';
import { testChaincodeDefinition } from '../../support/chaincode-definition';

const FIXTURES = path.join(__dirname, '../../fixtures/fabric-2.4.9/mixed-channel');
const KV2 = testChaincodeDefinition('kv2', { initRequired: true });

/** The read-write set a Fabric 2.4.9 peer endorsed for `peer chaincode invoke --isInit` of kv2 (init required, version 1.0). */
function fabricInitResults(): TxReadWriteSet {
  const payload = ProposalResponsePayload.deserializeBinary(fs.readFileSync(path.join(FIXTURES, 'kv2-init-proposal-response-payload.bin')));
  return TxReadWriteSet.deserializeBinary(ChaincodeAction.deserializeBinary(payload.getExtension_asU8()).getResults_asU8());
}

/** The `KVRWSet` bytes of `namespace` in a read-write set. */
function namespaceRwset(rwset: TxReadWriteSet, namespace: string): string {
  const ns = rwset.getNsRwsetList().find((n) => n.getNamespace() === namespace);
  return Buffer.from(ns?.getRwset_asU8() ?? []).toString('hex');
}

/**
 * An init-required chaincode on a channel of Weft and Fabric peers: whichever peers endorse its
 * Init, every peer must commit it alike and afterwards see the chaincode initialised, so both
 * write and read Fabric's `InitializedKeyName` ("\x00" + U+10FFFF + "initialized").
 */
describe('an Init as a Fabric 2.4.9 peer endorses and commits it', () => {
  let dir: string;
  let manager: LedgerManagerImpl;
  let ledger: Ledger;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-fabric-init-'));
    manager = new LedgerManagerImpl(new SqliteLedgerStoreProvider({ rootDir: dir }));
    ledger = manager.create('mychannel');
  });

  afterEach(() => {
    manager.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('records the chaincode namespace’s read and write of the initialized key, byte for byte', () => {
    const simulator = ledger.newTxSimulator('init');
    checkInitInvocation(simulator, 'kv2', KV2, true);
    const weft = TxReadWriteSet.deserializeBinary(simulator.getTxSimulationResults());
    simulator.done();
    expect(namespaceRwset(weft, 'kv2')).toBe(namespaceRwset(fabricInitResults(), 'kv2'));
  });

  it('commits VALID the Init a Fabric peer endorsed, after which the chaincode runs and a second Init is refused', () => {
    // The `_lifecycle` Sequence read is at the lab channel's version of it, absent from this ledger.
    const rwset = fabricInitResults();
    rwset.setNsRwsetList(rwset.getNsRwsetList().filter((n) => n.getNamespace() === 'kv2'));
    const block = new TestChain().block([buildRwSetEnvelope({ txId: 'fabric-init', rwset: rwset.serializeBinary() })]);
    expect(ledger.commit(block).validationCodes).toEqual([TxValidationCode.VALID]);

    const simulator = ledger.newTxSimulator('after');
    expect(() => checkInitInvocation(simulator, 'kv2', KV2, false)).not.toThrow();
    expect(() => checkInitInvocation(simulator, 'kv2', KV2, true)).toThrow("chaincode 'kv2' is already initialized but called as init");
    simulator.done();
  });

  it('still runs a chaincode a Weft peer initialised under its former key, and an Init reads only Fabric\'s', () => {
    const former = new TestChain();
    const init = ledger.newTxSimulator('former-init');
    init.setState('kv2', `${INITIALIZED_KEY}\u0000`, Buffer.from(KV2.version, 'utf8'));
    const rwset = init.getTxSimulationResults();
    init.done();
    expect(ledger.commit(former.block([buildRwSetEnvelope({ txId: 'former-init', rwset })])).validationCodes).toEqual([TxValidationCode.VALID]);

    const call = ledger.newTxSimulator('call');
    expect(() => checkInitInvocation(call, 'kv2', KV2, false)).not.toThrow();
    call.done();
    const again = ledger.newTxSimulator('again');
    checkInitInvocation(again, 'kv2', KV2, true);
    const reads = TxReadWriteSet.deserializeBinary(again.getTxSimulationResults());
    again.done();
    expect(namespaceRwset(reads, 'kv2')).toBe(namespaceRwset(fabricInitResults(), 'kv2'));
  });
});
