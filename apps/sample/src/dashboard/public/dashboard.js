/* global document, window, fetch, setTimeout, clearTimeout, URLSearchParams */
import { renderStateDiagram, stateId } from './state-diagram.js';

const POLL_MS = 1000;
const HEALTH_MS = 5000;
const PAGE_SIZE = 25;
const ORDER_FULFILMENT = 'order-fulfilment';

const view = {
  selectedId: new URLSearchParams(window.location.hash.slice(1)).get('process'),
  pages: 1,
  detailSignature: '',
  diagrams: new Map(),
  timer: undefined,
};

const $ = (selector) => document.querySelector(selector);

/** Builds an element: `h('td', { class: 'mono', title: id }, 'text', child)`. Text is never parsed as HTML. */
function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return node;
}

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
  if (!response.ok) {
    const message = Array.isArray(data?.message)
      ? data.message.join('; ')
      : (data?.message ?? response.statusText);
    throw new Error(`${response.status}: ${message}`);
  }
  return data;
}

function toast(message, { error = false, processId } = {}) {
  const box = $('#toast');
  box.replaceChildren(message);
  if (processId) {
    box.append(' ', h('a', { href: `#process=${processId}`, onclick: () => select(processId) }, 'Show it'));
  }
  box.classList.toggle('error', error);
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (box.hidden = true), error ? 9000 : 6000);
}

function age(since) {
  const seconds = Math.max(0, Math.round((Date.now() - new Date(since).getTime()) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86400)}d`;
}

const short = (id) => (/^[0-9a-f]{8}-/.test(id) ? id.slice(0, 8) : id);
const statusPill = (status) => h('span', { class: `pill status-${status}`, 'data-status': status }, status);
const stateChip = (name) =>
  name ? h('span', { class: 'state-chip' }, name) : h('span', { class: 'muted' }, '—');

// ---------------------------------------------------------------- list

async function refreshList() {
  const query = new URLSearchParams({ limit: String(Math.min(PAGE_SIZE * view.pages, 200)) });
  if ($('#filter-type').value) query.set('type', $('#filter-type').value);
  if ($('#filter-status').value) query.set('status', $('#filter-status').value);
  const { items, nextCursor } = await api('GET', `/processes?${query}`);
  $('#process-rows').replaceChildren(...items.map(row));
  $('#list-empty').hidden = items.length > 0;
  $('#more').hidden = !nextCursor || view.pages * PAGE_SIZE >= 200;
}

function row(process) {
  return h(
    'tr',
    {
      'data-process-id': process.id,
      'data-type': process.type,
      class: process.id === view.selectedId ? 'selected' : undefined,
      onclick: () => select(process.id),
      tabindex: 0,
      onkeydown: (event) => event.key === 'Enter' && select(process.id),
    },
    h('td', {}, process.type),
    h('td', { class: 'mono', title: process.correlationKey }, short(process.correlationKey)),
    h('td', {}, statusPill(process.status)),
    h('td', {}, stateChip(process.stateName)),
    h('td', { class: 'muted', title: new Date(process.startedAt).toLocaleString() }, age(process.startedAt)),
    h('td', { class: 'error-text', title: process.lastError ?? '' }, process.lastError ?? ''),
  );
}

// ---------------------------------------------------------------- detail

function select(processId) {
  view.selectedId = processId;
  view.detailSignature = '';
  window.history.replaceState(null, '', `#process=${processId}`);
  for (const tr of document.querySelectorAll('#process-rows tr')) {
    tr.classList.toggle('selected', tr.dataset.processId === processId);
  }
  void refreshDetail();
}

async function refreshDetail() {
  if (!view.selectedId) return;
  let process;
  try {
    process = await api('GET', `/processes/${view.selectedId}`);
  } catch (error) {
    $('#detail').replaceChildren(h('p', { class: 'empty' }, String(error.message)));
    view.detailSignature = '';
    return;
  }
  const signature = [
    process.id,
    process.version,
    process.status,
    process.acknowledgedAt,
    process.lastError, // a dead letter sets it without a new version
    process.history.length,
  ].join('|');
  if (signature === view.detailSignature) return;
  view.detailSignature = signature;
  const [diagram, deadLetters] = await Promise.all([diagramOf(process.type), deadLettersOf(process)]);
  $('#detail').replaceChildren(...detail(process, diagram, deadLetters).filter(Boolean));
}

async function diagramOf(type) {
  if (!view.diagrams.has(type))
    view.diagrams.set(type, await api('GET', `/processes/types/${encodeURIComponent(type)}/diagram`));
  return view.diagrams.get(type);
}

async function deadLettersOf(process) {
  if (!['running', 'compensating'].includes(process.status)) return [];
  try {
    const { items } = await api('GET', '/dead-letters?limit=200');
    return items.filter(
      (letter) =>
        letter.processId === process.id ||
        (letter.handler === process.type && letter.correlationKey === process.correlationKey),
    );
  } catch {
    return [];
  }
}

