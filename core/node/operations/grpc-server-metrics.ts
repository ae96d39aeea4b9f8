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

/**
 * Fabric's gRPC server metrics (`common/grpcmetrics`): per service and method, unary and stream
 * requests received, completed by status code and their duration, and the messages each stream
 * received and sent. One grpc-js server interceptor feeds them; grpc-js answers a path no service
 * registered before any interceptor runs, so clients cannot mint label values.
 */
export class GrpcServerMetrics {
  private readonly cells = new Map<string, MethodCell>();
  private readonly unaryDuration: HotPathHistogram;
  private readonly streamDuration: HotPathHistogram;

  constructor(registry: Registry) {
    const registers = [registry];
    const cells = (stream: boolean): MethodCell[] => [...this.cells.values()].filter((c) => c.stream === stream);
    const counter = (name: string, help: string, withCode: boolean, take: (c: MethodCell, add: (value: number, code?: number) => void) => void, stream: boolean): void => {
      new Counter({
        name,
        help,
        labelNames: withCode ? ['service', 'method', 'code'] : ['service', 'method'],
        registers,
        collect(this: Counter<string>) {
          for (const cell of cells(stream)) {
            take(cell, (value, code) => {
              if (value > 0) this.inc(code === undefined ? cell.labels : { ...cell.labels, code: grpcCodeName(code) }, value);
            });
          }
        },
      });
    };
    const completed = (c: MethodCell, add: (value: number, code?: number) => void): void => {
      for (const [code, n] of c.completed) add(n, code);
      c.completed.clear();
    };
    const received = (c: MethodCell, add: (value: number) => void): void => {
      add(c.received);
      c.received = 0;
    };
    counter('grpc_server_unary_requests_received', 'The number of unary requests received.', false, received, false);
    counter('grpc_server_unary_requests_completed', 'The number of unary requests completed.', true, completed, false);
    counter('grpc_server_stream_requests_received', 'The number of stream requests received.', false, received, true);
    counter('grpc_server_stream_requests_completed', 'The number of stream requests completed.', true, completed, true);
    counter(
      'grpc_server_stream_messages_received',
      'The number of stream messages received.',
      false,
      (c, add) => {
        add(c.messagesReceived);
        c.messagesReceived = 0;
      },
      true,
    );
    counter(
      'grpc_server_stream_messages_sent',
      'The number of stream messages sent.',
      false,
      (c, add) => {
        add(c.messagesSent);
        c.messagesSent = 0;
      },
      true,
    );
    this.unaryDuration = new HotPathHistogram('grpc_server_unary_request_duration', 'The time to complete a unary request.', registry);
    this.streamDuration = new HotPathHistogram('grpc_server_stream_request_duration', 'The time to complete a stream request.', registry);
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
