/* global document */
// Renders the Mermaid `stateDiagram-v2` text of `ProcessManagerService.diagram()` as SVG, without
// Mermaid itself (the dashboard works offline): a layered layout from the start state downwards.

const SVG = 'http://www.w3.org/2000/svg';
const START = '[*]';
/** `X --> [*]`: Mermaid spells the start and the end state alike; the end gets an id of its own. */
const END = '[*]end';
const NODE_HEIGHT = 30;
const ROW_GAP = 78;
const NODE_GAP = 56;
const MARGIN = 24;

/**
 * Mermaid state ids are the state names with anything but [A-Za-z0-9_] replaced by `_`
 * (`reserve:compensating` → `reserve_compensating`); the diagram declares the real name.
 */
export function stateId(name) {
  return String(name).replace(/[^A-Za-z0-9_]/g, '_');
}

/** `{ edges: [{ from, to, labels }], notes: [{ state, text }], names }` from the diagram text. */
export function parseStateDiagram(text) {
  const edges = new Map();
  const notes = [];
  const names = new Map();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const declaration = /^state\s+"([^"]+)"\s+as\s+(\w+)$/.exec(line);
    if (declaration) {
      names.set(declaration[2], declaration[1]);
      continue;
    }
    const edge = /^(\[\*\]|\w+)\s*-->\s*(\[\*\]|\w+)(?:\s*:\s*(.*))?$/.exec(line);
    if (edge) {
      const [, from, target, label] = edge;
      const to = target === START ? END : target;
      const key = `${from}->${to}`;
      if (!edges.has(key)) edges.set(key, { from, to, labels: [] });
      if (label) edges.get(key).labels.push(label.trim());
      continue;
    }
    const note = /^note (?:right|left) of (\w+)\s*:\s*(.*)$/.exec(line);
    if (note) notes.push({ state: note[1], text: note[2] });
  }
  return { edges: [...edges.values()], notes, names };
}

/**
 * @param {string} text Mermaid source
 * @param {{ current?: string, status?: string, visited: Set<string>, taken: Set<string>, names: Map<string, string>,
 *   observed?: { from: string, to: string, label: string }[] }} highlight
 *   state ids (see stateId) of the current and visited states, `from->to` ids of taken transitions,
 *   display names by id, and transitions the instance made that the diagram does not show (a handler's
 *   own `transitionTo()`): drawn dashed
 */
