/**
 * The sandbox's handle on the host table. The runtime installs it as the global `__weftHost`; the
 * first access takes it off the global object so chaincode code never sees it by name.
 */
import type { HostReply, HostTable } from '../host-api';

const g = globalThis as unknown as { __weftHost?: HostTable };
let table: HostTable | undefined;

export function host(): HostTable {
  if (table === undefined) {
    const raw = g.__weftHost;
    delete g.__weftHost;
    if (raw === undefined) throw new Error('Weft host table is missing: this bundle must run inside the Weft runtime');
    table = guarded(raw);
  }
  return table;
}

/**
 * Host functions answer `{result}` or `{error}` and never throw; a call throws only when an
 * argument cannot be copied out of the sandbox. That error quotes the value (a function's whole
 * source), which would reach the client as the chaincode's message: name the argument instead.
 */
function guarded(raw: HostTable): HostTable {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(raw) as [string, (...args: unknown[]) => unknown][]) {
    out[name] = (...args: unknown[]): unknown => {
      try {
        return fn(...args);
      } catch (err) {
        const plain = args.findIndex((a) => typeof a === 'function' || typeof a === 'symbol');
        const at = plain >= 0 ? plain : args.findIndex((a) => typeof a === 'object' && a !== null);
        if (at < 0) throw err;
        throw new Error(`${name}: argument ${at + 1} is ${describe(args[at])}, which cannot be passed to the peer`);
      }
    };
  }
  return out as unknown as HostTable;
}

function describe(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  return 'an object that cannot be copied (it holds functions or symbols, or is a proxy)';
}

/** Returns the result, or throws a plain Error carrying the host's message verbatim. */
export function unwrap<T>(reply: HostReply<T>): T {
  if (reply.error !== undefined) throw new Error(reply.error);
  return reply.result as T;
}
