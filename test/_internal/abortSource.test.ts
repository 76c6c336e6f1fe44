import { describe, expect, it } from 'vitest';
import { AbortSource } from '../../src/_internal/abortSource.js';

describe('AbortSource', () => {
  it('aborts once, with the first reason, and tells its listeners once', () => {
    const source = new AbortSource();
    const heard: string[] = [];
    source.addEventListener('abort', () => heard.push('a'));
    source.addEventListener('abort', () => heard.push('b'));
    source.abort('first');
    source.abort('second');
    expect(source.aborted).toBe(true);
    expect(source.reason).toBe('first');
    expect(heard).toEqual(['a', 'b']);
  });

  it('does not call a removed listener, and a throwing one stops neither the others nor the abort', () => {
    const source = new AbortSource();
    const heard: string[] = [];
    const removed = () => heard.push('removed');
    source.addEventListener('abort', () => {
      throw new Error('listener bug');
    });
    source.addEventListener('abort', removed);
    source.addEventListener('abort', () => heard.push('kept'));
    source.removeEventListener('abort', removed);
    source.removeEventListener('abort', () => {});
    expect(() => source.abort('why')).not.toThrow();
    expect(heard).toEqual(['kept']);
  });

  it('creates its signal only when read, aborted with the same reason before or after', () => {
    const early = new AbortSource();
    const signal = early.signal;
    expect(early.signal).toBe(signal);
    expect(signal.aborted).toBe(false);
    early.abort('late reason');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('late reason');

    const late = new AbortSource();
    late.abort('early reason');
    expect(late.signal.aborted).toBe(true);
    expect(late.signal.reason).toBe('early reason');
  });

  it('ignores listeners added after the abort, as an aborted AbortSignal does', () => {
    const source = new AbortSource();
    source.abort('done');
    const heard: string[] = [];
    source.addEventListener('abort', () => heard.push('late'));
    source.abort('again');
    expect(heard).toEqual([]);
  });
});
