import { X509Certificate } from 'node:crypto';
import type * as http from 'node:http';
import { ConfigError, WeftError } from '../../../core/errors';
import { LogSpec } from '../../../core/node/log-spec';
import { openNetwork, type Progress } from './network-access';
import { namedNodes, nodesRunFromHere } from './network-control';
import type { NetworkLayout, NodeLayout, UserLayout } from './network-layout';
import { type OperationsClient, operationsEndpoint, operationsRequest, runningPid } from './node-processes';
import { resolveMspOrg } from './org-msp-channels';
import { nodeKeysHere, operationsClientOf } from './org-keys';
import { shellWord } from '../../../core/node/shell-word';

/** One node's logging spec, as its `GET /logspec` answers it (normalized: `name=level` entries sorted, then the bare level). */
export interface NodeLogSpec {
  readonly id: string;
  readonly kind: 'peer' | 'orderer';
  readonly mspId: string;
  /** The spec it runs with now (after the change, when one was asked for). */
  readonly spec: string;
  /** With a change: the spec it ran with before. */
  readonly previous?: string;
}

export interface LogSpecResult {
  /** The spec sent, normalized as the nodes show it; absent when only reading. */
  readonly requested?: string;
  readonly nodes: NodeLogSpec[];
  /** Nodes run from this directory that do not run now, left out of the default selection. */
  readonly notRunning: string[];
}

export interface LogSpecRequest {
  /** `--node`: these nodes, wherever they run. */
  readonly nodes?: readonly string[];
  /** `--org`: every node of this org (name, MSP ID or domain). */
  readonly org?: string;
  /** `--spec`: set this Fabric logging spec; absent to read only. */
  readonly spec?: string;
}

const TIMEOUT_MS = 5000;

/**
 * `weft network logspec`: reads, or sets and reads back, the logging spec of nodes through their
 * operations endpoint (`GET|PUT /logspec`, HTTPS with a client certificate of the node's org's TLS
 * CA where the endpoint serves TLS, as `network status` reaches it). By default every node run
 * from this directory that is running. The spec is parsed here first, as the node would, and every
 * node is asked for its current spec before any is changed: a node that is down, unreachable or
 * refuses this directory's certificate fails the command with nothing changed.
 */
export async function nodeLogSpecs(dir: string, request: LogSpecRequest, progress: Progress): Promise<LogSpecResult> {
  const requested = request.spec === undefined ? undefined : checkedSpec(request.spec);
  const layout = openNetwork(dir);
  const { nodes, notRunning } = await selectNodes(layout, request);
  if (notRunning.length > 0) progress(`left out, not running: ${notRunning.join(', ')}`);
  const unchanged = requested === undefined ? '' : '; nothing was changed';
  const targets = await allNodes(nodes, async (node) => ({ node, client: clientFor(layout, node) }), () => unchanged);
  const before = await allNodes(targets, ({ node, client }) => getSpec(layout, node, client), () => unchanged);
  if (requested === undefined) return { nodes: targets.map(({ node }, i) => entry(node, before[i]!)), notRunning };
  const changed: string[] = [];
  const after = await allNodes(
    targets,
    async ({ node, client }) => {
      await putSpec(layout, node, client, requested);
      changed.push(node.id);
      return getSpec(layout, node, client);
    },
    () => (changed.length === 0 ? '; no node was changed' : `; changed: ${changed.join(', ')}`),
    changed,
  );
  return { requested, nodes: targets.map(({ node }, i) => ({ ...entry(node, after[i]!), previous: before[i]! })), notRunning };
}

function entry(node: NodeLayout, spec: string): NodeLogSpec {
  return { id: node.id, kind: node.kind, mspId: node.mspId, spec };
}

/** The spec normalized; `LOG_SPEC_INVALID` naming `--spec` and the segment when the node would refuse it. */
function checkedSpec(spec: string): string {
  try {
    return LogSpec.parse(spec).toString();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new ConfigError('LOG_SPEC_INVALID', `--spec: ${err.message}`, {
      ...err.details,
      field: '--spec',
      suggestions: ['a level (trace, debug, info, warn, error, fatal, or Fabric\'s names), or levels per logger: warn:committer,peer.blocksprovider=debug'],
    });
  }
}

