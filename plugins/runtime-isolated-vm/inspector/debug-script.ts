import { Buffer } from 'node:buffer';
import { BUNDLE_FILE } from '../../../core/chaincode/packager';

/** Where the project's files appear in DevTools: `src/contract.ts` of the map is `chaincode:///src/contract.ts`. */
export const DEBUG_SOURCE_ROOT = 'chaincode:///';

/**
 * The bundle's URL: one per package, as every package's bundle is a script of its own. A DevTools
 * connection is to one package, so the sources need no package in their URL: a VS Code
 * `sourceMapPathOverrides` entry (`"chaincode:///*": "<project>/*"`) maps them onto the project
 * across redeploys.
 */
export function debugScriptUrl(packageId: string): string {
  return `${DEBUG_SOURCE_ROOT}${packageId}/${BUNDLE_FILE}`;
}

/**
 * The bundle with its source map appended as a data URL (after the last line, so positions and
 * the stack rewriting that relies on them are unchanged). Sources are made absolute under
 * {@link DEBUG_SOURCE_ROOT}; a map that names its own `sourceRoot` (a build for debugging that
 * points at the project on disk) keeps it. A map that does not parse is left out: DevTools then
 * shows the bundle.
 */
export function debugScript(bundle: string, sourceMap: string | undefined): string {
  if (sourceMap === undefined) return bundle;
  let map: { sources?: unknown; sourceRoot?: unknown };
  try {
    map = JSON.parse(sourceMap) as typeof map;
  } catch {
    return bundle;
  }
  if (typeof map.sourceRoot !== 'string' && Array.isArray(map.sources)) {
    map.sources = map.sources.map((s) => (typeof s === 'string' ? new URL(s, DEBUG_SOURCE_ROOT).href : s));
  }
  const inline = Buffer.from(JSON.stringify(map), 'utf8').toString('base64');
  return `${bundle}\n//# sourceMappingURL=data:application/json;charset=utf-8;base64,${inline}\n`;
}
