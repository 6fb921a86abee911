// The explorer's form: one control per parameter, chosen by its JSON Schema
// (`x-wire-type` marks dates and bytes), and signatures for display.
import { h, nextId } from './dom.js';

/** kindOf picks the form control for a parameter's JSON Schema. */
export function kindOf(schema) {
  if (schema['x-wire-type'] === 'Date') return 'date';
  if (schema['x-wire-type'] === 'Uint8Array') return 'bytes';
  if (Array.isArray(schema.enum) && schema.enum.every((v) => typeof v === 'string')) return 'enum';
  switch (schema.type) {
    case 'integer':
    case 'number':
    case 'string':
    case 'boolean':
      return schema.type;
    default:
      return 'json';
  }
}

/** typeName renders a JSON Schema as a short type for signatures. */
export function typeName(schema, depth = 0) {
  if (schema === undefined || schema === null) return 'any';
  if (schema['x-wire-type'] === 'Date') return 'Date';
  if (schema['x-wire-type'] === 'Uint8Array') return 'bytes';
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  const union = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(union)) return [...new Set(union.map((s) => typeName(s, depth)))].join(' | ');
  if (schema.type === 'array') return `${typeName(schema.items, depth + 1)}[]`;
  if (schema.type === 'object' && schema.properties !== undefined && depth < 1) {
    const req = new Set(schema.required ?? []);
    const fields = Object.entries(schema.properties).map(
      ([k, s]) => `${k}${req.has(k) ? '' : '?'}: ${typeName(s, depth + 1)}`,
    );
    return `{ ${fields.join(', ')} }`;
  }
  if (typeof schema.type === 'string') return schema.type;
  return 'any';
}

