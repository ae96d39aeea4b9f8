/**
 * Turns a Fabric-style Node chaincode project into a Weft package: one script bundled with esbuild
 * (npm dependencies included, so install needs no network), `fabric-contract-api` / `fabric-shim` /
 * `fabric-shim-api` mapped to Weft's in-sandbox implementation, `META-INF/**` carried over, and the
 * whole written in Fabric's package format. TypeScript sources are compiled with the TypeScript
 * compiler so decorator metadata (`design:paramtypes`) is emitted, as `tsc` does for Fabric.
 *
 * esbuild and typescript are loaded only when a package is built: importing core stays light.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as esbuildTypes from 'esbuild';
import { ChaincodeError } from '../errors';
import { checkStateDbFile, packageIdOf, validateLabel, writeChaincodePackage, type ChaincodePackage } from './chaincode-package';
import { SANDBOX_ABI } from './host-api';
import { CONFINED_RESOLVE_EXTENSIONS, PackageConfinement } from './package-confinement';
import { projectEntry, readProjectJson } from './project-entry';
import { SANDBOX_DIR, SANDBOX_ENTRY, UNAVAILABLE, URL_GLOBALS, sandboxFile, sandboxModuleFor, unavailableModule } from './sandbox-modules';

export interface PackageChaincodeOptions {
  /** The chaincode project: a folder holding `package.json`, whose `main` exports the contracts or whose start script runs `node <file>`. */
  readonly projectDir: string;
  /** Fabric label, e.g. `basic_1.0`. */
  readonly label: string;
}

export interface BuiltPackage {
  readonly packageBytes: Uint8Array;
  readonly packageId: string;
  readonly label: string;
  /** The bundled script, for inspection. */
  readonly bundle: string;
  /** What the packager noticed and let through: imports of Node built-ins the sandbox does not offer. */
  readonly warnings: readonly string[];
}

/** The file inside `src/` holding the bundle; `src/package.json`'s `main` points at it. */
export const BUNDLE_FILE = 'weft-bundle.js';
/** Beside the bundle: its source map, which the runtime uses to name project files in chaincode stack traces. */
export const SOURCE_MAP_SUFFIX = '.map';

/** The directory holding Weft's `core/` (the repository, or the installed package). */
const WEFT_ROOT = path.resolve(__dirname, '..', '..');
/**
 * Where esbuild names a module by its path relative to the project: the comment opening it, and the
 * key of its CommonJS / lazy-ESM wrapper.
 */
const MODULE_PATH = /^( {2}\/\/ | {4}")(\.\.\/[^"\s]+)/gm;

/**
 * The bundle with each module outside the project named in a way that does not depend on where the
 * project or Weft sit on this machine: `weft/…` for Weft's own files, `node_modules/…` for a
 * package hoisted above the project. Without it, the same project packaged from another checkout
 * got another package ID.
 */
function stableModulePaths(bundle: string, projectDir: string): string {
  return bundle.replace(MODULE_PATH, (_whole, lead: string, rel: string) => `${lead}${stablePath(rel, projectDir)}`);
}

/** A path relative to the project, as {@link stableModulePaths} names it. */
function stablePath(rel: string, projectDir: string): string {
  if (!rel.startsWith('../')) return rel;
  const abs = path.resolve(projectDir, rel);
  if (abs.startsWith(WEFT_ROOT + path.sep)) return `weft/${path.relative(WEFT_ROOT, abs).split(path.sep).join('/')}`;
  const at = abs.lastIndexOf(`${path.sep}node_modules${path.sep}`);
  return at < 0 ? rel : abs.slice(at + 1).split(path.sep).join('/');
}

/** The bundle's source map with its `sources` named as {@link stableModulePaths} names modules. */
function stableSourceMap(text: string, projectDir: string): string {
  const map = JSON.parse(text) as { sources: string[] };
  map.sources = map.sources.map((source) => stablePath(source, projectDir));
  return JSON.stringify(map);
}

