import type { SignatureHeader } from '@hyperledger/fabric-protos/lib/common/common_pb';
import type { SignedSnapshotRequest } from '@hyperledger/fabric-protos/lib/peer/snapshot_pb';
import { creatorExpiresAt } from '../../msp/creator-expiry';
import { PeerError } from '../peer-error';
import type { LocalPolicies } from '../scc/acl';

/**
 * Fabric's `checkACL` of the snapshot service (`core/ledger/snapshotgrpc/snapshot_service.go`): the
 * creator not expired, an admin of this peer's MSP (local `Admins`), its signature over the exact
 * request bytes. Also admits Weft's `weft.peer.Prune`, which takes the same signed request.
 */
export function admitSnapshotSigner(local: LocalPolicies, resource: string, header: SignatureHeader | undefined, signed: SignedSnapshotRequest, now: number): void {
  if (header === undefined) throw new PeerError('PEER_BAD_SNAPSHOT_REQUEST', 'missing signature header', { field: 'request.signature_header' });
  const creator = header.getCreator_asU8();
  const expiresAt = creatorExpiresAt(creator);
  if (expiresAt !== undefined && now > expiresAt.getTime()) {
    throw new PeerError('PEER_ACCESS_DENIED', 'client identity expired', { field: 'request.signature_header.creator', expiresAt: expiresAt.toISOString() });
  }
  local.checkAdminSigned({ identity: creator, data: signed.getRequest_asU8(), signature: signed.getSignature_asU8() }, resource);
}
