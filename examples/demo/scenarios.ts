import { isSwitchyardError, type FinishState, type Responses } from '../../src/index.js';
import { BFF_POLICY, createBff, newTrace, type Bff, type DemoContext, type DemoData, type Trace } from './bff.js';
import { SEEDS, startInstance, type DemoInstance } from './instances.js';
import { asTimeline, bold, dim, instanceTable, table, timelineFromTrace, waterfall, type Timeline } from './render.js';
import { playShards } from './shards.js';
import { playFederation } from './federation.js';
import { scaled } from './timeScale.js';

type Write = (line?: string) => void;

/** The demo's running world: three instances and a BFF over them. */
export interface World {
  instances: DemoInstance[];
  byId: (id: string) => DemoInstance;
  bff: Bff;
  /** The `finish` hook's last state: the report of a call that threw, too. */
  lastFinish: () => FinishState | undefined;
  close(): Promise<void>;
}

export async function startWorld(): Promise<World> {
  const instances = await Promise.all(SEEDS.map(startInstance));
  let last: FinishState | undefined;
  const bff = createBff(instances, { finish: (state) => (last = state) });
  return {
    instances,
    byId: (id) => instances.find((i) => i.id === id)!,
    bff,
    lastFinish: () => last,
    async close() {
      await Promise.all(instances.map((i) => i.stop()));
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the instances' logs stop growing (a cancelled request is logged when its socket closes). */
async function quietLogs(world: World, until: () => boolean = () => false, maxMs = scaled(1_000)): Promise<void> {
  const size = () => world.instances.reduce((n, i) => n + i.log.length, 0);
  const start = Date.now();
  let seen = -1;
  while (Date.now() - start < maxMs && !until()) {
    if (size() === seen) return;
    seen = size();
    await sleep(40);
  }
}

function instanceLog(world: World): string[] {
  const lines = world.instances
    .flatMap((i) => i.log.map((entry) => ({ id: i.id, ...entry })))
    .sort((a, b) => a.atMs - b.atMs);
  if (lines.length === 0) return [];
  const width = Math.max(...world.instances.map((i) => i.id.length));
  return [bold('instances saw:'), ...lines.map((l) => `  ${l.id.padEnd(width)}  +${String(l.atMs).padStart(4)} ms  ${l.line}`)];
}

interface Played<V> {
  value?: V;
  error?: unknown;
  timeline?: Timeline;
  responses?: Responses<unknown>;
  trace: Trace;
  ms: number;
}

/** Runs one call through `runDetailed`, keeping the report also when the strategy throws. */
async function play<V>(
  world: World,
  call: (context: DemoContext) => Promise<{ value: V; report: Parameters<typeof asTimeline>[0] }>,
  faults: Record<string, string> = {},
): Promise<Played<V>> {
  for (const instance of world.instances) instance.clearLog();
  const trace = newTrace();
  const context: DemoContext = { user: 'alice', faults, trace };
  const started = Date.now();
  const before = world.lastFinish();
  try {
    const { value, report } = await call(context);
    return { value, timeline: asTimeline(report), responses: world.lastFinish()?.responses, trace, ms: Date.now() - started };
  } catch (error) {
    const finish = world.lastFinish();
    const fresh = finish !== before ? finish : undefined;
    return { error, timeline: fresh && asTimeline(fresh.report), responses: fresh?.responses, trace, ms: Date.now() - started };
  }
}

function describeError(error: unknown): string[] {
  if (!isSwitchyardError(error)) return [`error: ${String(error)}`];
  return [`error: ${bold(error.code)} — ${error.message}`, `client sees: ${JSON.stringify(error.toJSON())}`];
}

function show<V>(write: Write, world: World, played: Played<V>, result: (value: V) => string[]): void {
  if (played.timeline !== undefined) {
    for (const line of instanceTable(played.timeline, played.trace, played.responses)) write(line);
    write();
  }
  for (const line of played.error === undefined ? result(played.value as V) : describeError(played.error)) write(line);
  write();
  if (played.timeline !== undefined) {
    for (const line of waterfall(played.timeline)) write(line);
    write();
  }
  for (const line of instanceLog(world)) write(line);
}

function header(write: Write, title: string): void {
  write();
  write(bold(`== ${title} ==`.padEnd(78, '=')));
  write();
}

const groupLine = (g: { id: string; name: string; instance: string }) => `  - ${g.name} (${g.id}) @ ${g.instance}`;

/** Plays the five scenarios against a running world, printing with `write`. */
export async function playScenarios(world: World, write: Write): Promise<void> {
  const { fanout, ops } = world.bff;
  const data = (d: DemoData) => d;

  header(write, '1. Search "eng" on every instance — mergeAll()');
  const search = await play(world, (context) => fanout.runDetailed({ ...ops.search, data: data({ q: 'eng' }), context }));
  show(write, world, search, (groups) => [`result: ${groups.length} groups merged from ${new Set(groups.map((g) => g.instance)).size} instances`, ...groups.map(groupLine)]);

  header(write, '2. Get group "acme-platform" — firstSuccess()');
  write(dim('cloud holds no such group (404); enterprise-conf may not look outside "events" (403);'));
  write(dim(`enterprise-acme holds it and answers a little later (${scaled(80)} ms), after the other two.`));
  write();
  const found = await play(
    world,
    (context) => fanout.runDetailed({ ...ops.getGroup, data: data({ id: 'acme-platform' }), context }),
    { 'enterprise-acme': `delay=${scaled(80)}` },
  );
  show(write, world, found, (group) => [`result: ${group.name} (${group.id}) @ ${group.instance}`]);

  header(write, '2b. Get group "conf-board" (alice may not see it anywhere) — firstSuccess()');
  const hidden = await play(world, (context) => fanout.runDetailed({ ...ops.getGroup, data: data({ id: 'conf-board' }), context }));
  show(write, world, hidden, (group) => [`result: ${group.name}`]);

  header(write, '3. Dashboard with enterprise-conf down and enterprise-acme slow — partialWithWarnings()');
  write(dim(`enterprise-conf's server is closed; enterprise-acme takes ${scaled(600)} ms, its timeout is ${BFF_POLICY.timeoutMs} ms.`));
  write();
  await world.byId('enterprise-conf').stop();
  const dashboard = await play(world, (context) => fanout.runDetailed({ ...ops.dashboard, data: data({}), context }), {
    'enterprise-acme': `delay=${scaled(600)}`,
  });
  await quietLogs(world);
  await world.byId('enterprise-conf').start();
  show(write, world, dashboard, (partial) => [
    `result: ${partial.data.length} tile(s)`,
    ...partial.data.map((t) => `  - ${t.instance}: ${t.groups} groups, ${t.members} members`),
    `warnings: ${partial.warnings.map((w) => w.message).join('; ')}`,
    `unavailableInstances: ${partial.unavailableInstances.join(', ')}`,
  ]);

  header(write, "4. Profile with the required instance failing — requireInstance('cloud', mergeAll())");
  write(dim(`cloud answers 503 twice (its body names an internal host); the others take ${scaled(400)} ms and are cancelled.`));
  write();
  const profile = await play(world, (context) => fanout.runDetailed({ ...ops.profile, data: data({}), context }), {
    cloud: 'status=503',
    'enterprise-acme': `delay=${scaled(400)}`,
    'enterprise-conf': `delay=${scaled(400)}`,
  });
  await quietLogs(world);
  show(write, world, profile, (parts) => [`result: ${parts.length} parts`]);

  header(write, `5. Caller aborts mid-flight (after ${scaled(100)} ms) — mergeAll()`);
  write(dim(`every instance takes ${scaled(1000)} ms; the caller gives up after ${scaled(100)} ms.`));
  write();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('the user navigated away')), scaled(100));
  const aborted = await play(
    world,
    (context) => fanout.runDetailed({ ...ops.search, data: data({ q: 'eng' }), context, signal: controller.signal }),
    { cloud: `delay=${scaled(1000)}`, 'enterprise-acme': `delay=${scaled(1000)}`, 'enterprise-conf': `delay=${scaled(1000)}` },
  );
  clearTimeout(timer);
  const abortedLines = () => world.instances.filter((i) => i.log.some((e) => e.line.includes('client aborted'))).length;
  await quietLogs(world, () => abortedLines() === world.instances.length);
  const code = isSwitchyardError(aborted.error) ? aborted.error.code : 'no error';
  // on.finish reports aborted calls too; the worker's own trace is the fallback.
  aborted.timeline ??= timelineFromTrace(aborted.trace, world.instances.map((i) => i.id), aborted.ms, 'aborted');
  for (const line of table(
    ['instance', 'outcome', 'http', 'attempts', 'ms'],
    world.instances.map((i) => {
      const attempts = aborted.trace.attempts.filter((a) => a.instanceId === i.id);
      return [i.id, 'aborted by the caller', attempts.map((a) => String(a.result)).join(', '), String(attempts.length), String(attempts[0]?.endMs ?? '-')];
    }),
  )) write(line);
  write();
  write(`rejected with ${bold(code)} after ${aborted.ms} ms (the instances would have taken ${scaled(1000)} ms)`);
  write(`instances that saw their request aborted: ${abortedLines()} of ${world.instances.length}`);
  write();
  write(dim('(the report of an aborted call comes from on.finish: the caller got ABORTED at once)'));
  for (const line of waterfall(aborted.timeline)) write(line);
  write();
  for (const line of instanceLog(world)) write(line);
}

/** The whole demo: start, play, close. Resolves when everything is closed. */
export async function runDemo(write: Write): Promise<void> {
  const world = await startWorld();
  try {
    write(bold('switchyard demo: three instances on 127.0.0.1 and one BFF that fans out to them'));
    write();
    for (const line of table(
      ['instance', 'url', "alice's policy hint"],
      world.instances.map((i) => [i.id, i.url, world.bff.sessions.get('alice')?.hints[i.id] ?? '-']),
    )) write(line);
    write();
    write(
      `BFF policy: ${BFF_POLICY.timeoutMs} ms per attempt, ${BFF_POLICY.deadlineMs} ms deadline per call, ` +
        `${BFF_POLICY.retry.maxAttempts} attempts per instance (full-jitter backoff from ${BFF_POLICY.retry.baseDelayMs} ms)`,
    );
    await playScenarios(world, write);
    await playShards(write);
  } finally {
    await world.close();
  }
  await playFederation(write);
  write();
  write('all instances closed; done.');
}
