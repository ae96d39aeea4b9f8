import { PeerError } from '../peer-error';
import { WireReader } from '../../protocol/wire-reader';

/**
 * The private data of one `DeliverWithPrivateData` answer, by transaction number: undefined for a
 * message without a block (the stream's closing status after it), a `PEER_DELIVER_STATUS` error for
 * a status that ends the stream before any block (403 FORBIDDEN, 404 NOT_FOUND, …).
 * `DeliverResponse{status = 1, block_and_private_data = 4: BlockAndPrivateData{block = 1,
 * private_data_map = 2: map<uint64, TxPvtReadWriteSet>}}`. The values are kept as received: the
 * ledger checks each collection against the hash its own block carries.
 */
export function blockPrivateData(deliverResponse: Uint8Array): Map<number, Uint8Array> | undefined {
  const r = new WireReader(deliverResponse, 'deliver_response', 'DeliverResponse');
  let status: number | undefined;
  let bpd: Uint8Array | undefined;
  while (r.next()) {
    if (r.field === 1) status = r.uint();
    else if (r.field === 4) bpd = r.bytes();
    else r.skip();
  }
  if (bpd === undefined) {
    if (status !== undefined && status !== 200) throw new PeerError('PEER_DELIVER_STATUS', `DeliverWithPrivateData answered status ${status}`, { status });
    return undefined;
  }
  const out = new Map<number, Uint8Array>();
  const b = new WireReader(bpd, 'deliver_response.block_and_private_data', 'BlockAndPrivateData');
  while (b.next()) {
    if (b.field !== 2) {
      b.skip();
      continue;
    }
    const entry = new WireReader(b.bytes(), 'block_and_private_data.private_data_map', 'PrivateDataMapEntry');
    let txNum = 0;
    let pvt: Uint8Array = new Uint8Array(0);
    while (entry.next()) {
      if (entry.field === 1) txNum = entry.uint();
      else if (entry.field === 2) pvt = entry.bytes();
      else entry.skip();
    }
    out.set(txNum, pvt);
  }
  return out;
}
