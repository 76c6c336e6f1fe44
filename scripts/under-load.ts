/**
 * Runs the test suite several times in a row while other processes keep the CPU busy, to show
 * that no test depends on how fast the machine is: a test that waits on a real-time bound, or
 * races a timer against I/O, fails here long before it fails in CI.
 *
 *   npm run test:under-load -- --runs 5 --hogs 1
 *   npm run test:under-load -- --runs 1 -- test/testing     (arguments after `--` go to vitest)
 *
 * Options: `--runs N` (default 3) runs of `npx vitest run`; `--hogs N` (default 1) child processes
 * that each spin one core. The hogs are stopped at the end, on Ctrl-C or SIGTERM, and stop by
 * themselves if this process dies without a chance to stop them. Each run's output is written to
 * a log file; a failed run's last lines are printed. Exits 1 if any run failed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Options {
  runs: number;
  hogs: number;
  vitestArgs: string[];
}

function usage(message: string): never {
  process.stderr.write(`${message}\nUsage: tsx scripts/under-load.ts [--runs N] [--hogs N] [-- vitest arguments]\n`);
  process.exit(2);
}

function parse(argv: readonly string[]): Options {
  const options: Options = { runs: 3, hogs: 1, vitestArgs: [] };
  const count = (flag: string, value: string | undefined, min: number): number => {
    const n = Number(value);
    if (value === undefined || !Number.isInteger(n) || n < min) usage(`Expected \`${flag}\` to be an integer >= ${min}, got ${value ?? 'nothing'}`);
    return n;
  };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '--') {
      options.vitestArgs.push(...argv.slice(i + 1));
      break;
    }
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (flag === '--runs') options.runs = count('--runs', inline ?? argv[++i], 1);
    else if (flag === '--hogs') options.hogs = count('--hogs', inline ?? argv[++i], 0);
    else options.vitestArgs.push(arg);
  }
  return options;
}

/**
 * One busy core. The loop checks now and then that its parent still lives: a busy loop never
 * runs an event handler, so it cannot hear of the parent's death any other way.
 */
const HOG = `const parent = ${process.pid};
for (let i = 0; ; i += 1) {
  if (i % 5_000_000 === 0 && process.ppid !== parent) process.exit(0);
}`;

const hogs: ChildProcess[] = [];
let vitest: ChildProcess | undefined;

function startHogs(count: number): void {
  for (let i = 0; i < count; i += 1) hogs.push(spawn(process.execPath, ['-e', HOG], { stdio: 'ignore' }));
}

function stopAll(): void {
  for (const hog of hogs.splice(0)) if (hog.exitCode === null && hog.signalCode === null) hog.kill('SIGKILL');
  // vitest runs in a process group of its own (npx, vitest and its workers): end all of it.
  if (vitest?.pid !== undefined && vitest.exitCode === null && vitest.signalCode === null) {
    try {
      process.kill(-vitest.pid, 'SIGTERM');
    } catch {
      vitest.kill('SIGTERM');
    }
  }
}

process.on('exit', stopAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    stopAll();
    process.stderr.write(`\nunder-load: stopped by ${signal}; the CPU hogs are stopped\n`);
    process.exit(130);
  });
}
process.on('uncaughtException', (error) => {
  stopAll();
  process.stderr.write(`under-load: ${error.stack ?? String(error)}\n`);
  process.exit(1);
});

// eslint-disable-next-line no-control-regex
const stripAnsi = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '');

interface Result {
  run: number;
  ok: boolean;
  seconds: number;
  summary: string;
  log: string;
}

function runOnce(run: number, args: readonly string[], logDir: string): Promise<Result> {
  const log = join(logDir, `run-${run}.log`);
  const file = createWriteStream(log);
  const started = performance.now();
  let tail = '';
  return new Promise((resolve) => {
    const child = spawn('npx', ['vitest', 'run', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0' },
      detached: true,
    });
    vitest = child;
    const collect = (chunk: Buffer) => {
      file.write(chunk);
      tail = (tail + chunk.toString('utf8')).slice(-64_000);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    child.on('close', (code, signal) => {
      vitest = undefined;
      file.end();
      const text = stripAnsi(tail);
      const lines = text.split('\n');
      const pick = (label: string) => lines.find((line) => line.trim().startsWith(label))?.trim().replace(/\s+/g, ' ');
      const summary = [pick('Test Files'), pick('Tests')].filter((line) => line !== undefined).join('; ') || `exit ${code ?? signal}`;
      const ok = code === 0;
      if (!ok) process.stdout.write(`--- last lines of run ${run} (${log}) ---\n${lines.slice(-80).join('\n')}\n---\n`);
      resolve({ run, ok, seconds: (performance.now() - started) / 1000, summary, log });
    });
  });
}

async function main(): Promise<void> {
  const options = parse(process.argv.slice(2));
  const logDir = mkdtempSync(join(tmpdir(), 'switchyard-under-load-'));
  const target = options.vitestArgs.length === 0 ? 'the whole suite' : options.vitestArgs.join(' ');
  process.stdout.write(`under-load: ${options.runs} run(s) of vitest (${target}) with ${options.hogs} CPU hog(s); logs in ${logDir}\n`);
  startHogs(options.hogs);
  const results: Result[] = [];
  try {
    for (let run = 1; run <= options.runs; run += 1) {
      const result = await runOnce(run, options.vitestArgs, logDir);
      results.push(result);
      process.stdout.write(`run ${run}/${options.runs}: ${result.ok ? 'passed' : 'FAILED'} in ${result.seconds.toFixed(1)} s — ${result.summary}\n`);
    }
  } finally {
    stopAll();
  }
  const failed = results.filter((result) => !result.ok);
  const seconds = results.map((result) => result.seconds);
  process.stdout.write(
    `under-load: ${results.length - failed.length}/${results.length} runs passed with ${options.hogs} CPU hog(s); ` +
      `duration min ${Math.min(...seconds).toFixed(1)} s, max ${Math.max(...seconds).toFixed(1)} s` +
      (failed.length > 0 ? `; failed: ${failed.map((result) => `run ${result.run} (${result.log})`).join(', ')}` : '') +
      '\n',
  );
  process.exitCode = failed.length > 0 ? 1 : 0;
}

void main();
