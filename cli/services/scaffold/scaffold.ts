import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../../../core/errors';
import { SLOTS, type Slot } from '../../../core/node/slots';
import { weftRoot } from '../repo-root';
import { renderTree, writeTree } from '../templates/render-tree';

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

export interface ScaffoldResult {
  readonly dir: string;
  readonly files: string[];
  /** How the generated package.json reaches Weft (`file:` path, resolved by `npm install` without a registry). */
  readonly weftDependency: string;
}

function checkName(name: string, what: string): void {
  if (!NAME.test(name)) {
    throw new ConfigError('BAD_NAME', `${what} name "${name}" is not valid: expected lower-case words joined by dashes, e.g. my-assets`, {
      name,
      suggestions: [`try: ${name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'my-project'}`],
    });
  }
}

/** `my-assets` → `MyAssets`. */
export function pascalCase(name: string): string {
  return name
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

function weftDependency(target: string): string {
  const rel = path.relative(target, weftRoot()) || '.';
  return `file:${rel.split(path.sep).join('/')}`;
}

/**
 * Weft's own `allowScripts`, as the generated package.json's: npm 11 lists every dependency install
 * script it was not told about, and a project depending on Weft sees Weft's dependencies too.
 */
function allowScripts(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(weftRoot(), 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
  return JSON.stringify(pkg.allowScripts ?? {}, null, 2).replace(/\n/g, '\n  ');
}

/** `weft new chaincode`: a contract project (TypeScript or JavaScript) with tests run through Weft's runtime. */
export function scaffoldChaincode(name: string, lang: 'ts' | 'js', dir: string | undefined): ScaffoldResult {
  checkName(name, 'chaincode');
  const target = path.resolve(dir ?? name);
  const dependency = weftDependency(target);
  const files = renderTree(`chaincode/${lang}`, {
    name,
    className: `${pascalCase(name)}Contract`,
    weftDependency: dependency,
    allowScripts: allowScripts(),
  }, { name });
  writeTree(target, files);
  return { dir: target, files: files.map((f) => f.path), weftDependency: dependency };
}

/** `weft new plugin`: a plugin package for one slot whose test runs that slot's core conformance suite. */
export function scaffoldPlugin(name: string, slot: Slot, dir: string | undefined): ScaffoldResult {
  checkName(name, 'plugin');
  if (!SLOTS.includes(slot)) {
    throw new ConfigError('BAD_SLOT', `unknown slot "${slot}"; expected one of ${SLOTS.join(', ')}`, { slot, suggestions: [`--slot ${SLOTS[0]}`] });
  }
  const target = path.resolve(dir ?? name);
  const dependency = weftDependency(target);
  const files = renderTree('plugin', { name, slot, className: pascalCase(name), weftDependency: dependency, allowScripts: allowScripts() }, { name });
  writeTree(target, files);
  return { dir: target, files: files.map((f) => f.path), weftDependency: dependency };
}
