/**
 * The policy language against Fabric's own parser: `fixtures/fabric-policydsl-cases.json` holds
 * expressions (the cases of Fabric's policyparser_test.go, their variations, and generated ones)
 * each run through Fabric's `policydsl.FromString` at the mirrored commit, with the envelope it
 * built or the error it gave. Weft must build the same envelope, refuse what Fabric refuses, and
 * refuse only expression-language arithmetic (or absurd nesting) among what Fabric accepts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignaturePolicy } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { MSPRole } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { PolicyError } from '../../../../core/errors';
import { parsePolicyExpression } from '../../../../core/policy/policy-expression';

type Shape = number | { n: number; rules: Shape[] };
interface Accepted {
  readonly expression: string;
  readonly ids: string[];
  readonly rule: Shape;
}
interface Refused {
  readonly expression: string;
  readonly fabric: string;
}
const cases = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'fabric-policydsl-cases.json'), 'utf8')) as { accepted: Accepted[]; refused: Refused[] };

const ROLES = ['member', 'admin', 'client', 'peer', 'orderer'];
function shape(rule: SignaturePolicy | undefined): Shape {
  if (rule === undefined) throw new Error('rule unset');
  if (rule.getTypeCase() === SignaturePolicy.TypeCase.SIGNED_BY) return rule.getSignedBy();
  const gate = rule.getNOutOf() as SignaturePolicy.NOutOf;
  return { n: gate.getN(), rules: gate.getRulesList().map(shape) };
}

type Outcome = { ids: string[]; rule: Shape } | { error: PolicyError };
function weft(expression: string): Outcome {
  try {
    const env = parsePolicyExpression(expression);
    const ids = env.getIdentitiesList().map((p) => {
      const r = MSPRole.deserializeBinary(p.getPrincipal_asU8());
      return `${r.getMspIdentifier()}.${ROLES[r.getRole()]}`;
    });
    return { ids, rule: shape(env.getRule()) };
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    return { error: err };
  }
}

describe("policy language against Fabric's FromString (expr-lang)", () => {
  it('has a corpus of both kinds', () => {
    expect(cases.accepted.length).toBeGreaterThan(300);
    expect(cases.refused.length).toBeGreaterThan(300);
  });

  it('every policy Fabric refuses, Weft refuses with POLICY_SYNTAX', () => {
    const accepted = cases.refused.filter((c) => !('error' in weft(c.expression)));
    expect(accepted.map((c) => c.expression)).toEqual([]);
    for (const c of cases.refused) expect((weft(c.expression) as { error: PolicyError }).error.code).toBe('POLICY_SYNTAX');
  });

  it('every policy Fabric accepts gives the same envelope, or is arithmetic Weft refuses by name', () => {
    const refused: string[] = [];
    for (const c of cases.accepted) {
      const w = weft(c.expression);
      if ('error' in w) {
        expect([c.expression, w.error.message]).toEqual([c.expression, expect.stringMatching(/part of the expression language/)]);
        refused.push(c.expression);
      } else {
        expect([c.expression, w]).toEqual([c.expression, { ids: c.ids, rule: c.rule }]);
      }
    }
    expect(refused.length).toBeLessThan(20);
  });

  it.each([
    // expr-lang keywords: Fabric since govaluate's removal refuses lower-case and/or.
    ["and('A.member')", false],
    ["or('A.member')", false],
    ["OR(`A.member`, \"B.peer\")", true],
    ["OutOf(0x2, 'A.member', 'B.member')", true],
    ["OutOf('2', 'A.member', 'B.member')", true],
    ["OR('A.member',)", true],
    ["((OR(('A.member'))))", true],
    ["OR('A.member') // a comment", true],
    ["OR('A\\x2emember')", true],
    ["OR('A\\.member')", false],
    ["\ufeffOR('A.member')", false],
    // A principal-like string is re-quoted; any other string is pasted into the rewritten policy.
    ["OR('outof(1, \\'B.member\\')')", true],
    ["AND('C.member', '')", true],
  ])('%j: Fabric accepts = %s, and so does Weft', (expression, accepts) => {
    const fabric = cases.accepted.find((c) => c.expression === expression) ?? cases.refused.find((c) => c.expression === expression);
    expect(fabric).toBeDefined();
    expect(cases.accepted.includes(fabric as Accepted)).toBe(accepts);
    expect(!('error' in weft(expression))).toBe(accepts);
  });
});
