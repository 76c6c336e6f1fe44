import { z } from 'zod';
import { expected } from '../../_internal/validate.js';

const id = expected<string>('a non-empty string of at most 255 characters', (v) => typeof v === 'string' && v.length > 0 && v.length <= 255);
const integer = expected<number>('an integer', (v) => typeof v === 'number' && Number.isInteger(v));
const weight = expected<number>('an integer >= 0', (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0);

export const nodeSchema = z.strictObject({
  id,
  region: id,
  status: expected<'active' | 'draining' | 'down'>("'active', 'draining' or 'down'", (v) => v === 'active' || v === 'draining' || v === 'down'),
  priority: integer,
  url: expected<string>('an absolute URL', (v) => typeof v === 'string' && URL.canParse(v)).optional(),
  databaseUrl: z.string().optional(),
  meta: z.record(z.string(), z.unknown()).optional(),
});

export const ruleSchema = z.strictObject({ region: id, nodeId: id, primary: z.boolean(), weight });

export const placementSchema = z.strictObject({
  tenantId: id,
  primaryNodeId: id,
  primaryRegion: id,
  rules: z.array(ruleSchema),
  meta: z.record(z.string(), z.unknown()).optional(),
});
