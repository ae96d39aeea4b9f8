const unitMs: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * Milliseconds of a Go duration string as Fabric stores `BatchTimeout` ("2s", "500ms", "1m30s").
 * Returns undefined when the string is not a valid non-negative Go duration.
 */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0') return 0;
  if (text.length === 0) return undefined;
  let total = 0;
  part.lastIndex = 0;
  while (part.lastIndex < text.length) {
    const start = part.lastIndex;
    const m = part.exec(text);
    if (m === null || m.index !== start) return undefined;
    total += Number(m[1]) * unitMs[m[2]];
  }
  return total;
}
