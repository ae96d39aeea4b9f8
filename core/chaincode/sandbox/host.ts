/**
 * The sandbox's handle on the host table. The runtime installs it as the global `__weftHost`; the
 * first access takes it off the global object so chaincode code never sees it by name.
 */
import type { HostReply, HostTable } from '../host-api';

const g = globalThis as unknown as { __weftHost?: HostTable };
let table: HostTable | undefined;

export function host(): HostTable {
  if (table === undefined) {
    table = g.__weftHost;
    delete g.__weftHost;
    if (table === undefined) throw new Error('Weft host table is missing: this bundle must run inside the Weft runtime');
  }
  return table;
}

/** Returns the result, or throws a plain Error carrying the host's message verbatim. */
export function unwrap<T>(reply: HostReply<T>): T {
  if (reply.error !== undefined) throw new Error(reply.error);
  return reply.result as T;
}
