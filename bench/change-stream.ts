// `npx tsx bench/change-stream.ts [--quick]`: the live change stream on PostgreSQL, two `serve` processes on one
// database. (1) What the feed's notify trigger costs a write: registrations by 8 concurrent writers with the trigger
// enabled and disabled, in alternating rounds, while one stream is open (so the instance listens). (2) How long a
// write takes to reach subscribers on the other instance: from sending the mutation to each subscriber's event,
// with 1 and with 50 subscribers. (3) The trigger's cost alone: microseconds per autocommitted one-row insert into
// the feed, trigger enabled and disabled, with a listener attached. Prints JSON; not part of `npm run bench`.
import { randomUUID } from 'node:crypto';
import { createClient } from 'graphql-sse';
import pg from 'pg';
import { graphql, percentiles, startServer } from './support.js';

const quick = process.argv.includes('--quick');
// Fifty streams under one token: more than the default limit per principal.
process.env.OMNIBASE_STREAMS_PER_PRINCIPAL = '100';
const ROUNDS = quick ? 2 : 4;
const WRITES_PER_ROUND = quick ? 80 : 200;
const WRITERS = 8;
const DELIVERIES = quick ? 30 : 100;

const REGISTER = 'mutation($m: JSON!) { register(metadata: $m) { uuid } }';
const document = (name: string, version: string) => ({ schema_version: '0.3', uuid: randomUUID(), name, version, type: 'tool' });

const writer = await startServer('postgres', { cacheEntries: 0 });
const reader = await startServer('postgres', { databaseUrl: writer.databaseUrl!, cacheEntries: 0 });
const token = await writer.token();
const admin = new pg.Client({ connectionString: writer.databaseUrl });
await admin.connect();
const clients: Array<ReturnType<typeof createClient>> = [];
/** Streams this run holds open on the reader. */
let opened = 0;

/** Opens `count` streams on the reader from the feed's end; each calls `onChange` with the sequence it receives. */
async function subscribers(count: number, onChange: (sequence: string) => void): Promise<() => void> {
  const [{ last }] = (await admin.query<{ last: string }>('SELECT coalesce(max(sequence), 0)::text AS last FROM changes')).rows as [{ last: string }];
  const stops: Array<() => void> = [];
  for (let i = 0; i < count; i += 1) {
    const client = createClient({ url: reader.url, retryAttempts: 0, headers: { authorization: `Bearer ${token}` } });
    clients.push(client);
    stops.push(
      client.subscribe<{ changes: { sequence: string } }>(
        { query: 'subscription($a: String) { changes(after: $a) { sequence } }', variables: { a: last } },
        { next: (result) => onChange(result.data!.changes.sequence), error: (error) => console.error(error), complete: () => {} },
      ),
    );
  }
  // A stream is open once the server counts it.
  for (;;) {
    const text = await (await fetch(reader.url.replace(/\/graphql$/, '/metrics'))).text();
    if (Number(/^registry_open_streams (\d+)$/m.exec(text)?.[1]) >= opened + count) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  opened += count;
  return () => {
    stops.forEach((stop) => stop());
    opened -= count;
  };
}

async function writeRound(round: string): Promise<{ perSecond: number; latencyMs: ReturnType<typeof percentiles> }> {
  const latencies: number[] = [];
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      while (next < WRITES_PER_ROUND) {
        const index = next++;
        const sent = performance.now();
        await graphql(writer.url, REGISTER, { m: document(`bench-${round}`, `1.0.${index}`) }, token);
        latencies.push(performance.now() - sent);
      }
    }),
  );
  return { perSecond: Math.round((WRITES_PER_ROUND / (performance.now() - started)) * 1000), latencyMs: percentiles(latencies) };
}

try {
  // Warm both servers up.
  await writeRound('warm');
  const stopListening = await subscribers(1, () => {});
  const trigger: Record<'enabled' | 'disabled', Array<Awaited<ReturnType<typeof writeRound>>>> = { enabled: [], disabled: [] };
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const state of round % 2 === 0 ? (['enabled', 'disabled'] as const) : (['disabled', 'enabled'] as const)) {
      await admin.query(`ALTER TABLE changes ${state === 'enabled' ? 'ENABLE' : 'DISABLE'} TRIGGER changes_notify`);
      trigger[state].push(await writeRound(`${state}-${round}`));
    }
  }
  await admin.query('ALTER TABLE changes ENABLE TRIGGER changes_notify');
  stopListening();

  const delivery: Record<string, unknown> = {};
  for (const count of [1, 50]) {
    // Writes go one at a time and every stream starts at the feed's end, so each subscriber's k-th event is the k-th write.
    const sentAt: number[] = [];
    const samples: number[] = [];
    const received = Array.from({ length: count }, () => 0);
    const streams: Array<() => void> = [];
    for (let s = 0; s < count; s += 1) {
      streams.push(
        await subscribers(1, () => {
          samples.push(performance.now() - sentAt[received[s]!]!);
          received[s]! += 1;
        }),
      );
    }
    const writeMs: number[] = [];
    for (let i = 0; i < DELIVERIES; i += 1) {
      sentAt.push(performance.now());
      await graphql(writer.url, REGISTER, { m: document(`delivered-${count}`, `1.0.${i}`) }, token);
      writeMs.push(performance.now() - sentAt[i]!);
      while (received.some((n) => n <= i)) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    for (const stop of streams) stop();
    delivery[`${count} subscriber${count === 1 ? '' : 's'}`] = { writeMs: percentiles(writeMs), sendToEventMs: percentiles(samples) };
  }

  // (3) At the database alone, without HTTP or the server in the way.
  const listener = new pg.Client({ connectionString: writer.databaseUrl });
  await listener.connect();
  await listener.query('LISTEN registry_changes');
  const [{ uuid }] = (await admin.query<{ uuid: string }>('SELECT component_uuid::text AS uuid FROM changes LIMIT 1')).rows as [{ uuid: string }];
  const insertMicros: Record<'enabled' | 'disabled', number[]> = { enabled: [], disabled: [] };
  const INSERTS = quick ? 500 : 2000;
  for (let round = 0; round < ROUNDS * 2; round += 1) {
    const state = round % 2 === 0 ? 'enabled' : 'disabled';
    await admin.query(`ALTER TABLE changes ${state === 'enabled' ? 'ENABLE' : 'DISABLE'} TRIGGER changes_notify`);
    const started = performance.now();
    for (let i = 0; i < INSERTS; i += 1) await admin.query("INSERT INTO changes (kind, component_uuid, revision) VALUES ('UPDATED', $1, 1)", [uuid]);
    insertMicros[state].push(Math.round(((performance.now() - started) / INSERTS) * 1000));
  }
  await admin.query('ALTER TABLE changes ENABLE TRIGGER changes_notify');
  await listener.end();

  const summary = (rounds: Array<Awaited<ReturnType<typeof writeRound>>>) => ({
    perSecond: rounds.map((round) => round.perSecond),
    p50Ms: rounds.map((round) => round.latencyMs.p50),
    p95Ms: rounds.map((round) => round.latencyMs.p95),
  });
  console.log(JSON.stringify({ writers: WRITERS, writesPerRound: WRITES_PER_ROUND, trigger: { enabled: summary(trigger.enabled), disabled: summary(trigger.disabled) }, delivery, insertMicros }, null, 2));
} finally {
  for (const client of clients) client.dispose();
  await admin.end();
  await reader.stop();
  await writer.stop();
}
