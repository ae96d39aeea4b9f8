import * as fs from 'node:fs';
import * as path from 'node:path';
import { PluginError } from '../errors';
import { asWeftPlugin, type WeftPlugin } from './plugin';

/**
 * The plugins that ship with Weft, by name. Each lives in `plugins/<name>/` and is required only
 * when a config names it, so a node that uses another ledger never loads the SQLite ledger.
 */
export const STOCK_PLUGINS = [
  'ledger-sqlite',
  'msp-x509',
  'policy-fabric',
  'runtime-isolated-vm',
  'runtime-ccaas',
  'orderer-solo',
] as const;

const stockRoot = path.resolve(__dirname, '..', '..', 'plugins');

/**
 * Resolves a plugin reference from a config: a stock name, a path (absolute, or starting with `.`,
 * relative to `baseDir`) or an npm package name resolvable from `baseDir`.
 */
export function loadPlugin(ref: string, baseDir: string): WeftPlugin {
  if ((STOCK_PLUGINS as readonly string[]).includes(ref)) {
    return asWeftPlugin(requireFrom(path.join(stockRoot, ref), ref), `stock plugin "${ref}"`);
  }
  if (ref.startsWith('.') || path.isAbsolute(ref)) {
    const target = path.resolve(baseDir, ref);
    if (!fs.existsSync(target)) {
      throw new PluginError('PLUGIN_NOT_FOUND', `plugin path ${target} does not exist (from "${ref}" relative to ${baseDir})`, {
        ref,
        target,
      });
    }
    return asWeftPlugin(requireFrom(target, ref), `plugin at ${target}`);
  }
  let resolved: string;
  try {
    resolved = require.resolve(ref, { paths: [baseDir] });
  } catch {
    throw new PluginError(
      'PLUGIN_UNKNOWN',
      `unknown plugin "${ref}": it is not a stock plugin (${STOCK_PLUGINS.join(', ')}), not a path, and no npm package of that name is installed under ${baseDir}`,
      { ref, known: [...STOCK_PLUGINS] },
    );
  }
  return asWeftPlugin(requireFrom(resolved, ref), `plugin package "${ref}"`);
}

function requireFrom(target: string, ref: string): unknown {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(target);
  } catch (err) {
    throw new PluginError('PLUGIN_LOAD_FAILED', `plugin "${ref}" failed to load from ${target}: ${(err as Error).message}`, { ref, target }, {
      cause: err,
    });
  }
}
