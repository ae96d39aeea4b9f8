import type { Signer } from '../../protocol/signer';
import { WireReader } from '../../protocol/wire-reader';
import { lenField, message, stringField, uintField } from '../../protocol/wire-writer';

/**
 * One endorser's private data for one transaction, pushed to another member peer of the
 * collections (Fabric's gossip `PrivateDataMessage`): it waits in that peer's transient store
 * until the block commits, so a member peer that did not endorse still stores the values.
 */
export interface PvtPush {
  readonly channelId: string;
  readonly txId: string;
  /** The channel height the endorser simulated at. */
  readonly height: number;
  /** A `rwset.TxPvtReadWriteSet` holding only collections the recipient's org is a member of. */
  readonly pvt: Uint8Array;
  /** The pushing peer's `SerializedIdentity`. */
  readonly creator: Uint8Array;
}

/** A push as received: its fields, and the exact bytes its signature covers. */
export interface SignedPvtPush {
  readonly push: PvtPush;
  readonly payload: Uint8Array;
  readonly signature: Uint8Array;
}

/**
 * `SignedPvtPush{payload = 1, signature = 2}`, the payload `PvtPush{channel_id = 1, tx_id = 2,
 * height = 3, pvt = 4, creator = 5}` signed by the pushing peer. Weft's own message on
 * `weft.peer.PrivateData/Push`: Fabric peers exchange private data over gossip instead.
 */
export function signPvtPush(push: Omit<PvtPush, 'creator'>, signer: Signer): Uint8Array {
  const payload = message(
    stringField(1, push.channelId),
    stringField(2, push.txId),
    uintField(3, push.height),
    lenField(4, push.pvt, true),
    lenField(5, signer.serialized, true),
  );
  return message(lenField(1, payload, true), lenField(2, signer.sign(payload), true));
}

/** Decodes a {@link signPvtPush} message; throws `PROTOCOL_MALFORMED` naming the field on bad framing. */
export function readPvtPush(bytes: Uint8Array): SignedPvtPush {
  const outer = new WireReader(bytes, 'pvt_push', 'SignedPvtPush');
  let payload: Uint8Array = new Uint8Array(0);
  let signature: Uint8Array = new Uint8Array(0);
  while (outer.next()) {
    if (outer.field === 1) payload = outer.bytes();
    else if (outer.field === 2) signature = outer.bytes();
    else outer.skip();
  }
  const r = new WireReader(payload, 'pvt_push.payload', 'PvtPush');
  const push = { channelId: '', txId: '', height: 0, pvt: new Uint8Array(0) as Uint8Array, creator: new Uint8Array(0) as Uint8Array };
  while (r.next()) {
    switch (r.field) {
      case 1:
        push.channelId = r.string();
        break;
      case 2:
        push.txId = r.string();
        break;
      case 3:
        push.height = r.uint();
        break;
      case 4:
        push.pvt = r.bytes();
        break;
      case 5:
        push.creator = r.bytes();
        break;
      default:
        r.skip();
    }
  }
  return { push, payload, signature };
}
