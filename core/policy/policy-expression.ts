/**
 * Fabric's signature policy language (`common/policydsl/policyparser.go`, `FromString`) compiled to
 * a `SignaturePolicyEnvelope`. It lives in core, not in the policy plugin, because the envelope is
 * Fabric's wire format: config-block builders and chaincode lifecycle need it whatever plugin
 * evaluates policies.
 *
 * Grammar (what Fabric's govaluate-based parser accepts, minus govaluate's arithmetic):
 *   policy    := gate
 *   gate      := AND '(' arg {',' arg} ')' | OR '(' arg {',' arg} ')' | OUTOF '(' count {',' arg} ')'
 *   arg       := gate | principal
 *   principal := quoted '<MSPID>.<role>', role admin | member | client | peer | orderer
 *   count     := number (truncated toward zero, as Go's int(float64)) | quoted number
 * Gate names: `AND`/`And`/`and`, `OR`/`Or`/`or`, `OutOf`/`outof`/`OUTOF`.
 *
 * Identity numbering follows Fabric exactly (so the bytes match Fabric's): principals are NOT
 * deduplicated, and a gate numbers its own principal arguments only after its nested gates have
 * numbered theirs, because govaluate evaluates a call's arguments before the call itself:
 * `OR('A.member', AND('B.member', 'C.member'))` gives identities [B, C, A].
 */
import { SignaturePolicy, SignaturePolicyEnvelope } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { MSPPrincipal, MSPRole } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { PolicyError } from '../errors';
import type { MspRole } from '../msp/identity';

/** Fabric's principal regex: `^([[:alnum:].-]+)([.])(admin|member|client|peer|orderer)$`. */
const PRINCIPAL = /^([A-Za-z0-9.-]+)\.(admin|member|client|peer|orderer)$/;
const GATES: Readonly<Record<string, 'and' | 'or' | 'outof'>> = {
  AND: 'and', And: 'and', and: 'and',
  OR: 'or', Or: 'or', or: 'or',
  OUTOF: 'outof', OutOf: 'outof', outof: 'outof',
};
const NUMBER = /^-?(\d+\.?\d*|\.\d+)$/;
// Sticky: matched in place, so tokenizing stays linear in the expression's length.
const NUMBER_TOKEN = /-?[0-9.]+/y;
const NAME_TOKEN = /[A-Za-z0-9_.]+/y;
/** Nesting bound: keeps recursion far from the stack limit on hostile input. */
export const MAX_POLICY_DEPTH = 128;

const ROLE_TYPES: Readonly<Record<MspRole, MSPRole.MSPRoleTypeMap[keyof MSPRole.MSPRoleTypeMap]>> = {
  member: MSPRole.MSPRoleType.MEMBER,
  admin: MSPRole.MSPRoleType.ADMIN,
  client: MSPRole.MSPRoleType.CLIENT,
  peer: MSPRole.MSPRoleType.PEER,
  orderer: MSPRole.MSPRoleType.ORDERER,
};

/** A parsed principal `'<mspId>.<role>'`. */
export interface RolePrincipal {
  readonly mspId: string;
  readonly role: MspRole;
}

type Token =
  | { kind: 'name'; text: string; pos: number }
  | { kind: 'string'; text: string; pos: number }
  | { kind: 'number'; text: string; pos: number }
  | { kind: '(' | ')' | ','; text: string; pos: number }
  | { kind: 'end'; text: ''; pos: number };

type Arg = { kind: 'gate'; gate: Gate } | { kind: 'principal'; principal: RolePrincipal };
interface Gate {
  readonly n: number;
  readonly args: readonly Arg[];
}

