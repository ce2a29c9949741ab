// Code to start from on the "Your code" card. Each leaves its data in `foo` (CUSTOM_NAME), which
// its unreference drops. Sizes are chosen to show a clear rise within the default caps.
import type { Runtime } from '../runtimes.js';
import type { RunCode } from './code.js';

export interface Preset {
  id: string;
  title: string;
  runtime: Runtime;
  code: RunCode;
}

export const PRESETS: readonly Preset[] = [
  {
    id: 'py-seed',
    title: "The seed (Python 3): ['abc' for x in range(10**7)]",
    runtime: 'python',
    code: { setup: '', allocate: "foo = ['abc' for x in range(10**7)]", unreference: 'del foo' },
  },
  {
    id: 'py-distinct-strings',
    title: 'The seed with distinct strings (10⁶)',
    runtime: 'python',
    code: { setup: '', allocate: "foo = ['abc%d' % x for x in range(10**6)]", unreference: 'del foo' },
  },
  {
    id: 'py-csv-dict-of-lists',
    title: 'A CSV loaded into a dict of lists (Python, csv module)',
    runtime: 'python',
    code: {
      setup: "import csv\nimport io\n\nROWS = 200_000\ntext = '\\n'.join(f'{i},name{i},{i * 0.5},{\"abc\"[i % 3]}' for i in range(ROWS))\n",
      allocate: "foo = {'id': [], 'name': [], 'value': [], 'kind': []}\nfor row in csv.reader(io.StringIO(text)):\n    foo['id'].append(int(row[0]))\n    foo['name'].append(row[1])\n    foo['value'].append(float(row[2]))\n    foo['kind'].append(row[3])\n",
      unreference: 'del foo',
    },
  },
  {
    id: 'node-json-parse',
    title: 'JSON.parse of a large generated document (Node)',
    runtime: 'node',
    code: {
      setup: "// The text is made before baseline, so only what JSON.parse builds is measured.\nconst text = JSON.stringify(Array.from({ length: 200_000 }, (_, i) => ({ id: i, name: `item ${i}`, tags: ['a', 'b'], score: i / 7 })));\n",
      allocate: 'let foo = JSON.parse(text);\n',
      unreference: 'foo = null;',
    },
  },
  {
    id: 'node-map',
    title: 'A Map of 10⁶ entries (Node)',
    runtime: 'node',
    code: { setup: '', allocate: 'let foo = new Map();\nfor (let i = 0; i < 1e6; i++) foo.set(i, { i });\n', unreference: 'foo = null;' },
  },
  {
    id: 'node-regex-strings',
    title: 'Many strings built with a regex (Node)',
    runtime: 'node',
    code: {
      setup: "const line = 'alpha beta gamma delta ';\n",
      allocate: "let foo = [];\nfor (let i = 0; i < 300_000; i++) foo.push((line + i).replace(/(\\w+) (\\w+)/g, '$2-$1'));\n",
      unreference: 'foo = null;',
    },
  },
];
