import type { SignatureHeader } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { QueryPendingSnapshotsResponse, SignedSnapshotRequest, SnapshotQuery, SnapshotRequest } from '@hyperledger/fabric-protos/lib/peer/snapshot_pb';
import type { SnapshotRequests } from '../grpc/peer-grpc-server';
import { PeerError } from '../peer-error';
import type { LocalPolicies } from '../scc/acl';
import { admitSnapshotSigner } from './snapshot-acl';
import type { SnapshotManager } from './snapshot-manager';

/** `google.protobuf.Empty` has no fields: its encoding is no bytes. */
const EMPTY = new Uint8Array(0);

/** The fields of a `SnapshotRequest` or `SnapshotQuery` the service reads. */
interface Decoded {
  readonly signatureHeader: SignatureHeader | undefined;
  readonly channelId: string;
  readonly blockNumber: number;
}

/**
 * Fabric's `protos.Snapshot` service (`core/ledger/snapshotgrpc/snapshot_service.go`): each call
 * carries a request signed by its creator; the creator must be an admin of this peer's MSP (Fabric's
 * default ACL for `snapshot/submitrequest`, `cancelrequest` and `listpending` is the local `Admins`
 * policy) and its signature must verify over the exact request bytes. Errors carry Fabric's texts.
 */
export class SnapshotService implements SnapshotRequests {
  constructor(
    private readonly manager: SnapshotManager,
    private readonly local: LocalPolicies,
    private readonly now: () => number = Date.now,
  ) {}

  generate(signedRequest: Uint8Array): Promise<Uint8Array> {
    return this.run(signedRequest, 'request', 'snapshot/submitrequest', (r) => {
      this.manager.submit(r.channelId, r.blockNumber);
      return EMPTY;
    });
  }

  cancel(signedRequest: Uint8Array): Promise<Uint8Array> {
    return this.run(signedRequest, 'request', 'snapshot/cancelrequest', (r) => {
      this.manager.cancel(r.channelId, r.blockNumber);
      return EMPTY;
    });
  }

  queryPendings(signedQuery: Uint8Array): Promise<Uint8Array> {
    return this.run(signedQuery, 'query', 'snapshot/listpending', (r) => {
      const res = new QueryPendingSnapshotsResponse();
      res.setBlockNumbersList(this.manager.list(r.channelId));
      return res.serializeBinary();
    });
  }

  private run(bytes: Uint8Array, kind: 'request' | 'query', resource: string, handle: (r: Decoded) => Uint8Array): Promise<Uint8Array> {
    try {
      let signed: SignedSnapshotRequest;
      let decoded: Decoded;
      try {
        signed = SignedSnapshotRequest.deserializeBinary(bytes);
        const request = signed.getRequest_asU8();
        if (kind === 'request') {
          const r = SnapshotRequest.deserializeBinary(request);
          decoded = { signatureHeader: r.getSignatureHeader(), channelId: r.getChannelId(), blockNumber: r.getBlockNumber() };
        } else {
          const q = SnapshotQuery.deserializeBinary(request);
          decoded = { signatureHeader: q.getSignatureHeader(), channelId: q.getChannelId(), blockNumber: 0 };
        }
      } catch (err) {
        throw new PeerError('PEER_BAD_SNAPSHOT_REQUEST', `failed to unmarshal snapshot request: ${(err as Error).message}`, { field: 'request' });
      }
      admitSnapshotSigner(this.local, resource, decoded.signatureHeader, signed, this.now());
      return Promise.resolve(handle(decoded));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

}
