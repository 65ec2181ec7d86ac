import { Child } from '../harness/child.js';
import { createDatabase } from '../harness/database.js';
import type { WorkloadContext } from '../harness/workload.js';

export interface RssSample {
  processes: number;
  rssBytes: number;
  heapUsedBytes: number;
}

export interface RssFigures {
  samples: RssSample[];
  /** RSS growth from the first checkpoint to the second, in percent of the first. */
  growthPercent: number;
  heapGrowthPercent: number;
  failed: number;
}

/** RSS of a fresh app process after 10k and after 100k completed processes (one event each). */
export async function runRss(context: WorkloadContext): Promise<RssFigures> {
  const database = await createDatabase(context.server.url, 'rss');
  const child = new Child(
    new URL('./rss-worker.js', import.meta.url),
    {
      BENCH_DATABASE_URL: database.url,
      BENCH_RSS_CHECKPOINTS: context.config.rssCheckpoints.join(','),
      BENCH_PM_OPTIONS: JSON.stringify(context.config.processManagerOptions),
    },
    ['--expose-gc'],
  );
  try {
    const result = await child.next('result', 20 * 60_000);
    const samples = result.samples as RssSample[];
    const [first, second] = [samples[0]!, samples.at(-1)!];
    return {
      samples,
      growthPercent: ((second.rssBytes - first.rssBytes) / first.rssBytes) * 100,
      heapGrowthPercent: ((second.heapUsedBytes - first.heapUsedBytes) / first.heapUsedBytes) * 100,
      failed: Number(result.failed),
    };
  } finally {
    await child.stop();
    await database.drop();
  }
}
