import { api } from './api.js';
import { ageOf, disclose, h, json, patch, time } from './dom.js';
import { InstanceRepairs } from './repairs.js';
import { renderStateDiagram, stateId } from './state-diagram.js';
import { acknowledgedPill, isLive, stateChip, statusPill } from './status.js';

const diagrams = new Map();
const OPERATOR_ROWS = {
  cancelled: 'Cancelled by an operator',
  acknowledged: 'Failure acknowledged by an operator',
  retried: 'Retried by an operator',
  repaired: 'Repaired by an operator',
};

/**
 * The open instance: built once when selected, then patched section by section on each refresh, so
 * what the operator is reading (a payload opened, a reason being typed) stays put.
 */
export class InstanceDetail {
  constructor(root, { session, toast, onChange }) {
    this.root = root;
    this.session = session;
    this.toast = toast;
    this.onChange = onChange;
    this.processId = undefined;
  }

  show(processId) {
    this.processId = processId;
    this.current = undefined;
    if (!processId) {
      this.root.replaceChildren(
        h('p', { class: 'empty' }, 'Select a process to see its timeline, state and diagram.'),
      );
      return;
    }
    this.parts = {
      head: h('div', { class: 'detail-head' }),
      actions: this.actionsBar(),
      failure: h('div'),
      steps: h('div'),
      diagram: h('div'),
      timeline: h('ol', { class: 'timeline', id: 'timeline' }),
      timelineTitle: h('h3', {}, 'Timeline'),
      deadLetters: h('div', { class: 'instance-dead-letters' }),
      state: h('pre', { 'data-testid': 'state-json', class: 'state' }),
    };
    this.repairs = new InstanceRepairs({
      session: this.session,
      toast: this.toast,
      onChange: this.onChange,
      reason: this.reason,
    });
    this.root.replaceChildren(
      h('p', { class: 'empty' }, 'Loading…'),
      this.parts.head,
      this.parts.actions,
      this.parts.failure,
      this.parts.deadLetters,
      ...this.repairs.parts,
      this.parts.steps,
      h('h3', {}, 'State diagram'),
      this.parts.diagram,
      this.parts.timelineTitle,
      this.parts.timeline,
      h('h3', {}, 'State'),
      this.parts.state,
    );
  }

  async refresh() {
    const processId = this.processId;
    if (!processId) return;
    const ticket = (this.ticket = (this.ticket ?? 0) + 1);
    const stale = () => processId !== this.processId || ticket !== this.ticket;
    let detail;
    try {
      detail = await api(`processes/${encodeURIComponent(processId)}`);
    } catch (error) {
      if (stale()) return;
      this.root.replaceChildren(
        h('p', { class: 'empty error-text' }, `${error.errorName}: ${error.message}`),
      );
      this.processId = undefined;
      return;
    }
    if (stale()) return;
    const diagram = await this.diagramOf(detail.process.type);
    if (stale()) return;
    this.render(detail, diagram);
  }

  render({ process, history, deadLetters, timers = [], outbox = [] }, diagram) {
    this.current = { process, deadLetters };
    this.root.querySelector(':scope > .empty')?.remove();
    const { state, ...summary } = process;
    patch(this.parts.head, json(summary), () => this.head(process));
    patch(this.parts.failure, json([process.lastError, process.failureKind, process.acknowledgedAt]), () =>
      failureNote(process),
    );
    patch(this.parts.deadLetters, json(deadLetters.map((l) => [l.id, l.attempts, l.error])), () =>
      deadLetters.length === 0
        ? null
        : [
            h('h3', {}, `Dead letters (${deadLetters.length})`),
            h(
              'ul',
              { class: 'dead-letters' },
              deadLetters.map((letter) => this.deadLetter(letter)),
            ),
          ],
    );
    patch(this.parts.steps, json(state?.steps ?? null), () => sagaSteps(state));
    patch(this.parts.diagram, json([process.type, process.stateName, process.status, history.length]), () =>
      diagram ? h('div', { class: 'diagram' }, drawDiagram(diagram, process, history)) : null,
    );
    this.timeline(history);
    this.repairs.render(process, timers, outbox);
    const stateText = json(state);
    if (this.parts.state.textContent !== stateText) this.parts.state.textContent = stateText;
    this.updateActions();
  }

