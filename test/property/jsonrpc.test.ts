/**
 * Properties of the JSON-RPC codec: every JSON value round-trips through a request
 * and a reply; any string is written without a lone surrogate; and any bytes, random
 * or mutated from a valid request, decode to a call or to the protocol's own error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Code } from '../../src/rpc/errors.js';
import {
  decodeClient,
  decodeIncoming,
  replyText,
  requestText,
  stringify,
} from '../../src/transport/jsonrpc/codec.js';
import { createLineFramer } from '../../src/transport/jsonrpc/framing.js';
import { defaultLimits, FrameError } from '../../src/transport/types.js';
import { anyUnits, mutated, normalise, RUNS, text, tree } from './arbitraries.js';

const leaf = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  text,
);
const value = tree(leaf, text);
const bytes = (s: string): Buffer => Buffer.from(s);
const ERRORS = new Set<number>([Code.ParseError, Code.InvalidRequest, Code.LimitExceeded]);

describe('JSON-RPC properties', () => {
  it('every JSON value round-trips as params and as a result', () => {
    fc.assert(
      fc.property(value, fc.nat(), (v, id) => {
        const incoming = decodeIncoming(
          bytes(requestText(id, { method: 'echo', params: [v] })),
          defaultLimits,
        );
        expect(incoming.kind).toBe('call');
        if (incoming.kind !== 'call') return;
        expect(normalise(incoming.call.params)).toEqual(normalise([v]));
        const back = decodeClient(bytes(replyText({ id, ok: true, result: v })));
        expect(back).toMatchObject({ kind: 'reply', reply: { id, ok: true } });
        if (back.kind === 'reply' && back.reply.ok)
          expect(normalise(back.reply.result)).toEqual(normalise(v));
      }),
      RUNS,
    );
  });

  it('any string is written as text a strict reader accepts, lone surrogates as U+FFFD', () => {
    fc.assert(
      fc.property(anyUnits, (s) => {
        const json = stringify({ [s]: [s] });
        const incoming = decodeIncoming(
          bytes(`{"jsonrpc":"2.0","id":1,"method":"m","params":${json}}`),
          defaultLimits,
        );
        expect(incoming).toMatchObject({
          kind: 'call',
          call: { params: { [s.toWellFormed()]: [s.toWellFormed()] } },
        });
      }),
      RUNS,
    );
  });

  it('a lone surrogate escape anywhere in a request is -32700, never a call', () => {
    const lone = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => `\\u${c.toString(16)}`);
    fc.assert(
      fc.property(text, lone, fc.boolean(), (s, esc, inKey) => {
        const str = JSON.stringify(s).slice(0, -1) + esc + '"';
        const params = inKey ? `{${str}:1}` : `[${str}]`;
        const incoming = decodeIncoming(
          bytes(`{"jsonrpc":"2.0","id":3,"method":"m","params":${params}}`),
          defaultLimits,
        );
        expect(incoming).toMatchObject({ kind: 'reply', reply: { id: 3, error: { code: Code.ParseError } } });
      }),
      RUNS,
    );
  });

  it('any bytes: the server decode answers a call, a batch or its own error, and never throws', () => {
    const request = fc
      .tuple(fc.nat(), text, value)
      .map(([id, m, v]) => bytes(requestText(id, { method: m, params: [v] })));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), mutated(request)), (b) => {
        const incoming = decodeIncoming(Buffer.from(b), defaultLimits);
        if (incoming.kind === 'reply')
          expect(ERRORS.has(incoming.reply.ok ? 0 : incoming.reply.error.code)).toBe(true);
        else expect(['call', 'batch']).toContain(incoming.kind);
      }),
      RUNS,
    );
  });

  it('any bytes: the client decode never throws', () => {
    const reply = fc.tuple(fc.nat(), value).map(([id, v]) => bytes(replyText({ id, ok: true, result: v })));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), mutated(reply)), (b) => {
        expect(['reply', 'batch', 'push', 'invalid']).toContain(decodeClient(Buffer.from(b)).kind);
      }),
      RUNS,
    );
  });

  it('any chunks: the line framer yields lines or a FrameError, never another throw', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 32 }), { maxLength: 8 }), (chunks) => {
        const framer = createLineFramer(40);
        try {
          for (const c of chunks) framer.push(Buffer.from(c), (f) => expect(f.includes(0x0a)).toBe(false));
        } catch (err) {
          expect(err).toBeInstanceOf(FrameError);
        }
      }),
      RUNS,
    );
  });
});
