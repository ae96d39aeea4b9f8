/**
 * One `protos.Chaincode/Connect` stream from the peer to a chaincode server, as Fabric's peer dials
 * a chaincode-as-a-service: the server's shim sends REGISTER, the peer answers REGISTERED then
 * READY, and from then on sends TRANSACTION (or INIT) messages and serves each transaction's
 * requests until its COMPLETED or ERROR. Transactions run side by side on the stream, told apart by
 * channel and transaction ID, as in Fabric's handler.
 */
import * as grpc from '@grpc/grpc-js';
import { ChaincodeAdditionalParams, ChaincodeID, ChaincodeInput } from '@hyperledger/fabric-protos/lib/peer/chaincode_pb';
import { ChaincodeMessage } from '@hyperledger/fabric-protos/lib/peer/chaincode_shim_pb';
import { ChaincodeService } from '@hyperledger/fabric-protos/lib/peer/chaincode_shim_grpc_pb';
import { SignedProposal } from '@hyperledger/fabric-protos/lib/peer/proposal_pb';
import { Response } from '@hyperledger/fabric-protos/lib/peer/proposal_response_pb';
import type { ChaincodeInvocation, ChaincodeResult, RuntimeLimits, RuntimeSupport } from '../../core/chaincode/chaincode-runtime';
import type { HostReply, HostTable } from '../../core/chaincode/host-api';
import { HostSession } from '../../core/chaincode/host-session';
import { createHostTable } from '../../core/chaincode/host-table';
import { ChaincodeError } from '../../core/errors';
import { boundDial } from '../../core/node/grpc-dial-timeout';
import type { ChaincodeServerInfo } from '../../core/chaincode/ccaas-connection';
import type { ChaincodeProtocol } from './ccaas-runtime-options';
import { answerInvokeChaincode, answerShimRequest, messageTypeName, REQUEST_MESSAGE_TYPES, requestFailure, unwrap } from './shim-requests';

const T = ChaincodeMessage.Type;

/** Fabric's gRPC message limit, both ways (`comm.DefaultMaxRecvMsgSize`/`DefaultMaxSendMsgSize`). */
const MAX_MESSAGE_BYTES = 100 * 1024 * 1024;

/** Fabric's client keepalive (`comm.DefaultKeepaliveOptions`): a ping a minute, 20 s to answer. */
const KEEPALIVE = { 'grpc.keepalive_time_ms': 60_000, 'grpc.keepalive_timeout_ms': 20_000 };

const ChaincodeClient = grpc.makeGenericClientConstructor(ChaincodeService as unknown as grpc.ServiceDefinition, 'Chaincode');

const EMPTY = new Uint8Array(0);

function failure(message: string): ChaincodeResult {
  return { response: { status: 500, message, payload: EMPTY } };
}

interface RunningTransaction {
  readonly session: HostSession;
  finish(result: ChaincodeResult): void;
}

/** Where the connection is, for messages: the package and the server's address. */
export interface ConnectionTarget {
  readonly packageId: string;
  readonly server: ChaincodeServerInfo;
}

function where(target: ConnectionTarget): string {
  return `chaincode ${target.packageId} at ${target.server.address}`;
}

function credentialsOf(info: ChaincodeServerInfo): { credentials: grpc.ChannelCredentials; options: grpc.ChannelOptions } {
  const options: grpc.ChannelOptions = { ...KEEPALIVE, 'grpc.max_receive_message_length': MAX_MESSAGE_BYTES, 'grpc.max_send_message_length': MAX_MESSAGE_BYTES };
  const tls = info.tls;
  // A stuck dial (accepted, never answered) is dropped at the dial timeout, not left holding its socket after waitForReady gives up.
  if (tls === undefined) return { credentials: boundDial(grpc.credentials.createInsecure(), info.address, info.dialTimeoutMs), options };
  const credentials = grpc.credentials.createSsl(
    Buffer.from(tls.rootCert),
    tls.clientKey === undefined ? null : Buffer.from(tls.clientKey),
    tls.clientCert === undefined ? null : Buffer.from(tls.clientCert),
  );
  if (tls.serverName !== undefined) {
    options['grpc.ssl_target_name_override'] = tls.serverName;
    options['grpc.default_authority'] = tls.serverName;
  }
  return { credentials: boundDial(credentials, info.address, info.dialTimeoutMs), options };
}

