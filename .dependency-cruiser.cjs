/**
 * The layers of CONTRIBUTING.md over the resolved import graph, and no cycles. `npm run lint`
 * (part of `npm test`) runs it on src, components, example, test and bench.
 */
module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'modules import in one direction only', from: {}, to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } } },
    {
      name: 'protocol-imports-nothing',
      severity: 'error',
      comment: 'src/protocol.ts is shared by server and components; it imports nothing',
      from: { path: '^src/protocol\\.ts$' },
      to: { pathNot: '^src/protocol\\.ts$' },
    },
    {
      name: 'components-only-protocol-and-texts',
      severity: 'error',
      comment: 'components import only the protocol, the shared texts and the component config from src',
      from: { path: '^components/' },
      to: { path: '^src/', pathNot: '^src/(protocol|texts|component-config)\\.ts$' },
    },
    {
      name: 'store-knows-no-transport-or-adminjs',
      severity: 'error',
      comment: 'the store knows no transport and no AdminJS',
      from: { path: '^src/store/' },
      to: {
        path: [
          '^src/server/',
          '^src/(feature|write-guard|write-intent|collaboration|save-announcer|bulk-delete-guard)\\.ts$',
          'node_modules/(adminjs|socket\\.io|express|express-session|@adminjs)/',
        ],
      },
    },
    {
      name: 'handlers-see-store-interface-only',
      severity: 'error',
      comment: 'server handlers and the feature talk to the store interface, never a concrete store',
      from: { path: ['^src/server/', '^src/(feature|write-guard|write-intent|save-announcer|bulk-delete-guard)\\.ts$'] },
      to: { path: '^src/store/(memory-store|redis-store|redis-scripts)\\.ts$' },
    },
    {
      name: 'example-stands-alone',
      severity: 'error',
      comment: 'the example is the demo only: it imports the package, never the tests, their fixture or the bench',
      from: { path: '^example/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'tests-and-bench-run-the-fixture',
      severity: 'error',
      comment: 'tests and the bench run test/fixture, so changing the demo cannot break them (the cluster proxy is a tool, not the demo)',
      from: { path: '^(test|bench)/' },
      to: { path: '^example/', pathNot: '^example/proxy\\.ts$' },
    },
    {
      name: 'nothing-imports-tests-or-example',
      severity: 'error',
      from: { path: '^(src|components)/' },
      to: { path: '^(test|example|bench)/' },
    },
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js'] },
  },
}
