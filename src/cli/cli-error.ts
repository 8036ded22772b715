/** A failure the CLI reports as one line on stderr and exit code 1, without a stack trace. */
export class CliError extends Error {}
