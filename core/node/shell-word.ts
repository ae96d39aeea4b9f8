/** Characters a POSIX shell reads literally anywhere in a word: no quoting, expansion or splitting. */
const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * `word` written so that a POSIX shell reads it back as exactly one word, for the commands Weft
 * prints for the user to paste (suggestions in errors, next steps, renewal advice): a network
 * directory such as `/tmp/my net` or `/home/o'brien/net` would otherwise split or open a quote.
 *
 * A word made only of plain characters comes back unchanged, so the usual paths print as they
 * always did; any other word is single-quoted, each `'` in it written `'\''`, and the empty word is
 * `''`. A leading `-` is left alone: quotes are gone by the time a command reads its arguments, so
 * they cannot stop it from taking `-x` for a flag; the paths printed here are absolute or as the
 * user typed them.
 */
export function shellWord(word: string): string {
  if (PLAIN_WORD.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
