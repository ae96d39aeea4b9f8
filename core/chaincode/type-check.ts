/**
 * Type-checks a TypeScript chaincode project before it is packaged, as `tsc` in the project's
 * `npm run build` would: the packager compiles each file on its own (types stripped, none checked),
 * so without this a type error packaged and deployed. Fabric's peer builds no TypeScript (its node
 * build runs `npm install --omit=dev`); a Fabric developer runs `npm run build` before
 * `peer lifecycle chaincode package`, and tsc stops there. CLI-only: nothing per transaction calls it.
 *
 * typescript is loaded only here, on demand: importing core stays light.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tsTypes from 'typescript';
import { ChaincodeError } from '../errors';
import { projectEntry, readProjectJson } from './project-entry';

/** The most diagnostics a refusal lists; the rest are counted. tsc's own output is there for the whole list. */
export const MAX_LISTED_TYPE_ERRORS = 20;

/** Which TypeScript compiler checked the project, for the CLI to say. */
export interface TypeCheckedWith {
  readonly version: string;
  /** `project`: the project's own (as its `npm run build` runs it); `weft`: Weft's, the project having none. */
  readonly from: 'project' | 'weft';
}

export interface TypeCheckOutcome {
  /** Set when the types were checked and hold; undefined when there was nothing to check or no compiler. */
  readonly checkedWith?: TypeCheckedWith;
  /** Why the types were not checked, when the project is TypeScript and they were not. */
  readonly warnings: readonly string[];
}

type TypeScript = typeof tsTypes;

const TS_SOURCE = /\.(?:ts|tsx|mts|cts)$/;
/** TypeScript's "File '{0}' not found.", which a tsconfig.json `extends` naming a missing file gets. */
const FILE_NOT_FOUND = 6053;

/**
 * Checks the project's types with its own `tsconfig.json` (noEmit), when the file the packager
 * would bundle is TypeScript (an unbuilt project: see `project-entry.ts`). Throws
 * `CHAINCODE_TYPE_ERRORS` listing each error as `file:line:column: TSnnnn text`, files relative to
 * the project. A JavaScript or already-built project is left alone. Writes nothing.
 */
export function checkProjectTypes(projectDir: string): TypeCheckOutcome {
  const dir = path.resolve(projectDir);
  const entry = projectEntry(dir, readProjectJson(path.join(dir, 'package.json'), 'package.json'));
  if (!TS_SOURCE.test(entry)) return { warnings: [] };
  const rel = relativeTo(dir, entry);
  const tsconfig = path.join(dir, 'tsconfig.json');
  if (!fs.existsSync(tsconfig)) {
    return { warnings: [`${rel} is TypeScript but the project has no tsconfig.json: its types were not checked (tsc, as npm run build runs it, needs one)`] };
  }
  const compiler = loadTypeScript(dir);
  if (compiler === undefined) {
    return { warnings: [`${rel} is TypeScript but no typescript compiler is installed, in the project or beside Weft: its types were not checked (npm install in the project brings its own)`] };
  }
  const errors = diagnosticsOf(compiler.ts, dir, tsconfig);
  if (!Array.isArray(errors)) return { warnings: [`${rel} is TypeScript but its types were not checked: ${errors.unchecked}`] };
  if (errors.length > 0) {
    const listed = errors.slice(0, MAX_LISTED_TYPE_ERRORS);
    const more = errors.length - listed.length;
    const lines = [...listed, ...(more > 0 ? [`… and ${more} more`] : [])];
    throw new ChaincodeError(
      'CHAINCODE_TYPE_ERRORS',
      `chaincode project ${dir} has ${errors.length} TypeScript error${errors.length === 1 ? '' : 's'} (checked as tsc does with its tsconfig.json, typescript ${compiler.ts.version}):\n${lines.map((l) => `  ${l}`).join('\n')}`,
      {
        projectDir: dir,
        errors: listed,
        count: errors.length,
        typescript: compiler.ts.version,
        suggestions: ['fix them and package again', 'for a project whose build is not tsc with its tsconfig.json: --no-type-check (weft chaincode package, deploy and install take it)'],
      },
    );
  }
  return { checkedWith: { version: compiler.ts.version, from: compiler.from }, warnings: [] };
}

/**
 * The project's own typescript, resolved from its folder as `tsc` in its `npm run build` is (npm puts
 * the `node_modules/.bin` of the project and of each folder above it on the PATH); else Weft's.
 */
function loadTypeScript(dir: string): { ts: TypeScript; from: TypeCheckedWith['from'] } | undefined {
  const own = compilerAt(resolveFrom('typescript', [dir]));
  if (own !== undefined) return { ts: own, from: 'project' };
  const weft = compilerAt(resolveFrom('typescript', undefined));
  return weft === undefined ? undefined : { ts: weft, from: 'weft' };
}

function resolveFrom(name: string, paths: string[] | undefined): string | undefined {
  try {
    return require.resolve(name, paths === undefined ? undefined : { paths });
  } catch {
    return undefined;
  }
}

