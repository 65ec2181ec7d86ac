import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DASHBOARD_ASSETS } from '../../src/dashboard/dashboard-assets.js';

const PUBLIC = join(process.cwd(), 'libs', 'process-manager', 'src', 'dashboard', 'public');

describe('the dashboard UI embedded in the package', () => {
  it('is exactly the files of src/dashboard/public (run scripts/embed-dashboard-assets.mjs after editing them)', () => {
    const files = readdirSync(PUBLIC).sort();
    expect(Object.keys(DASHBOARD_ASSETS).sort()).toEqual(files);
    for (const file of files) {
      expect({ file, body: DASHBOARD_ASSETS[file]!.body }).toEqual({
        file,
        body: readFileSync(join(PUBLIC, file), 'utf8'),
      });
    }
  });

  it('links only files it ships and renders user data as text, never as markup', () => {
    const html = DASHBOARD_ASSETS['index.html']!.body;
    const linked = [...html.matchAll(/(?:src|href)="assets\/([^"]+)"/g)].map((match) => match[1]);
    expect(linked.length).toBeGreaterThan(0);
    for (const file of linked) expect(Object.keys(DASHBOARD_ASSETS)).toContain(file);
    for (const [file, { body }] of Object.entries(DASHBOARD_ASSETS)) {
      if (!file.endsWith('.js')) continue;
      expect({
        file,
        sinks: body.match(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/g),
      }).toEqual({
        file,
        sinks: null,
      });
      for (const [, imported] of body.matchAll(/from '\.\/([^']+)'/g))
        expect(DASHBOARD_ASSETS).toHaveProperty([imported!]);
    }
  });
});
