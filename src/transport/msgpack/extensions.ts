/**
 * The msgpackr extensions polyrpc adds on the encoding side. msgpackr's extension table
 * is process-wide; only the msgpack folder uses msgpackr. Neither extension adds a tag:
 * each hands msgpackr a value it already writes in standard MessagePack.
 * @internal
 */
import { types } from 'node:util';
import { addExtension } from 'msgpackr';

// msgpackr 2.1 writes a typed array wider than a byte as a bin of its byteLength but
// copies it with `set()`, element by element, leaving the rest of the bin as stale
// bytes of its shared output slab (another reply's data). Hand it a byte view instead;
// the view then takes msgpackr's ordinary bin path.
const WIDE_VIEWS = [
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
  DataView,
];

// Binary data and dates made in another realm (a `vm` context: the REPL) fail
// msgpackr's `instanceof` tests, so a Uint8Array went out as a map of its indices and a
// Date as its toJSON string. msgpackr consults its extension list only for objects
// that are not this realm's plain objects, arrays or Maps, and `instanceof` on this
// function asks its `hasInstance`, so the common path pays nothing.
const ForeignValue = Object.defineProperty(function ForeignValue() {}, Symbol.hasInstance, {
  value: (v: unknown): boolean =>
    typeof v === 'object' &&
    v !== null &&
    !(v instanceof Object) &&
    (ArrayBuffer.isView(v) || types.isDate(v) || types.isAnyArrayBuffer(v)),
});

/** toLocalValue rebuilds binary data or a date from any realm as this realm's own. */
export function toLocalValue(v: object): Uint8Array | Date {
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (types.isDate(v)) return new Date(Date.prototype.getTime.call(v));
  return new Uint8Array(v as ArrayBuffer);
}

let installed = false;

/** installExtensions registers both extensions once, before the first encode. */
export function installExtensions(): void {
  if (installed) return;
  installed = true;
  for (const Class of WIDE_VIEWS) {
    addExtension({
      Class,
      write: (v: ArrayBufferView) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength),
    });
  }
  addExtension({ Class: ForeignValue, write: toLocalValue });
}
