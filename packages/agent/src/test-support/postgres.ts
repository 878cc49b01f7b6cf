// The helpers live beside the server setup they depend on, shared by every package's tests.
export * from '../../../../scripts/test-support/postgres.js';
