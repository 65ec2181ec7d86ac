// `npm run start:services`: the sample's document voiding as two services, Billing and Reports, each
// with its own database and port, talking over RabbitMQ. Builds once, starts both with prefixed logs,
// stops both on Ctrl-C. Without DATABASE_URL each service runs its own embedded PostgreSQL (under
// .data/); with it, both get a database of their own on that server (sample_billing, sample_reports).
/* global fetch */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, URL } from 'node:url';
import pg from 'pg';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const MAIN = 'dist/apps/sample/src/main.js';
const SERVICES = [
  { name: 'billing', port: process.env.BILLING_PORT || '3001', color: 36 },
  { name: 'reports', port: process.env.REPORTS_PORT || '3002', color: 35 },
];
const rabbitMqUrl = process.env.RABBITMQ_URL || 'amqp://guest:guest@127.0.0.1:5672';

const build = await run('npm', ['run', 'build']);
if (build !== 0) process.exit(build);

// Imported after the build: the check lives in the sample (its main.ts uses it too).
const { assertRabbitMqReachable, RabbitMqUnreachableError } = await import(
  `${REPO}dist/apps/sample/src/services/rabbitmq-reachability.js`
);
try {
  await assertRabbitMqReachable(rabbitMqUrl);
} catch (error) {
  if (!(error instanceof RabbitMqUnreachableError)) throw error;
  console.error(`\n${error.message}\n`);
  process.exit(1);
}

const databaseUrls = process.env.DATABASE_URL ? await createDatabases(process.env.DATABASE_URL) : {};
const children = SERVICES.map((service) => start(service, databaseUrls[service.name]));
let stopping = false;

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stopAll(signal));
for (const child of children)
  child.once('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${child.label} exited (${signal ?? `code ${code}`}); stopping the other service`);
      process.exitCode = code || 1;
      stopAll('SIGTERM');
    }
    if (children.every((each) => each.exitCode !== null || each.signalCode !== null)) process.exit();
  });

const [billing, reports] = SERVICES.map(({ port }) => `http://localhost:${port}`);
if (await healthy([billing, reports]))
  console.log(
    `\nBilling on ${billing}, Reports on ${reports}. Ctrl-C stops both. Try:\n` +
      `  curl -s -X POST ${billing}/documents -H 'content-type: application/json' -d '{"customerId":"acme"}'\n` +
      `  curl -s ${reports}/reports/acme                     # Reports learnt the document over RabbitMQ\n` +
      `  curl -s -X POST ${billing}/documents/<documentId>/void\n` +
      `  curl -s ${billing}/processes/<processId>            # completed; the report line is voided\n`,
  );

/** Waits until every service answers GET /health (false when stopped or not within a minute). */
async function healthy(urls) {
  const deadline = Date.now() + 60_000;
  for (const url of urls) {
    while (
      !(await fetch(`${url}/health`).then(
        (response) => response.ok,
        () => false,
      ))
    ) {
      if (stopping || Date.now() > deadline) return false;
      await sleep(500);
    }
  }
  return true;
}

/** Runs a command to its end with the terminal's stdio; resolves with its exit code. */
function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: REPO, stdio: 'inherit' });
    child.once('error', (error) => {
      console.error(`${command} ${args.join(' ')}: ${error.message}`);
      resolve(1);
    });
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

/** One database per service on DATABASE_URL's server, created when missing. */
async function createDatabases(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const urls = {};
    for (const { name } of SERVICES) {
      const database = `sample_${name}`;
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (!rowCount) await client.query(`CREATE DATABASE ${database}`);
      const serviceUrl = new URL(url);
      serviceUrl.pathname = `/${database}`;
      urls[name] = serviceUrl.toString();
    }
    return urls;
  } finally {
    await client.end();
  }
}

/** Starts one service in its own process group (Ctrl-C reaches it once, through stopAll). */
function start({ name, port, color }, databaseUrl) {
  const env = { ...process.env, SAMPLE_SERVICE: name, PORT: port, RABBITMQ_URL: rabbitMqUrl };
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  const child = spawn(process.execPath, ['--enable-source-maps', MAIN], {
    cwd: REPO,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.label = process.stdout.isTTY ? `\x1b[${color}m[${name}]\x1b[0m` : `[${name}]`;
  for (const stream of [child.stdout, child.stderr])
    createInterface({ input: stream }).on('line', (line) => console.log(`${child.label} ${line}`));
  return child;
}

function stopAll(signal) {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
}
