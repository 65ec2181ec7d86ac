import { h } from './dom.js';

const FAILURES = {
  compensated: {
    label: 'compensated',
    title: 'Failed, then every completed step was undone: nothing is left half-done',
  },
  'needs-intervention': {
    label: 'needs intervention',
    title: 'A compensation failed too: some work may be left half-done, an operator must look',
  },
  failed: { label: 'failed', title: 'Failed: acknowledge it once handled, to free its key' },
};

export const isLive = (status) => status === 'running' || status === 'compensating';

/**
 * The status pill of an instance (or of a timeline entry): a failure shows how it ended, and an
 * acknowledged one is muted. `data-status` keeps the raw status.
 */
export function statusPill(process) {
  const failure = process.status === 'failed' ? FAILURES[process.failureKind ?? 'failed'] : undefined;
  const classes = ['pill', `status-${process.status}`];
  if (failure) classes.push(`failure-${process.failureKind ?? 'failed'}`);
  if (process.acknowledgedAt) classes.push('acknowledged');
  return h(
    'span',
    {
      class: classes.join(' '),
      'data-status': process.status,
      'data-failure': failure ? (process.failureKind ?? 'failed') : undefined,
      title: failure?.title,
    },
    failure ? failure.label : process.status,
  );
}

export function acknowledgedPill(process) {
  if (!process.acknowledgedAt) return null;
  return h(
    'span',
    {
      class: 'pill pill-acknowledged',
      'data-testid': 'acknowledged',
      title: `Acknowledged ${new Date(process.acknowledgedAt).toLocaleString()}: its key is free again`,
    },
    'acknowledged',
  );
}

export const stateChip = (name) =>
  name ? h('span', { class: 'state-chip' }, name) : h('span', { class: 'muted' }, '—');
