/**
 * A Chrome DevTools Protocol client over Node's own WebSocket (undici), as a debugger front end
 * talks to an inspector: commands with ids, answered in any order, and events in between.
 */
export interface CdpEvent {
  readonly method: string;
  readonly params: Record<string, unknown>;
}

export class CdpClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  /** Every event received, in order. */
  readonly events: CdpEvent[] = [];
  private readonly waiters: { method: string; after: number; resolve: (e: CdpEvent) => void }[] = [];
  /** Settles when the connection closes, from either end. */
  readonly closed: Promise<void>;

  private constructor(private readonly ws: WebSocket) {
    ws.addEventListener('message', (m: MessageEvent) => this.receive(JSON.parse(m.data as string) as Record<string, unknown>));
    this.closed = new Promise((resolve) => ws.addEventListener('close', () => resolve(), { once: true }));
    ws.addEventListener('close', () => {
      for (const p of this.pending.values()) p.reject(new Error('DevTools connection closed'));
      this.pending.clear();
    });
  }

  static connect(url: string): Promise<CdpClient> {
    const ws = new WebSocket(url);
    return new Promise((resolve, reject) => {
      ws.addEventListener('open', () => resolve(new CdpClient(ws)), { once: true });
      ws.addEventListener('error', () => reject(new Error(`could not connect to ${url}`)), { once: true });
    });
  }

  /** Sends a command; resolves with its `result`, rejects with its `error`. */
  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  /** The first event `method` from event number `after` on (already received or yet to come). */
  next(method: string, after = 0): Promise<CdpEvent> {
    const seen = this.events.slice(after).find((e) => e.method === method);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ method, after, resolve }));
  }

  close(): Promise<void> {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.close();
    return this.closed;
  }

  private receive(message: Record<string, unknown>): void {
    if (typeof message.id === 'number') {
      const p = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error !== undefined) p?.reject(new Error(JSON.stringify(message.error)));
      else p?.resolve(message.result as Record<string, unknown>);
      return;
    }
    const event = { method: message.method as string, params: (message.params ?? {}) as Record<string, unknown> };
    this.events.push(event);
    for (const w of [...this.waiters]) {
      if (w.method !== event.method) continue;
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve(event);
    }
  }
}