function fail(expression: string, pos: number, token: string, expected: string, message?: string): never {
  const got = token === '' ? 'end of expression' : `'${token}'`;
  throw new PolicyError(
    'POLICY_SYNTAX',
    `${message ?? `expected ${expected}, got ${got}`} at position ${pos} of policy ${JSON.stringify(expression)}`,
    { expression, position: pos, token, expected },
  );
}

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expression.length) {
    const c = expression[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: c, text: c, pos: i });
      i++;
    } else if (c === "'" || c === '"') {
      const start = i;
      let text = '';
      i++;
      while (i < expression.length && expression[i] !== c) {
        // govaluate strings take backslash escapes.
        if (expression[i] === '\\' && i + 1 < expression.length) i++;
        text += expression[i];
        i++;
      }
      if (i >= expression.length) fail(expression, start, expression.slice(start), `a closing ${c}`, `unterminated string`);
      i++;
      tokens.push({ kind: 'string', text, pos: start });
    } else if (/[0-9.-]/.test(c)) {
      NUMBER_TOKEN.lastIndex = i;
      const m = NUMBER_TOKEN.exec(expression);
      const text = m ? m[0] : c;
      if (!NUMBER.test(text)) fail(expression, i, text, 'a number');
      tokens.push({ kind: 'number', text, pos: i });
      i += text.length;
    } else if (/[A-Za-z_]/.test(c)) {
      NAME_TOKEN.lastIndex = i;
      const m = NAME_TOKEN.exec(expression) as RegExpExecArray;
      tokens.push({ kind: 'name', text: m[0], pos: i });
      i += m[0].length;
    } else {
      fail(expression, i, c, "a gate (AND, OR, OutOf), a quoted principal, a number, '(', ')' or ','", `unexpected character '${c}'`);
    }
  }
  tokens.push({ kind: 'end', text: '', pos: expression.length });
  return tokens;
}

/** Parses `'<mspId>.<role>'` text as Fabric's principal regex does, or returns undefined. */
export function parseRolePrincipal(text: string): RolePrincipal | undefined {
  const m = PRINCIPAL.exec(text);
  return m ? { mspId: m[1], role: m[2] as MspRole } : undefined;
}

class Parser {
  private i = 0;
  constructor(
    private readonly expression: string,
    private readonly tokens: Token[],
  ) {}

  parse(): Gate {
    const first = this.tokens[0];
    if (first.kind === 'end') fail(this.expression, first.pos, '', 'a gate (AND, OR or OutOf)', 'empty policy expression');
    const gate = this.gate(1);
    const rest = this.tokens[this.i];
    if (rest.kind !== 'end') fail(this.expression, rest.pos, rest.text, 'end of expression after the top-level gate');
    return gate;
  }

  private next(): Token {
    return this.tokens[this.i++];
  }

  private expect(kind: Token['kind'], expected: string): Token {
    const t = this.next();
    if (t.kind !== kind) fail(this.expression, t.pos, t.text, expected);
    return t;
  }

  private gate(depth: number): Gate {
    const name = this.next();
    if (depth > MAX_POLICY_DEPTH) {
      fail(this.expression, name.pos, name.text, `at most ${MAX_POLICY_DEPTH} nested gates`, 'policy nested too deeply');
    }
    if (name.kind !== 'name') {
      const hint = name.kind === 'string' ? ` (a principal must sit inside a gate, e.g. OR('${name.text}'))` : '';
      fail(this.expression, name.pos, name.text, `a gate (AND, OR or OutOf)${hint}`);
    }
    const type = GATES[name.text];
    if (type === undefined) {
      fail(this.expression, name.pos, name.text, 'a gate: AND/And/and, OR/Or/or or OutOf/outof/OUTOF', `unknown gate '${name.text}'`);
    }
    this.expect('(', `'(' after ${name.text}`);
    let n: number | undefined;
    if (type === 'outof') {
      const countToken = this.next();
      n = this.count(countToken);
      const sep = this.next();
      if (sep.kind === ')') {
        fail(this.expression, sep.pos, sep.text, 'at least one principal or gate after the count', `${name.text} needs at least two arguments`);
      }
      if (sep.kind !== ',') fail(this.expression, sep.pos, sep.text, `',' after the count of ${name.text}`);
    }
    const args: Arg[] = [];
    for (;;) {
      const t = this.tokens[this.i];
      if (t.kind === ')' && args.length === 0) {
        fail(this.expression, t.pos, t.text, 'a principal or a nested gate', `${name.text} needs at least one argument`);
      }
      args.push(this.arg(depth));
      const sep = this.next();
      if (sep.kind === ')') break;
      if (sep.kind !== ',') fail(this.expression, sep.pos, sep.text, `',' or ')' in ${name.text}(...)`);
    }
    if (type === 'and') n = args.length;
    if (type === 'or') n = 1;
    const count = n as number;
    if (count < 0 || count > args.length + 1) {
      // Fabric allows n == len+1 (a never-satisfiable policy, used to freeze keys) but not beyond.
      const t = this.tokens[this.i - 1];
      fail(this.expression, t.pos, t.text, `a count between 0 and ${args.length + 1}`, `invalid t-out-of-n predicate, t ${count}, n ${args.length}`);
    }
    return { n: count, args };
  }

