/* global document, fetch, setTimeout, setInterval */
// The sample's demo panel: starts processes through the sample's own REST API (not the dashboard's).

const $ = (selector) => document.querySelector(selector);

function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes))
    if (value !== undefined) node.setAttribute(key, value);
  node.append(...children.filter((child) => child !== undefined && child !== null));
  return node;
}

async function post(path, body) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
  const data = (response.headers.get('content-type') ?? '').includes('json') ? await response.json() : {};
  if (!response.ok) {
    const message = Array.isArray(data.message)
      ? data.message.join('; ')
      : (data.message ?? response.statusText);
    throw new Error(`${response.status}: ${message}`);
  }
  return data;
}

async function get(path) {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${response.status}`);
  return response.json();
}

const short = (id) => id.slice(0, 8);
const chosen = (value) => value || undefined;

async function startOrder(form) {
  const { orderId, processId } = await post('/orders', {
    items: [
      { sku: form.sku.value || 'BOOK-42', qty: 1 },
      { sku: 'MUG-7', qty: 2 },
    ],
    total: Number(form.total.value),
    simulate: {
      inventory: chosen(form.inventory.value),
      payment: chosen(form.payment.value),
      shipping: chosen(form.shipping.value),
      completion: chosen(form.completion.value),
    },
  });
  return { processId, label: `Order ${short(orderId)}`, key: orderId };
}

async function startVoiding(form) {
  const customerId = form.customerId.value.trim();
  const { documentId } = await post('/documents', { customerId });
  if (form.published.checked) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const { documents } = await get(`/reports/${encodeURIComponent(customerId)}`);
      if (documents.some((document) => document.documentId === documentId)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await post(`/reports/${encodeURIComponent(customerId)}/publish`);
  }
  const { processId } = await post(`/documents/${documentId}/void`);
  return { processId, label: `Voiding of document ${short(documentId)}`, key: documentId };
}

async function startGroup(form) {
  const list = (text) =>
    text
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean);
  const { groupId, processId } = await post('/group-checkouts', {
    guests: list(form.guests.value),
    simulate: { failGuests: list(form.failGuests.value) },
  });
  return { processId, label: `Group checkout ${short(groupId)}`, key: groupId };
}

function bind(formId, start) {
  const form = $(formId);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button');
    button.disabled = true;
    try {
      const { processId, label, key } = await start(form);
      $('#started-empty').hidden = true;
      $('#started').prepend(
        h(
          'li',
          { 'data-process-id': processId },
          h('span', {}, `${label} `),
          h('span', { class: 'mono' }, key),
          ' · ',
          h(
            'a',
            { href: `../process-manager/#process=${processId}`, 'data-testid': 'open-in-dashboard' },
            'open in the dashboard',
          ),
        ),
      );
    } catch (error) {
      $('#started-empty').hidden = true;
      $('#started').prepend(h('li', { class: 'error' }, error.message));
    } finally {
      button.disabled = false;
    }
  });
}

async function health() {
  const pill = $('#health');
  try {
    const response = await fetch('/health');
    pill.textContent = response.ok ? 'database up' : 'database down';
    pill.className = `pill ${response.ok ? 'pill-up' : 'pill-down'}`;
  } catch {
    pill.textContent = 'app unreachable';
    pill.className = 'pill pill-down';
  }
}

bind('#order-form', startOrder);
bind('#voiding-form', startVoiding);
bind('#group-form', startGroup);
void health();
setInterval(health, 5000);
