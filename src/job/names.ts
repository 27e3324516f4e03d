// Queue and job names become Redis keys and Ruby class names; refuse the ones that would break
// either, with a message that says what is allowed.

import { ConfigError } from '../errors.ts';

const QUEUE_NAME = /^[A-Za-z0-9_.\-]{1,128}$/;
const JOB_NAME = /^[A-Za-z_][A-Za-z0-9_]*(?:(?:::|\.)[A-Za-z_][A-Za-z0-9_]*)*$/;

export function validateQueueName(queue: unknown): asserts queue is string {
  if (typeof queue !== 'string' || !QUEUE_NAME.test(queue)) {
    throw new ConfigError(`queue name ${JSON.stringify(queue)} is not valid: use 1-128 letters, digits, '_', '-' or '.'`);
  }
}

export function validateJobName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length > 200 || !JOB_NAME.test(name)) {
    throw new ConfigError(`job name ${JSON.stringify(name)} is not valid: use an identifier such as SendWelcomeEmail (Ruby-style Mailers::Welcome also works)`);
  }
}
