/**
 * The library's architecture as rules `npm run lint` enforces. Folders of libs/process-manager/src are
 * layered: each may import only the folders before it in LAYERS, so no two folders import each other
 * and the adapters (memory, typeorm, …) depend on the core, never the reverse. Root files (the module
 * that wires everything, the public barrel) may import any folder.
 */
const SRC = '^libs/process-manager/src';
const LAYERS = [
  'errors',
  'kernel',
  'decorators',
  'events',
  'definition',
  'engine',
  'saga',
  'ports',
  'telemetry',
  'runtime',
  'scheduling',
  'operations',
  'health',
  'memory',
  'typeorm',
  'dashboard',
  'rabbitmq',
  'testing',
];
const CORE = LAYERS.slice(0, LAYERS.indexOf('operations') + 1);

const layerRules = LAYERS.map((folder, index) => ({
  name: `layer-${folder}`,
  comment: `${folder}/ may import only ${LAYERS.slice(0, index).join(', ') || 'nothing of the library'}`,
  severity: 'error',
  from: { path: `${SRC}/${folder}/` },
  to: {
    path: `${SRC}/`,
    pathNot: [
      `${SRC}/(${LAYERS.slice(0, index + 1).join('|')})/`,
      // The testing entry boots the whole module, as a user's test would.
      ...(folder === 'testing' ? [`${SRC}/[^/]+$`] : []),
    ],
  },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'core-without-drivers',
      comment: 'the core reaches the database and the broker only through its ports',
      severity: 'error',
      from: { path: `${SRC}/(${CORE.join('|')})/` },
      to: {
        path: '(^|/)node_modules/(typeorm|@nestjs/typeorm|pg|pg-[^/]+|amqplib|amqp-connection-manager)/',
      },
    },
    {
      name: 'no-file-cycles',
      severity: 'error',
      from: { path: SRC },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'types', 'default'] },
  },
};
