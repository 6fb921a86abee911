// The explorer's DOM helpers: elements built from text, never from markup.

/** h builds an element; string children become text nodes, `on*` props listeners. */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

export const $ = (id) => document.getElementById(id);
let uid = 0;
export const nextId = (prefix) => `${prefix}-${++uid}`;

export function setStatus(text, state) {
  const el = $('status');
  el.textContent = text;
  el.dataset.state = state;
}

/** clock is a local time of day, hh:mm:ss. */
export const clock = (d) => d.toLocaleTimeString([], { hour12: false });
