/** The slice of Node's `util` chaincode uses. */
import { format, inspect } from './format';

export { format, inspect };
type Ctor = new (...args: unknown[]) => unknown;
const g = globalThis as unknown as { TextEncoder: Ctor; TextDecoder: Ctor };

export const TextEncoder: Ctor = g.TextEncoder;
export const TextDecoder: Ctor = g.TextDecoder;

export function isDeepStrictEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export default { TextEncoder, TextDecoder, inspect, format, isDeepStrictEqual };
