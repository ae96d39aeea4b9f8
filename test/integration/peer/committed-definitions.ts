/**
 * Chaincode definitions on the channel harness without running `_lifecycle`: the state it writes
 * for a committed definition and for Org1's approval (Org1's private data), committed in one
 * transaction endorsed by both peers.
 */
import { TxReadWriteSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/rwset_pb';
import { KVRWSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/kvrwset/kv_rwset_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { simOrgState, simPublicState, writeApproval, writeCommitted } from '../../../core/peer/lifecycle/lifecycle-layout';
import { type DefinitionInput, LIFECYCLE_NAMESPACE, decodeDefinition, encodeDefinition } from '../../../core/peer/lifecycle/lifecycle-state';
import { type Harness, commitBlock, endorsedTx } from './channel-harness';

export interface CommittedDefinition {
  readonly definition: DefinitionInput;
  /** The package Org1 approved the definition with; none: Org1 has not approved it. */
  readonly approvedPackage?: string;
}

/** Commits `definitions` (and Org1's approvals) on `h`'s channel; fails the test unless the transaction is valid. */
export async function commitDefinitions(h: Harness, definitions: readonly CommittedDefinition[]): Promise<void> {
  const channel = h.joined.channel;
  const sim = channel.ledger.newTxSimulator('definitions');
  for (const { definition, approvedPackage } of definitions) {
    const def = decodeDefinition(encodeDefinition(definition));
    writeCommitted(simPublicState(sim), def);
    if (approvedPackage !== undefined) writeApproval(simOrgState(sim, 'Org1MSP'), def, approvedPackage);
  }
  const results = sim.getTxSimulationResults();
  const pvt = sim.getPrivateSimulationResults();
  sim.done();
  const tx = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: LIFECYCLE_NAMESPACE, channelId: channel.id, results });
  // As the endorsers' transient stores would hold it for the committer.
  if (pvt !== undefined) channel.transient.persist(tx.txId, pvt, channel.height());
  expect(await commitBlock(h, [tx.envelope])).toEqual([TxValidationCode.VALID]);
}

/** The keys written per namespace in `TxReadWriteSet` bytes (a namespace only read, as `_lifecycle` for the definition, has none). */
export function writtenKeys(results: Uint8Array): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const ns of TxReadWriteSet.deserializeBinary(results).getNsRwsetList()) {
    out[ns.getNamespace()] = KVRWSet.deserializeBinary(ns.getRwset_asU8())
      .getWritesList()
      .map((w) => w.getKey());
  }
  return out;
}
