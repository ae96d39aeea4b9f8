import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** RFC 6455 §1.3: the GUID a server hashes with the client's key to accept the handshake. */
const HANDSHAKE_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const OP_CONTINUATION = 0x0;
const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
/** A DevTools client sends commands of a few kB; anything near this is not a debugger. */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/**
 * The server side of one WebSocket, text messages only: what the Chrome DevTools Protocol needs,
 * written here rather than taken from npm so that debug mode adds no dependency to every peer.
 * Frames from the client are masked (RFC 6455 §5.3) and may be fragmented; ours go unmasked, whole.
 */
export class WebSocketConnection {
  private buffered: Buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private closed = false;
  onMessage: (text: string) => void = () => undefined;
  onClose: () => void = () => undefined;

  private constructor(private readonly socket: Duplex) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('close', () => this.finish());
    socket.on('error', () => this.finish());
  }

  /** Answers an HTTP upgrade request; undefined (the socket answered 400 and ended) if it is not a WebSocket handshake. */
  static accept(request: IncomingMessage, socket: Duplex): WebSocketConnection | undefined {
    const key = request.headers['sec-websocket-key'];
    if (typeof key !== 'string' || request.headers.upgrade?.toLowerCase() !== 'websocket') {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      return undefined;
    }
    const accept = createHash('sha1').update(key + HANDSHAKE_GUID).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    return new WebSocketConnection(socket);
  }

  send(text: string): void {
    if (this.closed) return;
    this.socket.write(frame(OP_TEXT, Buffer.from(text, 'utf8')));
  }

  close(): void {
    if (this.closed) return;
    this.socket.end(frame(OP_CLOSE, Buffer.alloc(0)));
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
  }

  private receive(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    for (;;) {
      const parsed = parseFrame(this.buffered);
      if (parsed === undefined) return;
      if (parsed === 'too-large') return this.close();
      this.buffered = this.buffered.subarray(parsed.length);
      this.handle(parsed.fin, parsed.opcode, parsed.payload);
      if (this.closed) return;
    }
  }

  private handle(fin: boolean, opcode: number, payload: Buffer): void {
    if (opcode === OP_CLOSE) return this.close();
    if (opcode === OP_PING) return void this.socket.write(frame(0xa, payload));
    if (opcode !== OP_TEXT && opcode !== OP_BINARY && opcode !== OP_CONTINUATION) return;
    this.fragments.push(payload);
    if (!fin) return;
    const whole = Buffer.concat(this.fragments);
    this.fragments = [];
    this.onMessage(whole.toString('utf8'));
  }
}

interface Frame {
  readonly fin: boolean;
  readonly opcode: number;
  readonly payload: Buffer;
  /** Bytes the frame took in the buffer. */
  readonly length: number;
}

/** The first frame in `data`; undefined until all of it has arrived. */
function parseFrame(data: Buffer): Frame | 'too-large' | undefined {
  if (data.length < 2) return undefined;
  const fin = (data[0]! & 0x80) !== 0;
  const opcode = data[0]! & 0x0f;
  const masked = (data[1]! & 0x80) !== 0;
  let size = data[1]! & 0x7f;
  let at = 2;
  if (size === 126) {
    if (data.length < 4) return undefined;
    size = data.readUInt16BE(2);
    at = 4;
  } else if (size === 127) {
    if (data.length < 10) return undefined;
    const big = data.readBigUInt64BE(2);
    if (big > BigInt(MAX_MESSAGE_BYTES)) return 'too-large';
    size = Number(big);
    at = 10;
  }
  if (size > MAX_MESSAGE_BYTES) return 'too-large';
  const maskAt = at;
  if (masked) at += 4;
  if (data.length < at + size) return undefined;
  const payload = Buffer.from(data.subarray(at, at + size));
  if (masked) for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ data[maskAt + (i % 4)]!;
  return { fin, opcode, payload, length: at + size };
}

function frame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const header = n < 126 ? Buffer.alloc(2) : n < 0x10000 ? Buffer.alloc(4) : Buffer.alloc(10);
  header[0] = 0x80 | opcode;
  if (n < 126) header[1] = n;
  else if (n < 0x10000) {
    header[1] = 126;
    header.writeUInt16BE(n, 2);
  } else {
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([header, payload]);
}
