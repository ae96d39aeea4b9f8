/**
 * Fabric's signature policy language (`common/policydsl/policyparser.go`, `FromString`) compiled to
 * a `SignaturePolicyEnvelope`. It lives in core, not in the policy plugin, because the envelope is
 * Fabric's wire format: config-block builders and chaincode lifecycle need it whatever plugin
 * evaluates policies.
 *
 * Fabric evaluates the policy as an expr-lang expression, three times: `AND`/`And`, `OR`/`Or` and
 * `OutOf`/`outof`/`OUTOF` rewrite it into a string of `outof(...)` calls (a principal string is
 * re-quoted, any other string pasted as it is, a count written as an integer), that string is
 * evaluated again to add a context argument, and once more to build the envelope. This module
 * runs the same three passes over the literal part of expr-lang ({@link parseExprLiteral}), so it
 * accepts, refuses and numbers exactly as Fabric does: lower-case `and`/`or` are expr keywords and
 * refused; `'A.member'`, `"A.member"` and `` `A.member` `` are one principal; a count may be a
 * string (`OutOf('1', ...)`), a float (truncated as Go's `int(float64)`) or hex; a trailing comma
 * is fine; a principal of a nested gate is numbered before the enclosing gate's own principals.
 * Arithmetic on numbers (`OutOf(1+1, ...)`, `OutOf(5/2, ...)`) and string concatenation
 * (`'A.' + 'member'`) are computed as expr computes them; other computing expressions (`2 ** 1`,
 * `a ? b : c`, `x ?? y`) are refused with a clear error, though Fabric would evaluate them.
 */
import { SignaturePolicy, SignaturePolicyEnvelope } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { MSPPrincipal, MSPRole } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { PolicyError } from '../errors';
import type { MspRole } from '../msp/identity';
import { type ExprNode, ExprSyntaxError, ExprUnsupported, parseExprLiteral } from './expr-literal';

/** Fabric's principal regex: `^([[:alnum:].-]+)([.])(admin|member|client|peer|orderer)$`. */
const PRINCIPAL = /^([A-Za-z0-9.-]+)\.(admin|member|client|peer|orderer)$/;
/** Nesting bound of the expression (gates and parentheses): keeps recursion far from the stack limit. */
export const MAX_POLICY_DEPTH = 128;
const MIN_INT64 = -(2n ** 63n);

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

