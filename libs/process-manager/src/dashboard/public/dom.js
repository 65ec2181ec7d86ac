/* global document */
// DOM helpers. User data only ever becomes text nodes and attribute values, never markup: the page's
// Content-Security-Policy (Trusted Types) makes the browser refuse to parse strings as HTML at all.

/** Builds an element: `h('td', { class: 'mono', title: id }, 'text', child)`. Strings become text nodes. */
export function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof globalThis.Node ? child : String(child));
  }
  return node;
}

export const $ = (selector, root = document) => root.querySelector(selector);

/**
 * Puts `items` into `container` as rows keyed by `keyOf`, rebuilding only the rows whose signature
 * changed and moving the others into order: the list refreshes without flicker or lost focus.
 */
export function reconcile(container, items, keyOf, signatureOf, build) {
  const existing = new Map();
  for (const child of [...container.children]) existing.set(child.dataset.key, child);
  const wanted = new Set();
  items.forEach((item, index) => {
    const key = String(keyOf(item));
    const signature = signatureOf(item);
    wanted.add(key);
    let node = existing.get(key);
    if (!node || node.dataset.signature !== signature) {
      const fresh = build(item);
      fresh.dataset.key = key;
      fresh.dataset.signature = signature;
      if (node) node.replaceWith(fresh);
      node = fresh;
    }
    if (container.children[index] !== node) container.insertBefore(node, container.children[index] ?? null);
  });
  for (const [key, node] of existing) if (!wanted.has(key)) node.remove();
}

/** Replaces a section's content only when its signature changed; keeps the `<details>` that were open. */
export function patch(section, signature, build) {
  if (section.dataset.signature === signature) return false;
  const open = new Set([...section.querySelectorAll('details[open][data-key]')].map((d) => d.dataset.key));
  section.replaceChildren(...[build()].flat().filter(Boolean));
  for (const details of section.querySelectorAll('details[data-key]'))
    if (open.has(details.dataset.key)) details.open = true;
  section.dataset.signature = signature;
  return true;
}

/** `12s`, `4m 03s`, `2h 10m`, `3d`: how long ago `since` was. */
export function age(since) {
  const seconds = Math.max(0, Math.round((Date.now() - new Date(since).getTime()) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86400)}d`;
}

/** An age that the page keeps current by itself (see `tickAges`). */
export const ageOf = (since) =>
  h('span', { 'data-since': since, title: new Date(since).toLocaleString() }, age(since));

export function tickAges() {
  for (const node of document.querySelectorAll('[data-since]')) {
    const text = age(node.dataset.since);
    if (node.textContent !== text) node.textContent = text;
  }
}

export const time = (at) => new Date(at).toLocaleTimeString();
export const short = (id) => (/^[0-9a-f]{8}-[0-9a-f-]{27}$/i.test(String(id)) ? String(id).slice(0, 8) : id);
export const json = (value) => JSON.stringify(value, null, 2);

/** A collapsed block of JSON (a payload, metadata, a stack) with a stable key, so it stays open. */
export function disclose(key, label, value) {
  if (value === undefined) return null;
  const text = typeof value === 'string' ? value : json(value);
  return h('details', { class: 'disclose', 'data-key': key }, h('summary', {}, label), h('pre', {}, text));
}
