import { api } from './api.js';
import { h, json } from './dom.js';
import { isLive } from './status.js';

/** Old → new, object field by object field, as the server records it (keys sorted). */
export function stateDiff(before, after, path = '') {
  const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => {
      const at = path ? `${path}.${key}` : key;
      if (!(key in after)) return [{ path: at, from: before[key] }];
      if (!(key in before)) return [{ path: at, to: after[key] }];
      return stateDiff(before[key], after[key], at);
    });
  }
  return JSON.stringify(before) === JSON.stringify(after)
    ? []
    : [{ path: path || '.', from: before, to: after }];
}

const value = (change, side) => (side in change ? JSON.stringify(change[side]) : '(none)');

/** `2031-05-01T10:00` for a datetime-local input, in the browser's time zone. */
function localInput(at) {
  const date = new Date(at);
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/**
 * The repairs of the open instance: its pending timers (reschedule, fire now, cancel), its outbox rows
 * not sent, and state repair (edit the state JSON, previewed as a diff; force a transition). Each write
 * takes the reason typed in the detail's reason field; state repairs require one.
 */
export class InstanceRepairs {
  constructor({ session, toast, onChange, reason }) {
    this.session = session;
    this.toast = toast;
    this.onChange = onChange;
    this.reason = reason;
    this.timers = h('div', { class: 'instance-timers', 'data-testid': 'timers' });
    this.outbox = h('div', { class: 'instance-outbox', 'data-testid': 'outbox' });
    this.editor = h('textarea', {
      class: 'state-editor mono',
      'data-testid': 'state-editor',
      rows: 8,
      spellcheck: 'false',
      'aria-label': 'New state (JSON)',
      oninput: () => this.clearPreview(),
    });
    this.diff = h('div', { class: 'state-diff', 'data-testid': 'state-diff' });
    this.confirmEdit = h(
      'button',
      {
        type: 'button',
        class: 'danger',
        'data-action': 'confirm-edit-state',
        hidden: true,
        onclick: () => this.editState(),
      },
      'Confirm edit',
    );
    this.stateName = h('input', {
      type: 'text',
      maxlength: 200,
      placeholder: 'named state',
      'aria-label': 'Target state',
      'data-testid': 'force-state-name',
    });
    this.repair = h(
      'details',
      { class: 'state-repair', 'data-key': 'state-repair' },
      h('summary', {}, 'Repair state'),
      h('p', { class: 'muted' }, 'Needs a reason (the field above); recorded with you and the diff.'),
      this.editor,
      h(
        'div',
        { class: 'actions' },
        h(
          'button',
          { type: 'button', class: 'secondary', 'data-action': 'edit-state', onclick: () => this.preview() },
          'Preview diff…',
        ),
        this.confirmEdit,
      ),
      this.diff,
      h(
        'div',
        { class: 'actions' },
        this.stateName,
        h(
          'button',
          {
            type: 'button',
            class: 'danger',
            'data-action': 'force-transition',
            onclick: () => this.forceTransition(),
          },
          'Force transition',
        ),
      ),
    );
  }

  /** The sections, in the detail's order. */
  get parts() {
    return [this.timers, this.outbox, this.repair];
  }

  render(process, timers, outbox) {
    this.process = process;
    const allowed = this.session.actions ?? {};
    const live = isLive(process.status);
    const timersKey = json([timers, live, allowed]);
    if (this.timers.dataset.signature !== timersKey) {
      this.timers.dataset.signature = timersKey;
      this.timers.replaceChildren(
        ...(timers.length === 0
          ? []
          : [h('h3', {}, `Pending timers (${timers.length})`), this.timerTable(timers, live, allowed)]),
      );
    }
    const outboxKey = json(outbox);
    if (this.outbox.dataset.signature !== outboxKey) {
      this.outbox.dataset.signature = outboxKey;
      this.outbox.replaceChildren(
        ...(outbox.length === 0
          ? []
          : [h('h3', {}, `Outbox not sent (${outbox.length})`), outboxList(outbox)]),
      );
    }
    // The editor follows the state until the operator changes it.
    const stateText = json(process.state);
    if (this.editor.value === '' || this.editor.value === this.editor.dataset.base)
      this.editor.value = stateText;
    this.editor.dataset.base = stateText;
    this.repair.hidden = !live;
    for (const [action, permitted] of [
      ['edit-state', allowed['edit-state']],
      ['confirm-edit-state', allowed['edit-state']],
      ['force-transition', allowed['force-transition']],
    ]) {
      const node = this.repair.querySelector(`[data-action="${action}"]`);
      node.disabled = !permitted;
      node.title = permitted
        ? ''
        : this.session.readOnly
          ? 'The dashboard is read-only'
          : 'Not allowed for you';
    }
  }

  timerTable(timers, live, allowed) {
    const denied = (action) => !live || !allowed[action];
    return h(
      'table',
      { class: 'timers' },
      h(
        'thead',
        {},
        h('tr', {}, h('th', {}, 'Timer'), h('th', {}, 'Message'), h('th', {}, 'Due'), h('th', {}, '')),
      ),
      h(
        'tbody',
        {},
        timers.map((timer) => {
          const at = h('input', {
            type: 'datetime-local',
            'data-testid': 'timer-at',
            value: localInput(timer.dueAt),
          });
          const named = timer.name !== undefined;
          const act = (action, label, run, className = 'secondary small') =>
            named
              ? h(
                  'button',
                  {
                    type: 'button',
                    class: className,
                    'data-action': action,
                    disabled: denied(action),
                    onclick: run,
                  },
                  label,
                )
              : null;
          return h(
            'tr',
            { 'data-timer': timer.name ?? timer.id },
            h('td', { class: 'mono' }, timer.name ?? '(unnamed)'),
            h('td', {}, timer.messageType),
            h(
              'td',
              { class: 'mono', 'data-testid': 'timer-due', title: new Date(timer.dueAt).toLocaleString() },
              timer.dueAt,
            ),
            h(
              'td',
              { class: 'timer-actions' },
              named ? at : null,
              act('reschedule-timer', 'Reschedule', () =>
                this.timer(timer, 'reschedule', { at: new Date(at.value).toISOString() }),
              ),
              act('fire-timer', 'Fire now', () => this.timer(timer, 'fire', {})),
              act('cancel-timer', 'Cancel', () => this.timer(timer, 'cancel', {}), 'danger small'),
            ),
          );
        }),
      ),
    );
  }

  async timer(timer, verb, body) {
    const reason = this.reason.value.trim();
    const path = `processes/${this.process.id}/timers/${encodeURIComponent(timer.name)}/${verb}`;
    await this.write(path, reason ? { ...body, reason } : body, `Timer ${timer.name}: ${verb} done.`);
  }

  /** Parses the editor and shows old → new before anything is written. */
  preview() {
    let next;
    try {
      next = JSON.parse(this.editor.value);
    } catch (error) {
      this.toast(`The state is not valid JSON: ${error.message}`, { error: true });
      return;
    }
    if (typeof next !== 'object' || next === null || Array.isArray(next)) {
      this.toast('The state must be a JSON object.', { error: true });
      return;
    }
    const changes = stateDiff(this.process.state, next);
    this.pending = next;
    this.diff.replaceChildren(
      changes.length === 0
        ? h('p', { class: 'muted' }, 'No change.')
        : h(
            'ul',
            { class: 'diff' },
            changes.map((change) =>
              h(
                'li',
                { 'data-path': change.path },
                h('span', { class: 'mono' }, change.path),
                ': ',
                h('del', {}, value(change, 'from')),
                ' → ',
                h('ins', {}, value(change, 'to')),
              ),
            ),
          ),
    );
    this.confirmEdit.hidden = changes.length === 0;
  }

  clearPreview() {
    this.pending = undefined;
    this.diff.replaceChildren();
    this.confirmEdit.hidden = true;
  }

  async editState() {
    if (!this.pending) return;
    const reason = this.requireReason();
    if (!reason) return;
    const state = this.pending;
    await this.write(`processes/${this.process.id}/state`, { state, reason }, 'State edited.', () => {
      this.clearPreview();
      this.editor.value = '';
    });
  }

  async forceTransition() {
    const stateName = this.stateName.value.trim();
    if (!stateName) return this.toast('Name the state to move to.', { error: true });
    const reason = this.requireReason();
    if (!reason) return;
    if (
      await this.write(
        `processes/${this.process.id}/transition`,
        { stateName, reason },
        `Moved to ${stateName}.`,
      )
    )
      this.stateName.value = '';
  }

  requireReason() {
    const reason = this.reason.value.trim();
    if (!reason) {
      this.toast('A state repair needs a reason: type it in the reason field.', { error: true });
      this.reason.focus();
    }
    return reason;
  }

  async write(path, body, done, onSuccess = () => undefined) {
    try {
      await api(path, body);
      this.reason.value = '';
      onSuccess();
      this.toast(done);
      return true;
    } catch (error) {
      this.toast(`${error.errorName}: ${error.message}`, { error: true });
      return false;
    } finally {
      await this.onChange();
    }
  }
}

function outboxList(rows) {
  return h(
    'ul',
    { class: 'outbox-rows' },
    rows.map((row) =>
      h(
        'li',
        { 'data-outbox': row.id, class: row.failedAt ? 'failed' : 'pending' },
        h('strong', {}, row.type),
        h(
          'span',
          { class: 'muted' },
          ` · ${row.kind} · ${row.failedAt ? 'failed' : 'pending'} · ${row.attempts} attempt(s)`,
        ),
        row.lastError ? h('pre', { class: 'error-block' }, row.lastError) : null,
      ),
    ),
  );
}
