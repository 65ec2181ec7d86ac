import { api, query } from './api.js';
import { $, ageOf, h, json, reconcile, short } from './dom.js';
import { acknowledgedPill, stateChip, statusPill } from './status.js';

const PAGE = 50;
const MAX_PAGE = 200;

/** The overview: per process type, the instances holding a key and what needs an operator. */
export class Overview {
  constructor(root, { onPick }) {
    this.root = root;
    this.onPick = onPick;
    this.types = [];
  }

  async refresh() {
    const ticket = (this.ticket = (this.ticket ?? 0) + 1);
    const overview = await api('overview');
    if (ticket !== this.ticket) return overview;
    this.types = overview.types.map((entry) => entry.type);
    const cards = [...overview.types];
    const other = overview.otherDeadLetters.reduce((sum, entry) => sum + entry.count, 0);
    reconcile(
      this.root,
      other > 0 ? [...cards, { type: null, other }] : cards,
      (entry) => entry.type ?? '(other)',
      (entry) => json(entry),
      (entry) => (entry.type === null ? this.otherCard(entry.other) : this.card(entry)),
    );
    return overview;
  }

  card(entry) {
    const attention = entry.failed + entry.stalled + entry.deadLetters > 0;
    const count = (label, value, status, kind) =>
      h(
        'button',
        {
          type: 'button',
          class: `count count-${kind}${value > 0 ? '' : ' zero'}`,
          'data-count': kind,
          title: `${value} ${label}: show them`,
          onclick: () =>
            this.onPick({ type: entry.type, status, view: kind === 'dead' ? 'dead-letters' : undefined }),
        },
        h('span', { class: 'count-value' }, String(value)),
        h('span', { class: 'count-label' }, label),
      );
    return h(
      'article',
      { class: `type-card${attention ? ' attention' : ''}`, 'data-type': entry.type },
      h('h2', {}, entry.type),
      h(
        'div',
        { class: 'counts' },
        count('running', entry.running, 'running', 'running'),
        count('compensating', entry.compensating, 'compensating', 'compensating'),
        count('failed', entry.failed, 'failed', 'failed'),
        count('stuck', entry.stalled, 'running,compensating', 'stalled'),
        count('dead letters', entry.deadLetters, undefined, 'dead'),
      ),
    );
  }

  otherCard(total) {
    return h(
      'article',
      { class: 'type-card attention', 'data-type': '(other)' },
      h('h2', {}, 'stateless handlers'),
      h(
        'div',
        { class: 'counts' },
        h(
          'button',
          { type: 'button', class: 'count count-dead', onclick: () => this.onPick({ view: 'dead-letters' }) },
          h('span', { class: 'count-value' }, String(total)),
          h('span', { class: 'count-label' }, 'dead letters'),
        ),
      ),
    );
  }
}

/** Instances, newest first, without their states; or the result of a search by key or id. */
export class ProcessList {
  constructor(root, { onSelect }) {
    this.root = root;
    this.onSelect = onSelect;
    this.selectedId = undefined;
    this.pageSize = PAGE;
    this.cursors = [];
    this.rows = $('#process-rows', root);
    $('#more', root).addEventListener('click', () => this.grow());
    $('#older', root).addEventListener('click', () => this.page(+1));
    $('#newest', root).addEventListener('click', () => this.page(0));
  }

  get filters() {
    return {
      type: $('#filter-type', this.root).value,
      status: $('#filter-status', this.root).value,
      state: $('#filter-state', this.root).value.trim(),
      key: $('#search', this.root).value.trim(),
    };
  }

  reset() {
    this.pageSize = PAGE;
    this.cursors = [];
  }

  grow() {
    this.pageSize = Math.min(this.pageSize + PAGE, MAX_PAGE);
    this.onChange?.();
  }

  page(direction) {
    if (direction === 0) this.cursors = [];
    else if (this.nextCursor) this.cursors.push(this.nextCursor);
    this.onChange?.();
  }

  async refresh() {
    const { type, status, state, key } = this.filters;
    const cursor = this.cursors.at(-1);
    // Only the answer to the latest request is shown: an older one may arrive after it.
    const ticket = (this.ticket = (this.ticket ?? 0) + 1);
    const { items, nextCursor } = await api(
      `processes${query({ key, type, status, state, limit: String(this.pageSize), cursor })}`,
    );
    if (ticket !== this.ticket) return;
    this.nextCursor = nextCursor;
    reconcile(
      this.rows,
      items,
      (process) => process.id,
      (process) => json(process),
      (process) => this.row(process),
    );
    this.markSelected();
    const empty = $('#list-empty', this.root);
    empty.hidden = items.length > 0;
    empty.textContent = key ? `No instance has the key or id "${key}".` : 'No processes match.';
    $('#more', this.root).hidden = !nextCursor || this.pageSize >= MAX_PAGE;
    $('#older', this.root).hidden = !nextCursor || this.pageSize < MAX_PAGE;
    $('#newest', this.root).hidden = this.cursors.length === 0;
    $('#search-note', this.root).hidden = !key;
  }

  select(processId) {
    this.selectedId = processId;
    this.markSelected();
  }

  markSelected() {
    for (const tr of this.rows.children) tr.classList.toggle('selected', tr.dataset.key === this.selectedId);
  }

  row(process) {
    return h(
      'tr',
      {
        'data-process-id': process.id,
        'data-type': process.type,
        tabindex: 0,
        onclick: () => this.onSelect(process.id),
        onkeydown: (event) => event.key === 'Enter' && this.onSelect(process.id),
      },
      h('td', {}, process.type),
      h('td', { class: 'mono', title: process.correlationKey }, short(process.correlationKey)),
      h('td', {}, statusPill(process), ' ', acknowledgedPill(process)),
      h('td', {}, stateChip(process.stateName)),
      h('td', { class: 'muted' }, ageOf(process.startedAt)),
      h('td', { class: 'error-text', title: process.lastError ?? '' }, process.lastError ?? ''),
    );
  }
}
