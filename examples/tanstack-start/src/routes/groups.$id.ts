import { createFileRoute } from '@tanstack/react-router';
import { getGroup } from '../groups.functions.js';

/** `GET /groups/:id`: the group from the first instance that has it. */
export const Route = createFileRoute('/groups/$id')({
  server: {
    handlers: {
      GET: async ({ params }) => Response.json(await getGroup({ data: { id: params.id } })),
    },
  },
});
