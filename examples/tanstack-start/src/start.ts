import { createCsrfMiddleware, createStart } from '@tanstack/react-start';

// Server functions are same-origin RPC endpoints: refuse cross-site calls to them.
const csrf = createCsrfMiddleware({ filter: (ctx) => ctx.handlerType === 'serverFn' });

export const startInstance = createStart(() => ({ requestMiddleware: [csrf] }));
