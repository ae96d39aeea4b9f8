/**
 * Go's `time.ParseDuration` (go/src/time/format.go), digit for digit: what Fabric's orderer
 * config runs `BatchTimeout` through. A sign is accepted, fractions are truncated to whole
 * nanoseconds ("0.1ns" is 0) and anything past 2^63-1 ns overflows, so Weft refuses exactly the
 * timeouts Fabric refuses. Returns nanoseconds, or throws an `Error` with Go's message.
 */
export function parseGoDurationNanos(text: string): bigint {
  const quoted = JSON.stringify(text);
  const invalid = (): never => {
    throw new Error(`time: invalid duration ${quoted}`);
  };
  let s = text;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') invalid();
  let d = 0n;
  while (s !== '') {
    if (!(s[0] === '.' || isDigit(s[0]))) invalid();
    const intStart = s.length;
    let v = 0n;
    let i = 0;
    for (; i < s.length && isDigit(s[i]); i++) {
      if (v > MAX / 10n) invalid();
      v = v * 10n + BigInt(s.charCodeAt(i) - 48);
      if (v > MAX) invalid();
    }
    s = s.slice(i);
    const pre = intStart !== s.length;
    let post = false;
    let f = 0n;
    let scale = 1;
    if (s !== '' && s[0] === '.') {
      s = s.slice(1);
      let j = 0;
      let overflow = false;
      for (; j < s.length && isDigit(s[j]); j++) {
        if (overflow) continue;
        if (f > (MAX - 1n) / 10n) {
          overflow = true;
          continue;
        }
        const y = f * 10n + BigInt(s.charCodeAt(j) - 48);
        if (y > MAX) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = j > 0;
      s = s.slice(j);
    }
    if (!pre && !post) invalid();
    let u = 0;
    while (u < s.length && s[u] !== '.' && !isDigit(s[u])) u++;
    if (u === 0) throw new Error(`time: missing unit in duration ${quoted}`);
    const unitName = s.slice(0, u);
    s = s.slice(u);
    const unit = UNITS.get(unitName);
    if (unit === undefined) throw new Error(`time: unknown unit ${JSON.stringify(unitName)} in duration ${quoted}`);
    if (v > MAX / unit) invalid();
    v *= unit;
    if (f > 0n) {
      // float64(f) * (float64(unit) / scale), truncated, as Go computes it.
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > MAX) invalid();
    }
    d += v;
    if (d > MAX) invalid();
  }
  if (neg) return -d;
  if (d > MAX - 1n) invalid();
  return d;
}

/** 1<<63, Go's bound in ParseDuration's uint64 arithmetic. */
const MAX = 1n << 63n;

const UNITS = new Map<string, bigint>([
  ['ns', 1n],
  ['us', 1000n],
  ['\u00b5s', 1000n],
  ['\u03bcs', 1000n],
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}