export function renderStateDiagram(text, highlight) {
  const { edges, notes, names: declared } = parseStateDiagram(text);
  for (const { from, to, label } of highlight.observed ?? []) {
    const known = edges.find((edge) => edge.from === from && edge.to === to);
    if (!known) edges.push({ from, to, labels: [label], runtime: true });
    else if (known.runtime && !known.labels.includes(label)) known.labels.push(label);
  }
  const names = new Map([...highlight.names, ...declared]);
  const layout = layOut(edges, names);
  const svg = el('svg', {
    viewBox: `0 0 ${layout.width} ${layout.height}`,
    width: layout.width,
    height: layout.height,
    role: 'img',
    'aria-label': 'State diagram',
  });
  svg.append(arrowMarker('arrow', '#9aa3b8'), arrowMarker('arrow-taken', '#4f46e5'));

  for (const edge of edges) {
    const from = layout.nodes.get(edge.from);
    const to = layout.nodes.get(edge.to);
    if (!from || !to) continue;
    const taken = highlight.taken.has(`${edge.from}->${edge.to}`);
    const group = el('g', {
      class: `edge${taken ? ' taken' : ''}${edge.runtime ? ' runtime' : ''}`,
      'data-from': edge.from,
      'data-to': edge.to,
    });
    const { d, labelAt } = route(from, to, layout.nodes);
    group.append(el('path', { d, 'marker-end': `url(#${taken ? 'arrow-taken' : 'arrow'})` }));
    const label = edge.labels.join(' / ');
    if (label) {
      // Labels of edges fanning out to the left grow leftwards, those to the right rightwards.
      const width = label.length * 5.4 + 8;
      const anchor = labelAt.anchor ?? 'middle';
      const left =
        anchor === 'end' ? labelAt.x - width + 4 : anchor === 'start' ? labelAt.x - 4 : labelAt.x - width / 2;
      group.append(
        el('rect', { class: 'edge-label-bg', x: left, y: labelAt.y - 8, width, height: 14, rx: 3 }),
      );
      const textNode = el('text', { x: labelAt.x, y: labelAt.y + 3, 'text-anchor': anchor });
      textNode.textContent = label;
      group.append(textNode);
    }
    svg.append(group);
  }

  for (const [id, node] of layout.nodes) {
    if (id === START || id === END) {
      const marker = el('g', { class: id === START ? 'start' : 'start end' });
      if (id === END)
        marker.append(el('circle', { cx: node.x, cy: node.y + NODE_HEIGHT / 2, r: 11, class: 'ring' }));
      marker.append(el('circle', { cx: node.x, cy: node.y + NODE_HEIGHT / 2, r: 8 }));
      svg.append(marker);
      continue;
    }
    const classes = ['node'];
    if (highlight.visited.has(id)) classes.push('visited');
    if (highlight.current === id) classes.push('current', `end-${highlight.status}`);
    const group = el('g', { class: classes.join(' '), 'data-state': id });
    group.append(
      el('rect', { x: node.x - node.width / 2, y: node.y, width: node.width, height: NODE_HEIGHT, rx: 15 }),
    );
    const label = el('text', { x: node.x, y: node.y + 19, 'text-anchor': 'middle' });
    label.textContent = node.name;
    group.append(label);
    svg.append(group);
  }

  const container = document.createElement('div');
  container.append(svg);
  if (notes.length > 0) {
    const list = document.createElement('p');
    list.className = 'muted';
    list.textContent = notes
      .map((note) => `${names.get(note.state) ?? note.state} ← ${note.text}`)
      .join(' · ');
    container.append(list);
  }
  return container;
}

const widthOf = (id, names) =>
  id === START || id === END ? 22 : Math.max(70, (names.get(id) ?? id).length * 7.3 + 28);

function layOut(edges, names) {
  const successors = new Map();
  const predecessors = new Map();
  const ids = [START];
  for (const { from, to } of edges) {
    for (const id of [from, to]) if (!ids.includes(id)) ids.push(id);
  }
  if (ids.some((id) => (names.get(id) ?? id).endsWith(':compensating'))) return sagaLayout(ids, edges, names);
  for (const { from, to } of edges) {
    if (from === to) continue;
    successors.set(from, [...(successors.get(from) ?? []), to]);
    predecessors.set(to, [...(predecessors.get(to) ?? []), from]);
  }
  // Rank = breadth-first depth from the start; states it cannot reach go in a last row.
  const rank = new Map([[START, 0]]);
  const queue = [START];
  while (queue.length > 0) {
    const id = queue.shift();
    for (const next of successors.get(id) ?? []) {
      if (rank.has(next)) continue;
      rank.set(next, rank.get(id) + 1);
      queue.push(next);
    }
  }
  const deepest = Math.max(...rank.values());
  for (const id of ids) if (!rank.has(id)) rank.set(id, deepest + 1);

  const rows = [];
  for (const id of ids) {
    const row = rank.get(id);
    rows[row] = [...(rows[row] ?? []), id];
  }
  const nodes = new Map();
  // Order each row by where its predecessors sit, to keep edges from crossing.
  for (let row = 1; row < rows.length; row++) {
    const above = rows[row - 1] ?? [];
    const position = (id) => {
      const parents = (predecessors.get(id) ?? []).filter((parent) => above.includes(parent));
      if (parents.length === 0) return Number.MAX_SAFE_INTEGER;
      return parents.reduce((sum, parent) => sum + above.indexOf(parent), 0) / parents.length;
    };
    rows[row] = (rows[row] ?? []).map((id, index) => ({ id, index, at: position(id) }));
    rows[row].sort((a, b) => a.at - b.at || a.index - b.index);
    rows[row] = rows[row].map(({ id }) => id);
  }
  const rowWidths = rows.map(
    (row = []) => row.reduce((sum, id) => sum + widthOf(id, names), 0) + NODE_GAP * (row.length - 1),
  );
  // Labels of edges fanning out grow sideways from near the middle: leave them room on either side.
  const longestLabel = Math.max(0, ...edges.map((edge) => edge.labels.join(' / ').length * 6 + 8));
  const width = Math.max(Math.max(...rowWidths, 200) + MARGIN * 2 + 120, 2 * (longestLabel + 48));
  rows.forEach((row = [], index) => {
    let x = (width - rowWidths[index]) / 2;
    for (const id of row) {
      const nodeWidth = widthOf(id, names);
      nodes.set(id, {
        x: x + nodeWidth / 2,
        y: MARGIN + index * ROW_GAP,
        width: nodeWidth,
        rank: index,
        name: names.get(id) ?? id,
      });
      x += nodeWidth + NODE_GAP;
    }
  });
  return { nodes, width, height: MARGIN * 2 + (rows.length - 1) * ROW_GAP + NODE_HEIGHT };
}

