import { SignaturePolicy, SignaturePolicyEnvelope } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { MSPPrincipal, MSPRole } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { PolicyError } from '../../../../core/errors';
import {
  compilePolicyExpression,
  MAX_POLICY_DEPTH,
  parsePolicyExpression,
  parseRolePrincipal,
} from '../../../../core/policy/policy-expression';

type Shape = number | { n: number; rules: Shape[] };
function shape(rule: SignaturePolicy | undefined): Shape {
  if (rule === undefined) throw new Error('rule unset');
  if (rule.getTypeCase() === SignaturePolicy.TypeCase.SIGNED_BY) return rule.getSignedBy();
  const gate = rule.getNOutOf() as SignaturePolicy.NOutOf;
  return { n: gate.getN(), rules: gate.getRulesList().map(shape) };
}

const ROLE_NAMES = ['member', 'admin', 'client', 'peer', 'orderer'];
function principals(env: SignaturePolicyEnvelope): string[] {
  return env.getIdentitiesList().map((p) => {
    expect(p.getPrincipalClassification()).toBe(MSPPrincipal.Classification.ROLE);
    const r = MSPRole.deserializeBinary(p.getPrincipal_asU8());
    return `${r.getMspIdentifier()}.${ROLE_NAMES[r.getRole()]}`;
  });
}

function parsed(expression: string): { ids: string[]; rule: Shape } {
  const env = parsePolicyExpression(expression);
  expect(env.getVersion()).toBe(0);
  return { ids: principals(env), rule: shape(env.getRule()) };
}

function syntaxError(expression: string): PolicyError {
  try {
    parsePolicyExpression(expression);
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    expect((err as PolicyError).code).toBe('POLICY_SYNTAX');
    return err as PolicyError;
  }
  throw new Error(`expected ${expression} to fail`);
}

describe('parsePolicyExpression (Fabric policydsl.FromString)', () => {
  // Cases mirror hyperledger/fabric common/policydsl/policyparser_test.go.
  it('OutOf(1|2, A, B)', () => {
    expect(parsed("OutOf(1, 'A.member', 'B.member')")).toEqual({ ids: ['A.member', 'B.member'], rule: { n: 1, rules: [0, 1] } });
    expect(parsed("OutOf(2, 'A.member', 'B.member')")).toEqual({ ids: ['A.member', 'B.member'], rule: { n: 2, rules: [0, 1] } });
  });

  it('AND and OR are OutOf(len) and OutOf(1)', () => {
    expect(parsed("AND('A.member', 'B.member')")).toEqual({ ids: ['A.member', 'B.member'], rule: { n: 2, rules: [0, 1] } });
    expect(parsed("OR('A.member', 'B.member')")).toEqual({ ids: ['A.member', 'B.member'], rule: { n: 1, rules: [0, 1] } });
    expect(parsed("AND('A.client', 'B.peer')").ids).toEqual(['A.client', 'B.peer']);
    expect(parsed("AND('A.member')")).toEqual({ ids: ['A.member'], rule: { n: 1, rules: [0] } });
  });

  it('numbers nested gates before the enclosing gate’s own principals (TestComplex1)', () => {
    expect(parsed("OR('A.member', AND('B.member', 'C.member'))")).toEqual({
      ids: ['B.member', 'C.member', 'A.member'],
      rule: { n: 1, rules: [2, { n: 2, rules: [0, 1] }] },
    });
  });

  it('numbers sibling gates left to right (TestComplex2)', () => {
    expect(parsed("OR(AND('A.member', 'B.member'), OR('C.admin', 'D.member'))")).toEqual({
      ids: ['A.member', 'B.member', 'C.admin', 'D.member'],
      rule: { n: 1, rules: [{ n: 2, rules: [0, 1] }, { n: 1, rules: [2, 3] }] },
    });
  });

  it('does not deduplicate a principal named twice (Fabric does not)', () => {
    expect(parsed("AND('A.member', 'A.member')")).toEqual({ ids: ['A.member', 'A.member'], rule: { n: 2, rules: [0, 1] } });
  });

  it('accepts MSP ids with dots and dashes, and every role (TestMSPIDWIthSpecialChars, TestNodeOUs)', () => {
    expect(parsed("OR('MSP.member', 'MSP.WITH.DOTS.member', 'MSP-WITH-DASHES.member')").ids).toEqual([
      'MSP.member',
      'MSP.WITH.DOTS.member',
      'MSP-WITH-DASHES.member',
    ]);
    expect(parsed("OR('A.peer', 'B.admin', 'C.orderer', 'D.client')").ids).toEqual(['A.peer', 'B.admin', 'C.orderer', 'D.client']);
    expect(parseRolePrincipal('A.member.member')).toEqual({ mspId: 'A.member', role: 'member' });
    expect(parseRolePrincipal('A.Member')).toBeUndefined();
  });

  it('accepts the gate spellings Fabric registers and whitespace anywhere', () => {
    for (const and of ['AND', 'And']) expect(parsed(`${and}('A.member','B.member')`).rule).toEqual({ n: 2, rules: [0, 1] });
    for (const or of ['OR', 'Or']) expect(parsed(`${or}('A.member','B.member')`).rule).toEqual({ n: 1, rules: [0, 1] });
    for (const outof of ['OutOf', 'outof', 'OUTOF']) expect(parsed(`${outof}(1,'A.member')`).rule).toEqual({ n: 1, rules: [0] });
    expect(parsed(" \n\tOR ( 'A.member' ,\n 'B.member' ) \n").ids).toEqual(['A.member', 'B.member']);
    expect(parsed('OR("A.member")').ids).toEqual(['A.member']);
  });

  it('takes the count as a quoted number too, and truncates fractions as Go does (TestOutOfNumIsString)', () => {
    expect(parsed("OutOf('1', 'A.member', 'B.member')").rule).toEqual({ n: 1, rules: [0, 1] });
    expect(parsed("OutOf(1.9, 'A.member', 'B.member')").rule).toEqual({ n: 1, rules: [0, 1] });
  });

  it('allows 0 <= t <= n+1 and refuses the rest (TestSecondPassBoundaryCheck)', () => {
    expect(parsed("OutOf(0, 'A.member', 'B.member')").rule).toEqual({ n: 0, rules: [0, 1] });
    expect(parsed("OutOf(3, 'A.member', 'B.member')").rule).toEqual({ n: 3, rules: [0, 1] });
    expect(syntaxError("OutOf(4, 'A.member', 'B.member')").message).toContain('invalid t-out-of-n predicate, t 4, n 2');
    expect(syntaxError("OutOf(-1, 'A.member', 'B.member')").message).toContain('invalid t-out-of-n predicate, t -1, n 2');
  });

  it('produces the same bytes as serializing the parsed envelope', () => {
    const expr = "OutOf(2, 'Org1MSP.peer', AND('Org2MSP.peer', 'Org3MSP.admin'), 'Org4MSP.member')";
    expect(Buffer.from(compilePolicyExpression(expr))).toEqual(Buffer.from(parsePolicyExpression(expr).serializeBinary()));
  });
});

