// Field schemas shared by the plan, its inline services, service registration and ESS requests, so a
// serviceId or a batchNumber means and is checked the same everywhere.

import { z } from 'zod';
import { EXEC_METHODS, FAILURE_POLICIES, PAUSE_OPTIONS } from '../engine/types.ts';

/** Ids end up in scope locks, task keys (`item/batch/target`) and URLs: a small, safe alphabet. */
export const ID_PATTERN = /^[A-Za-z0-9._:-]+$/;
export const MAX_ID_LENGTH = 128;

const idRules = z
  .string()
  .min(1, { abort: true }) // "must not be empty" says it all
  .max(MAX_ID_LENGTH)
  .regex(ID_PATTERN, { error: 'may contain only letters, digits and . _ : -' });

/** An id that YAML may have read as a number (seed 004 writes `serviceId: 111`); always a string after. */
export const idSchema = z
  .union([z.string(), z.number()], {
    error: (iss) => (iss.input === undefined ? 'required' : 'must be a string (or a number)'),
  })
  .transform((v) => String(v))
  .pipe(idRules);

/** The id in `PUT /v1/services/{serviceId}`, checked like a plan's serviceId. */
export const serviceIdSchema = idRules;

/** A version label: text, or a number YAML produced (`version: 3`). */
export const versionSchema = z
  .union([z.string(), z.number()], {
    error: (iss) => (iss.input === undefined ? 'required' : 'must be a string (or a number)'),
  })
  .transform((v) => String(v))
  .pipe(z.string().trim().min(1).max(MAX_ID_LENGTH));

/** A label is a bare tag (`canary`) or `key=value` (`zone=a`); commas separate labels in deployLabel. */
export const LABEL_PATTERN = /^[^\s,=]+(=[^\s,=]+)?$/;
export const LABEL_HINT = 'must be a bare tag (label1) or key=value (zone=a), without spaces or commas';
export const labelSchema = z.string().regex(LABEL_PATTERN, { error: LABEL_HINT });

export const int = () => z.number().int();
export const seconds = () => int().min(0).max(86_400);

/** Enum with the person-facing message zod would otherwise phrase as "Invalid option". */
export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: (iss) => (iss.input === undefined ? 'required' : `must be one of ${values.join(', ')}`) });

export const healthCheckSchema = z.strictObject({
  type: z.literal('http', { error: (iss) => (iss.input === undefined ? 'required' : 'must be "http" (the only health check type so far)') }),
  path: z.string().startsWith('/', { error: 'must start with "/"' }),
  expectStatus: int().min(100).max(599).default(200),
  timeoutSeconds: int().min(1).max(300).default(5),
  retries: int().min(0).max(20).default(3),
});

/**
 * Options a plan item may set and a service may default (SPEC §2 "defaults come from the service, then
 * from here"). No zod defaults here: an absent option must stay absent so the service default can apply.
 */
export const rolloutOptionShape = {
  containerExecMethod: oneOf(EXEC_METHODS).optional(),
  batchNumber: int().min(1).optional(),
  batchPauseOption: oneOf(PAUSE_OPTIONS).optional(),
  batchWaitSeconds: seconds().optional(),
  maxConcurrency: int().min(1).optional(),
  maxErrors: int().min(0).optional(),
  onFailure: oneOf(FAILURE_POLICIES).optional(),
  healthCheck: healthCheckSchema.optional(),
  bakeSeconds: seconds().optional(),
};

export const rolloutOptionsSchema = z.strictObject(rolloutOptionShape);
export type RolloutOptions = z.output<typeof rolloutOptionsSchema>;

/**
 * Zod skips an object's refinements once any field failed. These cross-field rules must run anyway, so
 * that a plan's problems are all reported at once; they therefore receive possibly-invalid data.
 */
export const ALWAYS = { when: () => true } as const;