const SAGA_ENDS = ['completed', 'compensated', 'cancelled', 'compensation_failed'];
/** Room for the labels of the failure edges from the steps up to their compensations, then less. */
const COLUMN_GAPS = [140, 64];

/**
 * An orchestrated saga (states `<step>:compensating`) as a U: its steps down the left column ending in
 * `completed`, each step's compensation beside it, undone upwards to `compensated`; `cancelled` and
 * `compensation_failed` on the right.
 */
function sagaLayout(ids, edges, names) {
  const nameOf = (id) => names.get(id) ?? id;
  const isStep = (id) =>
    id !== START && id !== END && !SAGA_ENDS.includes(nameOf(id)) && !nameOf(id).endsWith(':compensating');
  const steps = [];
  for (let at = START; ;) {
    const next = edges.find((edge) => edge.from === at && isStep(edge.to) && !steps.includes(edge.to));
    if (!next) break;
    steps.push(next.to);
    at = next.to;
  }
  /** The row of a step, or of the compensation of a step, beside it; 0 for neither. */
  const rowOf = (name) => steps.findIndex((id) => nameOf(id) === name.replace(/:compensating$/, '')) + 1;
  const compensatingRows = ids
    .filter((id) => nameOf(id).endsWith(':compensating'))
    .map((id) => rowOf(nameOf(id)))
    .filter((row) => row > 0);
  const undoneRow = Math.max(0, Math.min(...compensatingRows, steps.length + 1) - 1);
  const cells = new Map([[START, { column: 0, row: 0 }]]);
  steps.forEach((id, index) => cells.set(id, { column: 0, row: index + 1 }));
  let spare = steps.length + 2;
  for (const id of ids) {
    if (cells.has(id)) continue;
    const name = nameOf(id);
    if (name === 'completed') cells.set(id, { column: 0, row: steps.length + 1 });
    else if (name === 'compensated') cells.set(id, { column: 1, row: undoneRow });
    else if (name === 'cancelled') cells.set(id, { column: 2, row: undoneRow });
    else if (name === 'compensation_failed')
      cells.set(id, { column: 2, row: Math.max(undoneRow + 1, ...compensatingRows) });
    else if (name.endsWith(':compensating') && rowOf(name) > 0)
      cells.set(id, { column: 1, row: rowOf(name) });
    else cells.set(id, { column: 2, row: spare++ });
  }
  const columns = [0, 1, 2].map((column) =>
    Math.max(0, ...[...cells].filter(([, cell]) => cell.column === column).map(([id]) => widthOf(id, names))),
  );
  const centre = (column) =>
    MARGIN +
    columns.slice(0, column).reduce((sum, width, index) => sum + width + COLUMN_GAPS[index], 0) +
    columns[column] / 2;
  const nodes = new Map();
  for (const [id, { column, row }] of cells) {
    nodes.set(id, {
      x: centre(column),
      y: MARGIN + row * ROW_GAP,
      width: widthOf(id, names),
      rank: row,
      name: nameOf(id),
    });
  }
  const rows = Math.max(...[...cells.values()].map((cell) => cell.row));
  const width = centre(2) + columns[2] / 2 + MARGIN;
  return { nodes, width, height: MARGIN * 2 + rows * ROW_GAP + NODE_HEIGHT };
}