export function signature(m) {
  const params = m.params.map((p) => `${p.name}${p.required ? '' : '?'}: ${typeName(p.schema)}`);
  const arrow = m.subscription ? ' ⇒ stream of ' : ' → ';
  return `${m.name}(${params.join(', ')})${arrow}${typeName(m.result)}`;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function toBase64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

// ---- form fields -------------------------------------------------------------------

/**
 * field builds the control for one parameter. Its `read()` returns
 * `{ omitted: true }`, `{ value }` or `{ error }`; an empty optional field is left out.
 */
export function field(param) {
  const { name, required, schema } = param;
  const kind = kindOf(schema);
  const id = nextId(`p-${name}`);
  const hint = h('span', { class: 'hint' }, typeName(schema), required ? '' : ', optional');
  const message = h('span', { class: 'field-error', id: `${id}-err`, 'aria-live': 'polite' });
  const describedBy = `${id}-err`;
  let control;
  let read;
  const blank = (s) => s.trim() === '';
  const missing = () => (required ? { error: 'required' } : { omitted: true });

  switch (kind) {
    case 'integer':
    case 'number': {
      control = h('input', {
        id,
        type: 'number',
        step: kind === 'integer' ? '1' : 'any',
        min: Number.isFinite(schema.minimum) ? schema.minimum : undefined,
        max: Number.isFinite(schema.maximum) && Math.abs(schema.maximum) < 1e15 ? schema.maximum : undefined,
        inputmode: kind === 'integer' ? 'numeric' : 'decimal',
        'aria-describedby': describedBy,
      });
      read = () => {
        if (control.validity.badInput) return { error: 'not a number' };
        if (blank(control.value)) return missing();
        const n = Number(control.value);
        if (!Number.isFinite(n)) return { error: 'not a number' };
        if (kind === 'integer' && !Number.isInteger(n)) return { error: 'must be an integer' };
        return { value: n };
      };
      break;
    }
    case 'boolean': {
      if (required) {
        control = h('input', { id, type: 'checkbox', 'aria-describedby': describedBy });
        read = () => ({ value: control.checked });
      } else {
        control = h(
          'select',
          { id, 'aria-describedby': describedBy },
          h('option', { value: '' }, '(leave out)'),
          h('option', { value: 'true' }, 'true'),
          h('option', { value: 'false' }, 'false'),
        );
        read = () => (control.value === '' ? { omitted: true } : { value: control.value === 'true' });
      }
      break;
    }
    case 'enum': {
      const options = schema.enum.map((v) => h('option', { value: v }, v));
      control = h(
        'select',
        { id, 'aria-describedby': describedBy },
        required ? null : h('option', { value: '' }, '(leave out)'),
        options,
      );
      read = () => (control.value === '' && !required ? { omitted: true } : { value: control.value });
      break;
    }
    case 'string': {
      const long = schema.maxLength === undefined || schema.maxLength > 200;
      control = h('input', {
        id,
        type: 'text',
        maxlength: schema.maxLength,
        spellcheck: 'false',
        autocomplete: 'off',
        class: long ? 'wide' : undefined,
        'aria-describedby': describedBy,
      });
      // A required string may be empty; an empty optional one is left out.
      read = () => (control.value === '' && !required ? { omitted: true } : { value: control.value });
      break;
    }
    case 'date': {
      control = h('input', { id, type: 'datetime-local', step: '0.001', 'aria-describedby': describedBy });
      hint.append(' (local time; sent as ISO 8601 UTC)');
      read = () => {
        if (control.validity.badInput) return { error: 'not a date' };
        if (control.value === '') return missing();
        const d = new Date(control.value);
        return Number.isNaN(d.getTime()) ? { error: 'not a date' } : { value: d.toISOString() };
      };
      break;
    }
    case 'bytes': {
      const text = h('textarea', {
        id,
        rows: 3,
        spellcheck: 'false',
        placeholder: 'base64, or choose a file',
        'aria-describedby': describedBy,
      });
      const file = h('input', { type: 'file', 'aria-label': `${name}: read bytes from a file` });
      file.addEventListener('change', async () => {
        const f = file.files?.[0];
        if (f === undefined) return;
        text.value = toBase64(new Uint8Array(await f.arrayBuffer()));
        text.dispatchEvent(new Event('input', { bubbles: true }));
      });
      control = h('div', { class: 'bytes' }, text, file);
      read = () => {
        const v = text.value.replace(/\s+/g, '');
        if (v === '') return missing();
        return BASE64.test(v) ? { value: v } : { error: 'not base64' };
      };
      break;
    }
    default: {
      control = h('textarea', {
        id,
        rows: 3,
        spellcheck: 'false',
        placeholder:
          schema.type === 'array'
            ? '[ ... ] as JSON'
            : schema.type === 'object'
              ? '{ ... } as JSON'
              : 'any JSON value',
        'aria-describedby': describedBy,
      });
      read = () => {
        if (blank(control.value)) return missing();
        let v;
        try {
          v = JSON.parse(control.value);
        } catch (e) {
          return { error: `not JSON: ${e instanceof Error ? e.message : e}` };
        }
        if (schema.type === 'array' && !Array.isArray(v)) return { error: 'must be a JSON array' };
        if (schema.type === 'object' && (typeof v !== 'object' || v === null || Array.isArray(v)))
          return { error: 'must be a JSON object' };
        return { value: v };
      };
    }
  }
  const input = control.matches('div') ? control.firstChild : control;
  const check = () => {
    const r = read();
    const bad = r.error !== undefined && r.error !== 'required';
    message.textContent = bad ? r.error : '';
    input.setAttribute('aria-invalid', bad ? 'true' : 'false');
    return r;
  };
  const label = h('label', { for: id }, h('span', { class: 'name' }, name), ' ', hint);
  const row = h('div', { class: `field field-${kind}` }, label, control, message);
  return { name, kind, row, input, check };
}

/**
 * collect reads the fields: positional params when only trailing ones are left out,
 * else named params (JSON-RPC takes both).
 */
export function collect(fields) {
  const values = [];
  for (const f of fields) {
    const r = f.check();
    if (r.error !== undefined) return { error: `${f.name}: ${r.error}`, field: f };
    values.push(r);
  }
  let last = values.length;
  while (last > 0 && values[last - 1].omitted) last--;
  const gap = values.slice(0, last).some((v) => v.omitted);
  if (!gap) return { params: values.slice(0, last).map((v) => v.value), kinds: fields.map((f) => f.kind) };
  const named = {};
  values.forEach((v, i) => {
    if (!v.omitted) named[fields[i].name] = v.value;
  });
  return { params: named, kinds: fields.map((f) => f.kind), names: fields.map((f) => f.name) };
}
