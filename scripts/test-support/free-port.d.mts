// Types for scripts/test-support/free-port.mjs.

/** A port the kernel just handed out on 127.0.0.1, closed again (another process could take it). */
export function freePort(): Promise<number>;
