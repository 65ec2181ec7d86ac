import { readFileSync } from 'node:fs';

/** One ```ts block of the README. */
export interface ReadmeBlock {
  /** 1-based line of the block's first code line in README.md. */
  line: number;
  code: string;
  /** Tagged `<!-- readme-check: fragment -->` on the line before the fence. */
  fragment: boolean;
  /** `order.process.ts` when the first line is `// order.process.ts` (other blocks may use its exports). */
  file?: string;
}

const FRAGMENT_TAG = '<!-- readme-check: fragment -->';

export function readmeBlocks(path: string): ReadmeBlock[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const blocks: ReadmeBlock[] = [];
  for (let index = 0; index < lines.length; index++) {
    const fence = /^```(\w*)\s*$/.exec(lines[index]!);
    if (!fence) continue;
    const end = lines.indexOf('```', index + 1);
    if (end < 0) throw new Error(`README.md:${index + 1}: the code fence is never closed`);
    if (fence[1] === 'ts' || fence[1] === 'typescript') {
      const code = lines.slice(index + 1, end);
      const file = /^\/\/ ([\w.-]+\.ts)\b/.exec(code[0] ?? '')?.[1];
      blocks.push({
        line: index + 2,
        code: code.join('\n'),
        fragment: previousLine(lines, index) === FRAGMENT_TAG,
        ...(file && { file }),
      });
    }
    index = end;
  }
  return blocks;
}

function previousLine(lines: string[], index: number): string | undefined {
  for (let at = index - 1; at >= 0; at--) if (lines[at]!.trim() !== '') return lines[at]!.trim();
  return undefined;
}