/** How the packager compiles a TypeScript chaincode file: as tsc does for Fabric, decorator metadata included. */
export function compileTypeScript(file: string, source: string): string {
  let ts: typeof import('typescript');
  try {
    // Loaded on demand: typescript is only needed for unbuilt TypeScript projects.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ts = require('typescript') as typeof import('typescript');
  } catch {
    throw new ChaincodeError('CHAINCODE_NEEDS_BUILD', `${file} is TypeScript and the typescript compiler is not installed: build the project first (npm run build) and point package.json main at the output`);
  }
  const out = ts.transpileModule(source, {
    fileName: file,
    reportDiagnostics: true,
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      esModuleInterop: true,
      useDefineForClassFields: false,
      // esbuild chains this map into the bundle's: stack traces and debuggers then point at the
      // TypeScript line, not at the line of the compiler's JavaScript.
      inlineSourceMap: true,
    },
  });
  const errors = (out.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) {
    const text = errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('; ');
    throw new ChaincodeError('CHAINCODE_COMPILE_FAILED', `TypeScript error in ${file}: ${text}`, { file });
  }
  return out.outputText;
}

/** With `confinement`, every import of the project's own files is held to it (a package's sources, bundled at install). */
function weftPlugin(projectDir: string, confinement: PackageConfinement | undefined): esbuildTypes.Plugin {
  return {
    name: 'weft-sandbox',
    setup(build) {
      // Unconfined, only bare imports can name a Weft module; confined, every import is checked.
      build.onResolve({ filter: confinement === undefined ? /^[^./]/ : /.*/ }, (args) => {
        const mapped = sandboxModuleFor(args, projectDir);
        if (mapped !== undefined) {
          if (mapped.namespace === undefined) confinement?.mapped(mapped.path as string);
          return mapped;
        }
        return confinement?.resolve(build, args);
      });
      // First, so that nothing loads from the package that the confinement would refuse.
      if (confinement !== undefined) build.onLoad({ filter: /.*/ }, (args) => (confinement.checkLoad(args), undefined));
      build.onLoad({ filter: /.*/, namespace: UNAVAILABLE }, (args) => ({ contents: unavailableModule(args.path), loader: 'js' }));
      build.onLoad({ filter: /\.tsx?$/ }, (args) => {
        if (args.path.startsWith(SANDBOX_DIR + path.sep)) return undefined;
        if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        const source = fs.readFileSync(args.path, 'utf8');
        return { contents: compileTypeScript(args.path, source), loader: 'js', resolveDir: path.dirname(args.path) };
      });
    },
  };
}

export interface ChaincodeBundle {
  readonly bundle: string;
  /** Source map v3 of the bundle, without the sources' text. */
  readonly sourceMap: string;
  readonly name: string;
  readonly version: string;
  readonly warnings: string[];
}

/**
 * Bundles a project into one script (no package written). With `confineTo`, nothing outside that
 * directory is read on the project's behalf (see `package-confinement.ts`): for a package's sources
 * bundled on the peer at install, where the package's author, not the peer's admin, wrote them.
 */
