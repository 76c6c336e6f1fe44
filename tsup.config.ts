import { fileURLToPath } from 'node:url';
import { defineConfig, type Options } from 'tsup';

type Plugin = NonNullable<Options['esbuildPlugins']>[number];

/** Optional peer dependencies: each is loaded only by the entries that need it. */
const OPTIONAL_PEERS = ['@opentelemetry/api', 'ioredis', 'pg', 'rou3', 'rou3/compiler', 'yaml'];
const PEER_FILTER = new RegExp(`^(${OPTIONAL_PEERS.map((name) => name.replace(/[/.]/g, '\\$&')).join('|')})$`);

/**
 * Turns a missing optional peer into an error that says what to install. A static `import` of a
 * missing package fails before any of our code runs (`Cannot find module 'rou3'`), so each static
 * import of a peer goes through a small module that loads it in a try/catch: `await import` in
 * the ESM build, `require` in the CJS build. Dynamic imports already handle their own failure.
 */
function friendlyOptionalPeers(): Plugin {
  return {
    name: 'friendly-optional-peers',
    setup(build) {
      // With treeshake on, tsup has esbuild emit ESM for both formats and rollup turn one into CJS;
      // `esbuildOptions` below passes the real target format.
      const format = build.initialOptions.define?.['SWITCHYARD_OUTPUT_FORMAT'] === '"cjs"' ? 'cjs' : 'esm';
      build.onResolve({ filter: PEER_FILTER }, (args) => {
        if (args.namespace === 'optional-peer' || args.kind === 'dynamic-import') return { path: args.path, external: true };
        return { path: args.path, namespace: 'optional-peer' };
      });
      build.onLoad({ filter: /.*/, namespace: 'optional-peer' }, async (args) => {
        const name = JSON.stringify(args.path);
        // `rou3/compiler` comes with `rou3`: the message names the package to install.
        const pkg = args.path.split('/').slice(0, args.path.startsWith('@') ? 2 : 1).join('/');
        const names = Object.keys((await import(args.path)) as object).filter((key) => /^[A-Za-z_$][\w$]*$/.test(key) && key !== 'default');
        const fail = `
  const code = cause && cause.code;
  const missing = code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND' || String(cause && cause.message).includes(${name});
  if (!missing) throw cause;
  throw new Error(${JSON.stringify(
    `switchyard: this entry needs the optional peer dependency "${pkg}", which is not installed. Install it: npm install ${pkg}`,
  )}, { cause });`;
        const contents =
          format === 'esm'
            ? `let mod;\ntry { mod = await import(${name}); } catch (cause) {${fail}\n}\nexport const { ${names.join(', ')} } = mod;\nexport default mod.default;\n`
            : `let mod;\ntry { mod = require(${name}); } catch (cause) {${fail}\n}\nmodule.exports = mod;\n`;
        return { contents, loader: 'js', resolveDir: process.cwd() };
      });
    },
  };
}

const shared: Options = {
  format: ['esm', 'cjs'],
  sourcemap: true,
  target: 'es2022',
  treeshake: true,
  // p-limit and @noble/hashes ship ESM only; bundling them keeps `require('switchyard')` working on every
  // Node >= 20 without require(esm). See docs/decisions/0002 and 0005.
  // The optional peers are listed too so that tsup leaves them to friendlyOptionalPeers, which
  // keeps them external.
  noExternal: ['p-limit', 'yocto-queue', '@noble/hashes', ...OPTIONAL_PEERS],
  esbuildOptions(options, { format }) {
    options.define = { ...options.define, SWITCHYARD_OUTPUT_FORMAT: JSON.stringify(format) };
  },
};

const nodeDefaultTransport = fileURLToPath(new URL('./src/http/transport/default.node.ts', import.meta.url));

export default defineConfig([
  {
    ...shared,
    entry: {
      index: 'src/index.ts',
      http: 'src/http/index.ts',
      'http-undici': 'src/http/undici.ts',
      routing: 'src/routing/index.ts',
      redis: 'src/stores/redis/index.ts',
      otel: 'src/otel/index.ts',
      postgres: 'src/postgres/index.ts',
      node: 'src/node/index.ts',
      testing: 'src/testing/index.ts',
    },
    dts: true,
    // The Node build below writes http.node.* into the same folder.
    clean: ['!http.node.*'],
    esbuildPlugins: [friendlyOptionalPeers()],
  },
  {
    // `switchyard/http` for the `node` export condition: the same code, with undici as the
    // default transport instead of fetch. Its types are the default build's.
    ...shared,
    entry: { 'http.node': 'src/http/index.ts' },
    dts: false,
    clean: false,
    esbuildPlugins: [
      friendlyOptionalPeers(),
      {
        name: 'node-default-transport',
        setup(build) {
          build.onResolve({ filter: /^\.\/transport\/default\.js$/ }, () => ({ path: nodeDefaultTransport }));
        },
      },
    ],
  },
]);
