import * as diagnostics from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { Counter, type Registry } from 'prom-client';
import { type HistogramChild, HotPathHistogram } from './hot-path-histogram';

/** Go's `codes.Code.String()`, the `code` label Fabric's interceptors write. */
const CODE_NAMES = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
];

/** A status code's label: Go's name, or `Code(n)` as Go prints an unknown one. */
export function grpcCodeName(code: number): string {
  return CODE_NAMES[code] ?? `Code(${code})`;
}

/**
 * Fabric's `serviceMethod`: `/protos.Endorser/ProcessProposal` is service `protos_Endorser`, method
 * `ProcessProposal` (dots become underscores); any other shape is `unknown`/`unknown`.
 */
export function serviceMethod(path: string): { service: string; method: string } {
  const parts = path.replaceAll('.', '_').split('/');
  return parts.length === 3 ? { service: parts[1], method: parts[2] } : { service: 'unknown', method: 'unknown' };
}

/**
 * One registered method's counts. They are plain numbers added to the prom-client counters when
 * scraped: a counter's `inc` hashes its label set every time, and a stream message or a unary call
 * on a busy peer should not pay that (see HotPathHistogram).
 */
class MethodCell {
  received = 0;
  messagesReceived = 0;
  messagesSent = 0;
  readonly completed = new Map<number, number>();
  readonly durations = new Map<number, HistogramChild>();

  constructor(
    readonly labels: { readonly service: string; readonly method: string },
    readonly stream: boolean,
  ) {}
}

/** Node publishes every TCP connection a server of the process accepts to this channel. */
const SERVER_SOCKETS = 'net.server.socket';

/**
 * Fabric's gRPC server metrics (`common/grpcmetrics`): per service and method, unary and stream
 * requests received, completed by status code and their duration, and the messages each stream
 * received and sent. One grpc-js server interceptor feeds them; grpc-js answers a path no service
 * registered before any interceptor runs, so clients cannot mint label values. With them, the
 * server's connections opened and closed (Fabric's `comm.ServerStatsHandler`), once
 * {@link watchConnections} is given its port.
 */
export class GrpcServerMetrics {
  private readonly cells = new Map<string, MethodCell>();
  private readonly unaryDuration: HotPathHistogram;
  private readonly streamDuration: HotPathHistogram;
  private readonly connectionsOpened: Counter;
  private readonly connectionsClosed: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    const cells = (stream: boolean): MethodCell[] => [...this.cells.values()].filter((c) => c.stream === stream);
    // Each counter drains one count of the cells of its kind (unary or stream) into prom-client.
    type Count = 'received' | 'messagesReceived' | 'messagesSent';
    const counter = (name: string, help: string, stream: boolean, count: Count | 'completed'): void => {
      new Counter({
        name,
        help,
        labelNames: count === 'completed' ? ['service', 'method', 'code'] : ['service', 'method'],
        registers,
        collect(this: Counter<string>) {
          for (const cell of cells(stream)) {
            if (count === 'completed') {
              for (const [code, n] of cell.completed) this.inc({ ...cell.labels, code: grpcCodeName(code) }, n);
              cell.completed.clear();
            } else if (cell[count] > 0) {
              this.inc(cell.labels, cell[count]);
              cell[count] = 0;
            }
          }
        },
      });
    };
    counter('grpc_server_unary_requests_received', 'The number of unary requests received.', false, 'received');
    counter('grpc_server_unary_requests_completed', 'The number of unary requests completed.', false, 'completed');
    counter('grpc_server_stream_requests_received', 'The number of stream requests received.', true, 'received');
    counter('grpc_server_stream_requests_completed', 'The number of stream requests completed.', true, 'completed');
    counter('grpc_server_stream_messages_received', 'The number of stream messages received.', true, 'messagesReceived');
    counter('grpc_server_stream_messages_sent', 'The number of stream messages sent.', true, 'messagesSent');
    this.unaryDuration = new HotPathHistogram('grpc_server_unary_request_duration', 'The time to complete a unary request.', registry);
    this.streamDuration = new HotPathHistogram('grpc_server_stream_request_duration', 'The time to complete a stream request.', registry);
    this.connectionsOpened = new Counter({ name: 'grpc_comm_conn_opened', help: 'gRPC connections opened. Open minus closed is the active number of connections.', registers });
    this.connectionsClosed = new Counter({ name: 'grpc_comm_conn_closed', help: 'gRPC connections closed. Open minus closed is the active number of connections.', registers });
  }

  /**
   * Counts the connections the gRPC server listening on `port` accepts, and their closing. grpc-js
   * tells nothing of connections, so they are read from Node's diagnostics channel of accepted
   * sockets, which every TCP server of the process publishes to (one per connection, never per
   * call). Unlike Fabric's, which counts a connection once its TLS handshake is done, a connection
   * whose handshake fails is counted too. Returns the function that stops counting, for when the
   * server stops.
   */
  watchConnections(port: number): () => void {
    const accepted = (message: unknown): void => {
      const socket = (message as { socket: Socket }).socket;
      if (socket.localPort !== port) return;
      this.connectionsOpened.inc();
      socket.once('close', () => this.connectionsClosed.inc());
    };
    diagnostics.subscribe(SERVER_SOCKETS, accepted);
    return () => diagnostics.unsubscribe(SERVER_SOCKETS, accepted);
  }

  /** The interceptor to pass in `grpc.Server`'s `interceptors` option. */
  readonly interceptor = (method: grpc.ServerMethodDefinition<unknown, unknown>, call: grpc.ServerInterceptingCallInterface): grpc.ServerInterceptingCall => {
    const cell = this.cell(method);
    cell.received++;
    const started = performance.now();
    let done = false;
    const complete = (code: number): void => {
      if (done) return;
      done = true;
      cell.completed.set(code, (cell.completed.get(code) ?? 0) + 1);
      this.duration(cell, code).observe((performance.now() - started) / 1000);
    };
    const responder: grpc.Responder = {
      // A call the client cancels gets no status from the handler; Fabric's handler returns Canceled.
      start: (next) => next({ onCancel: () => complete(grpc.status.CANCELLED) }),
      sendStatus: (status, next) => {
        complete(status.code ?? grpc.status.UNKNOWN);
        next(status);
      },
    };
    if (cell.stream) {
      responder.start = (next) =>
        next({
          onReceiveMessage: (message, nextMessage) => {
            cell.messagesReceived++;
            nextMessage(message);
          },
          onCancel: () => complete(grpc.status.CANCELLED),
        });
      responder.sendMessage = (message, next) => {
        cell.messagesSent++;
        next(message);
      };
    }
    return new grpc.ServerInterceptingCall(call, responder);
  };

  private cell(method: grpc.ServerMethodDefinition<unknown, unknown>): MethodCell {
    let cell = this.cells.get(method.path);
    if (cell === undefined) {
      cell = new MethodCell(serviceMethod(method.path), method.requestStream || method.responseStream);
      this.cells.set(method.path, cell);
    }
    return cell;
  }

  private duration(cell: MethodCell, code: number): HistogramChild {
    let child = cell.durations.get(code);
    if (child === undefined) {
      child = (cell.stream ? this.streamDuration : this.unaryDuration).child({ ...cell.labels, code: grpcCodeName(code) });
      cell.durations.set(code, child);
    }
    return child;
  }
}