export async function bundleChaincode(projectDir: string, confineTo?: string): Promise<ChaincodeBundle> {
  const dir = path.resolve(projectDir);
  const confinement = confineTo === undefined ? undefined : new PackageConfinement(confineTo);
  const pkgJson = readProjectJson(path.join(dir, 'package.json'), 'package.json');
  const entry = projectEntry(dir, pkgJson);
  let metadata: unknown;
  for (const rel of ['META-INF/metadata.json', 'contract-metadata/metadata.json']) {
    const f = path.join(dir, rel);
    if (fs.existsSync(f)) metadata = readProjectJson(f, 'contract metadata');
  }
  const name = typeof pkgJson.name === 'string' ? pkgJson.name : '';
  const version = typeof pkgJson.version === 'string' ? pkgJson.version : '';
  // Both paths as the plugin and the project name them, not as this machine does: the source map
  // records columns on these lines, and a longer path would shift them.
  const stdin = [
    `const weft = require(${JSON.stringify(SANDBOX_ENTRY)});`,
    `weft.register(() => require(${JSON.stringify(`./${path.relative(dir, entry).split(path.sep).join('/')}`)}), ${JSON.stringify({ name, version, metadata })});`,
  ].join('\n');

  let result: esbuildTypes.BuildResult;
  try {
    result = await withEsbuild((esbuild) => esbuild.build({
      stdin: { contents: stdin, resolveDir: dir, loader: 'js', sourcefile: 'weft-entry.js' },
      // Paths in the bundle are relative to the project, whichever directory the packager runs in.
      absWorkingDir: dir,
      outfile: path.join(dir, BUNDLE_FILE),
      // Line and column only: the project's source text stays out of the package.
      sourcemap: 'external',
      sourcesContent: false,
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'neutral',
      target: 'es2022',
      mainFields: ['main', 'module'],
      conditions: ['require', 'default'],
      keepNames: true,
      logLevel: 'silent',
      legalComments: 'none',
      inject: [sandboxFile(URL_GLOBALS)],
      plugins: [weftPlugin(dir, confinement)],
      // Confined: no NODE_PATH, no implicit extensions esbuild would load as anything but code, and
      // the inputs listed, for the check after the build.
      ...(confinement === undefined ? {} : { nodePaths: [], resolveExtensions: [...CONFINED_RESOLVE_EXTENSIONS], metafile: true }),
    }));
  } catch (err) {
    const failure = err as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] };
    // Where, as a compiler says it (file:line:column, column from 1): "Expected ';' but found 'is'" alone does not say which file.
    const texts = failure.errors?.map((e) => (e.location ? `${e.location.file}:${e.location.line}:${e.location.column + 1}: ${e.text}` : e.text)) ?? [(err as Error).message];
    const cause = (err as { errors?: { detail?: unknown }[] }).errors?.find((e) => e.detail instanceof ChaincodeError)?.detail;
    if (cause instanceof ChaincodeError) throw cause;
    throw new ChaincodeError('CHAINCODE_BUNDLE_FAILED', `cannot bundle chaincode ${dir}: ${texts.join('; ')}`, { projectDir: dir, errors: texts });
  }
  if (confinement !== undefined) confinement.checkInputs(result.metafile as esbuildTypes.Metafile, dir, [UNAVAILABLE]);
  const outputs = result.outputFiles ?? [];
  const bundle = stableModulePaths(outputs.find((f) => !f.path.endsWith(SOURCE_MAP_SUFFIX))?.text ?? '', dir);
  const sourceMap = stableSourceMap(outputs.find((f) => f.path.endsWith(SOURCE_MAP_SUFFIX))?.text ?? '{"version":3,"sources":[],"mappings":""}', dir);
  return { bundle, sourceMap, name, version, warnings: [...new Set(result.warnings.filter((w) => w.pluginName === 'weft-sandbox').map((w) => w.text))] };
}

/** How long esbuild's service process may sit idle after the last build before it is stopped. */
const ESBUILD_IDLE_MS = 2000;
let esbuildBuilds = 0;
let esbuildIdleStop: NodeJS.Timeout | undefined;
let esbuildStopping: Promise<void> | undefined;

/**
 * Runs `build` with esbuild, loaded on demand so that importing core never loads it. esbuild keeps
 * a service process (~30 MB) once started, for the life of the process: a peer would keep one
 * after its first install of a Fabric-built package, and each jest test file one of its own. It is
 * stopped once no build has run for {@link ESBUILD_IDLE_MS} (an unref'd timer: it holds nothing
 * open), and the next build starts it again.
 */
async function withEsbuild<T>(build: (esbuild: typeof esbuildTypes) => Promise<T>): Promise<T> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof esbuildTypes;
  clearTimeout(esbuildIdleStop);
  esbuildBuilds++;
  try {
    await esbuildStopping;
    return await build(esbuild);
  } finally {
    if (--esbuildBuilds === 0) {
      esbuildIdleStop = setTimeout(() => {
        esbuildStopping = esbuild.stop().finally(() => (esbuildStopping = undefined));
      }, ESBUILD_IDLE_MS).unref();
    }
  }
}

/**
 * A project's `META-INF/` files (hidden ones left out, as Fabric's packager leaves them), its
 * `META-INF/statedb/` index files checked as Fabric's packager checks them.
 */
export function collectMetaInf(projectDir: string): Map<string, Uint8Array> {
  const metaInf = new Map<string, Uint8Array>();
  collectFiles(path.join(path.resolve(projectDir), 'META-INF'), 'META-INF/', metaInf);
  for (const [file, data] of metaInf) if (file.startsWith('META-INF/statedb/')) checkStateDbFile(file, data);
  return metaInf;
}