function detail(process, diagramText, deadLetters) {
  const live = ['running', 'compensating'].includes(process.status);
  const head = h(
    'div',
    { class: 'detail-head' },
    h(
      'div',
      { class: 'detail-title' },
      h('h2', { 'data-testid': 'detail-type' }, process.type),
      h(
        'div',
        { class: 'meta' },
        statusPill(process.status),
        stateChip(process.stateName),
        h('span', { class: 'mono muted', title: 'correlation key' }, process.correlationKey),
      ),
      h(
        'div',
        { class: 'muted' },
        h('span', { class: 'mono' }, process.id),
        ` · v${process.version} · started ${new Date(process.startedAt).toLocaleTimeString()}`,
        process.completedAt ? ` · ended ${new Date(process.completedAt).toLocaleTimeString()}` : '',
        process.acknowledgedAt ? ' · failure acknowledged' : '',
      ),
    ),
    h(
      'div',
      { class: 'actions' },
      h(
        'button',
        {
          class: 'secondary',
          disabled: !(process.status === 'failed' && !process.acknowledgedAt),
          title: 'Frees the correlation key so a new instance can start',
          onclick: () => operate(process.id, 'acknowledge'),
        },
        'Acknowledge',
      ),
      h(
        'button',
        {
          class: 'secondary',
          disabled: !live,
          title: 'Re-runs its dead-lettered deliveries, or re-sends its last step when it has none',
          onclick: () => operate(process.id, 'retry'),
        },
        'Retry',
      ),
      process.type === ORDER_FULFILMENT
        ? h(
            'button',
            {
              class: 'secondary',
              disabled: !(process.status === 'running' && process.state?.cancellation === undefined),
              title: 'POST /orders/:orderId/cancel: the saga undoes what it did, then ends cancelled',
              onclick: () => cancelOrder(process.correlationKey),
            },
            'Cancel order',
          )
        : null,
      h(
        'button',
        {
          class: 'danger',
          disabled: !live,
          title: 'Ends the instance as cancelled at once, without compensation',
          onclick: () =>
            window.confirm('Cancel this process? No compensation runs.') && operate(process.id, 'cancel'),
        },
        'Cancel',
      ),
    ),
  );
  const names = new Map();
  const visited = new Set();
  const taken = new Set();
  const observed = [];
  for (const entry of process.history) {
    for (const name of [entry.fromState, entry.toState]) if (name) names.set(stateId(name), name);
    if (entry.outcome !== 'handled' || !entry.toState) continue;
    const from = entry.fromState ? stateId(entry.fromState) : '[*]';
    const to = stateId(entry.toState);
    visited.add(to);
    taken.add(`${from}->${to}`);
    if (from !== to) observed.push({ from, to, label: entry.messageType });
  }
  if (process.stateName) names.set(stateId(process.stateName), process.stateName);
  const diagram = renderStateDiagram(diagramText, {
    current: process.stateName ? stateId(process.stateName) : undefined,
    status: process.status,
    visited,
    taken,
    names,
    observed,
  });
  return [
    head,
    process.lastError ? h('p', { class: 'last-error' }, process.lastError) : null,
    h('h3', {}, 'State diagram'),
    h('div', { class: 'diagram' }, diagram),
    h('details', { class: 'source' }, h('summary', {}, 'Mermaid source'), h('pre', {}, diagramText)),
    h('h3', {}, `Timeline (${process.history.length})`),
    h('ol', { class: 'timeline', id: 'timeline' }, process.history.map(timelineEntry)),
    deadLetters.length > 0 ? h('h3', {}, 'Dead letters') : null,
    deadLetters.length > 0
      ? h(
          'ul',
          { class: 'dead-letters' },
          deadLetters.map((letter) =>
            h(
              'li',
              {},
              h('strong', {}, letter.messageType),
              ` · ${letter.status} after ${letter.attempts} attempt(s): `,
              h('span', { class: 'error-text' }, letter.error),
            ),
          ),
        )
      : null,
    h('h3', {}, 'State'),
    h('pre', { 'data-testid': 'state-json' }, JSON.stringify(process.state, null, 2)),
  ];
}

function timelineEntry(entry) {
  const classes = [`outcome-${entry.outcome}`, `entry-${entry.status}`, entry.error ? 'has-error' : ''];
  const changed = entry.toState !== entry.fromState;
  return h(
    'li',
    { class: classes.join(' '), 'data-seq': entry.seq },
    h('span', { class: 'dot', 'aria-hidden': 'true' }),
    h(
      'div',
      { class: 'entry-head' },
      h('span', { class: 'message' }, entry.messageType),
      entry.outcome !== 'handled' ? h('span', { class: 'pill status-cancelled' }, entry.outcome) : null,
      h(
        'span',
        { class: 'when', title: new Date(entry.at).toLocaleString() },
        `#${entry.seq} · ${new Date(entry.at).toLocaleTimeString()}`,
      ),
    ),
    h(
      'div',
      { class: 'transition' },
      changed
        ? [
            entry.fromState ? stateChip(entry.fromState) : h('span', { class: 'muted' }, 'start'),
            h('span', { class: 'muted' }, '→'),
            stateChip(entry.toState),
          ]
        : stateChip(entry.toState),
      statusPill(entry.status),
    ),
    entry.commands.length > 0
      ? h(
          'ul',
          { class: 'out' },
          entry.commands.map((message) =>
            h(
              'li',
              { title: JSON.stringify(message.payload, null, 2) },
              h('span', { class: 'kind' }, message.kind === 'command' ? 'command →' : 'event ◆'),
              h('span', { class: message.type.startsWith('ProcessManager.') ? 'muted' : '' }, message.type),
            ),
          ),
        )
      : null,
    entry.note ? h('div', { class: 'note' }, entry.note) : null,
    entry.error ? h('div', { class: 'error' }, entry.error) : null,
  );
}

