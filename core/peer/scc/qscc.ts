import { BlockchainInfo, BootstrappingSnapshotInfo } from '@hyperledger/fabric-protos/lib/common/ledger_pb';
import { ProcessedTransaction } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { Envelope } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { blockHeaderHash, parseBlock } from '../../protocol/block';
import type { Channel } from '../channel/channel';
import { PeerError } from '../peer-error';
import { channelPolicyDenial } from './acl';
import { type SccInvocation, type SystemChaincode, argString, failure, success } from './system-chaincode';

/** Why block `blockNum` is not held, when the channel was joined from (or pruned to, `weft peer prune`) a snapshot at or above it. */
export function beforeSnapshot(channel: Channel, blockNum: number): string | undefined {
  const bootstrap = channel.ledger.snapshotBootstrap();
  if (bootstrap === undefined || blockNum > bootstrap.lastBlockNumber) return undefined;
  return `block ${blockNum} is not available on this peer: channel ${channel.id} was joined from a snapshot at block ${bootstrap.lastBlockNumber} (or pruned to it), and blocks up to it are not held`;
}

/** Why a txid's transaction cannot be shown: it was committed in a block the snapshot the channel was joined from covers. */
function txBeforeSnapshot(channel: Channel, txId: string): string | undefined {
  const loc = txId === '' ? undefined : channel.ledger.getTxLocation(txId);
  if (loc?.fromSnapshot !== true) return undefined;
  const bootstrap = channel.ledger.snapshotBootstrap();
  return `transaction ${txId} is not available on this peer: channel ${channel.id} was joined from a snapshot at block ${bootstrap?.lastBlockNumber ?? loc.blockNum} (or pruned to it), which covers it`;
}

const MAX_UINT64 = 2n ** 64n - 1n;

/** Fabric 2.x's block index text for a txid it does not hold (`blkstorage/blockindex.go`, `getTxIDVal`). */
function noSuchTxId(txId: string): string {
  return `no such transaction ID [${txId}] in index`;
}

/**
 * Fabric's `qscc` ledger queries: GetChainInfo, GetBlockByNumber, GetBlockByHash,
 * GetTransactionByID, GetBlockByTxID. args[1] names the channel; access needs its Readers.
 */
export class Qscc implements SystemChaincode {
  readonly name = 'qscc';

  constructor(private readonly channels: (channelId: string) => Channel | undefined) {}

  invoke(inv: SccInvocation): Promise<ReturnType<typeof success>> {
    return Promise.resolve(this.invokeSync(inv));
  }

