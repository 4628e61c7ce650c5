import type { BuildOptions } from 'esbuild';

/**
 * The esbuild options serverless.yml gives serverless-esbuild (`custom.esbuild`), for bundling the
 * functions as Lambda runs them. test/deploy/template.test.ts checks that the two agree.
 */
export const LAMBDA_ESBUILD = {
  bundle: true,
  minify: true,
  sourcemap: false,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  mainFields: ['module', 'main'],
} satisfies BuildOptions;
