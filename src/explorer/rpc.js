// The explorer's JSON-RPC 2.0 client over the WebSocket of the page's own origin.

/** WS_PATH is where the server takes WebSocket upgrades. */
export const WS_PATH = '/ws';

/** TOKEN_KEY is where the page keeps the token for the tab's life (sessionStorage). */
const TOKEN_KEY = 'polyrpc.token';

/** UNAUTHENTICATED is the error code of a call the server refuses for want of a credential. */
export const UNAUTHENTICATED = -32010;

/** RemoteError is a JSON-RPC error reply: code, message, data. */
export class RemoteError extends Error {
  constructor(error) {
    super(String(error?.message ?? 'error'));
    this.code = error?.code;
    this.data = error?.data;
  }
}

/**
 * Rpc is one WebSocket with a pending map keyed by id. It reconnects after a drop
 * (every call then in flight fails, every subscription ends) and queues messages sent
 * while connecting.
 */
export class Rpc {
  constructor(url, onState) {
    this.url = url;
    this.onState = onState;
    this.seq = 0;
    this.pending = new Map();
    this.subs = new Map();
    this.queue = [];
    this.retryMs = 500;
    /** The token to present first on every connection (`rpc.authenticate`), if the server asks for one. */
    this.token = sessionStorage.getItem(TOKEN_KEY) ?? undefined;
    /** Called after a reconnect (not the first connect). */
    this.onReconnect = [];
    this.open();
  }

  open() {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    this.onState('connecting');
    ws.onopen = () => {
      this.retryMs = 500;
      // The server holds what follows rpc.authenticate until it has answered it.
      if (this.token !== undefined) this.call('rpc.authenticate', [this.token]).catch(() => {});
      for (const m of this.queue.splice(0)) ws.send(m);
      this.onState('open');
    };
    ws.onmessage = (e) => this.receive(e.data);
    ws.onclose = () => {
      const lost = new Error('the connection was lost');
      for (const p of this.pending.values()) p.reject(lost);
      this.pending.clear();
      for (const s of this.subs.values()) s.onEnd({ message: 'the connection was lost' });
      this.subs.clear();
      this.onState('closed', this.retryMs);
      setTimeout(() => this.open(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 8000);
    };
  }

  /**
   * authenticate presents a token on this connection and, when it is accepted, keeps it
   * (for the tab's life) for every later connection. Rejects with the server's refusal.
   */
  async authenticate(token) {
    await this.call('rpc.authenticate', [token]);
    this.token = token;
    sessionStorage.setItem(TOKEN_KEY, token);
  }

  send(message) {
    const text = JSON.stringify(message);
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
    else this.queue.push(text);
  }

  receive(text) {
    let m;
    try {
      m = JSON.parse(text);
    } catch {
      return;
    }
    if (m.method === 'rpc.event' || m.method === 'rpc.end') {
      const [id, value] = Array.isArray(m.params) ? m.params : [];
      const sub = this.subs.get(id);
      if (sub === undefined) return;
      if (m.method === 'rpc.event') sub.onEvent(value);
      else {
        this.subs.delete(id);
        sub.onEnd(value);
      }
      return;
    }
    const p = this.pending.get(m.id);
    if (p === undefined) return;
    this.pending.delete(m.id);
    if (m.error !== undefined) p.reject(new RemoteError(m.error));
    else p.resolve(m.result);
  }

  /** call sends one request and resolves with its result (rejects with RemoteError or Error). */
  call(method, params) {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ jsonrpc: '2.0', id, method, params });
    });
  }

  /** subscribe resolves with the subscription id once the server has opened it. */
  async subscribe(method, params, onEvent, onEnd) {
    const id = ++this.seq;
    const subId = await new Promise((resolve, reject) => {
      // Registered before any event can arrive: the reply is read in the same task.
      this.pending.set(id, {
        resolve: (subId) => {
          this.subs.set(subId, { onEvent, onEnd });
          resolve(subId);
        },
        reject,
      });
      this.send({ jsonrpc: '2.0', id, method, params });
    });
    return subId;
  }

  async unsubscribe(subId) {
    const sub = this.subs.get(subId);
    this.subs.delete(subId);
    try {
      await this.call('rpc.unsubscribe', [subId]);
    } finally {
      sub?.onEnd(undefined, true);
    }
  }
}
