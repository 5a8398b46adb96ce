// Building the page from data, as text only: never innerHTML.

/// h('a', {href: '#/', class: 'x'}, 'text', child, [more]): an element whose
/// children are nodes or strings (strings become text nodes). Attributes
/// starting with "on" are listeners; false, null and undefined are left out.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'class') el.className = value;
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/// Replaces what `el` holds.
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/// A definition list from [term, value] pairs (values: text or nodes).
export function details(pairs) {
  return h('dl', {class: 'fields'}, pairs.filter(Boolean).map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]));
}

/// "2026-11-27T06:00:00.000Z" -> "2026-11-27 06:00:00Z"; null -> "—".
export function when(iso) {
  if (!iso) return '—';
  return String(iso).replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/// A status in words and colour: succeeded, failed, pending, enabled, disabled.
export function badge(status) {
  return h('span', {class: 'badge badge-' + String(status).replace(/[^a-z]/g, '')}, status);
}

/// JSON text pretty-printed when it parses, else as it is.
export function pretty(text) {
  if (typeof text !== 'string') return JSON.stringify(text, null, 2);
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; }
}