  head(process) {
    return [
      h(
        'div',
        { class: 'detail-title' },
        h('h2', { 'data-testid': 'detail-type' }, process.type),
        h(
          'div',
          { class: 'meta' },
          statusPill(process),
          acknowledgedPill(process),
          stateChip(process.stateName),
          h(
            'span',
            { class: 'mono', title: 'correlation key', 'data-testid': 'detail-key' },
            process.correlationKey,
          ),
        ),
        h(
          'div',
          { class: 'muted' },
          h('span', { class: 'mono', title: 'process id' }, process.id),
          ` · v${process.version} · started `,
          ageOf(process.startedAt),
          ' ago',
          process.completedAt ? ` · ended ${time(process.completedAt)}` : '',
        ),
      ),
    ];
  }

  actionsBar() {
    const reason = h('input', {
      id: 'reason',
      type: 'text',
      maxlength: 1000,
      placeholder: 'Reason (recorded in the timeline)',
      'aria-label': 'Reason',
    });
    const button = (action, label, className, title) =>
      h(
        'button',
        {
          type: 'button',
          class: className,
          'data-action': action,
          title,
          onclick: () => this.operate(action),
        },
        label,
      );
    const confirm = h(
      'span',
      { class: 'confirm', hidden: true },
      h('span', {}, 'Ends it as cancelled at once, no compensation runs.'),
      h(
        'button',
        { type: 'button', class: 'danger', onclick: () => this.operate('cancel') },
        'Confirm cancel',
      ),
      h('button', { type: 'button', class: 'secondary', onclick: () => (confirm.hidden = true) }, 'Keep it'),
    );
    this.reason = reason;
    this.confirm = confirm;
    return h(
      'div',
      { class: 'actions-bar' },
      reason,
      h(
        'div',
        { class: 'actions' },
        button(
          'retry',
          'Retry',
          'secondary',
          'Re-runs its dead letters, or re-sends its last step when it has none',
        ),
        button('acknowledge', 'Acknowledge', 'secondary', 'Marks the failure as handled and frees the key'),
        h(
          'button',
          {
            type: 'button',
            class: 'danger',
            'data-action': 'ask-cancel',
            onclick: () => (confirm.hidden = false),
          },
          'Cancel…',
        ),
      ),
      confirm,
    );
  }

  updateActions() {
    if (!this.current) return;
    const { process, deadLetters } = this.current;
    const allowed = this.session.actions ?? {};
    const why = this.session.readOnly ? 'The dashboard is read-only' : 'Not allowed for you';
    const rules = {
      retry: [
        allowed.retry,
        isLive(process.status) || deadLetters.length > 0,
        'Nothing to retry: it has ended',
      ],
      acknowledge: [
        allowed.acknowledge,
        process.status === 'failed' && !process.acknowledgedAt,
        process.acknowledgedAt ? 'Already acknowledged' : 'Only a failed instance can be acknowledged',
      ],
      'ask-cancel': [
        allowed.cancel,
        isLive(process.status),
        'Only a running or compensating instance can be cancelled',
      ],
    };
    for (const [action, [permitted, possible, impossible]] of Object.entries(rules)) {
      const node = this.parts.actions.querySelector(`[data-action="${action}"]`);
      node.disabled = !permitted || !possible;
      if (!permitted) node.dataset.why = why;
      else if (!possible) node.dataset.why = impossible;
      else delete node.dataset.why;
      node.title = node.dataset.why ?? '';
    }
    if (!allowed.cancel || !isLive(process.status)) this.confirm.hidden = true;
  }

