// Imported first by main.ts, before any schema is built. The page's CSP has no 'unsafe-eval':
// zod 4 probes `new Function` for its JIT when an object schema is constructed, and the CSP
// blocks the probe and reports it as a violation. Jitless zod never tries.
import { z } from 'zod';

z.config({ jitless: true });
