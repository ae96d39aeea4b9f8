/**
 * Arithmetic in the policy language, as Fabric's `policydsl.FromString` computes it: expr-lang
 * (v1.17.8) folds constant arithmetic at compile time (`optimizer/fold.go`) with Go's int
 * arithmetic (int64, wrapping) for integers and float64 once a float or `/` is involved, and
 * `outof` writes a float count as `int(n)`. Weft refused every such policy.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignaturePolicy } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { PolicyError } from '../../../../core/errors';
import { parsePolicyExpression } from '../../../../core/policy/policy-expression';

const countOf = (expression: string): number => (parsePolicyExpression(expression).getRule()?.getNOutOf() as SignaturePolicy.NOutOf).getN();

function refusal(expression: string): string {
  try {
    parsePolicyExpression(expression);
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    expect((err as PolicyError).code).toBe('POLICY_SYNTAX');
    return (err as PolicyError).message;
  }
  return 'accepted';
}

describe('arithmetic in policy expressions', () => {
  it("builds what Fabric's own parser built for the arithmetic cases of the fixture", () => {
    const cases = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'fabric-policydsl-cases.json'), 'utf8')) as {
      accepted: { expression: string; rule: { n: number } }[];
    };
    const arithmetic = cases.accepted.filter((c) => /^OutOf\(\d+\s*[-+*/%]/.test(c.expression));
    expect(arithmetic.map((c) => c.expression)).toEqual([
      "OutOf(1+1, 'A.member', 'B.member')",
      "OutOf(3-1, 'A.member', 'B.member')",
      "OutOf(2/1, 'A.member', 'B.member')",
      "OutOf(4/2, 'A.member', 'B.member')",
    ]);
    for (const c of arithmetic) expect([c.expression, countOf(c.expression)]).toEqual([c.expression, c.rule.n]);
  });

  it("follows expr's precedence: * / % before + -, unary minus before both, parentheses first", () => {
    expect(countOf("OutOf(1 + 2 * 3 - 6, 'A.member', 'B.member')")).toBe(1);
    expect(countOf("OutOf(-1 + 2, 'A.member')")).toBe(1);
    expect(countOf("OutOf((1 + 1) * 1, 'A.member', 'B.member')")).toBe(2);
    expect(countOf("OutOf(8 - 4 - 2, 'A.member', 'B.member')")).toBe(2);
    expect(countOf("OutOf(7 % 4 - 1, 'A.member', 'B.member')")).toBe(2);
  });

  it('divides in float64 and truncates the count as int(float64)', () => {
    expect(countOf("OutOf(7/2, 'A.member', 'B.member', 'C.member')")).toBe(3);
    expect(countOf("OutOf(1.5 + 1, 'A.member', 'B.member')")).toBe(2);
  });

  it('wraps integers at 64 bits, as Go does', () => {
    expect(countOf("OutOf(9223372036854775807 + 1 - 9223372036854775807, 'A.member')")).toBe(1);
  });

  it("concatenates strings, as the fixture's answers from Fabric's parser have it", () => {
    for (const expression of ["OR('A.mem' + 'ber')", "OR('A.member' + '')", 'OR("A." + `member`)']) {
      const env = parsePolicyExpression(expression);
      expect([expression, env.getIdentitiesList().length, env.getRule()?.getNOutOf()?.getN()]).toEqual([expression, 1, 1]);
      expect(env.serializeBinary()).toEqual(parsePolicyExpression("OR('A.member')").serializeBinary());
    }
    expect(refusal("OR('A.member' - '')")).toContain('part of the expression language');
  });

  it('refuses % by zero as expr does, and what it does not compute by name', () => {
    expect(refusal("OutOf(1 % 0, 'A.member')")).toContain('integer divide by zero');
    for (const expression of ["OutOf(2 ** 1, 'A.member')", "OutOf('1' + 1, 'A.member')", "OutOf(1 / 0, 'A.member')", "OR('A.member') ?? 'x'"]) {
      expect([expression, refusal(expression)]).toEqual([expression, expect.stringContaining('part of the expression language')]);
    }
  });
});
