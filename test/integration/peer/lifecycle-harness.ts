/**
 * `_lifecycle` state on the channel harness, written by the layout code the SCC itself uses
 * (Fabric's): committed definitions as public state, approvals as private data of the approving
 * org's implicit collection, committed with their private rwsets from the transient store.
 */
import { CommitChaincodeDefinitionArgs } from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import type { ChaincodeResponse } from '../../../core/chaincode/chaincode-runtime';
import type { TxSimulator } from '../../../core/ledger/tx-simulator';
import { simOrgState, simPublicState, writeApproval, writeCommitted } from '../../../core/peer/lifecycle/lifecycle-layout';
import { type ChaincodeDefinition, type DefinitionInput, LIFECYCLE_NAMESPACE, definitionOf, writeDefinition } from '../../../core/peer/lifecycle/lifecycle-state';
import type { SystemChaincode } from '../../../core/peer/scc/system-chaincode';
import { buildProposal, parseSignedProposal, signProposal } from '../../../core/protocol/proposal';
import type { Signer } from '../../../core/protocol/signer';
import { type Harness, commitBlock, endorsedTx } from './channel-harness';
import { CHANNEL } from './network-fixture';

/** A `_lifecycle` transaction with the private rwset its endorsers kept (undefined: none). */
export interface LifecycleTx {
  readonly envelope: Uint8Array;
  readonly txId: string;
  readonly pvt: Uint8Array | undefined;
}

/** `d` with its collections described, as the SCC holds a definition. */
export function fullDefinition(d: DefinitionInput): ChaincodeDefinition {
  return definitionOf(writeDefinition(new CommitChaincodeDefinitionArgs(), d));
}

/** A `_lifecycle` transaction whose writes `write` makes on a simulator of `h`'s channel, endorsed by `endorsers`. */
export function lifecycleTx(h: Harness, endorsers: readonly Signer[], write: (sim: TxSimulator) => void): LifecycleTx {
  const sim = h.joined.channel.ledger.newTxSimulator('lifecycle');
  try {
    write(sim);
    const results = sim.getTxSimulationResults();
    const pvt = sim.getPrivateSimulationResults();
    return { ...endorsedTx({ creator: h.users[0], endorsers, chaincode: LIFECYCLE_NAMESPACE, results }), pvt };
  } finally {
    sim.done();
  }
}

/** Commits `d` as `CommitChaincodeDefinition` writes it, endorsed by every peer of the harness. */
export function commitTx(h: Harness, d: DefinitionInput): LifecycleTx {
  return lifecycleTx(h, h.peers, (sim) => writeCommitted(simPublicState(sim), fullDefinition(d)));
}

/** `mspId`'s approval of `d` naming `packageId` ('' for none), as `ApproveChaincodeDefinitionForMyOrg` writes it, endorsed by `endorser`. */
export function approvalTx(h: Harness, mspId: string, d: DefinitionInput, packageId: string, endorser: Signer): LifecycleTx {
  return lifecycleTx(h, [endorser], (sim) => writeApproval(simOrgState(sim, mspId), fullDefinition(d), packageId));
}

/** Puts each transaction's private rwset in the transient store (as its endorser did), then commits them in one block. */
export async function commitLifecycle(h: Harness, txs: readonly LifecycleTx[]): Promise<number[]> {
  const channel = h.joined.channel;
  for (const tx of txs) if (tx.pvt !== undefined) channel.transient.persist(tx.txId, tx.pvt, channel.height());
  return commitBlock(
    h,
    txs.map((t) => t.envelope),
  );
}

/** What an SCC call on `h`'s channel answered, with the read/write sets its simulation produced. */
export interface SccOutcome {
  readonly response: ChaincodeResponse;
  readonly results: Uint8Array;
  readonly pvt: Uint8Array | undefined;
}

/**
 * Calls `fn` of `scc` as `signer`: on `h`'s channel (simulated, never committed) when `onChannel`,
 * else channel-less. The simulation's read/write sets are returned for endorsing and committing.
 */
export async function invokeScc(h: Harness, scc: SystemChaincode, fn: string, arg: Uint8Array, signer: Signer, onChannel = true): Promise<SccOutcome> {
  const args = [Buffer.from(fn), arg];
  const built = buildProposal({ channelId: onChannel ? CHANNEL : '', chaincodeName: LIFECYCLE_NAMESPACE, args, creator: signer.serialized });
  const proposal = parseSignedProposal(signProposal(built.proposalBytes, signer));
  const creator = h.joined.channel.resources().deserializer.deserializeIdentity(signer.serialized);
  const channel = onChannel ? h.joined.channel : undefined;
  const simulator = channel?.ledger.newTxSimulator(built.txId);
  try {
    const response = await scc.invoke({ channel, args, creator, proposal, simulator });
    const results = simulator?.getTxSimulationResults() ?? new Uint8Array(0);
    return { response, results, pvt: simulator?.getPrivateSimulationResults() };
  } finally {
    simulator?.done();
  }
}

/** An SCC call's simulation as a transaction endorsed by `endorsers`, with its private rwset. */
export function sccTx(h: Harness, outcome: SccOutcome, endorsers: readonly Signer[]): LifecycleTx {
  return { ...endorsedTx({ creator: h.users[0], endorsers, chaincode: LIFECYCLE_NAMESPACE, results: outcome.results }), pvt: outcome.pvt };
}
