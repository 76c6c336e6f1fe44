import { expected, v } from '../../_internal/validate.js';

const id = expected<string>('a non-empty string of at most 255 characters', (v) => typeof v === 'string' && v.length > 0 && v.length <= 255);
const integer = expected<number>('an integer', (v) => typeof v === 'number' && Number.isInteger(v));
const weight = expected<number>('an integer >= 0', (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0);

export const nodeSchema = v.object({
  id,
  region: id,
  status: expected<'active' | 'draining' | 'down'>("'active', 'draining' or 'down'", (v) => v === 'active' || v === 'draining' || v === 'down'),
  priority: integer,
  url: expected<string>('an absolute URL', (v) => typeof v === 'string' && URL.canParse(v)).optional(),
  databaseUrl: v.string().optional(),
  meta: v.record(v.string(), v.unknown()).optional(),
});

export const ruleSchema = v.object({ region: id, nodeId: id, primary: v.boolean(), weight });

export const placementSchema = v.object({
  tenantId: id,
  primaryNodeId: id,
  primaryRegion: id,
  rules: v.array(ruleSchema),
  meta: v.record(v.string(), v.unknown()).optional(),
});