  private count(t: Token): number {
    const text = t.kind === 'string' ? t.text.trim() : t.text;
    if ((t.kind === 'number' || t.kind === 'string') && NUMBER.test(text)) {
      // Go's int(float64) truncates toward zero; `+ 0` turns -0 into 0.
      return Math.trunc(Number(text)) + 0;
    }
    fail(this.expression, t.pos, t.text, 'a number (how many of the following must be satisfied)');
  }

  private arg(depth: number): Arg {
    const t = this.tokens[this.i];
    if (t.kind === 'string') {
      this.i++;
      const principal = parseRolePrincipal(t.text);
      if (!principal) {
        fail(
          this.expression,
          t.pos,
          t.text,
          "a principal '<MSPID>.<role>' with role admin, member, client, peer or orderer",
          `invalid principal '${t.text}'`,
        );
      }
      return { kind: 'principal', principal };
    }
    if (t.kind === 'name') {
      if (GATES[t.text] === undefined) {
        fail(this.expression, t.pos, t.text, "a quoted principal like 'Org1MSP.member' or a nested gate", `unrecognized token '${t.text}'`);
      }
      return { kind: 'gate', gate: this.gate(depth + 1) };
    }
    fail(this.expression, t.pos, t.text, "a quoted principal like 'Org1MSP.member' or a nested AND/OR/OutOf");
  }
}

/** The `MSPPrincipal` (classification ROLE) for a principal, encoded as Fabric encodes it. */
export function rolePrincipal(mspId: string, role: MspRole): MSPPrincipal {
  const r = new MSPRole();
  r.setMspIdentifier(mspId);
  r.setRole(ROLE_TYPES[role]);
  const p = new MSPPrincipal();
  p.setPrincipalClassification(MSPPrincipal.Classification.ROLE);
  p.setPrincipal(r.serializeBinary());
  return p;
}

/** `SignaturePolicy{signed_by: index}`. */
export function signedBy(index: number): SignaturePolicy {
  const p = new SignaturePolicy();
  p.setSignedBy(index);
  return p;
}

/** `SignaturePolicy{n_out_of: {n, rules}}`. */
export function nOutOf(n: number, rules: readonly SignaturePolicy[]): SignaturePolicy {
  const gate = new SignaturePolicy.NOutOf();
  gate.setN(n);
  gate.setRulesList([...rules]);
  const p = new SignaturePolicy();
  p.setNOutOf(gate);
  return p;
}

function build(gate: Gate, identities: MSPPrincipal[]): SignaturePolicy {
  const rules: (SignaturePolicy | undefined)[] = gate.args.map((a) => (a.kind === 'gate' ? build(a.gate, identities) : undefined));
  gate.args.forEach((a, i) => {
    if (a.kind === 'principal') {
      rules[i] = signedBy(identities.length);
      identities.push(rolePrincipal(a.principal.mspId, a.principal.role));
    }
  });
  return nOutOf(gate.n, rules as SignaturePolicy[]);
}

/**
 * Parses a policy expression into the `SignaturePolicyEnvelope` Fabric's `policydsl.FromString`
 * builds (version 0). Throws `PolicyError` (`POLICY_SYNTAX`) naming the position, the offending
 * token and what was expected there.
 */
export function parsePolicyExpression(expression: string): SignaturePolicyEnvelope {
  if (typeof expression !== 'string') {
    throw new PolicyError('POLICY_SYNTAX', `policy expression must be a string, got ${typeof expression}`, { expression });
  }
  const gate = new Parser(expression, tokenize(expression)).parse();
  const identities: MSPPrincipal[] = [];
  const rule = build(gate, identities);
  const envelope = new SignaturePolicyEnvelope();
  envelope.setVersion(0);
  envelope.setRule(rule);
  envelope.setIdentitiesList(identities);
  return envelope;
}

/** {@link parsePolicyExpression}, serialized: the bytes Fabric's peer CLI puts in a chaincode definition. */
export function compilePolicyExpression(expression: string): Uint8Array {
  return parsePolicyExpression(expression).serializeBinary();
}