/**
 * A downward curve between rows; a loop out to the right for edges going up or sideways; an arc over
 * the row for an edge to a state further along the same row, so it never seems to pass through the
 * states in between (a saga's `validate → cancelled` does not go through `compensated`).
 */
function route(from, to, nodes) {
  const fromBottom = from.rank === 0 ? from.y + NODE_HEIGHT / 2 + 8 : from.y + NODE_HEIGHT;
  if (from === to) {
    const x = from.x + from.width / 2;
    const y = from.y + NODE_HEIGHT / 2;
    return {
      d: `M ${x} ${y - 6} C ${x + 40} ${y - 30}, ${x + 40} ${y + 30}, ${x + 2} ${y + 6}`,
      labelAt: { x: x + 40, y },
    };
  }
  if (to.rank > from.rank) {
    const midY = (fromBottom + to.y) / 2;
    const dx = to.x - from.x;
    const anchor = dx < -8 ? 'end' : dx > 8 ? 'start' : 'middle';
    return {
      d: `M ${from.x} ${fromBottom} C ${from.x} ${midY}, ${to.x} ${midY}, ${to.x} ${to.y - 2}`,
      labelAt: { x: (from.x + to.x) / 2 + (anchor === 'middle' ? 0 : Math.sign(dx) * 6), y: midY, anchor },
    };
  }
  if (to.rank < from.rank) {
    // Going back up: from the top of the state to the bottom of the earlier one, offset from the way down.
    // An edge up and to the right leaves a little further right, apart from one going straight up, and
    // has its label nearer its end, clear of that one's label.
    const across = to.x - from.x > 40;
    const startX = from.x + (across ? 26 : 14);
    const endX = to.x + 14;
    const midY = (from.y + to.y + NODE_HEIGHT) / 2;
    return {
      d: `M ${startX} ${from.y} C ${startX} ${midY}, ${endX} ${midY}, ${endX} ${to.y + NODE_HEIGHT + 2}`,
      labelAt: across
        ? { x: startX + (endX - startX) * 0.72, y: midY + 12, anchor: 'middle' }
        : { x: (startX + endX) / 2 + 8, y: midY + 12, anchor: 'start' },
    };
  }
  const between = [...nodes.values()].some(
    (node) => node !== from && node !== to && node.rank === from.rank && node.x > from.x && node.x < to.x,
  );
  if (between) {
    const startX = from.x + from.width / 4;
    const endX = to.x - to.width / 4;
    const top = from.y - 34;
    return {
      d: `M ${startX} ${from.y} C ${startX} ${top}, ${endX} ${top}, ${endX} ${to.y - 2}`,
      labelAt: { x: (startX + endX) / 2, y: top + 6 },
    };
  }
  if (to.x - to.width / 2 > from.x + from.width / 2) {
    // Side by side: straight across, label above.
    const y = from.y + NODE_HEIGHT / 2;
    const startX = from.x + from.width / 2;
    const endX = to.x - to.width / 2 - 2;
    return { d: `M ${startX} ${y} L ${endX} ${y}`, labelAt: { x: (startX + endX) / 2, y: y - 10 } };
  }
  const startX = from.x + from.width / 2;
  const endX = to.x + to.width / 2;
  const startY = from.y + NODE_HEIGHT / 2;
  const endY = to.y + NODE_HEIGHT / 2;
  const bulge = Math.max(startX, endX) + 60;
  return {
    d: `M ${startX} ${startY} C ${bulge} ${startY}, ${bulge} ${endY}, ${endX + 2} ${endY}`,
    labelAt: { x: bulge - 14, y: (startY + endY) / 2 },
  };
}

function arrowMarker(id, color) {
  const marker = el('marker', {
    id,
    viewBox: '0 0 10 10',
    refX: 9,
    refY: 5,
    markerWidth: 7,
    markerHeight: 7,
    orient: 'auto-start-reverse',
  });
  marker.append(el('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: color }));
  return marker;
}

function el(name, attributes = {}) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  return node;
}
