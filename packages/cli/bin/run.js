#!/usr/bin/env node
// The `isotyp` binary. Kept tiny: oclif imports only the command being run, and commands load
// their services lazily inside run(), so `isotyp --help` loads no service modules.
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