describe('parsePolicyExpression errors', () => {
  it.each([
    ['', 0, '', 'empty policy expression'],
    ['   ', 3, '', 'empty policy expression'],
    ["OR('A.member', Bmember)", 15, 'Bmember', "unrecognized token 'Bmember'"],
    ["OR('A.member', 'Bmember')", 15, 'Bmember', "invalid principal 'Bmember'"],
    ["OR('A.guest')", 3, 'A.guest', "invalid principal 'A.guest'"],
    ["Or('A.member'", 13, '', "expected ',' or ')'"],
    ["XOR('A.member')", 0, 'XOR', "unknown gate 'XOR'"],
    ["oR('A.member')", 0, 'oR', "unknown gate 'oR'"],
    ["and('A.member')", 0, 'and', "'and' is an operator"],
    ["or('A.member')", 0, 'or', "'or' is an operator"],
    ['OutOf(1)', 0, 'OutOf', 'expected at least two arguments to OutOf'],
    ["OutOf(true, 'A.member')", 6, 'true', 'the count of OutOf must be a number, got bool'],
    ['OutOf(1, 2)', 9, '2', "must be a quoted principal like 'Org1MSP.member'"],
    ["OutOf('x', 'A.member')", 6, 'x', "invalid count 'x'"],
    ['OR()', 0, 'OR', 'expected at least two arguments to OR'],
    ["'A.member'", 0, 'A.member', 'a principal must sit inside a gate'],
    ['1', 0, '1', 'invalid policy string'],
    ["OR('A.member') OR('B.member')", 15, 'OR', "unexpected token 'OR'"],
    ["OR('A.member' 'B.member')", 14, "'B.member'", "expected ',' or ')'"],
    ["OR('A.member)", 3, "'A.member)", 'literal not terminated'],
    ["OR('A.member') + 1", 15, '+', 'part of the expression language'],
    ["OR('A\\.member')", 3, "'A\\.member'", 'invalid char escape'],
    ["\ufeffOR('A.member')", 0, '\ufeff', 'unrecognized character: U+FEFF'],
    ["OR(OutOf(1, AND('A.member'), 'B.member'), 'C.member'", 52, '', "expected ',' or ')'"],
  ])('%j fails at position %d on %j: %s', (expression, position, token, message) => {
    const err = syntaxError(expression);
    expect(err.message).toContain(message);
    expect(err.message).toContain(`at position ${position}`);
    expect(err.details).toMatchObject({ expression, position, token });
    expect(typeof err.details.expected).toBe('string');
  });

  it('bounds nesting depth instead of overflowing the stack', () => {
    const deep = 'OR('.repeat(MAX_POLICY_DEPTH + 1) + "'A.member'" + ')'.repeat(MAX_POLICY_DEPTH + 1);
    expect(syntaxError(deep).message).toContain('nested too deeply');
    const ok = 'OR('.repeat(MAX_POLICY_DEPTH) + "'A.member'" + ')'.repeat(MAX_POLICY_DEPTH);
    expect(parsed(ok).ids).toEqual(['A.member']);
  });

  it('rejects a non-string expression with a PolicyError', () => {
    expect(() => parsePolicyExpression(42 as unknown as string)).toThrow(PolicyError);
  });
});
