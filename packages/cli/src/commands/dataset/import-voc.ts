import { kitScriptCommand } from './python-kit.ts';

export const subcommand = kitScriptCommand({
  name: 'import-voc',
  summary: 'convert Pascal VOC XML (labelImg) to a YOLO dataset',
  usage: `usage: riverwatch dataset import-voc SRC OUT [--images DIR] [--classes a,b,...] [--map theirs=ours,...] [--copy]

Converts Pascal VOC XML (labelImg's format) in SRC to a YOLO dataset in OUT
(training/import_voc.py). Images are found next to the XML or in --images.`,
  script: 'import_voc.py',
  positionals: { flags: ['--xml', '--out'], required: 2, names: 'SRC and OUT' },
  strings: ['images', 'classes', 'map'],
  booleans: ['copy'],
});
