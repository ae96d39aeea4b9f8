import type { Identity } from '../../msp/identity';

/** Who put an entry in the transient store: a client, through this peer's endorsement, or a peer, by a push. */
export type SenderKind = 'endorsed' | 'pushed';

/**
 * The key an entry of the transient store is attributed to: `<mspId>:<identity id>` (the hex SHA-256
 * of its sanitized certificate), for a proposal's creator as for a pushing peer. The id, not the
 * serialized bytes: a certificate and its twin re-encoded with the other S of its signature are one
 * identity, and must not get two shares of the store.
 */
export function transientSender(identity: Pick<Identity, 'mspId' | 'id'>): string {
  return `${identity.mspId}:${identity.id}`;
}

/** What one sender holds of one kind: its bytes, and its entries oldest first. */
interface Holding {
  bytes: number;
  readonly txIds: Set<string>;
}

/**
 * The transient store's bytes by kind and sender, so that eviction can take from whoever holds
 * the most. Each entry is counted once, toward its owner; the store calls {@link add} and
 * {@link remove} as it writes and deletes, so the counts always match what it holds.
 */
export class SenderHoldings {
  private readonly byKind: Record<SenderKind, Map<string, Holding>> = { endorsed: new Map(), pushed: new Map() };
  private readonly totals: Record<SenderKind, number> = { endorsed: 0, pushed: 0 };

  /** Counts `bytes` of `txId` toward `sender`; an entry it held already keeps its place among its entries (age is the first write). */
  add(kind: SenderKind, sender: string, txId: string, bytes: number): void {
    const senders = this.byKind[kind];
    let holding = senders.get(sender);
    if (holding === undefined) senders.set(sender, (holding = { bytes: 0, txIds: new Set() }));
    holding.bytes += bytes;
    holding.txIds.add(txId);
    this.totals[kind] += bytes;
  }

  /** Takes `bytes` of `txId` off `sender`; `gone` when the entry leaves the sender (deleted, or taken over). */
  remove(kind: SenderKind, sender: string, txId: string, bytes: number, gone: boolean): void {
    const senders = this.byKind[kind];
    const holding = senders.get(sender);
    if (holding === undefined) return;
    holding.bytes -= bytes;
    this.totals[kind] -= bytes;
    if (gone) holding.txIds.delete(txId);
    if (holding.txIds.size === 0) senders.delete(sender);
  }

  /** Bytes `sender` holds of `kind`. */
  held(kind: SenderKind, sender: string): number {
    return this.byKind[kind].get(sender)?.bytes ?? 0;
  }

  /** Bytes held of `kind`, every sender's. */
  total(kind: SenderKind): number {
    return this.totals[kind];
  }

  /** The oldest entry of `sender` but `keep`. */
  oldest(kind: SenderKind, sender: string, keep: string): string | undefined {
    for (const txId of this.byKind[kind].get(sender)?.txIds ?? []) if (txId !== keep) return txId;
    return undefined;
  }

  /**
   * The oldest entry but `keep` of the sender of `kind` holding the most bytes, `extra` bytes
   * counted toward `writer` (what it is writing: a flooder is then the heaviest, and evicts itself).
   */
  victim(kind: SenderKind, keep: string, writer: string | undefined, extra: number): string | undefined {
    let best: string | undefined;
    let most = -1;
    for (const [sender, holding] of this.byKind[kind]) {
      const bytes = holding.bytes + (sender === writer ? extra : 0);
      if (bytes <= most) continue;
      const txId = this.oldest(kind, sender, keep);
      if (txId === undefined) continue;
      best = txId;
      most = bytes;
    }
    return best;
  }
}