/** Parses `'<mspId>.<role>'` text as Fabric's principal regex does, or returns undefined. */
export function parseRolePrincipal(text: string): RolePrincipal | undefined {
  const m = PRINCIPAL.exec(text);
  return m ? { mspId: m[1], role: m[2] as MspRole } : undefined;
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

/** A value of Fabric's passes: expr values, the pass-3 context `ID`, or a built rule. */
type Value =
  | Exclude<ExprNode, { kind: 'call' | 'ident' }>
  | { readonly kind: 'string'; readonly value: string; readonly pos: number; readonly built: true }
  | { readonly kind: 'context'; readonly pos: number }
  | { readonly kind: 'policy'; readonly rule: SignaturePolicy; readonly pos: number };

/** A refusal with the pass it happened in, mapped to a `PolicyError` by {@link parsePolicyExpression}. */
class PassError extends Error {
  constructor(
    message: string,
    readonly pos: number,
    readonly token: string,
  ) {
    super(message);
  }
}

const GATES_PASS1: Readonly<Record<string, 'and' | 'or' | 'outof'>> = { AND: 'and', And: 'and', OR: 'or', Or: 'or', OUTOF: 'outof', OutOf: 'outof', outof: 'outof' };

function typeName(v: Value): string {
  switch (v.kind) {
    case 'int': return 'int';
    case 'float': return 'float64';
    case 'string': return 'string';
    case 'bool': return 'bool';
    case 'nil': return 'nil';
    case 'context': return 'context';
    case 'policy': return 'policy';
  }
}

/** Go's `strconv.Itoa(int(f))` on amd64: truncation, and the minimum int64 when out of range. */
function goIntOfFloat(f: number): bigint {
  if (!(Math.abs(f) < 2 ** 63)) return MIN_INT64;
  return BigInt(Math.trunc(f));
}

/** A string of the user's that the first pass pastes into the rewritten policy unquoted. */
interface Pasted {
  readonly value: string;
  readonly pos: number;
  readonly as: 'principal' | 'count' | 'policy';
}

function textOf(v: Value): string {
  return v.kind === 'string' ? v.value : v.kind === 'int' || v.kind === 'float' || v.kind === 'bool' ? String(v.value) : v.kind;
}

/** Fabric's `outof`, `and`, `or` of the first pass: the policy as a string of `outof(...)` calls. */
function pass1(gate: 'and' | 'or' | 'outof', args: readonly Value[], pos: number, name: string, pasted: Pasted[]): string {
  const all: Value[] = gate === 'outof' ? [...args] : [{ kind: 'int', value: gate === 'and' ? BigInt(args.length) : 1n, pos }, ...args];
  if (all.length < 2) throw new PassError(`expected at least two arguments to ${name}, given ${all.length}`, pos, name);
  const [count, ...rest] = all;
  let out = 'outof(';
  if (count.kind === 'float') out += String(goIntOfFloat(count.value));
  else if (count.kind === 'int') out += String(count.value);
  else if (count.kind === 'string') {
    out += count.value;
    if (!('built' in count)) pasted.push({ value: count.value, pos: count.pos, as: 'count' });
  } else throw new PassError(`the count of ${name} must be a number, got ${typeName(count)}`, count.pos, textOf(count));
  for (const arg of rest) {
    if (arg.kind !== 'string') {
      throw new PassError(`an argument of ${name} must be a quoted principal like 'Org1MSP.member' or a nested gate, got ${typeName(arg)}`, arg.pos, textOf(arg));
    }
    const principal = PRINCIPAL.test(arg.value);
    if (!principal && !('built' in arg)) pasted.push({ value: arg.value, pos: arg.pos, as: 'principal' });
    out += ', ' + (principal ? `'${arg.value}'` : arg.value);
  }
  return out + ')';
}

/** Fabric's `firstPass`: adds the context argument `ID` to every `outof`. */
function pass2(args: readonly Value[]): string {
  let out = 'outof(ID';
  for (const arg of args) {
    out += ', ';
    if (arg.kind === 'string') out += PRINCIPAL.test(arg.value) ? `'${arg.value}'` : arg.value;
    else if (arg.kind === 'float') out += String(goIntOfFloat(arg.value));
    else if (arg.kind === 'int') out += String(arg.value);
    else throw new PassError(`unexpected ${typeName(arg)}`, arg.pos, '');
  }
  return out + ')';
}

/** Fabric's `secondPass`: one `n_out_of` rule, numbering its own principals after its nested gates'. */
function pass3(args: readonly Value[], identities: MSPPrincipal[], pos: number): SignaturePolicy {
  if (args.length < 3) throw new PassError(`at least 3 arguments expected, got ${args.length}`, pos, 'outof');
  if (args[0].kind !== 'context') throw new PassError(`unrecognized type, expected the context, got ${typeName(args[0])}`, pos, 'outof');
  const count = args[1];
  let t: bigint;
  if (count.kind === 'float') t = goIntOfFloat(count.value);
  else if (count.kind === 'int') t = count.value;
  else throw new PassError(`unrecognized type, expected a number, got ${typeName(count)}`, count.pos, 'outof');
  const n = args.length - 2;
  // Fabric allows t == n+1 (a never-satisfiable policy, used to freeze keys) but not beyond.
  if (t < 0n || t > BigInt(n + 1)) throw new PassError(`invalid t-out-of-n predicate, t ${t}, n ${n}`, count.pos, String(t));
  const rules: SignaturePolicy[] = [];
  for (const arg of args.slice(2)) {
    if (arg.kind === 'policy') {
      rules.push(arg.rule);
    } else if (arg.kind === 'string') {
      const principal = parseRolePrincipal(arg.value);
      if (principal === undefined) {
        throw new PassError(`invalid principal '${arg.value}': expected '<MSPID>.<role>' with role admin, member, client, peer or orderer`, arg.pos, arg.value);
      }
      rules.push(signedBy(identities.length));
      identities.push(rolePrincipal(principal.mspId, principal.role));
    } else {
      throw new PassError(`unrecognized type, expected a principal or a policy, got ${typeName(arg)}`, arg.pos, '');
    }
  }
  return nOutOf(Number(t), rules);
}

/** Evaluates a parsed expression of pass `pass` (1, 2 or 3), calls after their arguments, left to right. */
function evaluate(node: ExprNode, pass: 1 | 2 | 3, identities: MSPPrincipal[], pasted: Pasted[], top = false): Value {
  if (node.kind === 'ident') {
    if (pass === 3 && node.name === 'ID') return { kind: 'context', pos: node.pos };
    const message =
      GATES_PASS1[node.name] !== undefined
        ? `gate ${node.name} must be called, e.g. ${node.name}('Org1MSP.member')`
        : top && pass === 1
          ? `unknown gate '${node.name}': expected AND/And, OR/Or or OutOf/outof/OUTOF`
          : `unrecognized token '${node.name}'`;
    throw new PassError(message, node.pos, node.name);
  }
  if (node.kind !== 'call') return node;
  const gate = pass === 1 ? GATES_PASS1[node.name] : node.name === 'outof' ? 'outof' : undefined;
  if (gate === undefined) {
    const hint = node.name === 'and' || node.name === 'or' ? ` (use ${node.name.toUpperCase()})` : '';
    throw new PassError(`unknown gate '${node.name}'${hint}: expected AND/And, OR/Or or OutOf/outof/OUTOF`, node.pos, node.name);
  }
  const args = node.args.map((a) => evaluate(a, pass, identities, pasted));
  if (pass === 1) return { kind: 'string', value: pass1(gate, args, node.pos, node.name, pasted), pos: node.pos, built: true };
  if (pass === 2) return { kind: 'string', value: pass2(args), pos: node.pos, built: true };
  return { kind: 'policy', rule: pass3(args, identities, node.pos), pos: node.pos };
}

/** A `<MSPID>.<role>` the user wrote outside quotes, where the policy language needs a string. */
interface UnquotedPrincipal {
  readonly text: string;
  readonly pos: number;
}

/** The unquoted principals of `expression`: runs of Fabric's principal characters outside string literals that match its principal regex. */
function unquotedPrincipals(expression: string): UnquotedPrincipal[] {
  const found: UnquotedPrincipal[] = [];
  // A string literal (with expr's backslash escapes in '…' and "…"), or a run of the characters an MSP ID and role are made of.
  const tokens = /'(?:\\.|[^'\\])*'?|"(?:\\.|[^"\\])*"?|`[^`]*`?|[A-Za-z0-9.-]+/g;
  for (const m of expression.matchAll(tokens)) {
    if (PRINCIPAL.test(m[0])) found.push({ text: m[0], pos: m.index });
  }
  return found;
}

