import { SignatureHeader } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { QueryPendingSnapshotsResponse, SignedSnapshotRequest, SnapshotQuery, SnapshotRequest } from '@hyperledger/fabric-protos/lib/peer/snapshot_pb';
import type { Signer } from '../../../core/protocol/signer';
import { newNonce } from '../../../core/protocol/txid';

/**
 * The signed messages of Fabric's `protos.Snapshot` service, built as Fabric's `peer snapshot`
 * client builds them (`internal/peer/snapshot/snapshot.go`): a `SignatureHeader` of the creator and
 * a fresh 24-byte nonce inside the request, the request marshalled once, and the signature over
 * exactly those bytes. The peer checks the signature over `request` as received, so the bytes signed
 * and the bytes sent must be the same buffer.
 */

function signatureHeader(signer: Signer, nonce: Uint8Array): SignatureHeader {
  const header = new SignatureHeader();
  header.setCreator(signer.serialized);
  header.setNonce(nonce);
  return header;
}

function signed(signer: Signer, requestBytes: Uint8Array): Uint8Array {
  const out = new SignedSnapshotRequest();
  out.setRequest(requestBytes);
  out.setSignature(signer.sign(requestBytes));
  return out.serializeBinary();
}

/**
 * A `SignedSnapshotRequest` over a `SnapshotRequest` for Generate (`submitrequest`) or Cancel
 * (`cancelrequest`); `blockNumber` 0 asks for the last committed block, as in Fabric.
 */
export function signedSnapshotRequest(signer: Signer, channelId: string, blockNumber: number, nonce: Uint8Array = newNonce()): Uint8Array {
  const request = new SnapshotRequest();
  request.setSignatureHeader(signatureHeader(signer, nonce));
  request.setChannelId(channelId);
  request.setBlockNumber(blockNumber);
  return signed(signer, request.serializeBinary());
}

/** A `SignedSnapshotRequest` over a `SnapshotQuery` for QueryPendings (`listpending`): Fabric signs the query the same way. */
export function signedSnapshotQuery(signer: Signer, channelId: string, nonce: Uint8Array = newNonce()): Uint8Array {
  const query = new SnapshotQuery();
  query.setSignatureHeader(signatureHeader(signer, nonce));
  query.setChannelId(channelId);
  return signed(signer, query.serializeBinary());
}

/** The block numbers of a `QueryPendingSnapshotsResponse`, ascending. */
export function pendingBlockNumbers(response: Uint8Array): number[] {
  return QueryPendingSnapshotsResponse.deserializeBinary(response)
    .getBlockNumbersList()
    .slice()
    .sort((a, b) => a - b);
}
