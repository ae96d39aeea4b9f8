/**
 * The names among `known` that `typed` is most likely a typo of: those at the smallest edit
 * distance (insert, delete, substitute or swap two neighbours; case ignored), within `maxDistance`.
 * Used where a name the user typed matches nothing, so the refusal can say "did you mean …".
 */
export function nearNames(typed: string, known: readonly string[], maxDistance = 2): string[] {
  const scored = known.map((name) => ({ name, distance: editDistance(typed.toLowerCase(), name.toLowerCase()) })).filter((s) => s.distance <= maxDistance);
  const best = Math.min(...scored.map((s) => s.distance));
  return scored.filter((s) => s.distance === best).map((s) => s.name);
}

/** Optimal string alignment distance: Levenshtein plus transposition of two adjacent characters. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}
