import type { PrivateDataPolicy } from '../../ledger/private-data';
import type { VersionedStateStore } from '../../ledger/versioned-state-store';
import { collectionOf } from '../lifecycle/collections';
import { readDefinition } from '../lifecycle/lifecycle-state';

/**
 * Each collection's `blockToLive`, from the chaincode definition in committed state. Fabric forbids
 * changing it once a collection is defined, so a value found once holds for good, also while
 * recovery replays older blocks; a collection not (yet) defined is read again next time.
 */
export class LifecycleBlockToLive implements PrivateDataPolicy {
  private readonly known = new Map<string, number>();

  constructor(private readonly state: Pick<VersionedStateStore, 'get'>) {}

  blockToLive(namespace: string, collection: string): number {
    const id = `${namespace}\u0000${collection}`;
    const cached = this.known.get(id);
    if (cached !== undefined) return cached;
    const definition = readDefinition({ getState: (ns, key) => this.state.get(ns, key)?.value }, namespace);
    const c = definition === undefined ? undefined : collectionOf(definition, collection);
    if (c === undefined) return 0;
    this.known.set(id, c.blockToLive);
    return c.blockToLive;
  }
}
