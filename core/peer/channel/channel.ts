import type { Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import type { ChannelResources } from './channel-resources';
import type { PeerLedger } from './peer-ledger';
import { TransientStore } from '../privdata/transient-store';

/** A block as committed on this peer: its proto (with final flags) and stored bytes. */
export interface CommittedBlock {
  readonly number: number;
  readonly block: Block;
  readonly bytes: Uint8Array;
  /** One `TxValidationCode` per envelope. */
  readonly flags: Uint8Array;
  /** The txid of each envelope ('' for one that does not parse); undefined when not computed. */
  readonly txIds?: readonly string[];
  /** A valid `_lifecycle` transaction is in the block: chaincode definitions or approvals may have changed. */
  readonly lifecycleChanged?: boolean;
}

export type BlockListener = (block: CommittedBlock) => void;

/**
 * One joined channel on this peer: its ledger, its current config-derived resources (swapped
 * whole when a config block commits), and a fan-out of committed blocks to event services.
 */
export class Channel {
  private current: ChannelResources;
  private readonly listeners = new Set<BlockListener>();
  constructor(
    readonly id: string,
    readonly ledger: PeerLedger,
    resources: ChannelResources,
    /** Private rwsets this peer endorsed, until their transactions commit. */
    readonly transient: TransientStore = TransientStore.inMemory(),
  ) {
    this.current = resources;
  }

  resources(): ChannelResources {
    return this.current;
  }

  /** Called by the committer after a config block commits. */
  updateResources(resources: ChannelResources): void {
    this.current = resources;
  }

  height(): number {
    return this.ledger.height();
  }

  /** Subscribes to committed blocks; returns the unsubscribe function. */
  onBlock(listener: BlockListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called by the committer once per committed block, in order. A throwing listener is dropped. */
  publish(block: CommittedBlock): void {
    for (const l of [...this.listeners]) {
      try {
        l(block);
      } catch {
        this.listeners.delete(l);
      }
    }
  }
}
