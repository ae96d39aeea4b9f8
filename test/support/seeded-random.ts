/** A deterministic xorshift32 generator of numbers in [0, 1): the same seed, the same sequence, so a failure or a run reproduces. */
export function seededRandom(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}