function collectFiles(root: string, prefix: string, out: Map<string, Uint8Array>): void {
  if (!fs.existsSync(root)) return;
  for (const entry of fs.readdirSync(root, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(root, entry.name);
    if (entry.isDirectory()) collectFiles(full, `${prefix}${entry.name}/`, out);
    else if (entry.isFile()) out.set(`${prefix}${entry.name}`, fs.readFileSync(full));
  }
}

/** Builds a Fabric-format package from a chaincode project. Same inputs give the same bytes. */
export async function packageChaincode(options: PackageChaincodeOptions): Promise<BuiltPackage> {
  validateLabel(options.label);
  const metaInf = collectMetaInf(options.projectDir);
  const { bundle, sourceMap, name, version, warnings } = await bundleChaincode(options.projectDir);
  const pkgJson = { name, version, main: BUNDLE_FILE, weft: { abi: SANDBOX_ABI } };
  const code = new Map<string, Uint8Array>([
    ['src/package.json', Buffer.from(JSON.stringify(pkgJson, undefined, 2))],
    [`src/${BUNDLE_FILE}`, Buffer.from(bundle, 'utf8')],
    [`src/${BUNDLE_FILE}${SOURCE_MAP_SUFFIX}`, Buffer.from(sourceMap, 'utf8')],
    ...metaInf,
  ]);
  const packageBytes = await writeChaincodePackage({ path: path.basename(path.resolve(options.projectDir)), type: 'node', label: options.label }, code);
  return { packageBytes, packageId: packageIdOf(options.label, packageBytes), label: options.label, bundle, warnings };
}

/**
 * Bundles a package made by Fabric's own tooling (`peer lifecycle chaincode package`: sources under
 * `src/`, no `node_modules`), so such packages install unchanged and keep their Fabric package ID.
 * Works when the chaincode needs nothing beyond fabric-contract-api / fabric-shim and the sandbox's
 * built-ins; otherwise the error says to package with Weft, which bundles npm dependencies.
 * The sources are unpacked into a fresh directory under `workDir`, and nothing outside that
 * directory is read on their behalf: an import leading out of it fails `CHAINCODE_FORBIDDEN_IMPORT`.
 */
export async function bundleFabricPackage(pkg: ChaincodePackage, workDir: string = os.tmpdir()): Promise<ChaincodeBundle> {
  checkUnpackable(pkg);
  const tmp = fs.mkdtempSync(path.join(workDir, 'weft-ccsrc-'));
  try {
    for (const [name, data] of pkg.code) {
      const target = path.join(tmp, name);
      if (!target.startsWith(tmp + path.sep)) continue;
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, data);
    }
    try {
      return await bundleChaincode(path.join(tmp, 'src'), tmp);
    } catch (err) {
      // The package's own doing, not a dependency missing: no use packaging it another way.
      if (err instanceof ChaincodeError && err.code === 'CHAINCODE_FORBIDDEN_IMPORT') {
        throw new ChaincodeError(err.code, `package ${pkg.packageId} cannot be installed: ${err.message}`, { packageId: pkg.packageId, ...err.details }, { cause: err });
      }
      const message = err instanceof Error ? err.message.split(tmp + path.sep).join('') : String(err);
      throw new ChaincodeError(
        'CHAINCODE_NOT_BUNDLED',
        `package ${pkg.packageId} holds plain sources that cannot be bundled as they are (${message}); package the project with weft chaincode package, which bundles its npm dependencies`,
        { packageId: pkg.packageId },
        { cause: err },
      );
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Refuses a package naming one path as a file and as a directory (`src/lib` and `src/lib/a.js`): it cannot be unpacked. */
function checkUnpackable(pkg: ChaincodePackage): void {
  for (const name of pkg.code.keys()) {
    const segments = name.split('/');
    for (let i = 1; i < segments.length; i++) {
      const parent = segments.slice(0, i).join('/');
      if (pkg.code.has(parent)) {
        throw new ChaincodeError('CHAINCODE_BAD_PACKAGE', `package ${pkg.packageId} cannot be unpacked: code.tar.gz holds '${parent}' as a file and '${name}' under it`, {
          packageId: pkg.packageId,
          entry: name,
        });
      }
    }
  }
}
