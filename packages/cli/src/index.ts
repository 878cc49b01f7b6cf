// The package's public face, for code that extends the CLI (plugins, tests). The binary itself
// is bin/run.js; oclif finds commands through package.json, not through this file.
export { IsotypCommand } from './base-command.js';
export { globalFlags } from './flags.js';
export { type ErrorOutput, formatError, type RenderOptions, renderError } from './ui/render-error.js';