  async operate(action) {
    const processId = this.processId;
    const reason = this.reason.value.trim();
    try {
      const result = await api(`processes/${processId}/${action}`, reason ? { reason } : {});
      this.reason.value = '';
      this.confirm.hidden = true;
      const left = result.deadLetters;
      this.toast(
        action === 'retry' && left > 0
          ? `Retried: ${left} dead letter${left === 1 ? '' : 's'} failed again (see below)`
          : `${action === 'acknowledge' ? 'Acknowledged' : action === 'cancel' ? 'Cancelled' : 'Retried'}.`,
        { error: action === 'retry' && left > 0 },
      );
    } catch (error) {
      this.toast(`${action} failed: ${error.errorName}: ${error.message}`, { error: true });
    }
    await this.onChange();
  }

  deadLetter(letter) {
    return h(
      'li',
      { class: 'dead-letter', 'data-dead-letter': letter.id },
      h(
        'div',
        { class: 'dead-letter-head' },
        h('strong', {}, letter.messageType),
        h('span', { class: 'muted' }, ` · dead after ${letter.attempts} attempt(s) · last `),
        h('span', { class: 'muted' }, time(letter.lastFailedAt)),
        h(
          'button',
          {
            type: 'button',
            class: 'secondary small',
            'data-action': 'retry-dead-letter',
            disabled: !this.session.actions?.retry,
            onclick: () => this.retryDeadLetter(letter.id),
          },
          'Retry',
        ),
      ),
      h('pre', { class: 'error-block' }, letter.error),
      disclose(`dl-payload-${letter.id}`, 'payload', letter.payload),
      disclose(`dl-meta-${letter.id}`, 'metadata', letter.metadata),
      letter.stack ? disclose(`dl-stack-${letter.id}`, 'stack', letter.stack) : null,
    );
  }

  async retryDeadLetter(id) {
    const reason = this.reason.value.trim();
    try {
      await api(`dead-letters/${id}/retry`, reason ? { reason } : {});
      this.reason.value = '';
      this.toast('Dead letter retried.');
    } catch (error) {
      this.toast(`retry failed: ${error.errorName}: ${error.message}`, { error: true });
    }
    await this.onChange();
  }

  /** Entries are only ever appended, so the ones on screen stay as they are. */
  timeline(history) {
    const list = this.parts.timeline;
    if (list.children.length > history.length) list.replaceChildren();
    for (const entry of history.slice(list.children.length)) list.append(timelineEntry(entry));
    this.parts.timelineTitle.textContent = `Timeline (${history.length})`;
  }

  async diagramOf(type) {
    if (!diagrams.has(type)) {
      try {
        diagrams.set(type, (await api(`types/${encodeURIComponent(type)}/diagram`)).mermaid);
      } catch {
        return undefined;
      }
    }
    return diagrams.get(type);
  }
}

function failureNote(process) {
  const notes = {
    compensated: 'Every step it had completed was undone: nothing is left half-done.',
    'needs-intervention':
      'A compensation failed as well: some work may be left half-done. Look before acknowledging.',
  };
  const note = notes[process.failureKind];
  if (!process.lastError && !note) return null;
  return h(
    'div',
    { class: `failure-note failure-${process.failureKind ?? 'none'}` },
    note ? h('p', { class: 'failure-kind' }, note) : null,
    process.lastError ? h('pre', { class: 'last-error error-block' }, process.lastError) : null,
  );
}

