/** a command used wrongly (exit code 64), as opposed to an API error (1) */
export class UsageError extends Error {}
