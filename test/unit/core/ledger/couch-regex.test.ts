import { describe, expect, it } from '@jest/globals';
import { CouchRegex, CouchRegexSyntaxError } from '../../../../core/ledger/couch-regex';

/** Each row's expectation is what PCRE2 answers in byte mode (`LC_ALL=C grep -P`), as CouchDB's re:run does. */
const matches = (pattern: string, subject: string): boolean => CouchRegex.compile(pattern).test(subject);
const syntaxError = (pattern: string): CouchRegexSyntaxError => {
  try {
    CouchRegex.compile(pattern);
  } catch (e) {
    if (e instanceof CouchRegexSyntaxError) return e;
    throw e;
  }
  throw new Error(`${pattern} compiled`);
};

describe('CouchRegex: CouchDB $regex, PCRE on UTF-8 bytes', () => {
  it.each([
    ['^.$', 'é', false],
    ['^..$', 'é', true],
    ['^caf.$', 'café', false],
    ['^caf..$', 'café', true],
    ['^[é]$', 'é', false],
    ['^[^a]+$', '日本語', true],
    ['\\w', 'é', false],
    ['\\s', '\u00a0', false],
    ['\\h', '\u00a0', true],
    ['(?i)É', 'é', false],
    ['(?i)ALICE', 'alice', true],
    ['\\x{c3}\\xa9', 'é', true],
    ['\\303\\251', 'é', true],
  ])('matches bytes, not characters: %j on %j is %s', (pattern, subject, expected) => {
    expect(matches(pattern, subject)).toBe(expected);
  });

  it.each([
    ['a$', 'a\n', true],
    ['a$', 'a\nb', false],
    ['a\\z', 'a\n', false],
    ['a\\Z', 'a\n', true],
    ['(?m)a$', 'a\nb', true],
    ['(?m)^b', 'a\nb', true],
    ['(?m)^$', 'a\n', false],
    ['a.b', 'a\nb', false],
    ['(?s)a.b', 'a\nb', true],
    ['a.b', 'a\rb', true],
    ['a\\Rb', 'a\r\nb', true],
    ['^a', 'x\na', false],
  ])('uses LF newlines and PCRE anchors: %j on %j is %s', (pattern, subject, expected) => {
    expect(matches(pattern, subject)).toBe(expected);
  });

  it.each([
    ['a(?i)b|c', 'C', true],
    ['a(?i:b)c', 'aBC', false],
    ['a(?i:b)c', 'aBc', true],
    ['(?x) a b c # a comment', 'abc', true],
    ['(?x)a\\ b', 'a b', true],
    ['(?U)^a+b', 'aab', true],
    ['[[:upper:]]{2}', 'aBC', true],
    ['[[:^alpha:]]', 'abc', false],
    ['(?i)[^a]', 'A', false],
    ['\\Qa.b\\E', 'axb', false],
    ['\\Qa.b\\E', 'a.b', true],
    ['\\@', 'user@example.com', true],
    ['x{', 'x{', true],
    ['[]a]', ']', true],
    ['[[:word]]', 'w]', true], // no ':]', so a class of '[', ':', 'w', 'o', 'r', 'd', then a literal ']'
    ['[\\d-]', '-', true],
    ['\\cA', '\u0001', true],
    ['(?#note)abc', 'abc', true],
    ['a\\Kb', 'ab', true],
  ])('reads PCRE syntax and options: %j on %j is %s', (pattern, subject, expected) => {
    expect(matches(pattern, subject)).toBe(expected);
  });

  it.each([
    ['(a)\\1', 'aa', true],
    ['(?i)(a)\\1', 'aA', true],
    ['(a)\\1', 'aA', false],
    ['(?<x>b)\\k<x>', 'bb', true],
    ['(?P<n>b)(?P=n)', 'bb', true],
    ['(a)(b)\\g{-1}', 'abb', true],
    ['(a)|\\1b', 'b', false],
    ['\\2(a)(b)', 'ab', false],
    // Inside its own group a reference is the previous iteration's capture.
    ['^(a\\1?){3}$', 'aaaaaa', true],
    ['^(a\\1?){3}$', 'aaaaaaa', false],
    ['((?:\\1{1,2}|a++)){2}', 'aaaaaa', false],
  ])('resolves back references as PCRE does: %j on %j is %s', (pattern, subject, expected) => {
    expect(matches(pattern, subject)).toBe(expected);
  });

  it.each([
    ['a*+a', 'aaa', false],
    ['(?>a*)a', 'aaa', false],
    ['a*a', 'aaa', true],
    ['(?<=ab|c)c', 'abc', true],
    ['(?<=ab|c)c', 'cc', true],
    ['(?<=ab|c)c', 'bc', false],
    ['(?<!a)b', 'ab', false],
    ['^(?=.*\\d)(?=.*[a-z])', 'x1', true],
    ['^(?!a)', 'abc', false],
    ['a(*F)|b', 'a', false],
    ['(a|ab)(c|bcd)$', 'abcd', true],
    ['\\bbar\\b', 'foo bar', true],
    ['\\Bbar', 'foobar', true],
    ['^(?:a|b)*$', 'abba', true],
  ])('backtracks, stays atomic and looks around as PCRE does: %j on %j is %s', (pattern, subject, expected) => {
    expect(matches(pattern, subject)).toBe(expected);
  });

  it.each([
    ['(', 'missing closing parenthesis', 0],
    [')', 'unmatched closing parenthesis', 0],
    ['a**', 'quantifier does not follow a repeatable item', 2],
    ['[a', 'missing terminating ] for character class', 0],
    ['[z-a]', 'range out of order', 2],
    ['[\\d-z]', 'invalid range', 3],
    ['a{3,2}', 'numbers out of order', 1],
    ['\\', '\\ at end of pattern', 0],
    ['\\y', 'unrecognized escape \\y', 0],
    ['\\777', 'above 255', 0],
    ['(?<=a+)b', 'lookbehind assertion is not fixed length', 0],
    ['(?<n>a)(?<n>b)', 'same name "n"', 7],
    ['\\k<missing>', 'non-existent subpattern name "missing"', 0],
    ['(a)\\2', 'non-existent subpattern 2', 3],
    ['x(?|a)', 'branch reset group (?|...) is not supported in $regex', 1],
    ['(?R)', 'recursion and subroutine calls is not supported', 0],
    ['(?(1)a|b)', 'conditional group', 0],
    ['a(*COMMIT)b', 'backtracking control verb (*COMMIT)', 1],
    ['\\p{L}', 'Unicode property escape \\p', 0],
    ['(*UTF)é', '(*UTF) is not supported in $regex (CouchDB matches bytes', 0],
    ['(?J)a', 'duplicate group names', 0],
    ['x{70000}', 'number too big', 1],
    ['[[:foo:]]', 'unknown POSIX class name "foo"', 1],
  ])('refuses %j with a message and byte offset', (pattern, message, offset) => {
    const e = syntaxError(pattern);
    expect(e.message).toContain(message);
    expect(e.offset).toBe(offset);
  });

  it('gives up, as a non-match, once a catastrophic pattern spends the step budget', () => {
    const evil = CouchRegex.compile('^(a+)+$');
    expect(evil.test('a'.repeat(12))).toBe(true);
    expect(evil.test(`${'a'.repeat(28)}!`)).toBe(false);
    // A pattern's own (*LIMIT_MATCH=n) lowers the budget: the same match needs about 110 steps.
    expect(matches(`(*LIMIT_MATCH=1000)^a+b`, `${'a'.repeat(100)}b`)).toBe(true);
    expect(matches(`(*LIMIT_MATCH=50)^a+b`, `${'a'.repeat(100)}b`)).toBe(false);
  });

  it('matches long values without deepening the JavaScript stack', () => {
    expect(matches('^(?:ab|cd)*$', 'abcd'.repeat(50_000))).toBe(true);
    expect(matches('^(?:ab|cd)*$', `${'abcd'.repeat(50_000)}x`)).toBe(false);
    expect(matches('^(a|bc)*d', `${'abc'.repeat(50_000)}d`)).toBe(true);
    expect(matches('^(x)(?:\\1y)*$', `x${'xy'.repeat(50_000)}`)).toBe(true);
    expect(matches('.*needle', `${'x'.repeat(1 << 20)}needle`)).toBe(true);
  });

  it('gives the same answer to repeated and interleaved tests of one compiled pattern', () => {
    const re = CouchRegex.compile('^(a)\\1b');
    const answers = ['aab', 'ab', 'aab', 'aaab', 'aab'].map((s) => re.test(s));
    expect(answers).toEqual([true, false, true, false, true]);
  });
});
