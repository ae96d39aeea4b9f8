import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import type * as esbuildTypes from 'esbuild';
import { ChaincodeError } from '../errors';

/*
 * What a chaincode bundle's bare imports stand for: the sandbox's own modules (the Fabric APIs and
 * the slice of Node built-ins it offers), npm ports of pure-JavaScript built-ins, and a stand-in
 * that throws for every other built-in. The packager's esbuild plugin asks here first.
 */

/** Weft's in-sandbox modules, beside this file. */
export const SANDBOX_DIR = path.join(__dirname, 'sandbox');

/** Node built-ins the sandbox offers (the slice chaincode uses), mapped to sandbox modules. */
const SANDBOX_MODULES: Record<string, string> = {
  'fabric-contract-api': 'fabric-contract-api',
  'fabric-shim': 'fabric-shim',
  'fabric-shim-api': 'fabric-shim',
  crypto: 'node-crypto',
  util: 'node-util',
  url: 'node-url',
  os: 'node-os',
  tty: 'node-tty',
  assert: 'node-assert',
  'assert/strict': 'node-assert-strict',
};

/**
 * Node built-ins whose npm ports (those browserify ships) are plain JavaScript, mapped to the
 * package; the trailing slash makes `require.resolve` find the package, not Node's own module.
 */
const NPM_PORTS: Record<string, string> = {
  buffer: 'buffer/',
  events: 'events/',
  path: 'path-browserify',
  'path/posix': 'path-browserify',
  punycode: 'punycode/',
  stream: 'stream-browserify',
  string_decoder: 'string_decoder/',
};

/**
 * Globals Node has and an isolate lacks, given to the bundle only where its code names them
 * (esbuild's `inject` drops the module when nothing refers to it), as whatwg-url's tables are large.
 */
export const URL_GLOBALS = 'url-globals';
/** How the bundle's generated entry names the sandbox's own entry module. */
export const SANDBOX_ENTRY = 'weft-sandbox-entry';

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
/** The esbuild namespace of the modules standing in for built-ins the sandbox does not offer. */
export const UNAVAILABLE = 'weft-unavailable-builtin';

/**
 * The stand-in for a built-in the sandbox does not offer: requiring it throws, with the code Node
 * gives a missing module, so dependencies that try it and fall back (protobufjs's optional `fs`,
 * `debug`'s Node-only branch) work, and chaincode that needs it fails to load, naming it.
 */
export function unavailableModule(name: string): string {
  const message = `the Node built-in module '${name}' is not available in chaincode: the Weft sandbox offers no I/O, timers or processes`;
  return `const e = new Error(${JSON.stringify(message)}); e.code = 'MODULE_NOT_FOUND'; throw e;`;
}

/** The file of one of Weft's in-sandbox modules, TypeScript in the repository, JavaScript when built. */
export function sandboxFile(name: string): string {
  const base = path.join(SANDBOX_DIR, name);
  for (const ext of ['.ts', '.js']) if (fs.existsSync(base + ext)) return base + ext;
  throw new ChaincodeError('CHAINCODE_PACKAGER_BROKEN', `Weft sandbox module ${base} is missing`);
}

/** The Weft module a bare import stands for (the sandbox's own modules, npm ports, built-ins it lacks), if any. */
export function sandboxModuleFor(args: esbuildTypes.OnResolveArgs, projectDir: string): esbuildTypes.OnResolveResult | undefined {
  const spec = args.path;
  if (!/^[^./]/.test(spec)) return undefined;
  const bare = spec.startsWith('node:') ? spec.slice(5) : spec;
  if (SANDBOX_MODULES[bare] !== undefined) {
    return { path: sandboxFile(SANDBOX_MODULES[bare]) };
  }
  if (spec === SANDBOX_ENTRY) return { path: sandboxFile('entry') };
  if (NPM_PORTS[bare] !== undefined) return { path: require.resolve(NPM_PORTS[bare]) };
  // Side-effect free, so that an unused `inject` leaves it out of the bundle.
  if (spec === 'whatwg-url' && args.importer === sandboxFile(URL_GLOBALS)) return { path: require.resolve('whatwg-url'), sideEffects: false };
  if (bare === 'reflect-metadata') return { path: require.resolve('reflect-metadata') };
  if (NODE_BUILTINS.has(spec)) {
    const from = path.relative(projectDir, args.importer) || args.importer;
    return {
      path: bare,
      namespace: UNAVAILABLE,
      warnings: [{ text: `${from} imports the Node built-in module '${spec}', which the Weft sandbox does not offer: requiring it throws (chaincode may not use I/O, timers or processes)` }],
    };
  }
  return undefined;
}
