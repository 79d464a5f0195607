import { kitScriptCommand } from './python-kit.ts';

export const subcommand = kitScriptCommand({
  name: 'import-coco',
  summary: 'convert COCO JSON annotations to a YOLO dataset',
  usage: `usage: riverwatch dataset import-coco INSTANCES.json IMAGES OUT [--map "theirs=ours,..."] [--keep-categories | --agnostic-class NAME] [--copy]

Converts COCO detection annotations to a YOLO dataset in OUT
(training/import_coco.py). IMAGES is the folder file_name is relative to.
Categories must map to riverwatch's classes (--map "plastic bottle=bottle",
"name=" drops one) unless --keep-categories or --agnostic-class is given.`,
  script: 'import_coco.py',
  positionals: { flags: ['--json', '--images', '--out'], required: 3, names: 'INSTANCES.json, IMAGES and OUT' },
  strings: ['map', 'agnostic-class'],
  booleans: ['keep-categories', 'copy'],
});
