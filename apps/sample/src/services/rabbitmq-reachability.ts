import amqp from 'amqplib';

/** RabbitMQ did not accept a connection at `RABBITMQ_URL`. */
export class RabbitMqUnreachableError extends Error {
  constructor(
    readonly url: string,
    reason: string,
  ) {
    super(
      `RabbitMQ is not reachable at ${url} (${reason}). The two services talk over it. Either:\n` +
        `  - start it: rabbitmq-server -detached (or your system's service, e.g. systemctl start rabbitmq-server,\n` +
        `    or docker run -d -p 5672:5672 rabbitmq:4)\n` +
        `  - or set RABBITMQ_URL to a broker you run, e.g. RABBITMQ_URL=amqp://user:password@host:5672`,
    );
    this.name = 'RabbitMqUnreachableError';
  }
}

/**
 * Opens and closes one connection to the broker.
 * @throws RabbitMqUnreachableError when that fails
 */
export async function assertRabbitMqReachable(url: string, timeoutMs = 5_000): Promise<void> {
  let connection: amqp.ChannelModel;
  try {
    connection = await amqp.connect(url, { timeout: timeoutMs });
  } catch (error) {
    throw new RabbitMqUnreachableError(redactedUrl(url), describe(error));
  }
  await connection.close().catch(() => undefined);
}

function describe(error: unknown): string {
  if (error instanceof AggregateError)
    return error.errors.map(describe).join('; ') || error.message || 'connection failed';
  return error instanceof Error ? error.message || error.name : String(error);
}

/** `url` with its password replaced by `***`, for logs. */
export function redactedUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