async function cancelOrder(orderId) {
  try {
    await api('POST', `/orders/${orderId}/cancel`, {});
    toast('Cancellation requested: the saga compensates once the step in flight answers');
  } catch (error) {
    toast(`cancel failed: ${error.message}`, { error: true });
  }
  view.detailSignature = '';
  await tick();
}

async function operate(processId, operation) {
  try {
    await api('POST', `/processes/${processId}/${operation}`, operation === 'cancel' ? {} : undefined);
    toast(`${operation} done`);
  } catch (error) {
    toast(`${operation} failed: ${error.message}`, { error: true });
  }
  view.detailSignature = '';
  await tick();
}

// ---------------------------------------------------------------- starters

const checked = (value) => value || undefined;

async function startOrder(form) {
  const simulate = {
    inventory: checked(form.inventory.value),
    payment: checked(form.payment.value),
    shipping: checked(form.shipping.value),
    completion: checked(form.completion.value),
  };
  const { orderId, processId } = await api('POST', '/orders', {
    items: [
      { sku: 'BOOK-42', qty: 1 },
      { sku: 'MUG-7', qty: 2 },
    ],
    total: Number(form.total.value),
    simulate,
  });
  return { processId, message: `Order ${short(orderId)} placed.` };
}

async function startVoiding(form) {
  const customerId = form.customerId.value.trim();
  const { documentId } = await api('POST', '/documents', { customerId });
  if (form.published.checked) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const { documents } = await api('GET', `/reports/${encodeURIComponent(customerId)}`);
      if (documents.some((document) => document.documentId === documentId)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await api('POST', `/reports/${encodeURIComponent(customerId)}/publish`);
  }
  const { processId } = await api('POST', `/documents/${documentId}/void`);
  return { processId, message: `Document ${short(documentId)} issued; voiding requested.` };
}

async function startGroup(form) {
  const list = (text) =>
    text
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean);
  const { groupId, processId } = await api('POST', '/group-checkouts', {
    guests: list(form.guests.value),
    simulate: { failGuests: list(form.failGuests.value) },
  });
  return { processId, message: `Group checkout ${short(groupId)} started.` };
}

function bindStarter(formId, start) {
  const form = $(formId);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button');
    button.disabled = true;
    try {
      const { processId, message } = await start(form);
      toast(message, { processId });
      select(processId);
      await tick();
    } catch (error) {
      toast(error.message, { error: true });
    } finally {
      button.disabled = false;
    }
  });
}

// ---------------------------------------------------------------- polling

async function refreshHealth() {
  const pill = $('#health');
  try {
    const response = await fetch('/health');
    const up = response.ok;
    pill.textContent = up ? 'database up' : 'database down';
    pill.className = `pill ${up ? 'pill-up' : 'pill-down'}`;
  } catch {
    pill.textContent = 'app unreachable';
    pill.className = 'pill pill-down';
  }
}

async function tick() {
  try {
    await Promise.all([refreshList(), refreshDetail()]);
    $('#updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (error) {
    $('#updated').textContent = `update failed: ${error.message}`;
  }
}

function schedule() {
  clearTimeout(view.timer);
  view.timer = setTimeout(async () => {
    if ($('#live').checked && !document.hidden) await tick();
    schedule();
  }, POLL_MS);
}

async function init() {
  const { types } = await api('GET', '/processes/types');
  $('#filter-type').append(...types.map((type) => h('option', { value: type }, type)));
  for (const filter of ['#filter-type', '#filter-status']) {
    $(filter).addEventListener('change', () => {
      view.pages = 1;
      void tick();
    });
  }
  $('#more').addEventListener('click', () => {
    view.pages += 1;
    void tick();
  });
  bindStarter('#order-form', startOrder);
  bindStarter('#voiding-form', startVoiding);
  bindStarter('#group-form', startGroup);
  window.addEventListener('hashchange', () => {
    const id = new URLSearchParams(window.location.hash.slice(1)).get('process');
    if (id && id !== view.selectedId) select(id);
  });
  await Promise.all([tick(), refreshHealth()]);
  window.setInterval(refreshHealth, HEALTH_MS);
  schedule();
}

void init();
