/**
 * Retries `check` (an assertion, usually) until it passes, then returns what it returned; after
 * `timeoutMs` the last failure is thrown as it was. For outcomes that arrive asynchronously:
 * events, webhook deliveries, replicas catching up.
 *
 * @example
 * await eventually(async () => expect(receiver.accepted()).toHaveLength(3));
 */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }
}