/** `expression` with each of `unquoted` in single quotes: the policy the user most likely meant. */
function quotePrincipals(expression: string, unquoted: readonly UnquotedPrincipal[]): string {
  let out = '';
  let at = 0;
  for (const u of unquoted) {
    out += `${expression.slice(at, u.pos)}'${u.text}'`;
    at = u.pos + u.text.length;
  }
  return out + expression.slice(at);
}

function syntaxError(expression: string, source: string, pass: number, err: ExprSyntaxError | PassError, pasted: readonly Pasted[]): PolicyError {
  const suspect = pass > 1 ? pasted[0] : undefined;
  if (suspect !== undefined) {
    // Usually a typo in a principal: say so at the user's string, not in the rewritten text.
    const what =
      suspect.as === 'count'
        ? `invalid count '${suspect.value}': expected a number`
        : suspect.as === 'policy'
          ? `a quoted string '${suspect.value}' as the whole policy: a principal must sit inside a gate, e.g. OR('Org1MSP.member')`
          : `invalid principal '${suspect.value}': expected '<MSPID>.<role>' with role admin, member, client, peer or orderer`;
    return new PolicyError(
      'POLICY_SYNTAX',
      `${what} at position ${suspect.pos} of policy ${JSON.stringify(expression)} (Fabric's parser pastes such a string into the policy it rewrites, ${JSON.stringify(source)}, where it fails: ${err.message} at position ${err.pos}${err instanceof ExprUnsupported ? ", which is part of the expression language Fabric's tools evaluate policies with; Weft does not compute it" : ''})`,
      { expression, position: suspect.pos, token: suspect.value, expected: suspect.as === 'count' ? 'a number' : suspect.as === 'policy' ? 'a gate (AND, OR or OutOf)' : "a principal like 'Org1MSP.member'" },
    );
  }
  const unquoted = pass === 1 ? unquotedPrincipals(expression) : [];
  const failing = unquoted.find((u) => err.pos >= u.pos && err.pos < u.pos + u.text.length);
  if (failing !== undefined) {
    // expr reads Org2MSP.peer as a member access, so its own words ('.' is not supported) do not say what the user missed: the quotes.
    const quoted = quotePrincipals(expression, unquoted);
    return new PolicyError('POLICY_SYNTAX', `unquoted principal ${failing.text} at position ${failing.pos} of policy ${JSON.stringify(expression)}: quote each principal: '${failing.text}'`, {
      expression,
      position: failing.pos,
      token: failing.text,
      expected: `a quoted principal '${failing.text}'`,
      suggestions: [`quote each principal: ${quoted}`],
    });
  }
  const where = pass === 1 ? `at position ${err.pos} of policy ${JSON.stringify(expression)}` : `at position ${err.pos} of ${JSON.stringify(source)}, the policy ${JSON.stringify(expression)} as Fabric's parser rewrites it (pass ${pass} of 3)`;
  const message =
    err instanceof ExprUnsupported
      ? `${err.message} ${where} is part of the expression language Fabric's tools evaluate policies with; Weft accepts only AND/OR/OutOf gates, quoted principals and numbers`
      : `${err.message} ${where}`;
  return new PolicyError('POLICY_SYNTAX', message, {
    expression,
    position: err.pos,
    token: err.token,
    expected: "a gate AND/OR/OutOf over quoted principals like 'Org1MSP.member' and nested gates",
  });
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
  // A lone surrogate cannot reach Fabric (Go strings are UTF-8); read it as U+FFFD as Go would.
  if (!/[^\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u.test(expression)) {
    throw new PolicyError('POLICY_SYNTAX', `empty policy expression at position ${expression.length}: expected a gate like OR('Org1MSP.member')`, {
      expression,
      position: expression.length,
      token: '',
      expected: 'a gate (AND, OR or OutOf)',
    });
  }
  let source = expression.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
  const identities: MSPPrincipal[] = [];
  const pasted: Pasted[] = [];
  for (const pass of [1, 2, 3] as const) {
    let value: Value;
    try {
      value = evaluate(parseExprLiteral(source, MAX_POLICY_DEPTH), pass, identities, pasted, true);
    } catch (err) {
      if (err instanceof ExprSyntaxError || err instanceof PassError) throw syntaxError(expression, source, pass, err, pasted);
      throw err;
    }
    if (pass < 3 && value.kind === 'string') {
      if (pass === 1 && !('built' in value)) pasted.push({ value: value.value, pos: value.pos, as: 'policy' });
      source = value.value;
      continue;
    }
    if (pass === 3 && value.kind === 'policy') {
      const envelope = new SignaturePolicyEnvelope();
      envelope.setVersion(0);
      envelope.setRule(value.rule);
      envelope.setIdentitiesList(identities);
      return envelope;
    }
    throw new PolicyError('POLICY_SYNTAX', `invalid policy string at position 0 of policy ${JSON.stringify(expression)}: expected a gate like OR('Org1MSP.member'), got ${typeName(value)}`, {
      expression,
      position: 0,
      token: expression,
      expected: "a gate AND/OR/OutOf over quoted principals like 'Org1MSP.member'",
    });
  }
  throw new Error('unreachable');
}

/** {@link parsePolicyExpression}, serialized: the bytes Fabric's peer CLI puts in a chaincode definition. */
export function compilePolicyExpression(expression: string): Uint8Array {
  return parsePolicyExpression(expression).serializeBinary();
}