/** READY as Fabric 3's `sendReady` sends it: its payload tells the shim it may batch writes and multi-key reads. */
function readyMessage({ runtimeParams: p }: ChaincodeProtocol): ChaincodeMessage {
  const params = new ChaincodeAdditionalParams();
  params.setUseWriteBatch(p.useWriteBatch);
  params.setMaxSizeWriteBatch(p.maxSizeWriteBatch);
  params.setUseGetMultipleKeys(p.useGetMultipleKeys);
  params.setMaxSizeGetMultipleKeys(p.maxSizeGetMultipleKeys);
  const m = new ChaincodeMessage();
  m.setType(T.READY);
  m.setPayload(params.serializeBinary());
  return m;
}

/** The first message of a stream: the chaincode's REGISTER, or why there is none. */
function firstMessage(stream: grpc.ClientDuplexStream<ChaincodeMessage, ChaincodeMessage>, timeoutMs: number): Promise<ChaincodeMessage> {
  return new Promise((resolve, reject) => {
    const done = (fn: () => void): void => {
      clearTimeout(timer);
      stream.off('data', onData).off('error', onError).off('end', onEnd);
      fn();
    };
    const onData = (m: ChaincodeMessage): void => done(() => resolve(m));
    const onError = (err: Error): void => done(() => reject(err));
    const onEnd = (): void => done(() => reject(new Error('the server ended the stream before the chaincode registered')));
    const timer = setTimeout(() => done(() => reject(new Error(`no REGISTER message within ${timeoutMs} ms`))), timeoutMs);
    stream.on('data', onData).on('error', onError).on('end', onEnd);
  });
}

export class ChaincodeConnection {
  private readonly running = new Map<string, RunningTransaction>();
  /** The session a host table call runs against: set only while the table serves one request. */
  private current: HostSession | undefined;
  private readonly table: HostTable = createHostTable(() => this.current);
  private closedWith: string | undefined;
  private readonly keepalive: NodeJS.Timeout | undefined;

  private constructor(
    private readonly target: ConnectionTarget,
    private readonly client: grpc.Client,
    private readonly stream: grpc.ClientDuplexStream<ChaincodeMessage, ChaincodeMessage>,
    private readonly onClose: (reason: string) => void,
    keepaliveSeconds: number,
  ) {
    if (keepaliveSeconds > 0) {
      // Fabric's ticker: sent whether or not the stream is busy, and an unanswered one tears nothing down.
      this.keepalive = setInterval(() => {
        const m = new ChaincodeMessage();
        m.setType(T.KEEPALIVE);
        this.stream.write(m);
      }, keepaliveSeconds * 1000);
      this.keepalive.unref();
    }
    stream.on('data', (m: ChaincodeMessage) => {
      try {
        this.receive(m);
      } catch (err) {
        // Whatever a message does, it must not escape the stream's event handler: that would end the peer.
        this.close(`handling a ${messageTypeName(m.getType())} message failed: ${(err as Error).message}`);
      }
    });
    stream.on('error', (err: grpc.ServiceError) => this.close(`the stream failed: ${err.details || err.message}`));
    stream.on('end', () => this.close('the chaincode server ended the stream'));
  }

