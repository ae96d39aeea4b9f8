import { PeerError } from '../peer-error';

/**
 * Fabric's `TransactionContexts` (core/chaincode/transaction_contexts.go): while a chaincode runs a
 * transaction, no other run of the same transaction ID on the same channel may start in it. Fabric
 * keeps one registry per chaincode handler, i.e. per running package (a system chaincode is its own
 * handler); this one holds all of the peer's, keyed by `handler`: the package ID of a user chaincode,
 * the name of a system chaincode. Two chaincode names running one package share a handler, as in
 * Fabric, so each refuses the other's transaction on the same channel.
 */
export class TransactionContexts {
  private readonly open = new Set<string>();

  /**
   * Opens the context of `txId` on `channelId` (empty for a channel-less call) in `handler` and
   * returns what closes it; closing twice is harmless. Throws `PEER_TXID_IN_USE` with Fabric's
   * message while that context is open.
   */
  create(handler: string, channelId: string, txId: string): () => void {
    const id = JSON.stringify([handler, channelId, txId]);
    if (this.open.has(id)) throw new PeerError('PEER_TXID_IN_USE', `txid: ${txId}(${channelId}) exists`, { handler, channelId, txId });
    this.open.add(id);
    let closed = false;
    return () => {
      // A second close must not end a context opened since for the same transaction.
      if (!closed) this.open.delete(id);
      closed = true;
    };
  }
}