  invokeSync(inv: SccInvocation): ReturnType<typeof success> {
    const fn = argString(inv.args, 0);
    if (inv.args.length < 2) return failure(`Incorrect number of arguments, ${inv.args.length}`);
    // Fabric's qscc answers only proposals addressed to it: called from chaincode, the proposal names the caller.
    if (inv.proposal.chaincodeName !== this.name) {
      return failure(`Rejecting invoke of QSCC from another chaincode because of potential for deadlocks, original invocation for '${inv.proposal.chaincodeName}'`);
    }
    if (fn !== 'GetChainInfo' && inv.args.length < 3) return failure(`missing 3rd argument for ${fn}`);
    const channelId = argString(inv.args, 1);
    const channel = this.channels(channelId);
    if (channel === undefined) return failure(`Invalid chain ID, ${channelId}`);
    const denial = channelPolicyDenial(channel, '/Channel/Application/Readers', inv.proposal, `qscc/${fn}`);
    if (denial !== undefined) return failure(`access denied for [${fn}][${channelId}]: [${denial.reason}]`);
    const ledger = channel.ledger;
    switch (fn) {
      case 'GetChainInfo': {
        const height = ledger.height();
        const info = new BlockchainInfo();
        info.setHeight(height);
        const bootstrap = ledger.snapshotBootstrap();
        if (bootstrap !== undefined) {
          // Fabric's block store names the snapshot a ledger was joined from for as long as it lives (`blockfile_mgr.go`).
          const joinedFrom = new BootstrappingSnapshotInfo();
          joinedFrom.setLastblockinsnapshot(bootstrap.lastBlockNumber);
          info.setBootstrappingsnapshotinfo(joinedFrom);
        }
        if (bootstrap !== undefined && bootstrap.lastBlockNumber === height - 1) {
          // Joined from a snapshot and nothing committed since: the snapshot names the last block's hashes.
          info.setCurrentblockhash(bootstrap.lastBlockHash);
          info.setPreviousblockhash(bootstrap.previousBlockHash);
        } else if (height > 0) {
          const last = parseBlock(ledger.getBlockBytes(height - 1) as Uint8Array, { verifyDataHash: false });
          info.setCurrentblockhash(blockHeaderHash({ number: last.number, previousHash: last.previousHash, dataHash: last.dataHash }));
          info.setPreviousblockhash(last.previousHash);
        }
        return success(info.serializeBinary());
      }
      case 'GetBlockByNumber': {
        const text = argString(inv.args, 2);
        // strconv.ParseUint(text, 10, 64): decimal digits only ('0x10', '1e3' and ' 5' are refused).
        if (!/^\d+$/.test(text)) return failure(`Failed to parse block number with error strconv.ParseUint: parsing ${JSON.stringify(text)}: invalid syntax`);
        const wide = BigInt(text);
        if (wide > MAX_UINT64) return failure(`Failed to parse block number with error strconv.ParseUint: parsing ${JSON.stringify(text)}: value out of range`);
        // Fabric's block store reads math.MaxUint64 as the last block (`retrieveBlockByNumber`).
        const wanted = wide === MAX_UINT64 ? BigInt(ledger.height() - 1) : wide;
        // Above 2^53 no ledger reaches: not found, as in Fabric's index.
        const num = wanted <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(wanted) : undefined;
        const bytes = num === undefined ? undefined : ledger.getBlockBytes(num);
        if (bytes !== undefined) return success(bytes);
        const pruned = num === undefined ? undefined : beforeSnapshot(channel, num);
        return failure(`Failed to get block number ${wanted}, error ${pruned ?? `no such block number [${wanted}] in index`}`);
      }
      case 'GetBlockByHash': {
        const hash = inv.args[2] ?? new Uint8Array(0);
        const num = ledger.getBlockNumberByHash(hash);
        const bytes = num === undefined ? undefined : ledger.getBlockBytes(num);
        if (bytes !== undefined) return success(bytes);
        return failure(`Failed to get block hash ${Buffer.from(hash).toString()}, error no such block hash [${Buffer.from(hash).toString('hex')}] in index`);
      }
      case 'GetTransactionByID': {
        const txId = argString(inv.args, 2);
        const pruned = txBeforeSnapshot(channel, txId);
        if (pruned !== undefined) return failure(`Failed to get transaction with id ${txId}, error ${pruned}`);
        const found = this.txEnvelope(channel, txId);
        if (found === undefined) return failure(`Failed to get transaction with id ${txId}, error ${noSuchTxId(txId)}`);
        const pt = new ProcessedTransaction();
        pt.setTransactionenvelope(Envelope.deserializeBinary(found.envelope));
        pt.setValidationcode(found.code);
        return success(pt.serializeBinary());
      }
      case 'GetBlockByTxID': {
        const txId = argString(inv.args, 2);
        const pruned = txBeforeSnapshot(channel, txId);
        if (pruned !== undefined) return failure(`Failed to get block for txID ${txId}, error ${pruned}`);
        const loc = txId === '' ? undefined : ledger.getTxLocation(txId);
        const bytes = loc === undefined ? undefined : ledger.getBlockBytes(loc.blockNum);
        return bytes === undefined ? failure(`Failed to get block for txID ${txId}, error ${noSuchTxId(txId)}`) : success(bytes);
      }
      default:
        return failure(`Requested function ${fn} not found.`);
    }
  }

  private txEnvelope(channel: Channel, txId: string): { envelope: Uint8Array; code: number } | undefined {
    const loc = txId === '' ? undefined : channel.ledger.getTxLocation(txId);
    if (loc === undefined) return undefined;
    const bytes = channel.ledger.getBlockBytes(loc.blockNum);
    if (bytes === undefined) throw new PeerError('PEER_LEDGER_CORRUPT', `txid ${txId} indexed in missing block ${loc.blockNum}`, { txId });
    const envelope = parseBlock(bytes, { verifyDataHash: false }).envelopes[loc.txNum];
    return envelope === undefined ? undefined : { envelope, code: loc.validationCode };
  }
}
