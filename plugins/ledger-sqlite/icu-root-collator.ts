import * as fs from 'node:fs';
import * as path from 'node:path';
import { LedgerError } from '../../core/errors';

/**
 * ICU's root collator, as CouchDB collates strings (couch_ejson_compare.c: `ucol_open("")`, default
 * attributes), through native/icu-collation: a small Node-API addon that calls the ICU the node
 * binary itself exports, so Weft and Node agree on one ICU and the collation changes only with it.
 */
export interface IcuAddon {
  open(symbolSuffix: string): string;
  sortKey(text: string): Buffer;
}

const ADDON_DIR = path.join('native', 'icu-collation');
/** A build from source (`WEFT_BUILD_FROM_SOURCE=1 npm install`) first, else the platform's prebuilt binary. */
const ADDON_FILES = [path.join('build', 'Release', 'icu_collation.node'), path.join('prebuilds', `${process.platform}-${process.arch}`, 'icu_collation.node')];

/** A loaded addon: its file and the ICU symbol suffix it opened with, which a worker thread needs to load it again. */
export interface LoadedIcu {
  readonly addon: IcuAddon;
  readonly version: string;
  readonly file: string;
  readonly suffix: string;
}

let loaded: LoadedIcu | undefined;

/** The addon from the package root: two levels up from this file in a checkout, three in `dist/`. */
function findAddon(): string | undefined {
  for (let dir = __dirname, up = 0; up < 4; up++, dir = path.dirname(dir)) {
    const file = ADDON_FILES.map((f) => path.join(dir, ADDON_DIR, f)).find((f) => fs.existsSync(f));
    if (file !== undefined) return file;
  }
  return undefined;
}

function unavailable(message: string, cause?: unknown): LedgerError {
  return new LedgerError('LEDGER_COLLATION_UNAVAILABLE', `ICU collation for rich queries is unavailable: ${message}`, { addon: ADDON_DIR }, { cause });
}

function load(): LoadedIcu {
  if (loaded !== undefined) return loaded;
  const file = findAddon();
  if (file === undefined) throw unavailable(`no prebuilt ${ADDON_DIR} binary for ${process.platform}-${process.arch} and none built; run \`npm run install\` (node-gyp) in the Weft package`);
  loaded = openAddon(file);
  return loaded;
}

/** Loads one addon binary and opens the root collator of this Node's ICU through it; exported for the install test. */
export function openAddon(file: string): LoadedIcu {
  let addon: IcuAddon;
  try {
    const module_ = { exports: {} };
    process.dlopen(module_, file);
    addon = module_.exports as IcuAddon;
  } catch (e) {
    throw unavailable(`cannot load ${file}: ${(e as Error).message}`, e);
  }
  // ICU renames its C symbols per major version (ucol_open_78); a build without renaming has none.
  const major = (process.versions.icu ?? '').split('.')[0];
  let version: string | undefined;
  let opened = '';
  let lastError: unknown;
  for (const suffix of major === '' ? [''] : [`_${major}`, '']) {
    try {
      version = addon.open(suffix);
      opened = suffix;
      break;
    } catch (e) {
      lastError = e;
    }
  }
  if (version === undefined) throw unavailable(`Node.js ${process.version} (ICU ${process.versions.icu ?? 'none'}): ${(lastError as Error).message}`, lastError);
  return { addon, version, file, suffix: opened };
}

/** Where the addon is and how it opened: a worker thread loads it the same way. */
export function icuAddonLocation(): { file: string; suffix: string } {
  const { file, suffix } = load();
  return { file, suffix };
}

/** The root collator's version (`ucol_getVersion`): sort keys stored under one version are stale under another. */
export function icuCollatorVersion(): string {
  return load().version;
}

/**
 * The root collator's sort key of `text`: two strings compare as their keys do byte for byte, equal
 * keys meaning equal strings to ICU (and so to CouchDB's `$eq`). No byte of a key is 0.
 */
export function icuSortKey(text: string): Buffer {
  return load().addon.sortKey(text);
}
