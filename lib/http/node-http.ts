import type * as NodeHttp from 'node:http';

/**
 * `node:http`, as Node's own module object. The functions are bundled as ES modules, and an
 * ES-module import of `node:http` makes Node build the module's namespace, which reads every
 * lazily defined export — among them the WebSocket classes, which load Node's whole fetch
 * implementation (undici): 15–30 ms of CPU on every cold start for nothing we use. Taking the
 * module with `process.getBuiltinModule` reads only what is used. Import `http` from here in code
 * that runs on Lambda; type-only imports of `node:http` cost nothing.
 */
export const http = process.getBuiltinModule('node:http') as typeof NodeHttp;
