import type { BuildOptions } from 'esbuild';

/**
 * The esbuild options serverless.yml gives serverless-esbuild (`custom.esbuild`), for bundling the
 * functions as Lambda runs them. test/deploy/template.test.ts checks that the two agree.
 *
 * ES modules (`.mjs`, serverless.yml's `outputFileExtension`), so that a function's top level can
 * `await` its INIT work (Runtime.warmUp). The few bundled CommonJS dependencies that call
 * `require` for Node's own modules get a real `require` from the banner.
 */
export const LAMBDA_ESBUILD = {
  bundle: true,
  minify: true,
  sourcemap: false,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  mainFields: ['module', 'main'],
  banner: {
    js: "import { createRequire as __bridgeCreateRequire } from 'node:module'; const require = __bridgeCreateRequire(import.meta.url);",
  },
} satisfies BuildOptions;

/** The bundles' file extension (ES modules whatever package.json is beside them). */
export const LAMBDA_OUTPUT_EXTENSION = '.mjs';
