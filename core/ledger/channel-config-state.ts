import { type Block, HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { getLastConfigIndex } from '../protocol/block';
import { decodeLedgerTx, type LedgerTx } from './block-txs';
import { bytesField } from './proto-reader';
import { CHANNEL_CONFIG_KEY, CHANNEL_CONFIG_NAMESPACE } from './snapshot';
import type { StateUpdate, VersionedStateStore } from './versioned-state-store';

/**
 * Fabric's committer keeps each valid CONFIG transaction's `ConfigEnvelope` (its payload's data) in
 * state, namespace "" and key `CHANNEL_CONFIG_ENV_BYTES`, at the transaction's height
 * (`core/peer/configtx_processor.go`), so a snapshot carries the channel's config without its block.
 * The namespace "" is no chaincode's: chaincode calls, range and rich queries and history all name a
 * non-empty namespace (`validateNamespace`), so none of them reach it.
 */
export function configStateUpdates(blockNum: number, envelopes: readonly Uint8Array[], txs: readonly LedgerTx[], codes: ArrayLike<number>): StateUpdate[] {
  const out: StateUpdate[] = [];
  for (const tx of txs) {
    if (tx.headerType !== HeaderType.CONFIG || codes[tx.txNum] !== TxValidationCode.VALID) continue;
    const data = configEnvelopeOf(envelopes[tx.txNum]);
    if (data !== undefined) out.push({ namespace: CHANNEL_CONFIG_NAMESPACE, key: CHANNEL_CONFIG_KEY, value: data, version: { blockNum, txNum: tx.txNum } });
  }
  return out;
}

/** `Envelope.payload` (1) → `Payload.data` (2); undefined when it does not decode. */
function configEnvelopeOf(envelope: Uint8Array): Uint8Array | undefined {
  try {
    return Uint8Array.from(bytesField(bytesField(envelope, 1), 2));
  } catch {
    return undefined;
  }
}

/**
 * For a ledger written before the committer stored the config (or by a build that did not): the
 * update that puts the newest config block's envelope in state with the version Fabric would have
 * given it (the block, transaction 0: a config block holds one transaction), or undefined when state
 * has it already or the chain does not say where its config is. Applied at open, so every later
 * export, query and snapshot sees the config as a Fabric peer's state holds it.
 */
export function missingConfigUpdate(state: VersionedStateStore, lastBlock: Block, blockAt: (n: number) => Block | undefined): StateUpdate | undefined {
  let configNum: number;
  try {
    configNum = getLastConfigIndex(lastBlock);
  } catch {
    return undefined;
  }
  const stored = state.get(CHANNEL_CONFIG_NAMESPACE, CHANNEL_CONFIG_KEY);
  if (stored !== undefined && stored.version.blockNum >= configNum) return undefined;
  const block = configNum === lastBlock.getHeader()?.getNumber() ? lastBlock : blockAt(configNum);
  const envelope = block?.getData()?.getDataList_asU8()[0];
  if (envelope === undefined) return undefined;
  if (decodeLedgerTx(envelope, 0).headerType !== HeaderType.CONFIG) return undefined;
  const data = configEnvelopeOf(envelope);
  return data === undefined ? undefined : { namespace: CHANNEL_CONFIG_NAMESPACE, key: CHANNEL_CONFIG_KEY, value: data, version: { blockNum: configNum, txNum: 0 } };
}
