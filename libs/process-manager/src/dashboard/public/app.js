/* global document, window, setTimeout, clearTimeout, setInterval, URLSearchParams */
import { api, token } from './api.js';
import { DeadLetterList } from './dead-letters.js';
import { $, h, tickAges } from './dom.js';
import { InstanceDetail } from './detail.js';
import { Overview, ProcessList } from './list.js';

const POLL_MS = 2000;

const session = { readOnly: true, actions: {}, actor: null };
let timer;
let running = false;
let signedOut = false;

const hash = () => new URLSearchParams(window.location.hash.slice(1));

function toast(message, { error = false } = {}) {
  const box = $('#toast');
  box.replaceChildren(message);
  box.classList.toggle('error', error);
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (box.hidden = true), error ? 9000 : 5000);
}

const overview = new Overview($('#overview'), { onPick: pick });
const list = new ProcessList($('#list-panel'), { onSelect: select });
const detail = new InstanceDetail($('#detail'), { session, toast, onChange: () => tick() });
const deadLetters = new DeadLetterList($('#dead-letter-panel'), {
  session,
  toast,
  onSelect: select,
  onChange: () => tick(),
});
list.onChange = () => tick();

function view() {
  return hash().get('view') === 'dead-letters' ? 'dead-letters' : 'processes';
}

function navigate(changes) {
  const params = hash();
  for (const [key, value] of Object.entries(changes)) {
    if (value) params.set(key, value);
    else params.delete(key);
  }
  window.history.replaceState(null, '', `#${params}`);
  applyView();
}

function applyView() {
  const current = view();
  $('#list-panel').hidden = current !== 'processes';
  $('#dead-letter-panel').hidden = current !== 'dead-letters';
  for (const tab of document.querySelectorAll('[data-tab]'))
    tab.setAttribute('aria-selected', String(tab.dataset.tab === current));
}

function select(processId) {
  navigate({ process: processId });
  list.select(processId);
  detail.show(processId);
  void detail.refresh();
}

function pick({ type, status, view: target }) {
  if (type !== undefined) $('#filter-type').value = type;
  $('#filter-status').value = status ?? '';
  $('#filter-state').value = '';
  $('#search').value = '';
  list.reset();
  navigate({ view: target });
  void tick();
}

/** One refresh at a time; a refresh asked for meanwhile runs right after it. */
let ticking;
let again = false;
function tick() {
  if (ticking) {
    again = true;
    return ticking;
  }
  ticking = (async () => {
    do {
      again = false;
      await refresh();
    } while (again);
  })().finally(() => (ticking = undefined));
  return ticking;
}

async function refresh() {
  if (signedOut) return;
  try {
    const overviewNow = await overview.refresh();
    fillTypes(overviewNow.types.map((entry) => entry.type));
    const total =
      overviewNow.types.reduce((sum, entry) => sum + entry.deadLetters, 0) +
      overviewNow.otherDeadLetters.reduce((sum, entry) => sum + entry.count, 0);
    $('#dead-letter-count').textContent = total > 0 ? String(total) : '';
    await Promise.all([view() === 'dead-letters' ? deadLetters.refresh() : list.refresh(), detail.refresh()]);
    $('#updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
    $('#updated').classList.remove('stale');
  } catch (error) {
    if (error.status === 401) return;
    $('#updated').textContent = `update failed: ${error.message}`;
    $('#updated').classList.add('stale');
  }
}

function fillTypes(types) {
  const select = $('#filter-type');
  const known = new Set([...select.options].map((option) => option.value));
  for (const type of types) if (!known.has(type)) select.append(h('option', { value: type }, type));
}

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(async () => {
    if ($('#live').checked && !document.hidden) await tick();
    schedule();
  }, POLL_MS);
}

async function start() {
  signedOut = false;
  try {
    Object.assign(session, await api('session'));
  } catch (error) {
    if (error.status !== 401) $('#updated').textContent = `could not load: ${error.message}`;
    return;
  }
  $('#sign-in').hidden = true;
  $('#main').hidden = false;
  $('#read-only').hidden = !session.readOnly;
  $('#actor').textContent = session.actor ? `signed in as ${session.actor}` : '';
  $('#forget-token').hidden = !token.get();
  applyView();
  const processId = hash().get('process');
  list.select(processId ?? undefined);
  detail.show(processId ?? undefined);
  await tick();
  if (!running) {
    running = true;
    setInterval(tickAges, 1000);
    schedule();
  }
}

window.addEventListener('dashboard:unauthorized', () => {
  signedOut = true;
  $('#main').hidden = true;
  $('#sign-in').hidden = false;
  $('#sign-in-error').textContent = token.get() ? 'That token was refused.' : '';
  $('#token').focus();
});

$('#token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const value = $('#token').value.trim();
  if (!value) return;
  token.set(value);
  $('#token').value = '';
  void start();
});

$('#forget-token').addEventListener('click', () => {
  token.clear();
  window.location.reload();
});

$('#search-form').addEventListener('submit', (event) => {
  event.preventDefault();
  list.reset();
  void tick();
});
$('#clear-search').addEventListener('click', () => {
  $('#search').value = '';
  list.reset();
  void tick();
});
for (const filter of ['#filter-type', '#filter-status', '#filter-state']) {
  $(filter).addEventListener('change', () => {
    list.reset();
    void tick();
  });
}
for (const tab of document.querySelectorAll('[data-tab]')) {
  tab.addEventListener('click', () => {
    navigate({ view: tab.dataset.tab === 'dead-letters' ? 'dead-letters' : undefined });
    void tick();
  });
}
window.addEventListener('hashchange', () => {
  applyView();
  const processId = hash().get('process');
  if (processId && processId !== detail.processId) select(processId);
});

void start();
