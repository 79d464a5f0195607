import { kitScriptCommand } from './python-kit.ts';

export const subcommand = kitScriptCommand({
  name: 'import-yolo',
  summary: 'validate and import a YOLO dataset users bring',
  usage: `usage: riverwatch dataset import-yolo SRC [OUT] [--split val] [--map theirs=ours,...] [--copy]

Validates a YOLO dataset users bring (DIR/images + labels, Ultralytics'
images/{train,val}, or a data.yaml) and, with OUT, writes a clean copy in
riverwatch's layout (training/import_yolo.py). Without OUT it only validates.`,
  script: 'import_yolo.py',
  positionals: { flags: ['--src', '--out'], required: 1, names: 'SRC [OUT]' },
  strings: ['split', 'map'],
  booleans: ['copy'],
});
