/** Sends one GraphQL request and answers its data. */
export type Ask = (query: string, variables: Record<string, unknown>) => Promise<any>;

const PAGE = 'query($a: String) { changes(after: $a, first: 1000) { edges { node { sequence } } pageInfo { hasNextPage endCursor } } }';

/** The whole feed as the changes query pages it: the sequence every stream must deliver. */
export async function committedSequences(ask: Ask): Promise<string[]> {
  const sequences: string[] = [];
  let after: string | null = null;
  for (;;) {
    const { changes } = await ask(PAGE, { a: after });
    sequences.push(...changes.edges.map((edge: { node: { sequence: string } }) => edge.node.sequence));
    if (!changes.pageInfo.hasNextPage) return sequences;
    after = changes.pageInfo.endCursor;
  }
}