/** `--node` ones, `--org`'s, or by default those on this machine whose keys are here (as `network up` starts them) and that run. */
async function selectNodes(layout: NetworkLayout, request: LogSpecRequest): Promise<{ nodes: NodeLayout[]; notRunning: string[] }> {
  if (request.nodes !== undefined && request.nodes.length > 0) return { nodes: namedNodes(layout, layout.nodes(), request.nodes), notRunning: [] };
  if (request.org !== undefined) {
    const mspId = resolveMspOrg(layout, request.org).mspId;
    return { nodes: layout.nodes().filter((n) => n.mspId === mspId), notRunning: [] };
  }
  const here = await nodesRunFromHere(layout);
  const running = here.filter((n) => runningPid(n) !== undefined);
  if (here.length === 0) {
    throw new WeftError('NO_NODES_HERE', `no node of the network in ${layout.dir} runs from this directory: none is on this machine with its keys here`, {
      suggestions: ['name nodes with --node <id>, or an org with --org <org>'],
    });
  }
  if (running.length === 0) {
    throw new WeftError('NODE_NOT_RUNNING', `none of the nodes run from ${layout.dir} is running (${here.map((n) => n.id).join(', ')})`, {
      suggestions: [`start them: weft network up ${shellWord(layout.dir)}`],
    });
  }
  return { nodes: running, notRunning: here.filter((n) => !running.includes(n)).map((n) => n.id) };
}

/** The TLS client this directory presents to the node's HTTPS endpoint; undefined over plain HTTP. */
function clientFor(layout: NetworkLayout, node: NodeLayout): OperationsClient | undefined {
  if (operationsEndpoint(node) === undefined) {
    throw new WeftError('NO_OPERATIONS_ENDPOINT', `${node.id} has no operations endpoint in network.yaml, so its log spec cannot be read or set from here`, {
      node: node.id,
      suggestions: ["set it where the node runs: logLevel in its config, or FABRIC_LOGGING_SPEC in its environment, then restart it"],
    });
  }
  if (!node.operationsTls) return undefined;
  const client = operationsClientOf(layout, node);
  if (client !== undefined) return client;
  const user = operationsUser(layout, node);
  throw new WeftError(
    'KEY_NOT_HERE',
    `${node.id} serves /logspec over TLS to client certificates of ${node.mspId}'s TLS CA only, and this directory holds no TLS client key of ${node.mspId}${user === undefined ? '' : ` (${user.tlsKeyPath} is absent)`}`,
    { node: node.id, mspId: node.mspId, suggestions: [`run this where ${node.mspId}'s keys are: the directory weft network init made, or one weft network export made with --org ${node.mspId}`] },
  );
}

function operationsUser(layout: NetworkLayout, node: NodeLayout): UserLayout | undefined {
  if (node.kind === 'orderer') return layout.ordererAdmin();
  const org = layout.networkSpec.orgs.find((o) => o.mspId === node.mspId);
  return org === undefined ? undefined : layout.user(org, 'Admin');
}

async function getSpec(layout: NetworkLayout, node: NodeLayout, client: OperationsClient | undefined): Promise<string> {
  const answer = await call(layout, node, client, { method: 'GET' });
  const spec = parsedBody(answer.body)?.spec;
  if (answer.status === 200 && typeof spec === 'string') return spec;
  throw answerError(layout, node, client, 'GET', answer);
}

async function putSpec(layout: NetworkLayout, node: NodeLayout, client: OperationsClient | undefined, spec: string): Promise<void> {
  const answer = await call(layout, node, client, { method: 'PUT', json: { spec } });
  if (answer.status === 204 || answer.status === 200) return;
  throw answerError(layout, node, client, 'PUT', answer);
}

function parsedBody(body: string): Record<string, unknown> | undefined {
  try {
    const json: unknown = JSON.parse(body);
    return typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function urlOf(node: NodeLayout): string {
  return `${node.operationsTls ? 'https' : 'http'}://${node.operationsAddress}/logspec`;
}

/** One `/logspec` request; a node that does not answer is `NODE_NOT_RUNNING` or `NODE_NOT_ANSWERING`, saying what to do. */
function call(layout: NetworkLayout, node: NodeLayout, client: OperationsClient | undefined, request: { method: 'GET' | 'PUT'; json?: unknown }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const answered = (res: http.IncomingMessage): void => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (err) => reject(notAnswering(layout, node, err)));
    };
    try {
      operationsRequest(node, client, { path: '/logspec', timeoutMs: TIMEOUT_MS, ...request }, answered, (err) => reject(notAnswering(layout, node, err)));
    } catch (err) {
      reject(err as Error); // its TLS root certificate unreadable
    }
  });
}

