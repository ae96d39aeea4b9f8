import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../../../core/errors';
import type { Progress } from './network-access';
import { networkDown, networkUp } from './network-control';
import type { NetworkLayout, NodeLayout } from './network-layout';
import { runningPid } from './node-processes';
import { shellWord } from '../../../core/node/shell-word';

/** The record's file: beside the nodes' pid files, so it lives and goes with the directory's processes. */
const RECORD_FILE = 'renew-stopped.json';

/** Per recovery under way (an org's MSP ID, or `all` for `--all-expired`), the nodes it stopped. */
type StopRecord = Record<string, { stopped: string[] }>;

function recordFile(network: NetworkLayout): string {
  return path.join(network.dir, 'run', RECORD_FILE);
}

function readRecord(network: NetworkLayout): StopRecord {
  const file = recordFile(network);
  if (!fs.existsSync(file)) return {};
  const text = fs.readFileSync(file, 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('BAD_RECOVERY_RECORD', `${file}: expected the JSON record of the nodes a certificate recovery stopped, got text that does not parse (${(err as Error).message})`, {
      field: 'file',
      file,
      suggestions: [`start the nodes it named with weft network up ${shellWord(network.dir)} --node <id>, then delete ${file}`],
    });
  }
  const entry = (v: unknown): boolean => typeof v === 'object' && v !== null && Array.isArray((v as { stopped?: unknown }).stopped) && (v as { stopped: unknown[] }).stopped.every((id) => typeof id === 'string');
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Object.values(parsed).every(entry)) {
    throw new ConfigError('BAD_RECOVERY_RECORD', `${file}: expected an object of recovery name to {"stopped": [node ids]}, got ${text.slice(0, 80)}`, { field: 'file', file });
  }
  return parsed as StopRecord;
}

/** Written beside and renamed onto the record: a reader sees the old record or the new one. */
function writeRecord(network: NetworkLayout, record: StopRecord): void {
  const file = recordFile(network);
  if (Object.keys(record).length === 0) {
    fs.rmSync(file, { force: true });
    return;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(record, undefined, 2)}\n`);
  fs.renameSync(`${file}.tmp`, file);
}

/** Whether a run of the recovery named `recovery` began changing things and has not finished. */
export function recoveryUnderway(network: NetworkLayout, recovery: string): boolean {
  return readRecord(network)[recovery] !== undefined;
}

/** The nodes that the recovery named `recovery` stopped and a run of it has not yet finished (a resumed run starts them). */
export function recordedStops(network: NetworkLayout, recovery: string): string[] {
  return readRecord(network)[recovery]?.stopped ?? [];
}

/**
 * Records that the recovery named `recovery` is under way, with `ids` among the nodes it stopped,
 * then stops them (`run/renew-stopped.json`): a run that fails after this leaves the record, and the
 * next run of the same recovery knows it is one to finish and starts them ({@link nodesToStart}),
 * while a node the operator had stopped is never in it. Called once a run is to change something.
 */
export async function stopForRecovery(dir: string, network: NetworkLayout, recovery: string, ids: readonly string[], progress: Progress): Promise<void> {
  const record = readRecord(network);
  record[recovery] = { stopped: [...new Set([...(record[recovery]?.stopped ?? []), ...ids])] };
  writeRecord(network, record);
  if (ids.length > 0) await networkDown(dir, 10_000, progress, ids);
}

/** The recovery named `recovery` finished: its record goes (another recovery's stays). */
export function clearRecordedStops(network: NetworkLayout, recovery: string): void {
  const record = readRecord(network);
  if (record[recovery] === undefined) return;
  delete record[recovery];
  writeRecord(network, record);
}

/** Which of a recovery's nodes it starts, and which it leaves as the operator had them. */
export interface StartPlan {
  /** Not running, and stopped by this recovery (this run or an earlier one of it) or running when this run began. */
  readonly start: string[];
  /** Not running, and neither: stopped before the recovery, left stopped. */
  readonly leftStopped: string[];
}

/**
 * The start rule every recovery follows: of `scope` (the org's nodes here, or every node), a node
 * that does not run is started only when the recovery stopped it (`recorded`) or it ran when the
 * run began (`runningAtStart`: a node that went down during the run); one stopped before, perhaps
 * on purpose, stays stopped and is named.
 */
export function nodesToStart(scope: readonly NodeLayout[], runningAtStart: readonly string[], recorded: readonly string[]): StartPlan {
  const down = scope.filter((n) => runningPid(n) === undefined).map((n) => n.id);
  const ours = new Set([...runningAtStart, ...recorded]);
  return { start: down.filter((id) => ours.has(id)), leftStopped: down.filter((id) => !ours.has(id)) };
}

/** Starts `plan.start` and says which nodes were left stopped and how to start them. */
export async function startPlanned(dir: string, plan: StartPlan, progress: Progress): Promise<void> {
  if (plan.start.length > 0) await networkUp(dir, progress, plan.start);
  if (plan.leftStopped.length > 0) {
    progress(`${plan.leftStopped.join(', ')} ${plan.leftStopped.length === 1 ? 'was' : 'were'} stopped before the recovery: left stopped (start with weft network up ${shellWord(dir)} --node <id>)`);
  }
}