  /**
   * Dials the server, waits for its REGISTER (whose chaincode ID must be the package ID: the server
   * was started for this package), and answers REGISTERED and READY. Throws `CHAINCODE_UNREACHABLE`
   * when the server cannot be reached or registers nothing, `CHAINCODE_REGISTER_REFUSED` when it
   * registers as another chaincode; nothing stays open then. `onClose` hears when an open
   * connection is lost. `protocol` says what READY offers and how often KEEPALIVE is sent.
   */
  static async open(target: ConnectionTarget, protocol: ChaincodeProtocol, onClose: (reason: string) => void): Promise<ChaincodeConnection> {
    const { server } = target;
    const { credentials, options } = credentialsOf(server);
    const client = new ChaincodeClient(server.address, credentials, options);
    const unreachable = (why: string): ChaincodeError =>
      new ChaincodeError('CHAINCODE_UNREACHABLE', `${where(target)}: ${why}: is the chaincode server running, and listening there?`, { packageId: target.packageId, address: server.address });
    try {
      await new Promise<void>((resolve, reject) => client.waitForReady(Date.now() + server.dialTimeoutMs, (err) => (err ? reject(err) : resolve())));
    } catch (err) {
      client.close();
      throw unreachable(`could not connect within the dial timeout of ${server.dialTimeoutMs} ms (${(err as Error).message})`);
    }
    const stream = (client as unknown as { connect(): grpc.ClientDuplexStream<ChaincodeMessage, ChaincodeMessage> }).connect();
    stream.on('error', () => undefined); // reported through firstMessage or the connection's own handler
    let register: ChaincodeMessage;
    try {
      register = await firstMessage(stream, server.dialTimeoutMs);
    } catch (err) {
      stream.cancel();
      client.close();
      throw unreachable((err as Error).message);
    }
    const refuse = (why: string): ChaincodeError => {
      stream.cancel();
      client.close();
      return new ChaincodeError('CHAINCODE_REGISTER_REFUSED', `${where(target)}: ${why}`, { packageId: target.packageId, address: server.address });
    };
    if (register.getType() !== T.REGISTER) throw refuse(`the server's first message is ${messageTypeName(register.getType())}, not REGISTER`);
    let name: string;
    try {
      name = ChaincodeID.deserializeBinary(register.getPayload_asU8()).getName();
    } catch (err) {
      throw refuse(`its REGISTER message holds no chaincode ID: ${(err as Error).message}`);
    }
    if (name !== target.packageId) {
      throw refuse(`the server registered as chaincode ${JSON.stringify(name)}, but this package's ID is ${target.packageId}: start the server with CHAINCODE_ID (--chaincode-id) set to the package ID`);
    }
    const connection = new ChaincodeConnection(target, client, stream, onClose, protocol.keepalive);
    const registered = new ChaincodeMessage();
    registered.setType(T.REGISTERED);
    stream.write(registered);
    stream.write(readyMessage(protocol));
    return connection;
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /**
   * Runs one transaction on the stream. Chaincode failures, a timeout and a stream lost while it
   * runs come back as a 500 response; throws only when the connection is closed already or the
   * same transaction already runs on it.
   */
  execute(invocation: ChaincodeInvocation, support: RuntimeSupport, limits: Required<RuntimeLimits>): Promise<ChaincodeResult> {
    if (this.closedWith !== undefined) {
      return Promise.reject(new ChaincodeError('CHAINCODE_UNREACHABLE', `${where(this.target)}: ${this.closedWith}`, { packageId: this.target.packageId, address: this.target.server.address }));
    }
    const key = `${invocation.channelId}\u0000${invocation.txId}`;
    if (this.running.has(key)) {
      return Promise.reject(new ChaincodeError('CHAINCODE_DUPLICATE_TRANSACTION', `txid: ${invocation.txId}(${invocation.channelId}) exists`, { txId: invocation.txId, channelId: invocation.channelId }));
    }
    const session = new HostSession(invocation, support, limits);
    return new Promise<ChaincodeResult>((resolve) => {
      const timer = setTimeout(() => {
        support.metrics?.executeTimeout();
        finish(failure(`timeout expired while executing transaction (limit ${limits.timeoutMs} ms) on ${where(this.target)}`));
      }, limits.timeoutMs);
      const finish = (result: ChaincodeResult): void => {
        if (this.running.get(key)?.session !== session) return;
        clearTimeout(timer);
        this.running.delete(key);
        session.close();
        resolve(result);
      };
      this.running.set(key, { session, finish });
      this.stream.write(this.transactionMessage(invocation));
    });
  }

  private transactionMessage(inv: ChaincodeInvocation): ChaincodeMessage {
    const input = new ChaincodeInput();
    input.setArgsList([...inv.args]);
    input.setIsInit(inv.isInit === true);
    const m = new ChaincodeMessage();
    // Fabric sends INIT for an is_init call of a chaincode that requires initialization: the executor let only those through.
    m.setType(inv.isInit === true ? T.INIT : T.TRANSACTION);
    m.setPayload(input.serializeBinary());
    m.setTxid(inv.txId);
    m.setChannelId(inv.channelId);
    if (inv.signedProposal !== undefined) m.setProposal(SignedProposal.deserializeBinary(inv.signedProposal));
    return m;
  }

  private receive(m: ChaincodeMessage): void {
    const type = m.getType();
    if (type === T.KEEPALIVE) return;
    const tx = this.running.get(`${m.getChannelId()}\u0000${m.getTxid()}`);
    if (type === T.COMPLETED || type === T.ERROR) {
      // One whose transaction timed out is dropped, as Fabric's handler finds no context to notify.
      tx?.finish(this.outcome(m, tx.session));
      return;
    }
    if (type === T.INVOKE_CHAINCODE && tx !== undefined) {
      // The callee may run as a service too: its answer comes later, while the stream serves others.
      void answerInvokeChaincode(m, tx.session).then((reply) => {
        if (!this.closed) this.stream.write(reply);
      });
      return;
    }
    if (REQUEST_MESSAGE_TYPES.has(type)) {
      this.stream.write(tx === undefined ? this.noContext(m) : answerShimRequest(m, { session: tx.session, call: (entry) => this.call(tx.session, entry) }));
      return;
    }
    // Fabric's handler ends the stream on a message it cannot handle in the ready state.
    this.close(`the chaincode sent a ${messageTypeName(type)} message, which a ready chaincode may not send`);
  }

  private call<R>(session: HostSession, entry: (table: HostTable) => HostReply<R>): R {
    this.current = session;
    try {
      return unwrap(entry(this.table));
    } finally {
      this.current = undefined;
    }
  }

  private noContext(m: ChaincodeMessage): ChaincodeMessage {
    const reply = new ChaincodeMessage();
    reply.setType(T.ERROR);
    reply.setTxid(m.getTxid());
    reply.setChannelId(m.getChannelId());
    reply.setPayload(Buffer.from(requestFailure(m, `no ledger context: transaction ${m.getTxid()} is not running on channel ${JSON.stringify(m.getChannelId())}`)));
    return reply;
  }

  /** The transaction's result from its final message, checked as the sandbox's `complete` (status, event and byte limits). */
  private outcome(m: ChaincodeMessage, session: HostSession): ChaincodeResult {
    if (m.getType() === T.ERROR) return failure(`transaction returned with failure: ${Buffer.from(m.getPayload_asU8()).toString('utf8')}`);
    let response: Response;
    try {
      response = Response.deserializeBinary(m.getPayload_asU8());
    } catch (err) {
      return failure(`failed to unmarshal response for transaction ${m.getTxid()} from ${where(this.target)}: ${(err as Error).message}`);
    }
    const event = m.getChaincodeEvent();
    try {
      this.call(session, (t) =>
        t.complete({
          status: response.getStatus(),
          message: response.getMessage(),
          payload: response.getPayload_asU8(),
          ...(event !== undefined ? { event: { eventName: event.getEventName(), payload: event.getPayload_asU8() } } : {}),
        }),
      );
    } catch (err) {
      return failure((err as Error).message);
    }
    const out = session.outcome;
    if (out === undefined) return failure(`${where(this.target)} completed transaction ${m.getTxid()} without a response`);
    return { response: { status: out.status, message: out.message, payload: out.payload }, ...(out.event !== undefined ? { event: out.event } : {}) };
  }

  /** Ends the stream: every transaction still running gets a 500 naming the package, the server and `reason`. Idempotent. */
  close(reason: string): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = reason;
    clearInterval(this.keepalive);
    for (const tx of [...this.running.values()]) tx.finish(failure(`chaincode stream terminated: ${reason} (${where(this.target)})`));
    this.stream.cancel();
    this.client.close();
    this.onClose(reason);
  }
}
