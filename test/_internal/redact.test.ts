import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../src/_internal/redact.js';

describe('redactSecrets', () => {
  it('masks the whole user-info of a URL, also when the password holds an @', () => {
    expect(redactSecrets('connect to postgres://app:secret@db.internal/app failed')).toBe('connect to postgres://***@db.internal/app failed');
    expect(redactSecrets('postgres://app:p@ssw0rd@db/app')).toBe('postgres://***@db/app');
  });

  it('masks password and token pairs in conninfo, query strings and JSON', () => {
    expect(redactSecrets('host=db password=s3cr3t user=app')).toBe('host=db password=*** user=app');
    expect(redactSecrets('https://api.example/x?token=abc&q=1')).toBe('https://api.example/x?token=***&q=1');
    expect(redactSecrets('{"user":"app","password":"s3cr3t"}')).toBe('{"user":"app","password":***}');
  });

  it('leaves text without credentials alone', () => {
    expect(redactSecrets('GET https://db.internal/app answered 503')).toBe('GET https://db.internal/app answered 503');
  });
});
