/**
 * `connection.json` templates, as Fabric's ccaas builder (`ccaas_builder/cmd/build`) expands them:
 * its string fields are Go `text/template`s executed against the JSON object in the peer's
 * `CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG`, with `missingkey=error`. One package (one package ID
 * for the whole org) then reaches a chaincode server of each peer's own, as on Kubernetes:
 * `"address": "{{.peername}}-mycc:9999"`. Weft fills `peername` with the peer's ID unless the
 * variable sets it. Only field actions (`{{.name}}`, `{{ .a.b }}`, with Go's `{{-`/`-}}` trims)
 * are expanded: that is what the builder's context (a JSON object) has to offer.
 */
import { ChaincodeError } from '../errors';

/** The peer's environment variable Fabric's ccaas builder reads its template context from. */
export const BUILDER_CONFIG_ENV = 'CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG';

/** What `{{.name}}` in `connection.json` is replaced with: `peername` and the variable's keys. */
export type TemplateContext = Readonly<Record<string, unknown>>;

/**
 * The template context of a peer: `peername` (the peer's ID) and the JSON object in `env`'s
 * {@link BUILDER_CONFIG_ENV}, whose keys win. Throws `CHAINCODE_BAD_OPTIONS` naming the variable
 * when it holds anything but a JSON object.
 */
export function builderConfig(peerName: string | undefined, env: Readonly<Record<string, string | undefined>>): TemplateContext {
  const raw = env[BUILDER_CONFIG_ENV];
  const base = peerName === undefined ? {} : { peername: peerName };
  if (raw === undefined || raw.trim() === '') return base;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new ChaincodeError('CHAINCODE_BAD_OPTIONS', `${BUILDER_CONFIG_ENV} is not JSON: ${(err as Error).message}`, { field: BUILDER_CONFIG_ENV });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ChaincodeError('CHAINCODE_BAD_OPTIONS', `${BUILDER_CONFIG_ENV} must be a JSON object such as {"peername":"org1peer0"}, received ${raw.slice(0, 100)}`, { field: BUILDER_CONFIG_ENV });
  }
  return { ...base, ...(parsed as Record<string, unknown>) };
}

/** Go's `%v` of a JSON number (a float64, `strconv` 'g' shortest): an exponent from 1e+06 up and below 1e-04. */
function goNumber(n: number): string {
  const [mantissa, exp] = n.toExponential().split('e');
  const e = Number(exp);
  if (n === 0 || (e >= -4 && e < 6)) return String(n);
  return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

/** Why a field's template cannot be expanded; the caller names the field. */
export class TemplateProblem extends Error {}

function valueOf(path: readonly string[], context: TemplateContext): string {
  let value: unknown = context;
  for (let i = 0; i < path.length; i++) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new TemplateProblem(`{{.${path.join('.')}}}: .${path.slice(0, i).join('.')} is not an object`);
    }
    if (!Object.prototype.hasOwnProperty.call(value, path[i])) {
      throw new TemplateProblem(`{{.${path.join('.')}}}: map has no entry for key "${path[i]}" (set it in ${BUILDER_CONFIG_ENV})`);
    }
    value = (value as Record<string, unknown>)[path[i]];
  }
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return goNumber(value);
  if (typeof value === 'boolean') return String(value);
  if (value === null) return '<no value>';
  throw new TemplateProblem(`{{.${path.join('.')}}} is ${Array.isArray(value) ? 'an array' : 'an object'}, not text`);
}

const ACTION = /\{\{(-\s)?\s*(.*?)\s*(\s-)?\}\}/gs;
const FIELD = /^\.([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)$/;

/** True when `text` holds a template action. */
export function isTemplate(text: string): boolean {
  return text.includes('{{');
}

/**
 * `text` with each `{{.name}}` replaced from `context`; without a context (a package being built,
 * away from any peer) the actions are only checked. Throws {@link TemplateProblem}.
 */
export function expandTemplate(text: string, context: TemplateContext | undefined): string {
  const literal = (segment: string): string => {
    if (segment.includes('{{')) throw new TemplateProblem(`unclosed action in ${JSON.stringify(text.slice(0, 200))}`);
    return segment;
  };
  let out = '';
  let last = 0;
  for (const m of text.matchAll(ACTION)) {
    const action = m[2];
    const field = FIELD.exec(action);
    if (field === null) {
      throw new TemplateProblem(`{{${action}}} is not supported: only field actions such as {{.peername}} are, naming keys of ${BUILDER_CONFIG_ENV}`);
    }
    const before = literal(text.slice(last, m.index));
    out += m[1] !== undefined ? before.trimEnd() : before;
    out += context === undefined ? '' : valueOf(field[1].split('.'), context);
    last = m.index + m[0].length;
    if (m[3] !== undefined) last += /^\s*/.exec(text.slice(last))?.[0].length ?? 0;
  }
  return out + literal(text.slice(last));
}