function notAnswering(layout: NetworkLayout, node: NodeLayout, err: Error | undefined): WeftError {
  const why = err?.message ?? 'no answer';
  const pid = runningPid(node);
  if (pid === undefined && nodeKeysHere(layout, node)) {
    return new WeftError('NODE_NOT_RUNNING', `${node.id} is not running: no process of it runs from this directory, and nothing answers at ${urlOf(node)} (${why})`, {
      node: node.id,
      suggestions: [`start it: weft network up ${shellWord(layout.dir)} --node ${node.id} (on its host)`, `see the network: weft network status ${shellWord(layout.dir)}`],
    });
  }
  return new WeftError('NODE_NOT_ANSWERING', `${node.id} does not answer at ${urlOf(node)} (${why})${pid === undefined ? '' : `, though its process runs here (pid ${pid})`}`, {
    node: node.id,
    suggestions: pid === undefined ? [`is it running on ${node.host}? see: weft network status ${shellWord(layout.dir)}`] : [`read its log: ${node.logFile}`],
  });
}

function answerError(layout: NetworkLayout, node: NodeLayout, client: OperationsClient | undefined, method: string, answer: { status: number; body: string }): WeftError {
  const said = parsedBody(answer.body)?.error;
  const text = typeof said === 'string' ? said : answer.body.slice(0, 200);
  if (answer.status === 401) {
    const presented = client === undefined ? 'no client certificate' : `the certificate of ${new X509Certificate(client.cert).subject.replace(/\n/g, ', ')}`;
    return new WeftError('OPERATIONS_UNAUTHORIZED', `${node.id} refused ${method} /logspec (401: ${text}); this directory presented ${presented}`, {
      node: node.id,
      status: 401,
      suggestions: [
        `it takes client certificates of the CAs its config (${node.configFile}) lists under operations' clientRootCAs: ${node.mspId}'s TLS CA`,
        `after a TLS CA renewal, restart it: weft network down ${shellWord(layout.dir)} --node ${node.id} && weft network up ${shellWord(layout.dir)} --node ${node.id}`,
      ],
    });
  }
  if (answer.status === 400 && method === 'PUT') return new WeftError('LOG_SPEC_REFUSED', `${node.id} refused the spec: ${text}`, { node: node.id, status: 400 });
  return new WeftError('OPERATIONS_FAILED', `${node.id} answered ${answer.status} to ${method} /logspec: ${text}`, {
    node: node.id,
    status: answer.status,
    suggestions: [`read its log: ${node.logFile}`],
  });
}

/**
 * Runs `fn` for every node at once. When any fails: one error naming each failure (its own error
 * when only one did), its message ending with `note()`, with `changed` (the nodes changed) in its details.
 */
async function allNodes<T, R>(items: readonly T[], fn: (item: T) => Promise<R>, note: () => string, changed?: readonly string[]): Promise<R[]> {
  const settled = await Promise.allSettled(items.map(fn));
  const failed = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as Error] : []));
  if (failed.length === 0) return settled.map((s) => (s as PromiseFulfilledResult<R>).value);
  if (failed.length === 1 && failed[0] instanceof WeftError) {
    const only = failed[0];
    throw new WeftError(only.code, `${only.message}${note()}`, { ...only.details, ...(changed !== undefined && { changed }) }, { cause: only.cause });
  }
  const codes = new Set(failed.map((e) => (e instanceof WeftError ? e.code : 'LOGSPEC_FAILED')));
  const suggestions = [...new Set(failed.flatMap((e) => (e instanceof WeftError && Array.isArray(e.details.suggestions) ? (e.details.suggestions as string[]) : [])))];
  throw new WeftError(codes.size === 1 ? [...codes][0]! : 'LOGSPEC_FAILED', `${failed.length} of ${items.length} nodes failed${note()}:\n${failed.map((e) => `  ${e.message}`).join('\n')}`, {
    failures: failed.map((e) => (e instanceof WeftError ? e.toJSON() : { message: e.message })),
    ...(changed !== undefined && { changed }),
    suggestions,
  });
}
