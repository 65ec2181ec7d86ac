/**
 * Every ```ts block of README.md compiles as written, and the Quick start and "Testing your
 * processes" examples run.
 *
 * How blocks share declarations (test/readme/generate.ts):
 * - A block whose first line is `// order.process.ts` is that file; other blocks may use its exports
 *   (the Quick start's app.module.ts uses order.process.ts's `OrderProcess`, the testing example the
 *   messages of order.messages.ts).
 * - test/readme/prelude.ts is the app around the examples (the handlers app.module.ts lists, the
 *   other sections' messages and services, `pm`, `dataSource`): a block gets, as imports, the prelude
 *   names it uses without declaring or importing them. Names of the library or of Nest are not in
 *   it: a whole example imports them.
 * - `<!-- readme-check: fragment -->` on the line before a fence marks a deliberate excerpt (a few
 *   calls, a decorator's options): it is compiled inside an async function body, so top-level `await`
 *   and bare expressions are fine, and it may also use the library's and Nest's names without
 *   importing them (test/readme/fragment-scope.ts). Everything else is checked as strictly as the
 *   library (strict, nodenext, the repo's tsconfig paths to the library's sources).
 */
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { readmeBlocks } from './readme/extract.js';
import { generateBlocks, outputName, typeCheck } from './readme/generate.js';

const ROOT = join(import.meta.dirname, '..');
const OUT = join(ROOT, 'test', 'artifacts', 'readme');
const blocks = readmeBlocks(join(ROOT, 'README.md'));
const generated = generateBlocks(blocks, OUT);

describe('README examples', () => {
  it('has the Quick start files and the testing example', () => {
    expect(blocks.map((block) => block.file).filter(Boolean)).toEqual(
      expect.arrayContaining([
        'app.module.ts',
        'order.messages.ts',
        'order.process.ts',
        'order.process.spec.ts',
      ]),
    );
  });

  it('type-checks every ts block', () => {
    expect(typeCheck(generated, join(ROOT, 'tsconfig.json'))).toEqual([]);
  }, 120_000);
});

// The README's own test (the `it(...)` of order.process.spec.ts) runs here, on the Quick start's OrderProcess.
await import(join(OUT, outputName('order.process.spec.ts')));
