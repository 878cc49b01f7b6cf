import { IsotypError } from '@isotyp/protocol';
import { describe, expect, it } from 'vitest';
import { parseTargetUrl, redactTargetUrl } from './target-url.js';

describe('target URLs', () => {
  it('parses sqlite paths in both spellings', () => {
    expect(parseTargetUrl('sqlite:./chinook.db')).toMatchObject({ dialect: 'sqlite', path: './chinook.db' });
    expect(parseTargetUrl('sqlite:///var/db/a.db')).toMatchObject({ dialect: 'sqlite', path: '/var/db/a.db' });
    expect(parseTargetUrl('sqlite:a.db')).toMatchObject({ dialect: 'sqlite', path: 'a.db' });
  });

  it('never shows a postgres password, not even in errors', () => {
    const parsed = parseTargetUrl('postgres://app:s3cret@db.internal:5432/billing');
    expect(parsed.display).toBe('postgres://app:***@db.internal:5432/billing');
    expect(redactTargetUrl('postgresql://u:p%40ss@h/db?password=x')).not.toMatch(/p%40ss|=x/);
    try {
      parseTargetUrl('oracle://u:hunter2@h/db');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(IsotypError);
      expect((error as IsotypError).code).toBe('ISOTYP_TARGET_INVALID');
      expect((error as IsotypError).message).not.toContain('hunter2');
    }
  });

  it('refuses empty and malformed URLs', () => {
    expect(() => parseTargetUrl('sqlite:')).toThrow(IsotypError);
    expect(() => parseTargetUrl('postgres://')).toThrow(IsotypError);
    expect(() => parseTargetUrl('')).toThrow(IsotypError);
  });
});
