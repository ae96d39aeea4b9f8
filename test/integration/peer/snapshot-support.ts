/**
 * Client side of the peer's snapshot features for integration tests: Fabric's signed
 * `protos.Snapshot` requests over gRPC, and a Deliver call that returns the status a peer answers.
 */
import { randomBytes } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { SignatureHeader } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { DeliverResponse } from '@hyperledger/fabric-protos/lib/peer/events_pb';
import { QueryPendingSnapshotsResponse, SignedSnapshotRequest, SnapshotQuery, SnapshotRequest } from '@hyperledger/fabric-protos/lib/peer/snapshot_pb';
import { buildSeekEnvelope } from '../../../core/protocol/deliver-request';
import type { Signer } from '../../../core/protocol/signer';

type SnapshotMethod = 'Generate' | 'Cancel' | 'QueryPendings';

function signatureHeader(signer: Signer): SignatureHeader {
  const header = new SignatureHeader();
  header.setCreator(signer.serialized);
  header.setNonce(randomBytes(24));
  return header;
}

/** A `SignedSnapshotRequest` as Fabric's CLI builds it (`internal/peer/snapshot`); `tamper` signs other bytes than those sent. */
export function signedSnapshotRequest(signer: Signer, channelId: string, blockNumber: number | 'query', tamper = false): Uint8Array {
  let bytes: Uint8Array;
  if (blockNumber === 'query') {
    const q = new SnapshotQuery();
    q.setSignatureHeader(signatureHeader(signer));
    q.setChannelId(channelId);
    bytes = q.serializeBinary();
  } else {
    const r = new SnapshotRequest();
    r.setSignatureHeader(signatureHeader(signer));
    r.setChannelId(channelId);
    r.setBlockNumber(blockNumber);
    bytes = r.serializeBinary();
  }
  const signed = new SignedSnapshotRequest();
  signed.setRequest(bytes);
  signed.setSignature(signer.sign(tamper ? Buffer.concat([bytes, Buffer.of(0)]) : bytes));
  return signed.serializeBinary();
}

/** One unary call of `protos.Snapshot`; rejects with the gRPC error (code and details). */
export function snapshotCall(client: grpc.Client, method: SnapshotMethod, request: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      `/protos.Snapshot/${method}`,
      (b: Uint8Array) => Buffer.from(b),
      (b: Buffer) => new Uint8Array(b),
      request,
      (err, res) => (err ? reject(err) : resolve(res!)),
    );
  });
}

/** The gRPC error's details, or '' when the call succeeded. */
export async function snapshotRefusal(client: grpc.Client, method: SnapshotMethod, request: Uint8Array): Promise<string> {
  try {
    await snapshotCall(client, method, request);
    return '';
  } catch (err) {
    return (err as grpc.ServiceError).details;
  }
}

export async function pendingSnapshots(client: grpc.Client, signer: Signer, channelId: string): Promise<number[]> {
  return QueryPendingSnapshotsResponse.deserializeBinary(await snapshotCall(client, 'QueryPendings', signedSnapshotRequest(signer, channelId, 'query'))).getBlockNumbersList();
}

/**
 * A peer Deliver (`protos.Deliver/Deliver`) from block `start` to `stop`, collecting block numbers
 * until the status; with `failIfNotReady` false it waits for blocks not yet committed (BLOCK_UNTIL_READY).
 */
export function peerDeliver(client: grpc.Client, signer: Signer, channelId: string, start: number, stop: number, failIfNotReady = true): Promise<{ blocks: number[]; status: number }> {
  const request = buildSeekEnvelope({ channelId, start, stop, failIfNotReady, signer });
  return new Promise((resolve, reject) => {
    const call = client.makeBidiStreamRequest(
      '/protos.Deliver/Deliver',
      (b: Uint8Array) => Buffer.from(b),
      (b: Buffer) => DeliverResponse.deserializeBinary(b),
    );
    const blocks: number[] = [];
    call.on('data', (r: DeliverResponse) => {
      if (r.hasBlock()) blocks.push(r.getBlock()!.getHeader()!.getNumber());
      else {
        call.end();
        resolve({ blocks, status: r.getStatus() });
      }
    });
    call.on('error', reject);
    call.write(request);
  });
}