/** The compiler API at `file`, if it loads and has one (a broken install, or a compiler without the JavaScript API, has not). */
function compilerAt(file: string | undefined): TypeScript | undefined {
  if (file === undefined) return undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ts = require(file) as Partial<TypeScript>;
    return typeof ts.createProgram === 'function' && typeof ts.getParsedCommandLineOfConfigFile === 'function' ? (ts as TypeScript) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The errors tsc would print for the project, in its order (config and options, then syntax, and
 * only when the code parses, types), formatted; warnings and suggestions left out. The one
 * difference: declaration files under node_modules and TypeScript's own libs are not checked
 * themselves (as `skipLibCheck` would, for them only). They are not the chaincode's code, and
 * checking them was nine tenths of the time: 11.7 s of tsc's on chaincode-examples/asset-transfer.
 */
function diagnosticsOf(ts: TypeScript, dir: string, tsconfig: string): string[] | { unchecked: string } {
  const configErrors: tsTypes.Diagnostic[] = [];
  const parsed = ts.getParsedCommandLineOfConfigFile(tsconfig, { noEmit: true }, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => configErrors.push(d),
  });
  const format = (all: readonly tsTypes.Diagnostic[]): string[] => all.filter((d) => d.category === ts.DiagnosticCategory.Error).map((d) => formatDiagnostic(ts, dir, d));
  if (parsed === undefined) return format(configErrors);
  // A base config from a package (fabric-samples' `"extends": "@tsconfig/node20/tsconfig.json"`) is
  // there only once the project's dev dependencies are installed, which packaging does not need.
  const missingBase = parsed.errors.find((d) => d.code === FILE_NOT_FOUND && d.file !== undefined);
  if (missingBase !== undefined) {
    return { unchecked: `${formatDiagnostic(ts, dir, missingBase)} (npm install in the project installs what its tsconfig.json extends)` };
  }
  // Emit-only settings that tsc refuses beside noEmit; nothing is emitted, so they change no check.
  const options: tsTypes.CompilerOptions = { ...parsed.options, noEmit: true, emitDeclarationOnly: undefined, composite: undefined, incremental: undefined, tsBuildInfoFile: undefined };
  const host = ts.createCompilerHost(options, true);
  withWeftFallback(ts, host, options);
  const program = ts.createProgram({ rootNames: parsed.fileNames, options, host, projectReferences: parsed.projectReferences });
  const own = program.getSourceFiles().filter((f) => !program.isSourceFileDefaultLibrary(f) && !f.fileName.split(/[\\/]/).includes('node_modules'));
  const setup = format([...parsed.errors, ...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()]);
  const syntax = format(own.flatMap((f) => program.getSyntacticDiagnostics(f)));
  if (syntax.length > 0) return [...setup, ...syntax];
  const declarations = parsed.options.declaration === true || parsed.options.composite === true;
  return [...setup, ...format(own.flatMap((f) => [...program.getSemanticDiagnostics(f), ...(declarations ? program.getDeclarationDiagnostics(f) : [])]))];
}

/**
 * Module resolution as tsc's, except that a package the project has not installed is looked for
 * beside Weft too: the packager bundles fabric-contract-api, fabric-shim and Node's built-ins from
 * Weft for a project with no node_modules (no npm install needed), so their types come from there.
 */
function withWeftFallback(ts: TypeScript, host: tsTypes.CompilerHost, options: tsTypes.CompilerOptions): void {
  const cache = ts.createModuleResolutionCache(host.getCurrentDirectory(), (f) => host.getCanonicalFileName(f), options);
  // Resolved as if imported by a file of Weft's core: node_modules above it hold Weft's dependencies.
  const besideWeft = path.join(__dirname, 'type-check.ts');
  const resolve = (name: string, containingFile: string, mode: tsTypes.ResolutionMode): tsTypes.ResolvedModuleWithFailedLookupLocations => {
    const own = ts.resolveModuleName(name, containingFile, options, host, cache, undefined, mode);
    if (own.resolvedModule !== undefined || name.startsWith('.') || path.isAbsolute(name)) return own;
    const weft = ts.resolveModuleName(name, besideWeft, options, host, cache, undefined, mode);
    return weft.resolvedModule !== undefined ? weft : own;
  };
  host.resolveModuleNameLiterals = (literals, containingFile, _redirected, opts, containingSourceFile) =>
    literals.map((literal) => resolve(literal.text, containingFile, ts.getModeForUsageLocation(containingSourceFile, literal, opts)));
  // typescript before 5.0 (a project's own may be older) knows only this hook.
  host.resolveModuleNames = (names, containingFile) => names.map((name) => resolve(name, containingFile, undefined).resolvedModule);
}

/** `file:line:column: TSnnnn text` (file relative to the project, line and column from 1), one line. */
function formatDiagnostic(ts: TypeScript, dir: string, d: tsTypes.Diagnostic): string {
  const text = ts.flattenDiagnosticMessageText(d.messageText, '\n').split('\n').map((l) => l.trim()).join(' ');
  if (d.file === undefined || d.start === undefined) return `TS${d.code} ${text}`;
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  return `${relativeTo(dir, d.file.fileName)}:${line + 1}:${character + 1}: TS${d.code} ${text}`;
}

function relativeTo(dir: string, file: string): string {
  return path.relative(dir, file).split(path.sep).join('/');
}
