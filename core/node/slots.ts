/**
 * The extension points a node can fill with plugins. Each slot is filled by exactly one plugin,
 * chosen by name in the node's YAML config.
 */
export const SLOTS = ['ledger', 'ordering', 'msp', 'policy', 'runtime'] as const;
export type Slot = (typeof SLOTS)[number];

export function isSlot(value: unknown): value is Slot {
  return typeof value === 'string' && (SLOTS as readonly string[]).includes(value);
}
