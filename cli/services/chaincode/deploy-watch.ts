import * as fs from 'node:fs';
import * as path from 'node:path';
import { builtOverSources } from '../../../core/chaincode/project-entry';
import { ChaincodeError } from '../../../core/errors';
import type { DeployResult } from './deploy';

/** How long a project stays unchanged before it is redeployed: an editor's save writes several files at once. */
export const WATCH_DEBOUNCE_MS = 300;

/** What a round of the loop reports: the deploy's result, or why it failed (the loop carries on). */
export type WatchRound = { readonly round: number; readonly changed: readonly string[] } & ({ readonly result: DeployResult } | { readonly error: Error });

export interface WatchLoop {
  /** Subscribes to changes of the project's files (relative paths); returns the unsubscribe. */
  readonly changes: (onChange: (file: string) => void) => () => void;
  /** Deploys the project as it is now; round 1 is the first redeploy after the initial deploy. */
  readonly deploy: (round: number) => Promise<DeployResult>;
  readonly report: (round: WatchRound) => void;
  /** Ends the loop (Ctrl-C): a deploy under way finishes first. */
  readonly signal: AbortSignal;
  readonly debounceMs?: number;
}

/** Paths whose change is not a change of the chaincode: dependencies, VCS and editor files, packages the CLI wrote. */
function ignored(file: string): boolean {
  const parts = file.split(/[\\/]/);
  return parts.some((p) => p === 'node_modules' || p === 'dist' || p.startsWith('.')) || /\.tar\.gz$|~$|\.sw[px]$/.test(file);
}

/**
 * The project's source files as `fs.watch` (recursive) reports them, those {@link ignored} left
 * out. Throws `CHAINCODE_NOT_FOUND` when `projectDir` is not a folder (a package file cannot be watched).
 */
export function projectChanges(projectDir: string): WatchLoop['changes'] {
  const dir = path.resolve(projectDir);
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new ChaincodeError('CHAINCODE_NOT_FOUND', `--watch needs a chaincode project folder; ${dir} is not one`, {
      field: 'source',
      value: dir,
      suggestions: ['pass the project folder (holding package.json), not a package file'],
    });
  }
  return (onChange) => {
    const watcher = fs.watch(dir, { recursive: true }, (_event, file) => {
      if (file !== null && !ignored(file)) onChange(file);
    });
    return () => watcher.close();
  };
}

/**
 * What to tell a developer whose TypeScript project was built once (`npm run build`): each round
 * packages tsc's output, which the loop does not watch and saving a source does not change, so
 * every redeploy would run the old code. Undefined for a project packaged from its sources.
 */
export function staleBuildWarning(projectDir: string): string | undefined {
  const dir = path.resolve(projectDir);
  const built = builtOverSources(dir);
  if (built === undefined) return undefined;
  const rel = (file: string): string => path.relative(dir, file) || '.';
  return (
    `${rel(built.entry)} is the project's build output (tsconfig.json's outDir), and each round packages it as a Fabric peer runs it: ` +
    `saving ${rel(built.source)} changes nothing deployed. Delete ${rel(built.outDir)}/ to have every round compile (and type-check) the sources themselves`
  );
}

/**
 * `weft chaincode deploy --watch`: after the first deploy, deploys again each time the project's
 * files change and then stay unchanged for `debounceMs`, one deploy at a time (changes made
 * during a deploy start one more after it). A round that fails (a TypeScript error, a refused
 * approval) is reported and the loop waits for the next change. Resolves once `signal` aborts.
 */
export function watchAndRedeploy(loop: WatchLoop): Promise<void> {
  const debounceMs = loop.debounceMs ?? WATCH_DEBOUNCE_MS;
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let pending = new Set<string>();
    let deploying: Promise<void> | undefined;
    let round = 0;

    const run = (): void => {
      timer = undefined;
      if (deploying !== undefined || loop.signal.aborted) return;
      const changed = [...pending].sort();
      pending = new Set();
      round++;
      const n = round;
      deploying = loop
        .deploy(n)
        .then(
          (result) => loop.report({ round: n, changed, result }),
          (err: unknown) => loop.report({ round: n, changed, error: err instanceof Error ? err : new Error(String(err)) }),
        )
        .finally(() => {
          deploying = undefined;
          if (loop.signal.aborted) return finish();
          // Saved again while it deployed: that version is not deployed yet.
          if (pending.size > 0 && timer === undefined) timer = setTimeout(run, debounceMs);
        });
    };

    const unsubscribe = loop.changes((file) => {
      pending.add(file);
      if (deploying !== undefined) return;
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(run, debounceMs);
    });

    const finish = (): void => {
      unsubscribe();
      if (timer !== undefined) clearTimeout(timer);
      resolve();
    };
    loop.signal.addEventListener(
      'abort',
      () => {
        // A deploy under way completes (its transactions are submitted); the loop ends after it.
        if (deploying === undefined) finish();
      },
      { once: true },
    );
    if (loop.signal.aborted && deploying === undefined) finish();
  });
}

/**
 * The label of a redeploy's package: the first deploy's label and the time, so that each build's
 * package ID differs from the last even when only a comment changed, and sorts in build order.
 */
export function watchLabel(base: string, now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z').replace('T', '.');
  return `${base}-dev.${stamp}`;
}
