import type { z } from 'zod';
import { parse as parseYaml } from 'yaml';

/** Environment variables that override config keys start with this, as Fabric's start with `CORE_` / `ORDERER_`. */
export const CONFIG_ENV_PREFIX = 'WEFT_';

/** The zod internals this walker reads (zod 4 exposes every schema's definition as `_zod.def`). */
interface SchemaDef {
  readonly type: string;
  readonly innerType?: z.ZodType;
  readonly in?: z.ZodType;
  readonly shape?: Record<string, z.ZodType>;
  readonly options?: readonly z.ZodType[];
}

function defOf(schema: z.ZodType | undefined): SchemaDef | undefined {
  return (schema as unknown as { _zod?: { def: SchemaDef } } | undefined)?._zod?.def;
}

/** The schema under wrappers that do not change what a value looks like (defaults, optional, transforms). */
function unwrap(schema: z.ZodType | undefined): SchemaDef | undefined {
  let def = defOf(schema);
  for (let depth = 0; def !== undefined && depth < 16; depth++) {
    const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (inner === undefined) return def;
    def = defOf(inner);
  }
  return def;
}

/** Converts an environment string to what the schema at that key expects, or leaves it for zod to report. */
function convert(text: string, def: SchemaDef | undefined): unknown {
  switch (def?.type) {
    case 'string':
    case 'enum':
    case 'literal':
    case 'template_literal':
      return text;
    case 'number':
    case 'int':
      return text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text;
    case 'boolean':
      return /^true$/i.test(text.trim()) ? true : /^false$/i.test(text.trim()) ? false : text;
    default:
      // Arrays, objects, records and unknowns: YAML, so `[a, b]` or `{x: 1}` work as in the file.
      try {
        return parseYaml(text) as unknown;
      } catch {
        return text;
      }
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The real key for an upper-case path segment: a schema key, else a key already in the file. */
function keyFor(segment: string, def: SchemaDef | undefined, raw: unknown): string | undefined {
  const wanted = segment.toLowerCase();
  const candidates = [...Object.keys(def?.shape ?? {}), ...(isPlainObject(raw) ? Object.keys(raw) : [])];
  return candidates.find((k) => k.toLowerCase() === wanted && !k.includes('_'));
}

/**
 * Sets `segments` (the upper-case parts of one variable's name) in `raw`, guided by `schemas`.
 * Returns the dotted path it set, or undefined (changing nothing) when the name matches no key, so
 * unrelated `WEFT_` variables (the CLI's own, a bench's) are left alone. Keys of free-form maps,
 * such as a plugin's `options`, match only when the file already has them: their spelling cannot
 * be recovered from an upper-case name.
 */
function setPath(raw: Record<string, unknown>, segments: readonly string[], schemas: readonly z.ZodType[], text: string): string | undefined {
  const keys: string[] = [];
  let node: unknown = raw;
  let defs = schemas.map((s) => unwrap(s));
  let leaf: SchemaDef | undefined;
  for (const segment of segments) {
    const objectDef = defs.find((d) => d?.type === 'object' && keyFor(segment, d, undefined) !== undefined);
    const freeForm = objectDef === undefined && (defs.length === 0 || defs.some((d) => d?.type === 'record'));
    const key = objectDef !== undefined ? keyFor(segment, objectDef, undefined) : freeForm ? keyFor(segment, undefined, node) : undefined;
    if (key === undefined) return undefined;
    keys.push(key);
    leaf = objectDef === undefined ? undefined : unwrap(objectDef.shape![key]);
    defs = leaf === undefined ? [] : [leaf];
    node = isPlainObject(node) ? node[key] : undefined;
  }
  // Every part resolved: create missing sections on the way (only schema-known ones can be missing).
  let target = raw;
  for (const key of keys.slice(0, -1)) {
    const next = target[key];
    if (next !== undefined && !isPlainObject(next)) return undefined;
    if (next === undefined) target[key] = {};
    target = target[key] as Record<string, unknown>;
  }
  target[keys[keys.length - 1]] = convert(text, leaf);
  return keys.join('.');
}

/**
 * Applies `WEFT_<PATH>` environment variables to a node config as read from YAML, before it is
 * validated: `WEFT_PEER_LISTENADDRESS=0.0.0.0:7051` sets `peer.listenAddress`, `WEFT_LOGLEVEL`
 * (or Fabric's `FABRIC_LOGGING_SPEC`) sets `logLevel`, `WEFT_PLUGINS_LEDGER_OPTIONS_SYNCHRONOUS` a plugin option the file names. Path
 * parts are the config keys, upper-cased, joined by `_`; values are converted to the key's type
 * (numbers, `true`/`false`, YAML for lists and maps). `schemas` describe the config (the node's
 * own keys and its kind's section). Returns the new config and the paths overridden, sorted.
 */
export function applyConfigEnv(
  raw: unknown,
  schemas: readonly z.ZodType[],
  env: Readonly<Record<string, string | undefined>>,
): { config: unknown; overridden: string[] } {
  if (!isPlainObject(raw)) return { config: raw, overridden: [] };
  const config = structuredClone(raw);
  const overridden: string[] = [];
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (!name.startsWith(CONFIG_ENV_PREFIX) || value === undefined) continue;
    const segments = name.slice(CONFIG_ENV_PREFIX.length).split('_');
    if (segments.some((s) => s === '')) continue;
    const path = setPath(config, segments, schemas, value);
    if (path !== undefined) overridden.push(path);
  }
  // Fabric's own variable for the logging spec, so a Fabric operator's setting carries over;
  // `WEFT_LOGLEVEL`, the more specific, wins when both are set.
  const fabricSpec = env.FABRIC_LOGGING_SPEC;
  if (fabricSpec !== undefined && !overridden.includes('logLevel')) {
    (config as Record<string, unknown>).logLevel = fabricSpec;
    overridden.push('logLevel');
  }
  return { config, overridden: overridden.sort() };
}
