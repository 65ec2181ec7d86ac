/* global FormData */
import { api, query } from './api.js';
import { $, disclose, h, json, reconcile, short, time } from './dom.js';

/** Every open dead letter, oldest first: stateless handlers' too, which belong to no instance. */
export class DeadLetterList {
  constructor(root, { session, toast, onSelect, onChange }) {
    this.root = root;
    this.session = session;
    this.toast = toast;
    this.onSelect = onSelect;
    this.onChange = onChange;
    this.list = $('#dead-letter-rows', root);
    this.bulk = $('#bulk-retry', root);
    if (this.bulk) {
      this.bulk.addEventListener('submit', (event) => {
        event.preventDefault();
        void this.count();
      });
      this.bulk.addEventListener('input', () => this.forgetCount());
      $('[data-action="bulk-retry"]', this.bulk).addEventListener('click', () => void this.retryAll());
    }
  }

  /** The filter of the bulk-retry form; empty fields match anything. */
  filter() {
    const data = new FormData(this.bulk);
    const filter = {};
    for (const name of ['type', 'messageType', 'errorContains']) {
      const value = String(data.get(name) ?? '').trim();
      if (value) filter[name] = value;
    }
    return filter;
  }

  /** Shows how many dead letters the filter matches before anything is retried. */
  async count() {
    const filter = this.filter();
    try {
      const { count } = await api(`dead-letters/count${query(filter)}`);
      this.counted = { filter: json(filter), count };
      $('#bulk-retry-count', this.bulk).textContent = `${count} dead letter${count === 1 ? '' : 's'} match`;
      const retry = $('[data-action="bulk-retry"]', this.bulk);
      retry.hidden = count === 0;
      retry.disabled = !this.session.actions?.['bulk-retry'];
      retry.textContent = `Retry ${count}`;
    } catch (error) {
      this.toast(`count failed: ${error.errorName}: ${error.message}`, { error: true });
    }
  }

  forgetCount() {
    this.counted = undefined;
    $('#bulk-retry-count', this.bulk).textContent = '';
    $('[data-action="bulk-retry"]', this.bulk).hidden = true;
  }

  async retryAll() {
    const filter = this.filter();
    if (!this.counted || this.counted.filter !== json(filter)) return this.count();
    try {
      const { retried } = await api('dead-letters/retry', filter);
      this.toast(`Retried ${retried} dead letter${retried === 1 ? '' : 's'}.`);
    } catch (error) {
      this.toast(`bulk retry failed: ${error.errorName}: ${error.message}`, { error: true });
    }
    this.forgetCount();
    await this.onChange();
  }

  async refresh() {
    const ticket = (this.ticket = (this.ticket ?? 0) + 1);
    const { items } = await api('dead-letters?limit=200');
    if (ticket !== this.ticket) return;
    reconcile(
      this.list,
      items,
      (letter) => letter.id,
      (letter) => json([letter.attempts, letter.error, letter.lastFailedAt]),
      (letter) => this.item(letter),
    );
    $('#dead-letters-empty', this.root).hidden = items.length > 0;
  }

  item(letter) {
    return h(
      'li',
      { class: 'dead-letter', 'data-dead-letter': letter.id, 'data-process-id': letter.processId },
      h(
        'div',
        { class: 'dead-letter-head' },
        h('strong', {}, letter.messageType),
        h('span', { class: 'muted' }, ` · ${letter.handler}`),
        letter.correlationKey
          ? h('span', { class: 'mono muted' }, ` · ${short(letter.correlationKey)}`)
          : null,
        h('span', { class: 'muted' }, ` · ${letter.attempts} attempt(s), last ${time(letter.lastFailedAt)}`),
        letter.processId
          ? h(
              'button',
              { type: 'button', class: 'link', onclick: () => this.onSelect(letter.processId) },
              'open instance',
            )
          : null,
        h(
          'button',
          {
            type: 'button',
            class: 'secondary small',
            'data-action': 'retry-dead-letter',
            disabled: !this.session.actions?.retry,
            onclick: () => this.retry(letter),
          },
          'Retry',
        ),
      ),
      h('pre', { class: 'error-block' }, letter.error),
      disclose(`payload-${letter.id}`, 'payload', letter.payload),
      letter.stack ? disclose(`stack-${letter.id}`, 'stack', letter.stack) : null,
    );
  }

  async retry(letter) {
    try {
      await api(`dead-letters/${letter.id}/retry`, {});
      this.toast(`${letter.messageType} retried.`);
    } catch (error) {
      this.toast(`retry failed: ${error.errorName}: ${error.message}`, { error: true });
    }
    await this.onChange();
  }
}
