import * as http from 'node:http';
import type { ReloadOutcome } from '../../../core/node/certificate-reload';
import type { Progress } from './network-access';
import type { NetworkLayout, NodeLayout } from './network-layout';
import { type OperationsClient, operationsRequest, runningPid, signalReload } from './node-processes';
import { operationsClientOf } from './org-keys';

/** Which of the nodes running here took a rewritten local MSP folder or client root file (a CRL, a renewed CA or TLS CA) without a restart. */
export interface LocalMspReloads {
  /** Nodes whose reload was confirmed by their operations endpoint (their local checks use the folder now). */
  readonly reloaded: string[];
  /** Nodes signalled (SIGHUP) with no endpoint here to confirm it by: their log says whether they took it. */
  readonly signalled: string[];
  /** Nodes that refused the folder, or a process that handles no reload signal: they read it when restarted. */
  readonly restartNeeded: string[];
}

/**
 * Tells each of `nodes` running here to reload, after a command rewrote its local MSP folder:
 * `POST /reload-certificates` on its operations endpoint where this directory can reach it (the
 * outcome comes back, so a refusal is reported with its reason), else SIGHUP. Nodes not running
 * here are left out: they read the folder when they start.
 */
export async function reloadLocalMsps(layout: NetworkLayout, nodes: readonly NodeLayout[], progress: Progress): Promise<LocalMspReloads> {
  const out: LocalMspReloads = { reloaded: [], signalled: [], restartNeeded: [] };
  for (const node of nodes) {
    if (runningPid(node) === undefined) continue;
    const client = operationsClientOf(layout, node);
    const outcome = node.operationsTls && client === undefined ? undefined : await requestReload(node, client);
    if (outcome !== undefined && outcome.result !== 'refused') {
      out.reloaded.push(node.id);
      continue;
    }
    if (outcome?.result === 'refused') {
      progress(`${node.id} refused to reload its local MSP (${outcome.file}: ${outcome.reason}): it keeps the one it had until restarted`);
      out.restartNeeded.push(node.id);
    } else if (signalReload(node) === undefined) {
      progress(`${node.id} does not handle the reload signal (a Weft from before reloads): it reads its local MSP when restarted`);
      out.restartNeeded.push(node.id);
    } else {
      progress(`${node.id} was told to reload (SIGHUP); its log (${node.logFile}) says whether it took its local MSP`);
      out.signalled.push(node.id);
    }
  }
  if (out.reloaded.length > 0) progress(`${out.reloaded.join(', ')} reloaded their local MSP and client CA roots: their local checks and new TLS handshakes use them now`);
  return out;
}

/** `POST /reload-certificates` on the node's operations endpoint (HTTPS trusting its org's TLS CA, as `nodeHealthy`); undefined when it gives no outcome. */
function requestReload(node: NodeLayout, client: OperationsClient | undefined): Promise<ReloadOutcome | undefined> {
  if (node.operationsAddress === undefined) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const answered = (res: http.IncomingMessage): void => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 || res.statusCode === 422 ? (JSON.parse(body) as ReloadOutcome) : undefined);
        } catch {
          resolve(undefined);
        }
      });
    };
    operationsRequest(node, client, { path: '/reload-certificates', method: 'POST', timeoutMs: 10_000 }, answered, () => resolve(undefined));
  });
}
