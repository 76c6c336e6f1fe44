import type { FanoutReport, Outcome, Responses } from '../../src/index.js';
import type { Trace, TracedAttempt } from './bff.js';

/** Just enough of a `FanoutReport` to draw; an aborted call has no report, so the demo builds one from its trace. */
export interface Timeline {
  durationMs: number;
  finishedBy: string;
  instances: {
    instanceId: string;
    status: string;
    reason?: string;
    cancelled: boolean;
    attempts: { startMs: number; endMs: number | undefined; result: string | undefined; retryDelayMs?: number; hedge: boolean }[];
  }[];
}

const color = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
const paint = (code: number) => (text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
export const bold = paint(1);
export const dim = paint(2);
const green = paint(32);
const red = paint(31);
const yellow = paint(33);
const cyan = paint(36);

const GLYPH: Record<string, string> = {
  success: '#',
  unauthorized: '!',
  'not-found': '?',
  error: 'x',
  timeout: 't',
  cancelled: '~',
};
const PAINT: Record<string, (s: string) => string> = {
  success: green,
  unauthorized: yellow,
  'not-found': yellow,
  error: red,
  timeout: red,
  cancelled: cyan,
};

export const LEGEND = 'legend: # success  ! 401/403  ? 404  x failed  t timed out  ~ cancelled  . backoff before a retry';

/** Left-aligned columns with a header row. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [bold(line(header)), ...rows.map(line)];
}

function outcomeLabel(status: string, reason: string | undefined): string {
  return reason === undefined || status === 'success' ? status : `${status} (${reason})`;
}

function httpOf(attempts: TracedAttempt[]): string {
  if (attempts.length === 0) return '-';
  return attempts.map((a) => String(a.result ?? 'open')).join(', ');
}

/**
 * One row per instance: what it did (outcome, HTTP answers per attempt, attempts, time). The
 * outcomes come from the call, the HTTP answers from the worker's trace.
 */
export function instanceTable(timeline: Timeline, trace: Trace | undefined, outcomes?: Responses<unknown>): string[] {
  const rows = timeline.instances.map((row) => {
    const outcome = outcomes?.all.find((o: Outcome<unknown>) => o.instance.id === row.instanceId);
    const first = row.attempts[0];
    const last = row.attempts.at(-1);
    const ms =
      outcome !== undefined && 'durationMs' in outcome
        ? outcome.durationMs
        : first !== undefined && last?.endMs !== undefined
          ? last.endMs - first.startMs
          : undefined;
    const attempts = trace?.attempts.filter((a) => a.instanceId === row.instanceId) ?? [];
    return [
      row.instanceId,
      outcomeLabel(row.status, row.reason),
      httpOf(attempts),
      String(row.attempts.length),
      ms === undefined ? '-' : String(Math.round(ms)),
      row.cancelled ? 'cancelled when the call ended' : '',
    ];
  });
  return table(['instance', 'outcome', 'http', 'attempts', 'ms', 'note'], rows);
}

/** The terminal width, or 100 columns when the output is not a terminal (CI, tests, pipes). */
export function terminalWidth(): number {
  const columns = process.stdout.isTTY ? process.stdout.columns : undefined;
  return Math.min(160, Math.max(70, columns ?? 100));
}

/**
 * A text waterfall: one row per instance, each attempt a bar from its start to its end offset,
 * scaled to the width, its glyph saying how it ended; dots mark a backoff wait before a retry.
 */
export function waterfall(timeline: Timeline, width = terminalWidth()): string[] {
  const labelWidth = Math.max(8, ...timeline.instances.map((i) => i.instanceId.length));
  const summaries = timeline.instances.map(
    (row) =>
      `${outcomeLabel(row.status, row.reason)}, ${row.attempts.length} attempt${row.attempts.length === 1 ? '' : 's'}${row.cancelled ? ', cancelled' : ''}`,
  );
  const barWidth = Math.max(20, width - labelWidth - 40);
  const total = Math.max(1, timeline.durationMs, ...timeline.instances.flatMap((i) => i.attempts.map((a) => a.endMs ?? 0)));
  const col = (ms: number) => Math.min(barWidth - 1, Math.floor((ms / total) * barWidth));

  const scale = `0 ms`.padEnd(barWidth - `${Math.round(total)} ms`.length) + `${Math.round(total)} ms`;
  const lines = [dim(`${' '.repeat(labelWidth)}  ${scale}`)];
  timeline.instances.forEach((row, index) => {
    const cells: string[] = Array.from({ length: barWidth }, () => ' ');
    const painted: ((s: string) => string)[] = Array.from({ length: barWidth }, () => (s: string) => s);
    let previousEnd: number | undefined;
    for (const attempt of row.attempts) {
      const from = col(attempt.startMs);
      const to = Math.max(from, col(attempt.endMs ?? total) - 1);
      if (attempt.retryDelayMs !== undefined) {
        // From the end of the previous attempt: the backoff starts a moment after it, which can
        // round into the next cell and leave a gap that is not in the timeline.
        const waitFrom = Math.min(previousEnd ?? from, col(Math.max(0, attempt.startMs - attempt.retryDelayMs)));
        for (let c = waitFrom; c < from; c += 1) if (cells[c] === ' ') cells[c] = '.';
      }
      previousEnd = col(attempt.endMs ?? total);
      const kind = attempt.result ?? 'cancelled';
      for (let c = from; c <= to; c += 1) {
        cells[c] = GLYPH[kind] ?? '=';
        painted[c] = PAINT[kind] ?? ((s) => s);
      }
    }
    const bar = cells.map((c, i) => painted[i]!(c)).join('');
    lines.push(`${row.instanceId.padEnd(labelWidth)} |${bar}| ${summaries[index]}`);
  });
  lines.push(dim(`finished by: ${timeline.finishedBy} after ${Math.round(timeline.durationMs)} ms`), dim(LEGEND));
  return lines;
}

/** An aborted call returns no report; rebuild its timeline from the worker's trace. */
export function timelineFromTrace(trace: Trace, instanceIds: readonly string[], durationMs: number, status: string): Timeline {
  return {
    durationMs,
    finishedBy: status,
    instances: instanceIds.map((id) => ({
      instanceId: id,
      status,
      cancelled: true,
      attempts: trace.attempts
        .filter((a) => a.instanceId === id)
        .map((a) => ({
          startMs: a.startMs,
          endMs: a.endMs,
          result: typeof a.result === 'number' ? (a.result < 400 ? 'success' : 'error') : a.result === 'aborted' ? 'cancelled' : a.result,
          hedge: false,
        })),
    })),
  };
}

export const asTimeline = (report: FanoutReport): Timeline => report;
