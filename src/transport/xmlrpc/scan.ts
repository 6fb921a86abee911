/**
 * A fast path for the documents almost every call and reply are: printable ASCII
 * elements with no attributes, entities, comments, CDATA or DOCTYPE. It feeds the same
 * events saxes would to the decoder's state machine, so every check stays there. On
 * anything else it gives up (returns false) and the caller parses again with saxes,
 * which then reports the document's faults exactly as before.
 */

/** Sink receives the events of a document, as saxes's opentag/closetag/text do. */
export interface Sink {
  open(name: string): void;
  close(name: string): void;
  text(t: string): void;
}

const DECL = /^<\?xml\s+version\s*=\s*(["'])1\.0\1(?:\s+encoding\s*=\s*(["'])(?:UTF-8|utf-8)\2)?\s*\?>/;

// Name start: A-Z a-z _ ; name: also 0-9 . - :
function isNameStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
}
function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2d || c === 0x3a;
}
const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x09;

/**
 * scan feeds `xml` to `sink` and returns true when the whole document took the fast
 * path; false when it met anything the fast path does not handle (the sink may have
 * seen part of the document: start again). Errors the sink throws propagate.
 */
export function scan(xml: string, sink: Sink): boolean {
  let i = 0;
  const n = xml.length;
  if (xml.startsWith('<?')) {
    const m = DECL.exec(xml);
    if (m === null) return false;
    i = m[0].length;
  }
  const stack: string[] = [];
  let rooted = false;
  while (i < n) {
    const c = xml.charCodeAt(i);
    if (c !== 0x3c) {
      // Character data up to the next '<': printable ASCII, tab and LF only.
      const start = i;
      let blank = true;
      for (; i < n; i++) {
        const d = xml.charCodeAt(i);
        if (d === 0x3c) break;
        if (d === 0x26 || d === 0x3e || d > 0x7e || (d < 0x20 && d !== 0x0a && d !== 0x09)) return false;
        if (d !== 0x20 && d !== 0x0a && d !== 0x09) blank = false;
      }
      if (stack.length === 0) {
        if (!blank) return false; // text outside the root: let saxes say so
      } else sink.text(xml.slice(start, i));
      continue;
    }
    let j = i + 1;
    const closing = xml.charCodeAt(j) === 0x2f;
    if (closing) j++;
    if (!isNameStart(xml.charCodeAt(j))) return false; // <! <? or a bad name
    const nameStart = j;
    while (j < n && isNameChar(xml.charCodeAt(j))) j++;
    const name = xml.slice(nameStart, j);
    while (j < n && isSpace(xml.charCodeAt(j))) j++;
    const d = xml.charCodeAt(j);
    if (closing) {
      if (d !== 0x3e || stack.pop() !== name) return false;
      sink.close(name);
      i = j + 1;
      continue;
    }
    if (stack.length === 0) {
      if (rooted) return false; // a second root
      rooted = true;
    }
    if (d === 0x3e) {
      stack.push(name);
      sink.open(name);
      i = j + 1;
    } else if (d === 0x2f && xml.charCodeAt(j + 1) === 0x3e) {
      sink.open(name);
      sink.close(name);
      i = j + 2;
    } else return false; // attributes, or a malformed tag
  }
  return rooted && stack.length === 0;
}
