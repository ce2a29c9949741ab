import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { projectRoot } from './paths.js';

export const VERSION: string = (JSON.parse(readFileSync(resolve(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;
