import { encodeStateMetadata } from './state-metadata';
import type { Version } from './tx-simulator';

/** A key's state after the block's earlier valid transactions. */
export interface Pending {
  value: Uint8Array | undefined;
  version: Version;
  /** undefined: keep the stored metadata. */
  metadata: Uint8Array | undefined;
}

/** A key's new metadata, unless the key is missing: Fabric keeps no metadata of a missing key. */
export function applyMetadataWrite(
  ns: Map<string, Pending>,
  key: string,
  cur: { value: Uint8Array | undefined },
  entries: readonly { readonly name: string; readonly value: Uint8Array }[],
  version: Version,
): void {
  if (cur.value === undefined) return;
  const md: Record<string, Uint8Array> = {};
  for (const e of entries) md[e.name] = e.value;
  ns.set(key, { value: cur.value, version, metadata: encodeStateMetadata(md) });
}
