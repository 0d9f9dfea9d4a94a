/**
 * An error the user can fix (bad flag, bad config field, unwritable path, missing package).
 * The CLI prints its message without a stack trace and exits with `exitCode` (2 by default).
 */
export class UserError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'UserError';
    this.exitCode = exitCode;
  }
}

/** Raised inside a trial when the user pressed Ctrl-C; cleanup still runs. */
export class InterruptedError extends Error {
  constructor(message = 'interrupted by the user') {
    super(message);
    this.name = 'InterruptedError';
  }
}

/**
 * The testbed is in a state where another trial could cost the guest (no copy running, two copies,
 * a host that cannot be seen): the run stops after this trial's cleanup, with the resume command,
 * and is not retried.
 */
export class TestbedUnsafeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TestbedUnsafeError';
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