function sagaSteps(state) {
  if (!Array.isArray(state?.steps) || !state.steps.every((step) => typeof step?.name === 'string'))
    return null;
  return [
    h('h3', {}, 'Saga steps'),
    h(
      'table',
      { class: 'steps' },
      h(
        'thead',
        {},
        h('tr', {}, h('th', {}, 'Step'), h('th', {}, 'Status'), h('th', {}, 'Tries'), h('th', {}, 'Error')),
      ),
      h(
        'tbody',
        {},
        state.steps.map((step) =>
          h(
            'tr',
            { 'data-step': step.name },
            h('td', { class: 'mono' }, step.name),
            h('td', {}, h('span', { class: `step-status step-${String(step.status)}` }, String(step.status))),
            h(
              'td',
              {},
              `${step.attempts ?? 0}${step.compensationAttempts ? ` + ${step.compensationAttempts} undo` : ''}`,
            ),
            h('td', { class: 'wrap error-text' }, step.error ?? ''),
          ),
        ),
      ),
    ),
    state.cancellation !== undefined
      ? h('p', { class: 'muted' }, `Cancellation requested: ${state.cancellation}`)
      : null,
  ];
}

function drawDiagram(text, process, history) {
  const names = new Map();
  const visited = new Set();
  const taken = new Set();
  const observed = [];
  for (const entry of history) {
    for (const name of [entry.fromState, entry.toState]) if (name) names.set(stateId(name), name);
    if (entry.outcome !== 'handled' || !entry.toState) continue;
    const from = entry.fromState ? stateId(entry.fromState) : '[*]';
    const to = stateId(entry.toState);
    visited.add(to);
    taken.add(`${from}->${to}`);
    if (from !== to) observed.push({ from, to, label: entry.messageType });
  }
  if (process.stateName) names.set(stateId(process.stateName), process.stateName);
  return [
    renderStateDiagram(text, {
      current: process.stateName ? stateId(process.stateName) : undefined,
      status: process.failureKind === 'compensated' ? 'compensated' : process.status,
      visited,
      taken,
      names,
      observed,
    }),
    disclose(`mermaid-${process.type}`, 'Mermaid source', text),
  ];
}

function timelineEntry(entry) {
  const classes = [
    `outcome-${entry.outcome}`,
    `entry-${entry.status}`,
    entry.error ? 'has-error' : '',
    entry.operator ? 'operator' : '',
  ].filter(Boolean);
  const changed = entry.toState !== entry.fromState;
  const input = entry.payload ?? entry.message?.payload;
  const metadata = entry.metadata ?? entry.message?.metadata;
  return h(
    'li',
    { class: classes.join(' '), 'data-seq': entry.seq, 'data-outcome': entry.outcome },
    h('span', { class: 'dot', 'aria-hidden': 'true' }),
    h(
      'div',
      { class: 'entry-head' },
      entry.operator ? h('span', { class: 'pill pill-operator' }, 'operator') : null,
      h(
        'span',
        { class: 'message' },
        entry.operator ? (OPERATOR_ROWS[entry.outcome] ?? entry.messageType) : entry.messageType,
      ),
      !entry.operator && entry.outcome !== 'handled'
        ? h('span', { class: 'pill status-cancelled' }, entry.outcome)
        : null,
      h(
        'span',
        { class: 'when', title: new Date(entry.at).toLocaleString() },
        `#${entry.seq} · ${time(entry.at)}`,
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
      statusPill({ status: entry.status }),
    ),
    entry.note ? h('div', { class: 'note' }, entry.note) : null,
    entry.error ? h('pre', { class: 'error-block' }, entry.error) : null,
    input !== undefined ? disclose(`in-${entry.seq}`, `${entry.messageType} payload`, input) : null,
    metadata !== undefined ? disclose(`meta-${entry.seq}`, 'metadata', metadata) : null,
    entry.commands.length > 0
      ? h(
          'ul',
          { class: 'out' },
          entry.commands.map((message, index) =>
            h(
              'li',
              {},
              h(
                'details',
                { class: 'disclose', 'data-key': `out-${entry.seq}-${index}` },
                h(
                  'summary',
                  {},
                  h('span', { class: 'kind' }, message.kind === 'command' ? 'command →' : 'event ◆'),
                  h(
                    'span',
                    { class: message.type.startsWith('ProcessManager.') ? 'muted' : '' },
                    message.type,
                  ),
                ),
                h('pre', {}, json(message.payload)),
              ),
            ),
          ),
        )
      : null,
  );
}
